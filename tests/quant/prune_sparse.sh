#!/usr/bin/env bash
# mote prune --unstructured 0.8 end to end on the float model of the train.cli fixture (FSDD digits 0-4, front
# end included), 10 epochs: every convolution and dense layer at 80 % zeros (the mask held through
# fine-tuning), the int8 file smaller than with every weight dense and its dense and convolution layers
# stored sparse (mote inspect reads the dense layer's bytes), the files scored as the command says, int8 accuracy sane (measured 0.816 when
# written; the unpruned model: 0.984), report.html with the per-layer table. The int8 file is left in OUT for
# quant.prune.sparse.verify.* (host .mote and C backends against the host runtime).
# Usage: prune_sparse.sh MOTE TRAIN_CLI_DIR OUT_DIR
set -eu
mote=$1 trained=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
model=$trained/run/model_float.tflite data=$trained/data

"$mote" prune "$model" --data "$data" --unstructured 0.8 --epochs 10 --seed 3 -o "$out/u" --json > "$out/u.json"
ev=$("$mote" eval "$out/u/model_int8.tflite" --data "$data" --json)
grep -q 'Unstructured pruning to 80 % zeros per layer' "$out/u/report.html" || fail "report.html: no per-layer table"
"$mote" inspect "$out/u/model_int8.tflite" > "$out/inspect.txt"
# the dense layer's parameters as mote reads the file: sparse weights + bias, below its 1920 dense weights
fc_params=$(awk '$2 == "FULLY_CONNECTED" {print $(NF-1)}' "$out/inspect.txt")
[ "$fc_params" -lt 1000 ] || fail "mote inspect: FULLY_CONNECTED holds $fc_params parameter bytes, not sparse"
python3 - "$out/u.json" "$ev" "$(stat -c %s "$out/u/model_int8.tflite")" <<'PY'
import json, sys
d, e, size = json.load(open(sys.argv[1])), json.loads(sys.argv[2]), int(sys.argv[3])
layers = d["layers"]
assert [l["name"] for l in layers] == ["conv0/filters", "pw1/filters", "pw2/filters", "pw3/filters", "logits/weights"], layers
for l in layers:
    assert abs(l["sparsity"] - 0.8) < 0.005, l
assert abs(d["sparsity"] - 0.8) < 0.005, d["sparsity"]
for l in layers:  # the dense layer and the convolutions all stored sparse, in at most half the bytes
    assert l["storage"] == "sparse" and l["int8_bytes"] <= 0.5 * l["weights"], l
assert d["int8_bytes"] == size < d["int8_bytes_dense"], (d["int8_bytes"], size, d["int8_bytes_dense"])
assert d["macs_fraction"] == 1.0  # no channel removed
assert abs(e["accuracy"] - d["test_accuracy_int8"]) < 1e-9 and e["n"] == 125
assert d["test_accuracy_int8"] >= 0.7, d["test_accuracy_int8"]
print("prune --unstructured 0.8: int8", d["test_accuracy_int8"], "bytes", d["int8_bytes_dense"], "->", d["int8_bytes"])
PY
echo "prune sparse ok"
