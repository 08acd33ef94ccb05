#!/bin/bash
# Arena, RAM, flash and instructions per inference of every int8 MLPerf Tiny model,
# compiled by mote (generated C and .mote) and run on each target by `mote verify`,
# next to TFLM's figures from ../shared/anchors/anchors.json. Prints Markdown tables.
# usage: bench/device_footprint.sh [MOTE] [SHARED] [TARGETS...]
set -euo pipefail
MOTE=${1:-build/bin/mote}
SHARED=${2:-../shared}
shift $(($# < 2 ? $# : 2))
TARGETS=${*:-nucleo-l4r5zi stm32f746 stm32u575 host}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for m in kws_int8 vww_mobilenet_96_int8 ic_resnet8_int8 ad_autoencoder_int8; do
    for t in $TARGETS; do
        "$MOTE" verify "$SHARED/models/mlperf-tiny/$m.tflite" --target "$t" --format both --json > "$OUT/$m.$t.json"
    done
done
python3 - "$OUT" "$SHARED/anchors/anchors.json" $TARGETS <<'PY'
import json, sys, os
out, anchors, targets = sys.argv[1], json.load(open(sys.argv[2]))["models"], sys.argv[3:]
models = ["kws_int8", "vww_mobilenet_96_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]
def load(m, t): return json.load(open(os.path.join(out, "%s.%s.json" % (m, t))))
m4 = "nucleo-l4r5zi" if "nucleo-l4r5zi" in targets else targets[0]
print("### Memory on %s (Cortex-M4F), bytes\n" % m4)
print("| model | mote C arena | TFLM arena (32-bit) | ratio | mote C RAM | TFLM+CMSIS-NN RAM | mote C flash | TFLM+CMSIS-NN flash | ratio | .mote arena | .mote RAM | .mote flash |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for m in models:
    o, a = load(m, m4), anchors[m]
    ta = a["x86_64_host"]["tflm_arena_bytes_32bit"]; c = a["cortex_m4_qemu"]
    print("| %s | %d | %d | %.2f | %d | %d | %d | %d | %.2f | %d | %d | %d |" % (
        m, o["arena_bytes"], ta, o["arena_bytes"] / ta, o["ram_bytes"], c["tflm_cmsisnn_ram_bytes"],
        o["flash_bytes"], c["tflm_cmsisnn_flash_bytes"], o["flash_bytes"] / c["tflm_cmsisnn_flash_bytes"],
        o["mote"]["arena_bytes"], o["mote"]["ram_bytes"], o["mote"]["flash_bytes"]))
print("\n### Instructions per inference (reference kernels), bit-exact on every target\n")
print("| model | " + " | ".join(targets) + " | TFLM ref (M4) | TFLM+CMSIS-NN (M4) | TFLM ref (x86-64) |")
print("|---|" + "---:|" * (len(targets) + 3))
for m in models:
    row = []
    for t in targets:
        o = load(m, t)
        assert o["bit_exact"] and o["mote"]["bit_exact"], (m, t)
        row.append("%d" % o["instructions_per_inference"])
    a = anchors[m]
    print("| %s | %s | %d | %d | %d |" % (m, " | ".join(row), a["cortex_m4_qemu"]["tflm_ref_instructions"],
          a["cortex_m4_qemu"]["tflm_cmsisnn_instructions"], a["x86_64_host"]["tflm_ref_instructions"]))
PY
