#!/usr/bin/env bash
# Bad input must give a one-line error naming the problem and a non-zero exit,
# never a crash. Usage: cli_errors.sh MOTE SHARED_DIR
set -u
mote=$1
shared=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model=$shared/models/mlperf-tiny/kws_int8.tflite
pass=0 fail=0

# expect EXIT_CODE REGEX -- command...
expect() {
  local code=$1 re=$2
  shift 3
  local out rc
  out=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -eq "$code" ] && [[ $out =~ $re ]] && [ "$(printf '%s\n' "$out" | wc -l)" -le 1 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $* -> exit $rc, stderr: $out (wanted exit $code and /$re/)"
  fi
}

head -c 1000 "$model" > "$tmp/truncated.tflite"
head -c 4 "$model" > "$tmp/tiny.tflite"
printf 'not a model at all' > "$tmp/text.tflite"
# Root offset pointing far outside the file.
{ printf '\xff\xff\xff\x7f'; tail -c +5 "$model"; } > "$tmp/badroot.tflite"
# Operator code 3 (CONV_2D) -> 27 (SVDF, which mote does not implement): the
# deprecated_builtin_code byte of the first OperatorCode table.
python3 - "$model" "$tmp/svdf.tflite" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
def table(pos):
    vt = pos - struct.unpack_from('<i', b, pos)[0]
    return vt, struct.unpack_from('<H', b, vt)[0]
def field(pos, i):
    vt, vl = table(pos)
    return struct.unpack_from('<H', b, vt + 4 + 2 * i)[0] if 4 + 2 * i < vl else 0
root = struct.unpack_from('<I', b, 0)[0]
f = field(root, 1); vec = root + f + struct.unpack_from('<I', b, root + f)[0]
n = struct.unpack_from('<I', b, vec)[0]
for k in range(n):
    p = vec + 4 + 4 * k; oc = p + struct.unpack_from('<I', b, p)[0]
    o = field(oc, 0)
    if o and b[oc + o] == 3: b[oc + o] = 27
    o3 = field(oc, 3)
    if o3 and struct.unpack_from('<i', b, oc + o3)[0] == 3: struct.pack_into('<i', b, oc + o3, 27)
open(sys.argv[2], 'wb').write(b)
PY
head -c 100 /dev/zero > "$tmp/short_input.bin"

expect 1 'truncated.tflite: .*(outside|past|short)' -- "$mote" inspect "$tmp/truncated.tflite"
expect 1 'tiny.tflite: not a TFLite model' -- "$mote" run "$tmp/tiny.tflite" --input "$tmp/short_input.bin" --output "$tmp/o"
expect 1 'text.tflite: not a TFLite model' -- "$mote" inspect "$tmp/text.tflite"
expect 1 'badroot.tflite: .*outside' -- "$mote" inspect "$tmp/badroot.tflite"
expect 1 'svdf.tflite: op 0 \(SVDF\): operator not supported' -- "$mote" inspect "$tmp/svdf.tflite"
# ONNX (tests/onnx fixtures): a truncated file, an op mote lacks, a bad attribute, each naming the node.
onnx=$(dirname "$0")/onnx
head -c 3000 "$onnx/cnn.onnx" > "$tmp/truncated.onnx"
python3 - "$onnx" "$tmp" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
b = open(src + '/squeeze11.onnx', 'rb').read()
# op_type (field 4) Sigmoid -> Sigmoix
open(out + '/unsupported.onnx', 'wb').write(b.replace(b'\x22\x07Sigmoid', b'\x22\x07Sigmoix', 1))
b = open(src + '/cnn.onnx', 'rb').read()
open(out + '/badattr.onnx', 'wb').write(b.replace(b'group\x18\x01', b'group\x18\x03', 1))
PY
expect 1 'truncated.onnx: not a valid ONNX model' -- "$mote" inspect "$tmp/truncated.onnx"
expect 1 'unsupported.onnx: node 7 \(/Sigmoid, Sigmoix\): operator not supported' -- "$mote" inspect "$tmp/unsupported.onnx"
expect 1 'badattr.onnx: node 0 \(/c1/Conv, Conv\): weights .* do not fit 3 input channels in 3 groups' -- \
  "$mote" run "$tmp/badattr.onnx" --input "$onnx/cnn.in.bin" --output "$tmp/o"
expect 1 'short_input.bin' -- "$mote" run "$onnx/cnn.onnx" --input "$tmp/short_input.bin" --output "$tmp/o"
expect 1 'short_input.bin: 100 bytes, but the model.s inputs take 490 bytes' -- "$mote" run "$model" --input "$tmp/short_input.bin" --output "$tmp/o"
expect 1 'missing.tflite: cannot open' -- "$mote" inspect "$tmp/missing.tflite"
expect 2 'unknown option --bogus' -- "$mote" run "$model" --bogus
expect 2 "unknown command 'frobnicate'" -- "$mote" frobnicate
expect 2 '--repeat expects a positive integer' -- "$mote" run "$model" --input x --output y --repeat -3
# moted client: no server configured, nothing listening, bad arguments.
expect 2 'no server: give --server URL or set MOTE_SERVER' -- env -u MOTE_SERVER "$mote" model list --token t
expect 2 'no API token' -- env -u MOTE_TOKEN -u MOTE_TOKEN_FILE "$mote" device list --server http://127.0.0.1:9
expect 1 "model list: GET http://127.0.0.1:9/v1/models: Could.*connect" -- "$mote" model list --server http://127.0.0.1:9 --token t
expect 2 'deploy create: --group TAG is required' -- "$mote" deploy create kws 1 --server http://x --token t
expect 2 '--canary expects a whole percentage' -- "$mote" deploy create kws 1 --group g --canary 0 --server http://x --token t
expect 2 'deployment id must be a positive number' -- "$mote" deploy show abc --server http://x --token t
expect 2 '--meta expects KEY=VALUE' -- "$mote" model push "$model" --name k --version 1 --meta x --server http://x --token t
expect 2 'token-file needs a value' -- "$mote" model list --server http://x --token-file
expect 1 'model push: cannot open|missing.tflite' -- "$mote" model push "$tmp/missing.tflite" --name k --version 1 --server http://127.0.0.1:9 --token t
# mote train / mote eval: missing or bad options, data that does not fit the task, bad architectures
fsdd=$shared/data/fsdd
expect 2 'train: --data DIR and --task audio.motion.image are required' -- "$mote" train --task audio
expect 2 '--epochs expects a positive integer' -- "$mote" train --data "$fsdd" --task audio --epochs 0
expect 2 'train: --split 0.5,0.6,0.2: want three fractions' -- "$mote" train --data "$fsdd" --task audio --split 0.5,0.6,0.2
expect 2 'train: --optimizer rmsprop: not adam or sgd' -- "$mote" train --data "$fsdd" --task audio --optimizer rmsprop
expect 1 'train: --task speech: not audio, motion or image' -- "$mote" train --data "$fsdd" --task speech -o "$tmp/t"
expect 1 'holds audio data, not images' -- "$mote" train --data "$fsdd" --task image -o "$tmp/t"
expect 1 '--test-group nobody: no such group' -- "$mote" train --data "$fsdd" --task audio --test-group nobody -o "$tmp/t"
expect 1 '--arch cnn1d needs a .window, axes. input' -- "$mote" train --data "$fsdd" --task audio --arch cnn1d -o "$tmp/t"
expect 1 '--arch transformer: unknown architecture' -- "$mote" train --data "$fsdd" --task audio --arch transformer -o "$tmp/t"
expect 1 'audio front end: 8000 samples are not a whole number' -- "$mote" train --data "$fsdd" --task audio --stride-ms 30 -o "$tmp/t"
printf '{"arch": "ds-cnn", "widht": 8}' > "$tmp/arch.json"
expect 2 'arch.json: unknown key or wrong type: "widht"' -- "$mote" train --data "$fsdd" --task audio --arch-file "$tmp/arch.json"
# mote dataset / automl jobs: client-side refusals before any request
expect 2 'dataset push: needs DIR, --name and --version' -- "$mote" dataset push "$tmp" --name d --server http://x --token t
mkdir -p "$tmp/empty"
expect 1 'dataset push: .*empty: no files in it' -- "$mote" dataset push "$tmp/empty" --name d --version 1 --server http://x --token t
expect 2 'automl submit: needs --data DIR .* or --dataset NAME --version V' -- "$mote" automl submit --task audio --server http://x --token t
expect 2 'automl submit: --budget wants a time like 90s' -- "$mote" automl submit --data "$tmp" --budget soon --server http://x --token t
expect 2 "automl status: 'x1' is not a job id|not a job id" -- "$mote" automl status x1 --server http://x --token t
expect 2 'eval: MODEL and --data DIR are required' -- "$mote" eval "$model"
expect 1 "model's input size differs from the dataset's examples" -- "$mote" eval "$model" --data "$shared/data/sklearn-digits"
# mote quantize: missing options, weight widths not built, bad data, an already-int8 model
kws01=$shared/data/mlperf-tiny-eval/kws01
fmodel=$shared/models/mlperf-tiny/kws_float32.tflite
expect 2 'quantize: MODEL, --calib DIR and -o OUT are required' -- "$mote" quantize "$fmodel" -o "$tmp/q.tflite"
expect 2 'quantize: --bits must be 8, 4, 1 or auto, not 2' -- "$mote" quantize "$fmodel" --calib "$kws01" --bits 2 -o "$tmp/q.tflite"
expect 2 'quantize: --bits auto needs --target PROFILE' -- "$mote" quantize "$fmodel" --calib "$kws01" --bits auto -o "$tmp/q.tflite"
expect 2 'quantize: --binary-all goes with --bits 1' -- "$mote" quantize "$fmodel" --calib "$kws01" --bits 4 --binary-all -o "$tmp/q.tflite"
expect 2 'quantize: --method must be minmax, percentile, mse or auto' -- "$mote" quantize "$fmodel" --calib "$kws01" --method kl -o "$tmp/q.tflite"
expect 1 'tst_000000_Stop_7.bin: 490 bytes do not fit the input float32 tensor of 1960 bytes' -- "$mote" quantize "$fmodel" --calib "$kws01" -o "$tmp/q.tflite"
expect 1 'quantize: .*kws01/y_labels.csv lists no files after the skipped ones' -- "$mote" quantize "$fmodel" --calib "$kws01" --skip 100000 -o "$tmp/q.tflite"
expect 1 'kws_int8.tflite: the model has no float activations to quantize' -- "$mote" quantize "$model" --calib "$kws01" -o "$tmp/q.tflite"
# mote prune: missing options, bad values, a model with nothing to prune, layers the engine lacks
expect 2 'prune: MODEL, --data DIR and -o OUT are required' -- "$mote" prune "$fmodel" -o "$tmp/p"
expect 2 'prune: --structured wants a fraction between 0 and 1, got 1.5' -- "$mote" prune "$fmodel" --data "$fsdd" --structured 1.5 -o "$tmp/p"
expect 2 'prune: --unstructured wants a sparsity above 0 and at most 0.99, got 1' -- "$mote" prune "$fmodel" --data "$fsdd" --unstructured 1 -o "$tmp/p"
expect 2 'prune: --unstructured wants a sparsity above 0 and at most 0.99, got 0.8x' -- "$mote" prune "$fmodel" --data "$fsdd" --unstructured 0.8x -o "$tmp/p"
expect 2 'prune: --target and --max-latency-ms go together' -- "$mote" prune "$fmodel" --data "$fsdd" --target nrf52840 -o "$tmp/p"
expect 1 "hello_world_int8.tflite: the classifier: the model's input must be float32" -- "$mote" prune "$shared/models/tflm/hello_world_int8.tflite" --data "$fsdd" --task audio -o "$tmp/p"

echo "cli errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
