#!/usr/bin/env bash
# AutoML as a job of moted, over real HTTP: `mote serve` on a free port, a small FSDD slice (3 digits, 120
# clips) pushed as a dataset version; bad tars and bad job options refused by name; a job searches and
# publishes its model with its lineage, which scores as the search reported; kill -9 of the server in the
# middle of a job: the search dies with it and the restarted server resumes it from its automl.db; cancel
# stops a running search.
# usage: automl_test.sh MOTE SHARED_DIR WORK_DIR
set -u
MOTE=$1 SHARED=$2 W=$3
rm -rf "$W" && mkdir -p "$W/data/recordings" || exit 1
D=$W/srv PID= fails=0
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; }
trap cleanup EXIT
check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}
start() {
  rm -f "$D/moted.port"
  "$MOTE" serve --data "$D" --port 0 --threads 2 >"$W/stdout" 2>>"$W/log" &
  PID=$!
  for _ in $(seq 100); do [ -s "$D/moted.port" ] && break; sleep 0.1; done
  [ -s "$D/moted.port" ] || { echo "server did not start:"; cat "$W/log"; exit 1; }
  export MOTE_SERVER=http://127.0.0.1:$(cat "$D/moted.port") MOTE_TOKEN_FILE=$D/admin.token
  for _ in $(seq 50); do grep -q listening "$W/stdout" && break; sleep 0.1; done
}
req() { # req METHOD PATH [curl args...]: body in $W/body, status in $CODE
  local m=$1 p=$2; shift 2
  CODE=$(curl -s -o "$W/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $(cat "$D/admin.token")" "$@" \
         "$MOTE_SERVER$p")
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/body" "$1"; }
state_of() { req GET "/v1/automl/$1"; jget 'd["state"]'; }
until_state() { # until_state JOB REGEX SECONDS
  for _ in $(seq $(($3 * 5))); do [[ $(state_of "$1") =~ $2 ]] && return 0; sleep 0.2; done; return 1
}
searches() { pgrep -f -- "-o $D/automl/$1/out" | wc -l; }

awk -F, 'NR == 1 || ($2 < 3 && $4 < 8)' "$SHARED/data/fsdd/metadata.csv" > "$W/data/metadata.csv"
tail -n +2 "$W/data/metadata.csv" | cut -d, -f1 | while read -r f; do cp "$SHARED/data/fsdd/$f" "$W/data/$f"; done
start

# ---- datasets ----
"$MOTE" dataset push "$W/data" --name digits3 --version v1 --json > "$W/push.json"
check "dataset push: 120 clips and the manifest" python3 -c "
import json; d = json.load(open('$W/push.json')); assert d['files'] == 121 and d['parent'] is None, d"
"$MOTE" dataset push "$W/data" --name digits3 --version v1 > "$W/push2.txt"
check "the same files again: already published" grep -q "already published" "$W/push2.txt"
echo extra > "$W/data/extra.txt"
"$MOTE" dataset push "$W/data" --name digits3 --version v1 2> "$W/push3.err"; rc=$?
check "other files under a published version: 409, exit 1" test $rc = 1 -a -n "$(grep 'HTTP 409' "$W/push3.err")"
"$MOTE" dataset push "$W/data" --name digits3 --version v2 --parent digits3/v1 > /dev/null
rm "$W/data/extra.txt"
req GET /v1/datasets/digits3/v2
check "a derived version records its parent" test "$CODE" = 200 -a "$(jget 'd["parent"]')" = digits3/v1
"$MOTE" dataset pull digits3 v1 -o "$W/pulled.tar" > /dev/null
check "pull gives the pushed tar" test "$(sha256sum < "$W/pulled.tar" | cut -c1-64)" = \
  "$(python3 -c "import json; print(json.load(open('$W/push.json'))['sha256'])")"
python3 - "$W" <<'PY'
import io, sys, tarfile
w = sys.argv[1]
def tar(name, kind):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as t:
        i = tarfile.TarInfo(name)
        if kind == "link":
            i.type, i.linkname = tarfile.SYMTYPE, "/etc/passwd"
            t.addfile(i)
        else:
            i.size = 3
            t.addfile(i, io.BytesIO(b"abc"))
    open(f"{w}/{kind}.tar", "wb").write(b.getvalue())
tar("../escape.csv", "dotdot")
tar("rec/a.wav", "link")
tar("/abs.csv", "abs")
open(f"{w}/junk.tar", "wb").write(b"this is not a tar archive at all" * 40)
PY
for t in dotdot:"'..' in the name" link:"only files and folders" abs:"absolute names" junk:"dataset tar"; do
  req POST "/v1/datasets?name=bad&version=${t%%:*}" -H "Content-Type: application/x-tar" --data-binary "@$W/${t%%:*}.tar"
  check "bad tar (${t%%:*}): 400 naming it" test "$CODE" = 400 -a -n "$(jget 'd["error"]' | grep -F "${t#*:}")"
done
check "nothing of the bad tars was written" test ! -e "$W/escape.csv" -a ! -e "$D/escape.csv"

# ---- refused jobs ----
base='"dataset":"digits3","version":"v1","task":"audio","target":"nrf52840"'
for t in '{'"$base"',"output":"/etc"}|output: unknown field' \
         '{"dataset":"digits3","version":"v1","task":"audio","target":"../../etc/x"}|target:' \
         '{'"$base"',"budget_s":0}|budget_s:' \
         '{'"$base"',"args":["-o","/tmp/x"]}|args[0]:' \
         '{"dataset":"digits3","version":"v1","target":"nrf52840"}|task: required'; do
  req POST /v1/automl -d "${t%%|*}"
  check "job refused: ${t#*|}" test "$CODE" = 400 -a -n "$(jget 'd["error"]' | grep -F -- "${t#*|}")"
done
req POST /v1/automl -d '{"dataset":"digits3","version":"v9","task":"audio","target":"nrf52840"}'
check "job on an unknown dataset version: 404" test "$CODE" = 404

# ---- a job end to end ----
"$MOTE" automl submit --dataset digits3 --version v1 --task audio --target nrf52840 --max-latency-ms 120 \
  --bracket 3 --brackets 1 --min-epochs 2 --max-epochs 6 --seed 3 --budget 5m --model-version a1 --wait --json \
  > "$W/job1.json" 2> "$W/job1.err"
check "job 1 done" python3 -c "import json; d = json.load(open('$W/job1.json')); assert d['state'] == 'done', d"
"$MOTE" model show digits3-automl a1 --json > "$W/model.json"
"$MOTE" model pull digits3-automl a1 -o "$W/a1.tflite" > /dev/null
"$MOTE" eval "$W/a1.tflite" --data "$W/data" --json > "$W/eval.json"
check "published with its lineage; scores as the search reported" python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
job, model, ev, push = (json.load(open(f"{w}/{n}.json")) for n in ("job1", "model", "eval", "push"))
lin = model["metadata"]["lineage"]
assert model["metadata"]["source"] == "automl" and model["metadata"]["target"] == "nrf52840", model["metadata"]
assert lin["dataset"] == {"name": "digits3", "version": "v1", "sha256": push["sha256"]}, lin["dataset"]
assert lin["automl_job"] == job["id"] and lin["spec"]["max_latency_ms"] == 120, lin
ch = job["result"]["chosen"]
assert lin["trial"] == ch and ch["fits"] and ch["ms"] <= 120, ch
assert job["result"]["model"]["sha256"] == model["sha256"], (job["result"], model["sha256"])
assert abs(ev["accuracy"] - ch["test_int8"]) < 1e-9, (ev["accuracy"], ch["test_int8"])
print("  chose", ch["candidate"], "test int8", ch["test_int8"])
PY
check "--wait showed the search's status lines" grep -q "bracket 1 done" "$W/job1.err"
"$MOTE" automl log 1 > "$W/log1.txt"
check "the job's log has every rung" test "$(grep -c 'epochs: validation' "$W/log1.txt")" -ge 3
check "no search left running" test "$(searches 1)" = 0
"$MOTE" automl report 1 -o "$W/report1.html" > /dev/null
check "the search's HTML report is served, with its Pareto plot" grep -q "<svg" "$W/report1.html"

# ---- kill -9 mid-search, restart, resume ----
"$MOTE" automl submit --dataset digits3 --version v1 --task audio --target nrf52840 --bracket 3 --brackets 3 \
  --min-epochs 2 --max-epochs 6 --seed 4 --budget 10m --model-version r1 > /dev/null
for _ in $(seq 600); do grep -qs "bracket 1 done" "$D/automl/2/log.txt" && break; sleep 0.05; done
check "job 2 reached its second bracket" test "$(state_of 2)" = running
kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
for _ in $(seq 50); do [ "$(searches 2)" = 0 ] && break; sleep 0.1; done
check "the search died with the server" test "$(searches 2)" = 0
start
SECONDS=0
check "job 2 resumed and done" until_state 2 '^done$' 240
echo "  (resumed job: $SECONDS s)"
check "job 2 read its first bracket back from automl.db" test "$(jget 'd["result"]["resumed"]')" -ge 3

# ---- cancel ----
"$MOTE" automl submit --dataset digits3 --version v1 --task audio --target nrf52840 --bracket 9 --brackets 50 \
  --min-epochs 20 --max-epochs 60 --budget 1h --model-version c1 > /dev/null
check "job 3 running" until_state 3 '^running$' 30
sleep 1
check "a search process runs job 3" test "$(searches 3)" = 1
"$MOTE" automl cancel 3 > /dev/null
check "job 3 cancelled" test "$(state_of 3)" = cancelled
for _ in $(seq 60); do [ "$(searches 3)" = 0 ] && break; sleep 0.2; done
check "its search stopped" test "$(searches 3)" = 0
req POST /v1/automl/3/cancel
check "cancel again: 409" test "$CODE" = 409
req GET /v1/models/digits3-automl/c1
check "a cancelled job publishes nothing" test "$CODE" = 404

echo "$fails failed"
[ "$fails" = 0 ]
