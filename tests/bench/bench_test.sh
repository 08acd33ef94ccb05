#!/bin/bash
# mote bench on the AD autoencoder, Cortex-M4 under QEMU and the host: the JSON
# carries every field with consistent values (the layers add up to the run with
# layer marks, whose count exceeds the plain total only by the marks' cost;
# MACs equal the anchors'), the SVG is well-formed XML with one bar per layer,
# and bad arguments exit 2 with one line naming the problem.
# usage: bench_test.sh MOTE SHARED_DIR WORK_DIR
set -u
MOTE=$1 SHARED=$2 WORK=$3
MODEL=$SHARED/models/mlperf-tiny/ad_autoencoder_int8.tflite
rm -rf "$WORK"
mkdir -p "$WORK"
fail=0
for target in nucleo-l4r5zi host; do
  "$MOTE" bench "$MODEL" --target "$target" --runs 20 --json --svg "$WORK/$target.svg" --work "$WORK/$target" \
      > "$WORK/$target.json" 2> "$WORK/$target.err"
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL bench $target exit $rc: $(cat "$WORK/$target.err")"; fail=1; continue; }
  python3 - "$WORK/$target.json" "$target" <<'PY' || fail=1
import json, sys
o = json.load(open(sys.argv[1])); target = sys.argv[2]
for k in ["model", "target", "kernels", "total_instructions", "macs", "macs_per_instruction", "anchors", "layers"]:
    assert k in o, k
assert o["target"] == target and o["kernels"] == "opt" and o["bit_exact"] is True
assert o["vectors"] == 16 and o["golden_vectors_equal"] == 16 == o["golden_vectors_checked"], o
L = o["layers"]
assert len(L) == 10 and all(l["op"] == "FULLY_CONNECTED" for l in L), L
assert all(l["kernel"] and l["instructions"] > 0 for l in L), L
# MACs from the shapes: 640->128, 3x 128->128, 128->8, 8->128, 3x 128->128, 128->640
assert [l["macs"] for l in L] == [81920, 16384, 16384, 16384, 1024, 1024, 16384, 16384, 16384, 81920], L
assert o["macs"] == sum(l["macs"] for l in L) == 264192 == o["anchors"]["macs"], o["macs"]
# the layers plus the invoke's entry and return make up the run with layer marks exactly
s = sum(l["instructions"] for l in L)
assert s == o["layers_sum_instructions"], (s, o["layers_sum_instructions"])
assert s + o["outside_layers_instructions"] == o["layer_run_instructions"], o
assert 0 < o["outside_layers_instructions"] < 100, o["outside_layers_instructions"]
# ... and exceeds the same vector's count in the build without marks by the 11 mark calls only
assert o["layer_run_vector"] == 1, o["layer_run_vector"]
marks = o["layer_run_instructions"] - o["layer_run_vector_unmarked_instructions"]
assert 0 < marks < 11 * 40, marks
assert abs(sum(l["share"] for l in L) - s / o["layer_run_instructions"]) < 1e-6
assert abs(o["macs_per_instruction"] - o["macs"] / o["total_instructions"]) < 1e-9
for l in L:
    assert abs(l["macs_per_instruction"] - l["macs"] / l["instructions"]) < 1e-9, l
a = o["anchors"]
keys = {"nucleo-l4r5zi": ("cortex_m4_qemu", "tflm_cmsisnn_instructions", 582956, "tflm_ref_instructions", 1954056),
        "host": ("x86_64_host", "tflm_ref_instructions", 2508196, "tflm_cmsisnn_c_instructions", 1306067)}[target]
assert a["set"] == keys[0], a
for key, n in ((keys[1], keys[2]), (keys[3], keys[4])):
    assert a[key]["instructions"] == n, (key, a[key])
    assert abs(a[key]["ratio"] - o["total_instructions"] / n) < 1e-9, (key, a[key])
if target == "host":
    assert o["runs"] == 20 and o["ns_per_inference"] > 0, o
    assert all(l["ns"] > 0 for l in L), L
else:
    assert "ns_per_inference" not in o and all("ns" not in l for l in L)
print("%s: %d insns (layers %d + outside %d = %d with marks), %.3f MACs/insn, ratio %.3f vs %s" % (
    target, o["total_instructions"], s, o["outside_layers_instructions"], o["layer_run_instructions"],
    o["macs_per_instruction"], a[keys[1]]["ratio"], keys[1]))
PY
  svg=$WORK/$target.svg
  if command -v xmllint > /dev/null; then
    xmllint --noout "$svg" || { echo "FAIL $svg is not well-formed XML"; fail=1; }
  fi
  head -2 "$svg" | grep -q '<svg xmlns="http://www.w3.org/2000/svg"' || { echo "FAIL $svg: no <svg> root"; fail=1; }
  bars=$(grep -c '^<rect x=.*<title>' "$svg")
  [ "$bars" -eq 10 ] || { echo "FAIL $svg: $bars bars, want 10"; fail=1; }
  grep -q '>9 FULLY_CONNECTED / ' "$svg" || { echo "FAIL $svg: no label for layer 9"; fail=1; }
  tail -1 "$svg" | grep -q '^</svg>$' || { echo "FAIL $svg: not closed"; fail=1; }
done
# the table form names the anchors
"$MOTE" bench "$MODEL" --target nucleo-l4r5zi --kernels ref > "$WORK/table.txt" 2>&1 ||
  { echo "FAIL bench --kernels ref: $(cat "$WORK/table.txt")"; fail=1; }
grep -q 'kernels ref): bit-exact on 16 vectors' "$WORK/table.txt" && grep -q 'vs TFLM+CMSIS-NN' "$WORK/table.txt" &&
  grep -q '^    9  FULLY_CONNECTED  *fc_s8 ' "$WORK/table.txt" || { echo "FAIL table:"; cat "$WORK/table.txt"; fail=1; }

# expect EXIT_CODE REGEX -- command...: the exit code and a one-line message
expect() {
  local code=$1 re=$2 out rc
  shift 3
  out=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ $rc -ne "$code" ] || ! [[ $out =~ $re ]] || [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ]; then
    echo "FAIL: $* -> exit $rc, stderr: $out (wanted exit $code and /$re/)"
    fail=1
  fi
}
expect 2 'needs MODEL and --target' -- "$MOTE" bench
expect 2 'needs MODEL and --target' -- "$MOTE" bench "$MODEL"
expect 2 "runs expects a positive integer, got '0'" -- "$MOTE" bench "$MODEL" --target host --runs 0
expect 2 "runs expects a positive integer, got 'x'" -- "$MOTE" bench "$MODEL" --target host --runs x
expect 2 "kernels must be opt or ref, not 'fast'" -- "$MOTE" bench "$MODEL" --target host --kernels fast
expect 2 "unknown or incomplete option '--svg'" -- "$MOTE" bench "$MODEL" --target host --svg
expect 2 "unknown or incomplete option '--frobnicate'" -- "$MOTE" bench "$MODEL" --target host --frobnicate
expect 2 "one model only \('extra'\)" -- "$MOTE" bench "$MODEL" extra --target host
expect 1 "unknown target 'nosuch'" -- "$MOTE" bench "$MODEL" --target nosuch
expect 1 'esp32c3 has no emulator mote can run' -- "$MOTE" bench "$MODEL" --target esp32c3
expect 1 'no such file|cannot|No such' -- "$MOTE" bench "$WORK/missing.tflite" --target host
# a wrong model: inputs of the right size whose golden outputs belong to another input
mkdir -p "$WORK/wrong"
cp "$SHARED/golden/ad_autoencoder_int8/in_01.bin" "$WORK/wrong/in_00.bin"
cp "$SHARED/golden/ad_autoencoder_int8/out_00.bin" "$WORK/wrong/out_00.bin"
expect 1 'differ from the golden ones on 1 of 1 vectors; no numbers reported' -- \
    "$MOTE" bench "$MODEL" --target nucleo-l4r5zi --kernels ref --inputs "$WORK/wrong"
"$MOTE" bench --help | grep -q '^usage: mote bench MODEL --target PROFILE' || { echo "FAIL --help"; fail=1; }
[ $fail -eq 0 ] && echo "bench: all checks passed"
exit $fail
