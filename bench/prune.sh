#!/usr/bin/env bash
# Structured pruning measured: the FSDD DS-CNN of `mote train` (default settings), pruned by mote prune at
# several fractions with fine-tuning, and by the hardware-aware mode to a latency estimate; for each, the
# classifier's MACs, the int8 test accuracy (from the written files), and the instructions per inference
# counted on QEMU's Cortex-M4 (nrf52840 profile, front end included) by `mote bench`.
# Then unstructured pruning (--unstructured 0.5 / 0.8 / 0.9): int8 accuracy, the int8 file with every weight
# dense and with sparse storage where smaller, and M4 instructions in total and in the dense layer, with the
# weights as stored (sparse kernel where sparse) and with `--weights dense` (the dense kernels).
#   bench/prune.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, /tmp/mote_prune_bench)
#   ONLY=unstructured bench/prune.sh ...      the second table only
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
if [ "${ONLY:-}" != unstructured ]; then
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
fi

# unstructured: FC instructions as "total fc" from one bench --json (layer named by its op)
bench2() {
  "$mote" bench "$1" --target nrf52840 --inputs "$out/inputs" --json ${2:+--weights "$2"} | python3 -c '
import json, sys
d = json.load(sys.stdin)
fc = [l for l in d["layers"] if l["op"] == "FULLY_CONNECTED"]
print(d["total_instructions"], fc[0]["instructions"], fc[0]["kernel"])'
}
echo
echo "| model | zeros per layer | int8 test accuracy | int8 file: dense / sparse where smaller | dense layer: bytes | M4 instructions: dense weights / as stored | dense layer: dense kernel / as stored | wall |"
echo "|---|---|---|---|---|---|---|---|"
read -r bt bf bk < <(bench2 "$out/base/model_int8.tflite")
echo "| mote train (DS-CNN, width 32) | | $(acc "$out/base/model_int8.tflite") % | $(stat -c %s "$out/base/model_int8.tflite") | | $bt | $bf ($bk) | |"
for s in 0.5 0.8 0.9; do
  t0=$(date +%s)
  "$mote" prune "$out/base/model_float.tflite" --data "$data" --unstructured "$s" --quiet --json -o "$out/u$s" > "$out/u$s.json"
  w=$(( $(date +%s) - t0 ))
  read -r z dense sparse fcb < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
fc = d["layers"][-1]
print("%.1f" % (100 * d["sparsity"]), d["int8_bytes_dense"], d["int8_bytes"], "%d %s of %d" % (fc["int8_bytes"], fc["storage"], fc["weights"]))' "$out/u$s.json")
  read -r dt df dk < <(bench2 "$out/u$s/model_int8.tflite" dense)
  read -r st sf sk < <(bench2 "$out/u$s/model_int8.tflite")
  echo "| --unstructured $s | $z % | $(acc "$out/u$s/model_int8.tflite") % | $dense / $sparse | $fcb | $dt / $st | $df ($dk) / $sf ($sk) | $w s |"
done
