#!/bin/bash
# mote verify on one model and one target, both formats (generated C and
# .mote through the interpreter): bit-exact with the host runtime and with the
# golden outputs, and every measurement present and plausible.
# usage: verify_test.sh MOTE MODEL.tflite TARGET WORK_DIR
set -u
MOTE=$1 MODEL=$2 TARGET=$3 WORK=$4
rm -rf "$WORK"
mkdir -p "$(dirname "$WORK")"
"$MOTE" verify "$MODEL" --target "$TARGET" --format both --json --work "$WORK" > "$WORK.json" 2> "$WORK.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL verify exit $rc: $(cat "$WORK.err")"; exit 1; }
python3 - "$WORK.json" "$TARGET" <<'PY'
import json, sys
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
print("%s on %s: bit-exact, c %d insns, arena %d, ram %d, flash %d | mote arena %d, flash %d" % (
    o["model"].split("/")[-1], o["target"], a, o["arena_bytes"], o["ram_bytes"], o["flash_bytes"],
    o["mote"]["arena_bytes"], o["mote"]["flash_bytes"]))
PY
