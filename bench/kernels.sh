#!/usr/bin/env bash
# Instructions per inference of the int8 MLPerf Tiny models with mote's kernels
# on every emulated core, against TFLM, as a Markdown table for docs/benchmarks.md:
#   bench/kernels.sh [MOTE] [SHARED]      (defaults: build/bin/mote, ../shared)
# Runs `mote bench --json` for each model on nucleo-l4r5zi (Cortex-M4, opt and
# ref kernels), stm32f746 (M7), stm32u575 (M33), rp2040 (M0+, its ARMv6-M build
# on QEMU's Cortex-M3), rpi4 (aarch64 NEON and ref kernels, under qemu-aarch64)
# and the host (callgrind; plus the median wall-clock time of the host runtime
# over RUNS runs, default 50). CONFIGS="target:kernels ..." runs a subset. A failed or non-bit-exact run
# gets a FAILED row with bench's message. Exit status 1 if any run failed.
set -u
mote=${1:-build/bin/mote}
shared=${2:-../shared}
runs=${RUNS:-50}
models="kws_int8 vww_mobilenet_96_int8 ic_resnet8_int8 ad_autoencoder_int8"
configs=${CONFIGS:-"nucleo-l4r5zi:opt nucleo-l4r5zi:ref stm32f746:opt stm32u575:opt rp2040:opt rpi4:opt rpi4:ref host:opt"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

cat <<EOF
Instructions per inference (one \`Invoke()\`; QEMU: exact guest instructions, host: callgrind),
measured by \`mote bench\` ($(date -u +%Y-%m-%d), $(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo "unknown commit")).
Ratios are mote / TFLM instructions (below 1: mote executes fewer) against \`anchors.json\`:
Cortex-M4 vs TFLM with CMSIS-NN and with reference kernels on the same QEMU machine; host vs TFLM
built for x86-64 (CMSIS-NN column: its portable C paths). M7, M33, M0+ and aarch64 have no TFLM anchors.

| model | target (core) | kernels | instructions | MACs/instr | vs TFLM+CMSIS-NN | vs TFLM ref | host time |
|---|---|---|---:|---:|---:|---:|---:|
EOF
for m in $models; do
  for cfg in $configs; do
    target=${cfg%%:*} kernels=${cfg##*:}
    out=$tmp/$m.$target.$kernels
    "$mote" bench "$shared/models/mlperf-tiny/$m.tflite" --target "$target" --kernels "$kernels" --runs "$runs" \
        --json > "$out.json" 2> "$out.err"
    rc=$?
    if [ $rc -ne 0 ]; then
      status=1
      printf '| %s | %s | %s | FAILED (exit %d: %s) | | | | |\n' "$m" "$target" "$kernels" "$rc" \
          "$(head -1 "$out.err" | tr '|' '/' | cut -c1-160)"
      continue
    fi
    python3 - "$out.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
a = o["anchors"] or {}
def ratio(*keys):
    for k in keys:
        if k in a:
            return "%.2f" % a[k]["ratio"]
    return "-"
us = o.get("ns_per_inference", -1000) / 1000
t = "-" if us < 0 else "%.0f us" % us if us >= 100 else "%.1f us" % us
print("| %s | %s (%s) | %s | %s | %.3f | %s | %s | %s |" % (
    o["model"].split("/")[-1].rsplit(".", 1)[0], o["target"], o["core"], o["kernels"],
    format(o["total_instructions"], ","), o["macs_per_instruction"],
    ratio("tflm_cmsisnn_instructions", "tflm_cmsisnn_c_instructions"), ratio("tflm_ref_instructions"), t))
PY
  done
done
exit $status
