#!/usr/bin/env bash
# Median host latency per inference of the MLPerf Tiny models with mote's
# reference kernels: bench/host_latency.sh [MOTE] [SHARED] [REPEAT]
set -eu
mote=${1:-build/bin/mote}
shared=${2:-../shared}
repeat=${3:-200}
printf '| model | MACs | arena bytes | median us/inference |\n|---|---:|---:|---:|\n'
for m in kws_int8 vww_mobilenet_96_int8 ic_resnet8_int8 ad_autoencoder_int8 kws_float32 \
         vww_mobilenet_96_float32 ic_resnet8_float32 ad_autoencoder_float32; do
  f=$shared/models/mlperf-tiny/$m.tflite
  in=$(mktemp)
  bytes=$("$mote" inspect "$f" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(i["bytes"] for i in d["inputs"]), d["totals"]["macs"], d["arena_bytes"])')
  set -- $bytes
  head -c "$1" /dev/zero > "$in"
  t=$("$mote" run "$f" --input "$in" --output /dev/null --repeat "$repeat" | awk '{print $2}')
  printf '| %s | %s | %s | %s |\n' "$m" "$2" "$3" "$t"
  rm -f "$in"
done
