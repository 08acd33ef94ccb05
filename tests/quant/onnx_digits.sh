#!/usr/bin/env bash
# The compression issue's ONNX goal on a model PyTorch trained (tests/onnx_digits/make_digits.py): the
# float import scores the held-out digits as PyTorch did, and `mote quantize` (calibrated on half of them)
# scores the other half within 1 pp of PyTorch's float accuracy; the int8 file compiles for nrf52840.
# Usage: onnx_digits.sh MOTE SRC_DIR OUT_DIR
set -eu
mote=$1 src=$2 out=$3
rm -rf "$out" && mkdir -p "$out/a" "$out/b"
fail() { echo "FAIL: $*"; exit 1; }
conv=(--from u8 --in-scale 0.0625)
for f in "$src"/data/*.bin; do ln -s "$f" "$out/a/"; ln -s "$f" "$out/b/"; done
awk 'NR % 2 == 1' "$src/data/y_labels.csv" > "$out/a/y_labels.csv"
awk 'NR % 2 == 0' "$src/data/y_labels.csv" > "$out/b/y_labels.csv"
"$mote" classify "$src/digits_cnn.onnx" "$src/data" "${conv[@]}" --json > "$out/float.json"
"$mote" quantize "$src/digits_cnn.onnx" --calib "$out/a" "${conv[@]}" -o "$out/q.tflite" --quiet > /dev/null
"$mote" classify "$out/q.tflite" "$out/b" "${conv[@]}" --json > "$out/int8.json"
"$mote" compile "$out/q.tflite" --target nrf52840 -o "$out/c" > /dev/null || fail "the int8 model does not compile for nrf52840"
python3 - "$out" "$src/data/pytorch.json" <<'PY'
import json, sys
d = sys.argv[1]
pt = json.load(open(sys.argv[2]))["pytorch_float_accuracy"]
f, q = (json.load(open(f"{d}/{n}.json")) for n in ("float", "int8"))
assert f["files"] == 450 and abs(f["accuracy"] - pt) <= 1 / 450 + 1e-9, (f["accuracy"], pt)
assert q["files"] == 225 and q["accuracy"] >= pt - 0.01, (q["accuracy"], pt)
print("digits CNN from PyTorch: PyTorch", pt, "mote float", f["accuracy"], "mote int8 (held-out half)", q["accuracy"])
PY
