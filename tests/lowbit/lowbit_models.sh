#!/bin/bash
# A model's conv / depthwise / fully connected filters to int4, or binary with BITS=1
# (lowbit_tool, i.e. mote_lowbit_weights), written as .tflite, then: mote inspect reads it back with
# fewer parameter and flash (weights) bytes than the int8 original, and mote verify runs
# the generated C and the .mote file on TARGET bit for bit equal to the host runtime on
# every golden input of the int8 model, with a smaller firmware flash.
# usage: lowbit_models.sh MOTE LOWBIT_TOOL SHARED MODEL TARGET WORK_DIR [BITS]
set -u
MOTE=$1 TOOL=$2 SHARED=$3 MODEL=$4 TARGET=$5 WORK=$6 BITS=${7:-4}
rm -rf "$WORK"
mkdir -p "$WORK"
SRC=$SHARED/models/mlperf-tiny/$MODEL.tflite W4=$WORK/${MODEL}_w4.tflite
"$TOOL" "$SRC" "$W4" --bits "$BITS" > "$WORK/tool.txt" || { echo "FAIL lowbit_tool: $(cat "$WORK/tool.txt")"; exit 1; }
for m in "$SRC" "$W4"; do
  "$MOTE" inspect "$m" --target "$TARGET" --json > "$WORK/$(basename "$m").inspect.json" || { echo "FAIL inspect $m"; exit 1; }
  "$MOTE" verify "$m" --target "$TARGET" --format both --json --inputs "$SHARED/golden/$MODEL" \
      > "$WORK/$(basename "$m").verify.json" 2> "$WORK/verify.err" || { echo "FAIL verify $m: $(cat "$WORK/verify.err")"; exit 1; }
done
python3 - "$WORK/$MODEL.tflite" "$WORK/${MODEL}_w4.tflite" <<'PY'
import json, sys
i8, i4 = ({k: json.load(open(p + '.' + k + '.json')) for k in ('inspect', 'verify')} for p in sys.argv[1:3])
ops = [o for o in i4['inspect']['ops'] if o['type'] in ('CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED')]
assert ops, 'no weight ops'
p8, p4 = i8['inspect']['totals']['param_bytes'], i4['inspect']['totals']['param_bytes']
assert p4 < 0.6 * p8, (p8, p4)
for fmt in ('c', 'mote'):
    w8, w4 = i8['inspect']['fit'][fmt]['weights_bytes'], i4['inspect']['fit'][fmt]['weights_bytes']
    assert w4 < w8, (fmt, w8, w4)
v8, v4 = i8['verify'], i4['verify']
for r8, r4 in ((v8, v4), (v8['mote'], v4['mote'])):
    assert r4['bit_exact'] is True and r4['vectors'] == r8['vectors'] >= 10, r4
    assert r4['flash_bytes'] < r8['flash_bytes'], (r8['flash_bytes'], r4['flash_bytes'])
print(f"params {p8} -> {p4} bytes; C flash {v8['flash_bytes']} -> {v4['flash_bytes']}; "
      f"instructions {v8['instructions_per_inference']} -> {v4['instructions_per_inference']}")
PY
