#!/bin/bash
# End to end: a real moted, real sockets on loopback, 60 simulated devices of
# four profiles speaking the device protocol.
#  1. push KWS v1 (self-test vector: golden in_00 -> out_00), deploy canary 10% then promote;
#     moted is killed (-9) during the rollout and restarted; the rollout completes;
#     every device runs the artifact compiled for its own profile and reproduces the golden output;
#  2. a broken version (weights damaged, so the self-test fails) halts in canary and is rolled back:
#     every device still runs v1;
#  3. a tampered artifact (bytes changed on the server's disk after signing) is refused by the devices;
#  4. unauthorized requests are refused;
#  5. devices registering after all that join the newest deployment not rolled back, and run v1;
#  6. the C package (format c) downloaded from the service builds and reproduces the golden output.
# usage: rollout_test.sh MOTE SHARED WORK_DIR
set -u
MOTE=$1 SHARED=$2 WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)
KWS=$SHARED/models/mlperf-tiny/kws_int8.tflite
GOLD=$SHARED/golden/kws_int8
N=60
PROFILES=nucleo-l4r5zi,stm32f746,stm32u575,host
rm -rf "$WORK"
mkdir -p "$WORK"
DATA=$WORK/data
SERVER_PID= SIM_PID=

cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
    [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    echo "--- moted log (tail)"; tail -n 30 "$WORK"/moted*.log 2>/dev/null
    echo "--- device-sim log (tail)"; tail -n 30 "$WORK/sim.log" 2>/dev/null
    exit 1
}

start_server() { # [PORT]
    rm -f "$DATA/moted.port"
    "$MOTE" serve --data "$DATA" --port "${1:-0}" >> "$WORK/moted.out" 2>> "$WORK/moted.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        [ -s "$DATA/moted.port" ] && break
        kill -0 $SERVER_PID 2>/dev/null || fail "moted exited at start"
        sleep 0.1
    done
    [ -s "$DATA/moted.port" ] || fail "moted did not write moted.port"
    PORT=$(cat "$DATA/moted.port")
    export MOTE_SERVER=http://127.0.0.1:$PORT
}

# Poll a deployment until its state is one of $2 (regex), within $3 seconds.
wait_state() { # ID REGEX SECONDS
    local st=""
    for _ in $(seq $(($3 * 4))); do
        st=$("$MOTE" deploy show "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null)
        [[ "$st" =~ ^($2)$ ]] && return 0
        sleep 0.25
    done
    fail "deployment $1: state '$st', expected $2 within $3 s"
}

start_server 0
export MOTE_TOKEN_FILE=$DATA/admin.token
[ -s "$DATA/admin.token" ] && [ -s "$DATA/enroll.token" ] || fail "no admin/enroll token in $DATA"

# 4. unauthorized requests
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$MOTE_SERVER/v1/models")" = 401 ] || fail "no token: expected 401"
[ "$(code -H 'Authorization: Bearer 00' "$MOTE_SERVER/v1/models")" = 401 ] || fail "bad token: expected 401"
[ "$(code -H "Authorization: Bearer $(cat "$DATA/enroll.token")" "$MOTE_SERVER/v1/models")" = 403 ] ||
    fail "enrollment token on an admin route: expected 403"

# 1. push v1 and start the fleet
"$MOTE" model push "$KWS" --name kws --version 1 --meta task=keyword-spotting \
    --selftest "$GOLD/in_00.bin" "$GOLD/out_00.bin" > "$WORK/push1.txt" || fail "push v1"
"$MOTE" device-sim --server "$MOTE_SERVER" --enroll-token-file "$DATA/enroll.token" --count $N \
    --profile $PROFILES --tags fleet --poll-ms 200 --infer-ms 100 --input "$GOLD/in_00.bin" \
    --flaky-download 20 --json > "$WORK/sim.json" 2> "$WORK/sim.log" &
SIM_PID=$!
for _ in $(seq 120); do
    n=$("$MOTE" device list --tag fleet --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))' 2>/dev/null)
    [ "${n:-0}" -ge $N ] && break
    sleep 0.25
done
[ "${n:-0}" -eq $N ] || fail "$N devices should have registered, saw ${n:-0}"

"$MOTE" deploy create kws 1 --group fleet --strategy canary --canary 10 --json > "$WORK/dep1.json" || fail "deploy v1"
D1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/dep1.json")
wait_state "$D1" canary_done 120
"$MOTE" deploy show "$D1" --json > "$WORK/dep1-canary.json"
python3 - "$WORK/dep1-canary.json" $N <<'PY' || fail "canary phase of deployment 1"
import json, math, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
canary = [x for x in d["devices"] if x["phase"] == "canary"]
assert len(canary) == math.ceil(n * 0.10), len(canary)
assert all(x["state"] == "confirmed" for x in canary), canary
assert all(x["state"] == "pending" for x in d["devices"] if x["phase"] != "canary")
PY
"$MOTE" deploy promote "$D1" > /dev/null || fail "promote"
wait_state "$D1" "rolling_out|complete" 30
# kill -9 in the middle of the rollout, restart on the same port
kill -9 $SERVER_PID
wait $SERVER_PID 2>/dev/null
sleep 0.5
start_server "$PORT"
wait_state "$D1" complete 180

check_fleet() { # EXPECTED_MODEL_VERSION LABEL
    "$MOTE" device list --tag fleet --json > "$WORK/devices-$2.json" || fail "device list"
    "$MOTE" deploy show "$D1" --json > "$WORK/dep1-final.json" || fail "deploy show"
    python3 - "$WORK/devices-$2.json" "$WORK/dep1-final.json" "$GOLD/out_00.bin" "$1" $N <<'PY' || fail "fleet check ($2)"
import base64, json, sys
devs = json.load(open(sys.argv[1]))["devices"]
dep = json.load(open(sys.argv[2]))
golden = open(sys.argv[3], "rb").read()
version, n = sys.argv[4], int(sys.argv[5])
assert len(devs) == n, len(devs)
art_of = {x["id"]: (x["artifact"], x["target"]) for x in dep["devices"]}
by_profile = {}
for d in devs:
    assert d["version"] == version and d["model"] == "kws", (d["id"], d.get("model"), d.get("version"))
    art, target = art_of[d["id"]]
    assert d["artifact"] == art, (d["id"], d["artifact"], art)
    assert target == d["profile"] and d["target"] == d["profile"], (d["id"], target, d["profile"])
    out = base64.b64decode(d["selftest_output_b64"])
    assert out == golden, (d["id"], out.hex(), golden.hex())
    by_profile.setdefault(d["profile"], set()).add(art)
assert len(by_profile) >= 3, by_profile
for p, arts in by_profile.items():
    assert len(arts) == 1, (p, arts)          # one artifact per profile...
# Cortex-M profiles of the same ISA class get byte-identical .mote files (each under a manifest naming
# its own target, checked above); the host's differs (x86 kernels, 64-bit pointers).
assert by_profile["host"].isdisjoint(by_profile["nucleo-l4r5zi"]), by_profile
print("fleet ok:", {p: len([d for d in devs if d["profile"] == p]) for p in by_profile})
PY
}
check_fleet 1 v1

# 2. broken version: damage weights so the self-test fails on the device
python3 "$HERE/damage_weights.py" "$KWS" "$WORK/kws-broken.tflite" all || fail "damage weights"
"$MOTE" model push "$WORK/kws-broken.tflite" --name kws --version 2 \
    --selftest "$GOLD/in_00.bin" "$GOLD/out_00.bin" > /dev/null || fail "push v2"
"$MOTE" deploy create kws 2 --group fleet --canary 10 --max-failure-rate 0.2 --json > "$WORK/dep2.json" || fail "deploy v2"
D2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/dep2.json")
if "$MOTE" deploy watch "$D2" --timeout 120 > "$WORK/watch2.txt"; then fail "broken version completed"; fi
wait_state "$D2" rolled_back 5
"$MOTE" deploy show "$D2" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["counts"]["confirmed"] == 0, d["counts"]
failed = [x for x in d["devices"] if "failed: self-test output differs" in (x.get("reason") or "")]
assert failed and all(x["phase"] == "canary" for x in failed), d["devices"]
assert all(x["state"] == "rolled_back" for x in d["devices"]), d["devices"]
' || fail "deployment 2 should have failed in canary"
sleep 2
check_fleet 1 after-broken

# 3. tampered artifact: compile v3 for every profile, change the stored bytes, then deploy
python3 "$HERE/damage_weights.py" "$KWS" "$WORK/kws-v3.tflite" one || fail "v3 model"
"$MOTE" model push "$WORK/kws-v3.tflite" --name kws --version 3 > /dev/null || fail "push v3"
for p in ${PROFILES//,/ }; do
    job=$(curl -s -H "Authorization: Bearer $(cat "$MOTE_TOKEN_FILE")" -d "{\"model\":\"kws\",\"version\":\"3\",\"profile\":\"$p\",\"format\":\"mote\"}" \
        "$MOTE_SERVER/v1/compile" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job"])') || fail "compile v3 for $p"
    for _ in $(seq 120); do
        js=$(curl -s -H "Authorization: Bearer $(cat "$MOTE_TOKEN_FILE")" "$MOTE_SERVER/v1/jobs/$job")
        st=$(echo "$js" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
        [ "$st" = done ] && break
        [ "$st" = failed ] && fail "compile job $job failed: $js"
        sleep 0.25
    done
    sha=$(echo "$js" | python3 -c 'import json,sys; print(json.load(sys.stdin)["artifact"]["sha256"])')
    blob=$DATA/blobs/${sha:0:2}/$sha
    [ -f "$blob" ] || fail "artifact blob $blob missing"
    python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//3]^=0xFF; open(p,"wb").write(b)' "$blob"
done
"$MOTE" deploy create kws 3 --group fleet --strategy all --max-failure-rate 0.2 --json > "$WORK/dep3.json" || fail "deploy v3"
D3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/dep3.json")
wait_state "$D3" rolled_back 120
"$MOTE" deploy show "$D3" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["counts"]["confirmed"] == 0, d["counts"]
failed = [x for x in d["devices"] if "failed:" in (x.get("reason") or "")]
assert failed and all("artifact sha256 mismatch" in x["reason"] for x in failed), failed
' || fail "tampered artifact should fail on the hash check"
sleep 2
check_fleet 1 after-tamper

# 5. devices registering now join the newest deployment of their group that was not rolled back (v1)
"$MOTE" device-sim --server "$MOTE_SERVER" --enroll-token-file "$DATA/enroll.token" --count 3 \
    --profile stm32f746,host,stm32u575 --tags fleet --poll-ms 100 --input "$GOLD/in_00.bin" --exit-when-idle 1 \
    --duration 60 --json > "$WORK/late.json" 2> "$WORK/late.log" || fail "late devices"
"$MOTE" deploy show "$D1" --json > "$WORK/dep1-late.json" || fail "deploy show"
python3 - "$WORK/late.json" "$WORK/dep1-late.json" $N <<'PY' || fail "late devices should run v1"
import json, sys
late = json.load(open(sys.argv[1]))["devices"]; dep = json.load(open(sys.argv[2])); n = int(sys.argv[3])
assert len(late) == 3 and all(d["artifact"] for d in late), late
assert dep["state"] == "complete" and dep["counts"]["confirmed"] == n + 3, (dep["state"], dep["counts"])
PY

# 6. the C package for firmware builds, as a firmware engineer gets it from the service: compile kws v1 in
#    format c for the host profile, download the tar, build it with its model.mk, run golden in_00 -> out_00
AUTH="Authorization: Bearer $(cat "$MOTE_TOKEN_FILE")"
job=$(curl -s -H "$AUTH" -d '{"model":"kws","version":"1","profile":"host","format":"c"}' "$MOTE_SERVER/v1/compile" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["job"])') || fail "compile v1 as a C package"
for _ in $(seq 240); do
    js=$(curl -s -H "$AUTH" "$MOTE_SERVER/v1/jobs/$job")
    st=$(echo "$js" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    [ "$st" = done ] && break
    [ "$st" = failed ] && fail "C package job $job failed: $js"
    sleep 0.25
done
[ "$st" = done ] || fail "C package job $job: $st"
sha=$(echo "$js" | python3 -c 'import json,sys; a=json.load(sys.stdin)["artifact"]; assert a["format"]=="c"; print(a["sha256"])') ||
    fail "C package job: no artifact of format c: $js"
curl -sf -H "$AUTH" -o "$WORK/pkg.tar" "$MOTE_SERVER/v1/artifacts/$sha" || fail "download C package $sha"
[ "$(sha256sum < "$WORK/pkg.tar" | cut -c1-64)" = "$sha" ] || fail "C package bytes differ from their sha256"
mkdir -p "$WORK/pkg" && tar -xf "$WORK/pkg.tar" -C "$WORK/pkg" || fail "untar C package"
mk=$(find "$WORK/pkg" -name model.mk | head -1)
[ -n "$mk" ] || fail "C package has no model.mk: $(tar -tf "$WORK/pkg.tar" | head)"
cp "$HERE/../compile/package_app.c" "$WORK/pkg/main.c"
printf 'include %s\napp: main.c $(MODEL_SRCS)\n\tcc -O2 -Wall -Wextra -Werror $(MODEL_CFLAGS) main.c $(MODEL_SRCS) -lm -o $@\n' \
    "$mk" > "$WORK/pkg/Makefile"
make -s -C "$WORK/pkg" app > "$WORK/pkg-make.log" 2>&1 || fail "C package build: $(tail -5 "$WORK/pkg-make.log")"
"$WORK/pkg/app" "$GOLD/in_00.bin" | cmp -s - "$GOLD/out_00.bin" || fail "C package app output differs from golden"

# the simulator saw the server go away and come back, and no device lost its model
kill -TERM $SIM_PID
wait $SIM_PID
SIM_PID=
python3 - "$WORK/sim.json" $N <<'PY' || fail "device-sim summary"
import json, sys
s = json.load(open(sys.argv[1])); n = int(sys.argv[2])
devs = s["devices"]
assert len(devs) == n, len(devs)
assert all(d["artifact"] for d in devs), [d for d in devs if not d["artifact"]]
print("device-sim:", {k: v for k, v in s.items() if k != "devices"})
PY
echo "rollout test ok"
