#!/usr/bin/env bash
# Drift monitoring end to end, over real HTTP: `mote serve`, the MLPerf Tiny KWS model pushed with a baseline
# computed on its eval clips, deployed to two groups of simulated devices (real agents) that run the real
# clips; then group b starts hearing shifted input (the clips' features with noise added). Checks: an alert
# fires for group b only, and none for group a; the metrics show it; a bad window is refused by name; group b
# back on clean input resolves its alerts; the alerts survive a restart of the server.
# usage: monitor_test.sh MOTE SHARED_DIR WORK_DIR
set -u
MOTE=$1 SHARED=$2 W=$3
KWS=$SHARED/models/mlperf-tiny/kws_int8.tflite CLIPS=$SHARED/data/mlperf-tiny-eval/kws01
rm -rf "$W" && mkdir -p "$W/shift" || exit 1
D=$W/srv PID= fails=0
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; pkill -f -- "--state-dir $W/" 2>/dev/null; }
trap cleanup EXIT
check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}
start() {
  rm -f "$D/moted.port"
  "$MOTE" serve --data "$D" --port 0 --threads 2 --drift-window 200 >"$W/stdout" 2>>"$W/log" &
  PID=$!
  for _ in $(seq 100); do [ -s "$D/moted.port" ] && break; sleep 0.1; done
  [ -s "$D/moted.port" ] || { echo "server did not start:"; cat "$W/log"; exit 1; }
  export MOTE_SERVER=http://127.0.0.1:$(cat "$D/moted.port") MOTE_TOKEN_FILE=$D/admin.token
  for _ in $(seq 50); do grep -q listening "$W/stdout" && break; sleep 0.1; done
}
# both INPUTS_A INPUTS_B SECONDS [CONDITION...]: the two groups at once, for SECONDS, or (with a condition)
# until it holds, at most SECONDS: the simulators run as fast as this build lets them (sanitizers are slower).
both() {
  local in_a=$1 in_b=$2 secs=$3; shift 3
  rm -f "$W/stop"
  sim a "$in_a" "$secs" & local pa=$!
  sim b "$in_b" "$secs" & local pb=$!
  local ok=0
  if [ $# -gt 0 ]; then
    for _ in $(seq $((secs * 2))); do "$@" && { ok=1; break; }; sleep 0.5; done
    touch "$W/stop"
  fi
  wait "$pa" "$pb"
  [ $# -eq 0 ] || [ $ok = 1 ]
}
sim() { # sim GROUP INPUTS SECONDS: 4 devices of the group, 100 inferences a second each
  "$MOTE" device-sim --server "$MOTE_SERVER" --enroll-token-file "$D/enroll.token" --count 4 --tags "$1" \
    --inputs "$2" --infer-ms 10 --telemetry-ms 300 --poll-ms 300 --duration "$3" --until "$W/stop" \
    --state-dir "$W/$1" --json > "$W/sim-$1.json" 2>> "$W/sim.log"
}
windows() { # windows GROUP: windows evaluated for it so far
  "$MOTE" model drift kws 1 --json | python3 -c "
import json, sys; print(sum(g['windows'] for g in json.load(sys.stdin)['groups'] if g['group'] == '$1'))"
}
n_samples() { "$MOTE" samples list --model kws --version 1 --limit 1000 --json | python3 -c "
import json, sys; print(len(json.load(sys.stdin)['samples']))"; }
clean_done() { [ "$(windows a)" -ge 2 ] && [ "$(windows b)" -ge 2 ]; }
shift_done() { [[ $(alerts) =~ b:class_psi:firing ]] && [ "$(n_samples)" -ge 8 ] && [ "$(windows a)" -ge $((A0 + 2)) ]; }
resolved() { [[ $(alerts) =~ b:class_psi:resolved ]] && ! [[ $(alerts) =~ firing ]]; }
alerts() { "$MOTE" alerts --json | python3 -c "
import json, sys; a = json.load(sys.stdin)['alerts']
print(' '.join(sorted(f\"{x['group']}:{x['signal']}:{x['state']}\" for x in a)))"; }

python3 - "$CLIPS" "$W/shift" <<'PY'
import random, sys
src, dst = sys.argv[1:]
rnd = random.Random(1)
rows = [l for l in open(f"{src}/y_labels.csv").read().splitlines() if l]
open(f"{dst}/y_labels.csv", "w").write("\n".join(rows) + "\n")
for row in rows:
    name = row.split(",")[0]
    x = open(f"{src}/{name}", "rb").read()
    noisy = bytes((max(-128, min(127, (v if v < 128 else v - 256) + int(rnd.gauss(15, 30)))) & 255) for v in x)
    open(f"{dst}/{name}", "wb").write(noisy)
PY
start
"$MOTE" model push "$KWS" --name kws --version 1 --baseline "$CLIPS" --json > "$W/push.json"
check "pushed with a baseline" python3 -c "import json; assert json.load(open('$W/push.json'))['baseline'] is True"

# Both groups on clean clips first: they register and install, then stop; deployments go to their groups.
both "$CLIPS" "$CLIPS" 3
"$MOTE" deploy create kws 1 --group a > /dev/null && "$MOTE" deploy create kws 1 --group b > /dev/null
check "clean input: two windows of each group" both "$CLIPS" "$CLIPS" 120 clean_done
check "clean input: no alert" test -z "$(alerts)"
"$MOTE" model drift kws 1 --json > "$W/drift0.json"
check "both groups evaluated, class PSI low" python3 - "$W/drift0.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
g = {x["group"]: x for x in d["groups"]}
assert set(g) == {"a", "b"} and all(x["windows"] >= 2 for x in g.values()), d
assert all(x["signals"]["class_psi"]["value"] < 0.1 for x in g.values()), d
PY

# The shift: group b hears noisy input, group a the same clean clips. Group b is asked for its inputs under
# 60 % confidence (at most one a second per device); group a is not asked.
"$MOTE" sampling set b --max-confidence 0.6 --max-per-hour 3600 > /dev/null
A0=$(windows a) SECONDS=0
check "an alert fires for group b; group a goes on; samples come" both "$CLIPS" "$W/shift" 150 shift_done
echo "  (shift to alert and 8 samples: $SECONDS s)"
check "none for group a" bash -c "! [[ '$(alerts)' =~ a: ]]"
check "the metrics show it" bash -c "curl -s $MOTE_SERVER/metrics | grep -q '^mote_alerts_firing [1-9]' &&
  curl -s $MOTE_SERVER/metrics | grep -q 'mote_drift{model=\"kws\",version=\"1\",group=\"b\",signal=\"class_psi\"}'"
REG='{"name":"probe","profile":"nucleo-l4r5zi","tags":["c"],"facts":{"core":"cortex-m4f","clock_mhz":120,"ram_kb":640,"flash_kb":2048,"features":["dsp","fpu"],"runtime_abi":1,"formats":["mote"]}}'
CRED=$(curl -s -X POST -H "Authorization: Bearer $(cat "$D/enroll.token")" --data-binary "$REG" "$MOTE_SERVER/v1/devices" |
       python3 -c "import json, sys; print(json.load(sys.stdin)['credential'])")
code=$(curl -s -o "$W/bad" -w '%{http_code}' -X POST -H "Authorization: Bearer $CRED" \
  -d '{"inferences":1,"latency_us_mean":1,"latency_us_max":1,"artifact":"","window":{"n":1,"errors":2}}' \
  "$MOTE_SERVER/v1/device/telemetry")
check "a bad window is refused: 400 naming it" bash -c "[ $code = 400 ] && grep -q 'window.n, window.errors' '$W/bad'"

# The feedback loop: samples came from group b only; label them with the clips' true labels (found by
# content) in one request; a dataset version of them, scored by mote classify.
"$MOTE" samples list --model kws --version 1 --unlabelled --limit 1000 --json > "$W/samples.json"
python3 - "$W" "$W/shift" <<'PY' > "$W/labels.csv"
import hashlib, json, os, sys
w, shift = sys.argv[1:]
truth = {}
for row in open(f"{shift}/y_labels.csv").read().split():
    name, _, label = row.split(",")
    truth[hashlib.sha256(open(f"{shift}/{name}", "rb").read()).hexdigest()] = int(label)
for s in json.load(open(f"{w}/samples.json"))["samples"]:
    print(f"{s['id']},{truth[s['sha256']]}")
PY
check "group b sent low-confidence samples, group a none" python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
a, b = (json.load(open(f"{w}/sim-{g}.json")) for g in "ab")
samples = json.load(open(f"{w}/samples.json"))["samples"]
ids_b = {d["id"] for d in b["devices"]}
assert sum(d["samples_sent"] for d in a["devices"]) == 0, a["devices"]
assert len(samples) >= 8 and all(s["device"] in ids_b and s["confidence"] < 0.6 for s in samples), samples[:3]
print(f"  {len(samples)} samples from group b")
PY
"$MOTE" samples label --file "$W/labels.csv" > /dev/null
"$MOTE" samples dataset --model kws --model-version 1 --name kws-field --version 1 --json > "$W/ds.json"
"$MOTE" dataset pull kws-field 1 -o "$W/field.tar" > /dev/null
mkdir -p "$W/field" && tar -xf "$W/field.tar" -C "$W/field"
"$MOTE" classify "$KWS" "$W/field" --json > "$W/field-classify.json"
check "the labelled samples make a dataset that mote classify scores" python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
ds, cl = json.load(open(f"{w}/ds.json")), json.load(open(f"{w}/field-classify.json"))
n = sum(1 for l in open(f"{w}/labels.csv"))
assert ds["files"] == n + 1 and ds["metadata"]["from_samples"]["samples"] == n, (ds, n)
assert cl["files"] == n and 0 <= cl["accuracy"] <= 1, cl
print(f"  field dataset: {n} samples, accuracy of the deployed model on them {cl.get('accuracy')}")
PY
"$MOTE" samples list --model kws --version 1 --unlabelled --json > "$W/left.json"
check "nothing left to label" python3 -c "import json; assert json.load(open('$W/left.json'))['samples'] == []"

# Restart: the firing alerts are restored; group b back on clean input resolves them.
kill "$PID"; wait "$PID" 2>/dev/null; PID=
start
check "group b's alerts resolve on clean input, after a restart" both "$CLIPS" "$CLIPS" 150 resolved
"$MOTE" alerts > "$W/alerts.txt"
check "mote alerts lists them" grep -q "class_psi" "$W/alerts.txt"

echo "$fails failed"
[ "$fails" = 0 ]
