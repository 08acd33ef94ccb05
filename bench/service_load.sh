#!/bin/bash
# moted under a fleet: N simulated devices (default 1,000) against one moted on this machine.
#  phase 1 (rollout): the devices register; KWS is pushed and deployed to all of them at once;
#    measured: the time from `mote deploy create` returning to every device confirmed;
#  phase 2 (steady state): the same devices restart from their saved state (record and A/B slots) and
#    run their model, polling for updates and reporting telemetry every POLL_MS / TELEMETRY_MS;
#    measured: requests per second and client-side p50/p99 latency per request kind.
# Client and server share the machine's cores, so the latencies include the simulator's own load.
# usage: bench/service_load.sh MOTE SHARED [WORK_DIR]
#   env: N (1000), PROFILES, POLL_MS (150), TELEMETRY_MS (150), SECONDS_STEADY (30), THREADS (8)
# Prints a summary; the full JSON is WORK_DIR/result.json.
set -u
MOTE=$1 SHARED=$2 WORK=${3:-/tmp/mote-service-load}
N=${N:-1000}
PROFILES=${PROFILES:-nucleo-l4r5zi,stm32f746,stm32u575,host}
POLL_MS=${POLL_MS:-150}
TELEMETRY_MS=${TELEMETRY_MS:-150}
SECONDS_STEADY=${SECONDS_STEADY:-30}
THREADS=${THREADS:-8}
KWS=$SHARED/models/mlperf-tiny/kws_int8.tflite
GOLD=$SHARED/golden/kws_int8
rm -rf "$WORK"
mkdir -p "$WORK"
DATA=$WORK/data
SERVER_PID= SIM_PID=

cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT
fail() {
    echo "service_load: $*" >&2
    tail -n 20 "$WORK/moted.log" "$WORK"/sim*.log >&2 2>/dev/null
    exit 1
}
now() { date +%s.%N; }

"$MOTE" serve --data "$DATA" --port 0 > "$WORK/moted.out" 2> "$WORK/moted.log" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$DATA/moted.port" ] && break; sleep 0.1; done
[ -s "$DATA/moted.port" ] || fail "moted did not start"
export MOTE_SERVER=http://127.0.0.1:$(cat "$DATA/moted.port") MOTE_TOKEN_FILE=$DATA/admin.token
"$MOTE" model push "$KWS" --name kws --version 1 --selftest "$GOLD/in_00.bin" "$GOLD/out_00.bin" > /dev/null ||
    fail "push"

# phase 1: registration and the rollout
SIM_ARGS=(--server "$MOTE_SERVER" --enroll-token-file "$DATA/enroll.token" --count "$N" --profile "$PROFILES"
          --tags bench --threads "$THREADS" --input "$GOLD/in_00.bin" --state-dir "$WORK/devices" --json)
"$MOTE" device-sim "${SIM_ARGS[@]}" --poll-ms 1000 --infer-ms 60000 --telemetry-ms 60000 \
    --until "$WORK/phase1.done" > "$WORK/sim1.json" 2> "$WORK/sim1.log" &
SIM_PID=$!
t_reg=$(now)
for _ in $(seq 600); do
    n=$("$MOTE" device list --tag bench --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))' 2>/dev/null)
    [ "${n:-0}" -ge "$N" ] && break
    sleep 0.5
done
[ "${n:-0}" -ge "$N" ] || fail "only ${n:-0} of $N devices registered"
t_reg=$(python3 -c "import sys; print(round($(now) - $t_reg, 1))")
"$MOTE" deploy create kws 1 --group bench --strategy all --json > "$WORK/deploy.json" || fail "deploy create"
t0=$(now)
DEP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/deploy.json")
for _ in $(seq 6000); do
    c=$("$MOTE" deploy show "$DEP" --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["counts"].get("confirmed", 0), d["state"])' 2>/dev/null)
    [ "${c%% *}" = "$N" ] && break
    case "$c" in *rolled_back*) fail "deployment rolled back: $c" ;; esac
    sleep 0.1
done
t1=$(now)
[ "${c%% *}" = "$N" ] || fail "deployment did not finish: $c"
touch "$WORK/phase1.done"
wait $SIM_PID || fail "device-sim (phase 1) failed"
SIM_PID=

# phase 2: steady state, every device running its model. CPU seconds of each process and moted's own
# latency histogram (/metrics) are taken around it.
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
metrics() { curl -s -H "Authorization: Bearer $(cat "$MOTE_TOKEN_FILE")" "$MOTE_SERVER/metrics"; }
metrics > "$WORK/metrics0.txt" || fail "metrics"
cpu0=$(cpu_of $SERVER_PID)
TIMEFORMAT='%U %S'
{ time "$MOTE" device-sim "${SIM_ARGS[@]}" --poll-ms "$POLL_MS" --infer-ms 60000 --telemetry-ms "$TELEMETRY_MS" \
    --duration "$SECONDS_STEADY" > "$WORK/sim2.json" 2> "$WORK/sim2.log" || fail "device-sim (phase 2) failed"; } \
    2> "$WORK/sim2.cpu"
cpu1=$(cpu_of $SERVER_PID)
metrics > "$WORK/metrics1.txt" || fail "metrics"
echo "$(( cpu1 - cpu0 )) $(getconf CLK_TCK) $(cat "$WORK/sim2.cpu")" > "$WORK/cpu.txt"

python3 - "$WORK" "$N" "$t0" "$t1" "$t_reg" "$POLL_MS" "$TELEMETRY_MS" "$THREADS" <<'PY' || fail "summary"
import json, re, sys
work, n, t0, t1, t_reg, poll_ms, tel_ms, threads = sys.argv[1:]
n = int(n)
s1 = json.load(open(f"{work}/sim1.json"))
s2 = json.load(open(f"{work}/sim2.json"))
r2, secs = s2["requests"], s2["totals"]["seconds"]
running = sum(1 for d in s2["devices"] if d["artifact"])
assert running == n, f"{running} of {n} devices run a model in phase 2"
pt = r2["update"]["count"] + r2["telemetry"]["count"]

def buckets(path):  # cumulative counts of moted's request-latency histogram
    b = {}
    for line in open(path):
        m = re.match(r'mote_http_request_seconds_bucket\{le="([^"]+)"\} (\d+)', line)
        if m: b[float(m.group(1))] = int(m.group(2))
    return b
b0, b1 = buckets(f"{work}/metrics0.txt"), buckets(f"{work}/metrics1.txt")
bounds = sorted(b1)
served = b1[bounds[-1]] - b0.get(bounds[-1], 0)
def server_q(q):  # upper bound of the bucket holding quantile q
    for le in bounds:
        if b1[le] - b0.get(le, 0) >= q * served: return le
srv_ticks, hz, sim_user, sim_sys = open(f"{work}/cpu.txt").read().split()
res = {
    "devices": n, "threads": int(threads), "poll_ms": int(poll_ms), "telemetry_ms": int(tel_ms),
    "register_all_s": float(t_reg),
    "deploy_to_all_confirmed_s": round(float(t1) - float(t0), 2),
    "rollout_requests": s1["requests"],
    "steady": {
        "seconds": secs,
        "polls_per_s": round(r2["update"]["count"] / secs),
        "telemetry_per_s": round(r2["telemetry"]["count"] / secs),
        "polls_plus_telemetry_per_s": round(pt / secs),
        "errors": r2["update"]["errors"] + r2["telemetry"]["errors"],
        "update": r2["update"], "telemetry": r2["telemetry"],
        "server_requests": served,
        "server_p50_le_ms": server_q(0.50) * 1e3, "server_p99_le_ms": server_q(0.99) * 1e3,
        "cpu_s_moted": round(int(srv_ticks) / int(hz), 2),
        "cpu_s_device_sim": round(float(sim_user) + float(sim_sys), 2),
    },
}
json.dump(res, open(f"{work}/result.json", "w"), indent=1)
st = res["steady"]
print(f"devices {n} ({threads} simulator threads), all registered in {t_reg} s")
print(f"deploy -> all {n} confirmed: {res['deploy_to_all_confirmed_s']} s "
      f"(artifact downloads: {s1['requests']['artifact']['count']}, p99 {s1['requests']['artifact']['p99_ms']} ms)")
print(f"steady state over {secs} s: {st['polls_plus_telemetry_per_s']} requests/s "
      f"({st['polls_per_s']} polls/s + {st['telemetry_per_s']} telemetry/s), errors {st['errors']}")
for k in ("update", "telemetry"):
    print(f"  {k:9s} p50 {st[k]['p50_ms']} ms  p99 {st[k]['p99_ms']} ms (client side)")
print(f"  moted's own histogram: {served} requests, p50 <= {st['server_p50_le_ms']:g} ms, "
      f"p99 <= {st['server_p99_le_ms']:g} ms")
print(f"  CPU seconds: moted {st['cpu_s_moted']}, device-sim {st['cpu_s_device_sim']} (of {2 * secs:.0f} on 2 cores)")
PY
