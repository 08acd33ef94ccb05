#!/usr/bin/env bash
# mote prune end to end on the float model of the train.cli fixture (FSDD digits 0-4, front end included):
#   - --structured 0.35: fewer MACs, both files written and scored by mote eval as the command says, the
#     int8 model at a stated accuracy (measured 0.96-0.98 when written), --json fields; the int8 file is
#     left in OUT for quant.prune.verify.host;
#   - --target nrf52840 --max-latency-ms (90 % of today's estimate): the estimate after is within it.
# Usage: prune_cli.sh MOTE TRAIN_CLI_DIR OUT_DIR
set -eu
mote=$1 trained=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
model=$trained/run/model_float.tflite data=$trained/data

"$mote" prune "$model" --data "$data" --structured 0.35 --epochs 10 --seed 3 -o "$out/ratio" --json > "$out/ratio.json"
ev=$("$mote" eval "$out/ratio/model_int8.tflite" --data "$data" --json)
[ "$(grep -c '<svg' "$out/ratio/report.html")" -eq 3 ] || fail "report.html: expected the MACs, size and channel plots"
python3 - "$out/ratio.json" "$ev" <<'PY'
import json, sys
d, e = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
assert d["macs_fraction"] < 0.7, d["macs_fraction"]
assert abs(d["engine_accuracy_before"] - d["test_accuracy_before"]) < 1e-9, "the imported classifier scores differently"
assert abs(e["accuracy"] - d["test_accuracy_int8"]) < 1e-9 and e["n"] == 125
assert d["test_accuracy_int8"] >= 0.85, d["test_accuracy_int8"]
g = d["groups"]
assert g[-1]["name"] == "logits" and not g[-1]["prunable"] and g[-1]["kept"] == g[-1]["channels"]
assert all(x["kept"] < x["channels"] for x in g if x["prunable"])
print("prune 0.35: MACs", d["macs_fraction"], "int8", d["test_accuracy_int8"], "before", d["test_accuracy_before"])
PY

# hardware-aware: 90 % of today's estimate on nrf52840
"$mote" inspect "$trained/run/model_int8.tflite" --target nrf52840 --json > "$out/inspect.json"
goal=$(python3 -c 'import json,sys; print(0.9 * json.load(open(sys.argv[1]))["estimate"]["ms"])' "$out/inspect.json")
"$mote" prune "$model" --data "$data" --target nrf52840 --max-latency-ms "$goal" --epochs 3 -o "$out/adapt" --json > "$out/adapt.json"
python3 - "$out/adapt.json" "$goal" <<'PY'
import json, sys
d, goal = json.load(open(sys.argv[1])), float(sys.argv[2])
assert d["latency_ms_after"] <= goal < d["latency_ms_before"], (d["latency_ms_before"], d["latency_ms_after"], goal)
assert d["adapt_steps"] >= 1 and d["macs_fraction"] < 1.0
print("prune --max-latency-ms", goal, ":", d["latency_ms_before"], "->", d["latency_ms_after"], "ms in", d["adapt_steps"], "steps")
PY
echo "prune cli ok"
