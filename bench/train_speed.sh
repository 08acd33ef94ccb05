#!/usr/bin/env bash
# Training speed of the engine (train/): a DS-CNN-sized keyword-spotting model (49x10x1 input,
# ~24k parameters, ~2.7 M MACs per sample) on random data, batch 32, with 1 and 2 threads.
# Reports samples/s and seconds per epoch: the best of RUNS runs (default 3), each the median epoch
# after a warm-up epoch; and that run's CPU seconds per epoch (all threads, so a busy machine shows as
# wall time above CPU time). The load average is printed too: other jobs slow the runs.
#   bench/train_speed.sh [BUILD_DIR]     (default: build; needs build/bin/train_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bench=$build/bin/train_bench
runs=${RUNS:-3}
samples=${SAMPLES:-2048}
epochs=${EPOCHS:-4}
[ -x "$bench" ] || { echo "train_speed: $bench not found; build first (cmake --build $build)" >&2; exit 1; }
echo "# $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| threads | batch | samples/s | s/epoch ($samples samples) | CPU s/epoch (all threads) |"
echo "|---|---|---|---|---|"
for t in 1 2; do
  best=""
  for _ in $(seq "$runs"); do
    line=$("$bench" --threads "$t" --batch 32 --samples "$samples" --epochs "$epochs" --json)
    sps=$(sed -n 's/.*"samples_per_second": \([0-9.]*\).*/\1/p' <<<"$line")
    if [ -z "$best" ] || awk -v a="$sps" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$sps; bestline=$line; fi
  done
  spe=$(sed -n 's/.*"seconds_per_epoch": \([0-9.]*\),.*/\1/p' <<<"$bestline")
  cpu=$(sed -n 's/.*"cpu_seconds_per_epoch": \([0-9.]*\).*/\1/p' <<<"$bestline")
  printf '| %d | 32 | %.0f | %.3f | %.3f |\n' "$t" "$best" "$spe" "$cpu"
done
