#!/bin/bash
# mote verify on one model and one target, both formats (generated C and
# .mote through the interpreter): bit-exact with the host runtime and with the
# golden outputs, and every measurement present and plausible. With the
# default objective on the Cortex-M4 (nucleo-l4r5zi), the MLPerf Tiny goals
# against TFLM (../shared/anchors): arena <= 0.8x TFLM's, instructions <= 0.6x
# TFLM+CMSIS-NN's.
# usage: verify_test.sh MOTE MODEL.tflite TARGET WORK_DIR [speed|memory|balanced]
set -u
MOTE=$1 MODEL=$2 TARGET=$3 WORK=$4 OPTIMIZE=${5:-balanced}
ANCHORS=$(dirname "$MODEL")/../../anchors/anchors.json
rm -rf "$WORK"
mkdir -p "$(dirname "$WORK")"
"$MOTE" verify "$MODEL" --target "$TARGET" --format both --optimize "$OPTIMIZE" --json --work "$WORK" \
    > "$WORK.json" 2> "$WORK.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL verify exit $rc: $(cat "$WORK.err")"; exit 1; }
python3 - "$WORK.json" "$TARGET" "$OPTIMIZE" "$ANCHORS" <<'PY'
import json, os, sys
o = json.load(open(sys.argv[1]))
keys = ["model", "target", "bit_exact", "instructions_per_inference", "arena_bytes", "ram_bytes", "flash_bytes"]
assert list(o)[:7] == keys, list(o)[:7]
for r in (o, o["mote"]):
    fmt = r["format"]
    assert r["bit_exact"] is True, fmt
    assert r["vectors"] == 16 and r["golden_vectors_checked"] == 16 and r["golden_vectors_equal"] == 16, (fmt, r)
    assert r["instructions_per_inference"] > 1000, (fmt, r)
    assert r["ram_bytes"] >= r["arena_bytes"] > 0, (fmt, r)
    assert r["flash_bytes"] > r["text_bytes"] > 0, (fmt, r)
    if sys.argv[2] not in ("host", "rpi4"):  # Linux processes: the stack is not measured
        assert r["stack_bytes"] > 0, (fmt, r)
        assert r["ram_bytes"] == r["data_bytes"] + r["bss_bytes"] + r["stack_bytes"], (fmt, r)
# the two formats run the same kernels: within the interpreter's loop overhead
a, b = o["instructions_per_inference"], o["mote"]["instructions_per_inference"]
assert abs(a - b) < 0.01 * a, (a, b)
stem = os.path.basename(o["model"]).rsplit(".", 1)[0]
if sys.argv[2] == "nucleo-l4r5zi" and sys.argv[3] == "balanced" and os.path.exists(sys.argv[4]):
    tflm = json.load(open(sys.argv[4]))["models"].get(stem, {}).get("cortex_m4_qemu")
    if tflm:
        arena, insns = o["arena_bytes"] / tflm["tflm_arena_bytes"], a / tflm["tflm_cmsisnn_instructions"]
        assert arena <= 0.8, "arena %d is %.3fx TFLM's" % (o["arena_bytes"], arena)
        assert insns <= 0.6, "%d instructions are %.3fx TFLM+CMSIS-NN's" % (a, insns)
        print("goal met: arena %.3fx TFLM's, instructions %.3fx TFLM+CMSIS-NN's" % (arena, insns))
print("%s on %s: bit-exact, c %d insns, arena %d, ram %d, flash %d | mote arena %d, flash %d" % (
    o["model"].split("/")[-1], o["target"], a, o["arena_bytes"], o["ram_bytes"], o["flash_bytes"],
    o["mote"]["arena_bytes"], o["mote"]["flash_bytes"]))
PY
