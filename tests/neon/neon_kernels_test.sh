#!/usr/bin/env bash
# neon.kernels: cross-compiles the runtime and the kernel tests for aarch64
# (-mcpu=cortex-a72, the rpi4) and runs them under qemu-aarch64, so the NEON
# kernels themselves (not the scalar C that stands in for them elsewhere)
# are checked byte for byte against the reference kernels: kernels_neon.c
# (random cases), test_conv.c and test_fully_connected.c (their sweeps run
# once per kernel family, NEON included), kernels_gemm.c and
# kernels_depthwise.c (the portable kernels on this core). A missing cross
# compiler, qemu-aarch64 or arm64 cmocka is a failure, not a skip:
# scripts/install-deps.sh installs them.
# Usage: neon_kernels_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=${1:?usage: neon_kernels_test.sh SOURCE_DIR WORK_DIR}
work=${2:?usage: neon_kernels_test.sh SOURCE_DIR WORK_DIR}
CC=aarch64-linux-gnu-gcc
CMOCKA=/usr/lib/aarch64-linux-gnu/libcmocka.so
for tool in "$CC" qemu-aarch64; do
  command -v "$tool" >/dev/null || { echo "neon.kernels: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done
[ -e "$CMOCKA" ] || { echo "neon.kernels: $CMOCKA not found: libcmocka-dev:arm64 (run scripts/install-deps.sh)" >&2; exit 1; }

# Debian ships no static arm64 cmocka: the tests link it dynamically and
# qemu-aarch64 takes the aarch64 loader and libc from the cross sysroot.
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu
FLAGS=(-O2 -mcpu=cortex-a72 -Wall -Wextra -Werror -I"$src/runtime/include" -I"$src/runtime/kernels")
rm -rf "$work"
mkdir -p "$work/obj"

# The runtime, as C99 like the device library; file names are unique.
(cd "$work/obj" && "$CC" -std=c99 "${FLAGS[@]}" -c "$src"/runtime/src/*.c "$src"/runtime/kernels/*.c)
aarch64-linux-gnu-ar rcs "$work/libmote_runtime.a" "$work"/obj/*.o

# The NEON kernels must really be NEON code in this build.
if [ "$(aarch64-linux-gnu-objdump -d "$work/obj/conv_s8_neon.o" | grep -c sqrdmulh)" -eq 0 ]; then
  echo "neon.kernels: conv_s8_neon.o has no SQRDMULH: the NEON path was not compiled" >&2
  exit 1
fi

fail=0
for t in kernels_neon test_conv test_fully_connected kernels_gemm kernels_depthwise; do
  "$CC" -std=c11 "${FLAGS[@]}" -I"$src/tests/unit" "$src/tests/unit/$t.c" "$work/libmote_runtime.a" "$CMOCKA" -lm \
    -o "$work/$t"
  if timeout 120 qemu-aarch64 "$work/$t" >"$work/$t.log" 2>&1; then
    echo "neon.kernels: $t passed ($(grep -c '^\[       OK \]' "$work/$t.log") cases ok)"
  else
    echo "neon.kernels: $t FAILED under qemu-aarch64:" >&2
    grep -E 'ERROR|FAILED|LINE|differ' "$work/$t.log" | head -20 >&2
    fail=1
  fi
done
grep -q 'NEON kernels: aarch64 NEON' "$work/kernels_neon.log" || { echo "neon.kernels: kernels_neon did not run the NEON path" >&2; fail=1; }
exit $fail
