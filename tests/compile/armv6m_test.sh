#!/bin/bash
# The rp2040 (Cortex-M0+) firmware runs on QEMU's Cortex-M3 (mps2-an385), which
# would also execute ARMv7-M-only instructions: check by disassembly that the
# verified firmware of both formats holds none (only 16-bit Thumb plus the six
# 32-bit ARMv6-M instructions), and that the check does flag a Cortex-M4 build.
# usage: armv6m_test.sh MOTE MODEL.tflite WORK_DIR
set -u
MOTE=$1 MODEL=$2 WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
"$MOTE" verify "$MODEL" --target rp2040 --format both --work "$WORK/m0" > "$WORK/m0.txt" 2>&1 ||
  { echo "FAIL verify rp2040: $(cat "$WORK/m0.txt")"; exit 1; }
grep -q 'on rp2040 (cortex-m0plus, c): bit-exact' "$WORK/m0.txt" || { cat "$WORK/m0.txt"; exit 1; }
"$MOTE" verify "$MODEL" --target nucleo-l4r5zi --kernels ref --work "$WORK/m4" > "$WORK/m4.txt" 2>&1 ||
  { echo "FAIL verify nucleo-l4r5zi: $(cat "$WORK/m4.txt")"; exit 1; }
python3 - "$WORK/m0/c/build/fw.elf" "$WORK/m0/mote/build/fw.elf" "$WORK/m4/c/build/fw.elf" <<'PY'
import collections, re, subprocess, sys
V6M_32 = {"bl", "dmb", "dsb", "isb", "mrs", "msr"}  # the only 32-bit encodings in ARMv6-M
V7_ONLY = re.compile(r"^(sdiv|udiv|ldrd|strd|ubfx|sbfx|bfi|bfc|ssat|usat|sml\w*|smu\w*|sxtb16|uxtb16|umull|umlal|"
                     r"mla|mls|cbn?z|it\w*|tbb|tbh|clz|movw|movt|rbit|ldrex\w*|strex\w*|q\w*add\w*|q\w*sub\w*|"
                     r"sadd\w*|ssub\w*|uadd\w*|usub\w*|v\w+|orn|teq)(\.\w+)?$")
def scan(elf):
    out = subprocess.run(["arm-none-eabi-objdump", "-d", elf], capture_output=True, text=True, check=True).stdout
    n, bad = 0, collections.Counter()
    for line in out.splitlines():
        p = line.split("\t")
        if len(p) < 3 or not re.match(r"^\s*[0-9a-f]+:$", p[0]):
            continue
        enc, mn = p[1].strip(), p[2].strip().split(" ")[0]
        if not re.match(r"^[0-9a-f]{4}( [0-9a-f]{4})?$", enc):
            continue  # literal pools and the vector table
        n += 1
        if V7_ONLY.match(mn) or (" " in enc and mn not in V6M_32):
            bad[mn] += 1
    return n, bad
for elf in sys.argv[1:3]:
    n, bad = scan(elf)
    assert n > 500 and not bad, (elf, n, dict(bad))
    print("%s: %d instructions, all ARMv6-M" % (elf, n))
n, bad = scan(sys.argv[3])
assert sum(bad.values()) > 20, ("the Cortex-M4 control build should be flagged", dict(bad))
print("control %s: %d ARMv7-M-only instructions flagged" % (sys.argv[3], sum(bad.values())))
PY
