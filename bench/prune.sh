#!/usr/bin/env bash
# Structured pruning measured: the FSDD DS-CNN of `mote train` (default settings), pruned by mote prune at
# several fractions with fine-tuning, and by the hardware-aware mode to a latency estimate; for each, the
# classifier's MACs, the int8 test accuracy (from the written files), and the instructions per inference
# counted on QEMU's Cortex-M4 (nrf52840 profile, front end included) by `mote bench`.
#   bench/prune.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, /tmp/mote_prune_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
mote=$PWD/${1:-build}/bin/mote
out=${2:-/tmp/mote_prune_bench}
shared=$PWD/../shared
data=$shared/data/fsdd
mkdir -p "$out/inputs"
"$mote" train --data "$data" --task audio --quiet -o "$out/base" > /dev/null
python3 - "$data" "$out/inputs" <<'PY'
import sys, wave
data, dst = sys.argv[1], sys.argv[2]
rows = [l.strip().split(",") for l in open(data + "/metadata.csv")][1:]
for i, r in enumerate([r for r in rows if r[4] == "test"][:3]):
    w = wave.open(data + "/" + r[0])
    pcm = w.readframes(w.getnframes())[:16000]
    open(f"{dst}/in_{i}.bin", "wb").write(pcm + b"\0" * (16000 - len(pcm)))
PY
insns() { "$mote" bench "$1" --target nrf52840 --inputs "$out/inputs" | sed -n 's/^total: \([0-9]*\) instructions per inference.*/\1/p'; }
acc() { "$mote" eval "$1" --data "$data" --json | python3 -c 'import json,sys; print("%.2f" % (100 * json.load(sys.stdin)["accuracy"]))'; }
macs() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["macs_after"], "%.1f" % (100 * d["macs_fraction"]))' "$1"; }
base_i=$(insns "$out/base/model_int8.tflite")
echo "| model | classifier MACs | of the original | int8 test accuracy | M4 instructions (front end included) | wall |"
echo "|---|---|---|---|---|---|"
echo "| mote train (DS-CNN, width 32) | $("$mote" inspect "$out/base/model_float.tflite" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["macs"])') | 100 % | $(acc "$out/base/model_int8.tflite") % | $base_i | |"
for r in 0.25 0.35 0.5; do
  t0=$(date +%s)
  "$mote" prune "$out/base/model_float.tflite" --data "$data" --structured "$r" --quiet --json -o "$out/p$r" > "$out/p$r.json"
  read -r m f < <(macs "$out/p$r.json")
  echo "| --structured $r | $m | $f % | $(acc "$out/p$r/model_int8.tflite") % | $(insns "$out/p$r/model_int8.tflite") | $(( $(date +%s) - t0 )) s |"
done
t0=$(date +%s)
"$mote" prune "$out/base/model_float.tflite" --data "$data" --target nrf52840 --max-latency-ms 40 --quiet --json -o "$out/adapt" > "$out/adapt.json"
read -r m f < <(macs "$out/adapt.json")
echo "| --target nrf52840 --max-latency-ms 40 | $m | $f % | $(acc "$out/adapt/model_int8.tflite") % | $(insns "$out/adapt/model_int8.tflite") | $(( $(date +%s) - t0 )) s |"
