#!/usr/bin/env bash
# The AutoML issue's goals, by `mote automl` as a user would run it:
#   FSDD for nrf52840 in a 20-minute budget, at no more latency than the hand-designed model of
#   `mote train` (its cost-model estimate is the limit): the chosen model's int8 test accuracy against the
#   hand-designed one's, and the time to the first trained model that fits;
#   ST HAR for rp2040 (Cortex-M0+) and for nrf52840 (BUDGET_HAR each), without a latency limit and under
#   one common limit (HAR_LIMIT_MS): the choices side by side, with their fronts.
#   bench/automl.sh [OUT_DIR]        (BUDGET=20m BUDGET_HAR=5m HAR_LIMIT_MS=1 ONLY="fsdd har" MOTE=build/bin/mote)
set -euo pipefail
cd "$(dirname "$0")/.."
mote=${MOTE:-$PWD/build/bin/mote}
shared=$PWD/../shared
out=${1:-/tmp/mote_automl_bench}
only=${ONLY:-"fsdd har"}
mkdir -p "$out"
echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $only == *fsdd* ]]; then
  "$mote" train --data "$shared/data/fsdd" --task audio --target nrf52840 --quiet -o "$out/hand" > /dev/null
  hand_ms=$("$mote" inspect "$out/hand/model_int8.tflite" --target nrf52840 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["estimate"]["ms"])')
  hand_acc=$("$mote" eval "$out/hand/model_int8.tflite" --data "$shared/data/fsdd" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
  rm -rf "$out/fsdd"
  "$mote" automl --data "$shared/data/fsdd" --task audio --target nrf52840 --budget "${BUDGET:-20m}" \
      --max-latency-ms "$hand_ms" --verify -o "$out/fsdd" > "$out/fsdd.txt" 2> "$out/fsdd.log"
  "$mote" automl --data "$shared/data/fsdd" --task audio --target nrf52840 --budget 1s --max-latency-ms "$hand_ms" \
      -o "$out/fsdd" --json 2> /dev/null > "$out/fsdd.json" || true
  python3 - "$out/fsdd.json" "$hand_ms" "$hand_acc" <<'PY'
import json, sys
d, hand_ms, hand_acc = json.load(open(sys.argv[1])), float(sys.argv[2]), float(sys.argv[3])
t = d["trials"]; c = t[d["chosen"]]
trained = [x for x in t if x["epochs"]]
print(f"FSDD / nrf52840: hand-designed (mote train) int8 {100*hand_acc:.2f} % at {hand_ms:.2f} ms (estimate)")
print(f"  automl chose {c['candidate']}: int8 test {100*c['test_int8']:.2f} % at {c['ms']:.2f} ms, "
      f"{c['flash']/1024:.1f} KB flash, {c['ram']/1024:.1f} KB RAM (validation {100*c['val_accuracy']:.2f} %)")
print(f"  {len(t)} candidates costed, {sum(1 for x in t if not x['fits'])} rejected before training, {len(trained)} trained; "
      f"Pareto points {sum(1 for x in t if x['pareto'])}, all fit: {all(x['fits'] for x in t if x['pareto'])}")
PY
  grep -E "first trained model that fits" "$out/fsdd.txt" || true
  grep -E "bit-exact|instructions per inference" "$out/fsdd.txt" || true
fi
if [[ $only == *har* ]]; then
  # each device without a latency limit (the best it finds), then both under one common limit (HAR_LIMIT_MS):
  # the devices' costs, not their accuracy, then decide the choice
  for limit in none "${HAR_LIMIT_MS:-1}"; do
    for target in nrf52840 rp2040; do
      name=har_${target}_$limit
      lim=(); [[ $limit == none ]] || lim=(--max-latency-ms "$limit")
      rm -rf "$out/$name"
      "$mote" automl --data "$shared/data/st-har" --task motion --target "$target" --budget "${BUDGET_HAR:-5m}" \
          "${lim[@]}" -o "$out/$name" --json 2> "$out/$name.log" > "$out/$name.json"
      python3 - "$out/$name.json" "$target" "$limit" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = d["trials"]; c = t[d["chosen"]]
fam = sorted({x["family"] for x in t if x["epochs"]})
print(f"ST HAR / {sys.argv[2]}, latency limit {sys.argv[3]} ms: chose {c['candidate']}: int8 test {100*c['test_int8']:.2f} %, "
      f"validation {100*c['val_accuracy']:.2f} %, {c['ms']:.3f} ms, {c['flash']/1024:.1f} KB flash, {c['ram']/1024:.1f} KB RAM")
print(f"  {len([x for x in t if x['precision'] == 'int8'])} candidates ({sum(1 for x in t if not x['fits'])} rejected "
      f"before training), families trained {fam}; first model after {d['first_valid_seconds']:.0f} s")
for x in t:
    if x["pareto"]:
        print(f"  front: {x['candidate']:<40} val {100*x['val_accuracy']:6.2f} %  test {100*x['test_int8']:6.2f} %  "
              f"{x['ms']:6.3f} ms  {x['flash']/1024:6.1f} KB flash  {x['precision']}")
PY
    done
  done
fi
