#!/usr/bin/env bash
# Checks the on-device rules of runtime/: only the four allowed libc headers,
# no allocation or stdio, no mutable global state (no .data/.bss symbols), and
# a warning-free C99 build for Cortex-M0+, M4F, M7 and M33 with arm-none-eabi-gcc at
# every optimization level.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
fail=0
srcs=$(ls runtime/src/*.c runtime/kernels/*.c)
hdrs=$(ls runtime/include/mote/*.h runtime/kernels/*.h 2>/dev/null)

bad_inc=$(grep -hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' $srcs $hdrs |
          grep -vE '<(stdint|stddef|string|math)\.h>|<(arm_acle|arm_neon|immintrin)\.h>' || true)
# (the compilers' own intrinsic headers are allowed: optimized kernels include them behind
# __ARM_FEATURE_DSP / __x86_64__)
if [ -n "$bad_inc" ]; then echo "runtime includes a header outside <stdint.h> <stddef.h> <string.h> <math.h> (and intrinsics):"; echo "$bad_inc"; fail=1; fi

bad_call=$(grep -nE '\b(malloc|calloc|realloc|free|printf|fprintf|sprintf|snprintf|puts|fopen|abort|exit)[[:space:]]*\(' $srcs $hdrs || true)
if [ -n "$bad_call" ]; then echo "runtime calls allocation/stdio/exit:"; echo "$bad_call"; fail=1; fi

if ! command -v arm-none-eabi-gcc >/dev/null; then
  echo "arm-none-eabi-gcc not found (scripts/install-deps.sh installs it)"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cpu in "cortex-m0plus -mfloat-abi=soft" "cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard" \
           "cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard" "cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard"; do
  for f in $srcs; do
    o="$tmp/$(basename "$f" .c).o"
    if ! arm-none-eabi-gcc -mcpu=$cpu -mthumb -std=c99 -pedantic -O2 -Wall -Wextra -Werror \
         -Iruntime/include -Iruntime/kernels -c "$f" -o "$o"; then
      echo "Cortex-M build failed: $f (-mcpu=$cpu)"; fail=1
    fi
  done
  # Mutable globals would show up as data/bss symbols (D, d, B, b, C).
  mut=$(arm-none-eabi-nm "$tmp"/*.o | awk '$2 ~ /^[DdBbC]$/ {print}' || true)
  if [ -n "$mut" ]; then echo "runtime has mutable global state (-mcpu=${cpu%% *}):"; echo "$mut"; fail=1; fi
  rm -f "$tmp"/*.o
  # Every optimization level a user's firmware build may pick: inline asm must
  # find its registers even where the frame pointer takes one (-O0, -Og). The
  # M7 and M33 take the M4's code paths; M0+ has its own.
  case "$cpu" in cortex-m0plus*|cortex-m4*) levels="-O0 -Og -O1 -Os -O3" ;; *) levels="" ;; esac
  for opt in $levels; do
    if ! (cd "$tmp" && arm-none-eabi-gcc -mcpu=$cpu -mthumb -std=c99 -pedantic $opt -Wall -Wextra -Werror \
          -I"$OLDPWD/runtime/include" -I"$OLDPWD/runtime/kernels" -c $(printf "$OLDPWD/%s " $srcs)); then
      echo "Cortex-M build failed at $opt (-mcpu=$cpu)"; fail=1
    fi
    rm -f "$tmp"/*.o
  done
done
[ $fail -eq 0 ] && echo "runtime rules: 1 passed, 0 failed" || echo "runtime rules: 0 passed, 1 failed"
exit $fail
