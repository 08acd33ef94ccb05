#!/usr/bin/env bash
# The TFLite writer's files read by other readers. tests/unit/test_tflite_write writes every model of
# SHARED/models (imported, then written) into WORK; then
#   files:  tools/tflite_info.py, the dependency-free reader of ../shared, reads each one and reports
#           what it reports for the original: schema version, description, subgraph, tensor count, inputs
#           and outputs (names, shapes, dtypes, quantization), dtypes of constants and activations, ops
#           (subgraph name, operator versions, operator codes no op uses and metadata buffers aside:
#           the IR keeps none of them);
#   verify: `mote verify WRITTEN --target host` is bit-exact for each written model with golden vectors.
# Usage: tflite_write.sh files|verify UNIT_TEST MOTE SHARED_DIR WORK
set -u
mode=$1 unit=$2 mote=$3 shared=$4 work=$5
rm -rf "$work"
mkdir -p "$work"
if ! MOTE_TFLITE_WRITE_DIR=$work "$unit" > "$work/unit.log" 2>&1; then
    cat "$work/unit.log"
    echo "0 passed, 1 failed"
    exit 1
fi
pass=0 fail=0
for f in "$work"/*.tflite; do
    name=$(basename "$f" .tflite)
    orig=$(find "$shared/models" -name "$name.tflite" | head -1)
    if [ "$mode" = files ]; then
        if python3 "$shared/tools/tflite_info.py" "$f" > "$work/$name.txt" 2>&1 &&
            python3 - "$shared/tools/tflite_info.py" "$orig" "$f" <<'PY'
import json, subprocess, sys
tool, orig, written = sys.argv[1:]
def info(path):
    d = json.loads(subprocess.check_output([sys.executable, tool, "--json", path]))[0]
    for sg in d["subgraphs"]:
        sg.pop("name", None)  # the IR keeps no subgraph name: written as "main"
    return {"schema": d["schema_version"], "description": d["description"], "subgraphs": d["subgraphs"]}
a, b = info(orig), info(written)
for k in a:
    if a[k] != b[k]:
        sys.exit("%s differs from the original's:\n  %s\n  %s" % (k, a[k], b[k]))
PY
        then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "FAIL: $f: tflite_info.py disagrees with the original $orig"
        fi
    elif [ -d "$shared/golden/$name" ]; then
        if out=$(MOTE_SHARED=$shared "$mote" verify "$f" --target host 2>&1) && [[ $out == *bit-exact* ]]; then
            pass=$((pass + 1))
            echo "$out" | head -2
        else
            fail=$((fail + 1))
            echo "FAIL: mote verify $f --target host:"
            echo "$out"
        fi
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
