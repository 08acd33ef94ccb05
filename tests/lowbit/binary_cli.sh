#!/usr/bin/env bash
# mote quantize --bits 1 end to end on the MLPerf Tiny KWS float model, calibrated on the first 100
# clips of kws01 and scored on the other 400:
#   - int8, --bits 1 (first and last weight layers kept int8) and --bits 1 --binary-all: 0, 8 and 10
#     binary layers, parameter bytes falling in that order;
#   - each written model reads back and classifies all 400 held-out clips on the host (binary PTQ
#     without training loses most of the accuracy: printed, not asserted; the int8 one must stay
#     near the float model);
#   - mote compile for a Cortex-M4 board writes both backends with the binary kernels in them.
# (Bit-exactness of C and .mote on the Cortex-M4 emulator: lowbit.kws_int8.binary.nucleo-l4r5zi.)
# Usage: binary_cli.sh MOTE SHARED_DIR OUT_DIR
set -eu
mote=$1 shared=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
models=$shared/models/mlperf-tiny kws=$shared/data/mlperf-tiny-eval/kws01
conv=(--from i8 --in-scale 0.5847029 --in-zero-point 83)
q() { "$mote" quantize "$models/kws_float32.tflite" --calib "$kws" "${conv[@]}" --limit 100 "$@"; }
q -o "$out/kws8.tflite" --json > "$out/kws8.json"
q --bits 1 -o "$out/kws1.tflite" --json > "$out/kws1.json"
q --bits 1 --binary-all -o "$out/kws1all.tflite" --json > "$out/kws1all.json"
for f in kws8 kws1 kws1all; do
  "$mote" inspect "$out/$f.tflite" --target nucleo-l4r5zi --json > "$out/$f.inspect.json" || fail "inspect $f"
  "$mote" classify "$out/$f.tflite" "$kws" "${conv[@]}" --skip 100 --json > "$out/$f.classify.json" || fail "classify $f"
done
"$mote" classify "$models/kws_float32.tflite" "$kws" "${conv[@]}" --skip 100 --json > "$out/float.classify.json"
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
j = lambda n: json.load(open(f"{d}/{n}.json"))
assert "binary_layers" not in j("kws8") and j("kws1")["binary_layers"] == 8 and j("kws1all")["binary_layers"] == 10
p = {n: j(n + ".inspect")["totals"]["param_bytes"] for n in ("kws8", "kws1", "kws1all")}
assert p["kws1all"] < p["kws1"] < p["kws8"], p
ops = [o for o in j("kws1all.inspect")["ops"] if o["type"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]
assert len(ops) == 10, len(ops)
acc = {n: j(n + ".classify") for n in ("float", "kws8", "kws1", "kws1all")}
assert all(a["files"] == 400 for a in acc.values())
assert acc["kws8"]["accuracy"] >= acc["float"]["accuracy"] - 0.015, acc
print("param bytes", p, "accuracy on 400 held-out clips",
      {n: round(a["accuracy"], 4) for n, a in acc.items()})
PY
"$mote" compile "$out/kws1all.tflite" --target nucleo-l4r5zi --format both -o "$out/c" > "$out/compile.log" || fail "compile"
for k in conv_s8_s1_opt depthwise_s8_s1_opt; do [ -f "$out/c/$k.c" ] || fail "C package without $k.c"; done
[ -s "$out/c/kws1all.mote" ] || fail "no .mote file"
echo "binary cli ok"
