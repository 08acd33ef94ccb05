#!/usr/bin/env bash
# Checks the on-device rules of the agent core in device/src (the Linux port
# is exempt): only freestanding libc headers, no allocation or stdio, no
# mutable global state (no .data/.bss symbols), and a warning-free C99 build
# for Cortex-M0+ and M4F with arm-none-eabi-gcc.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
fail=0
srcs=$(ls device/src/*.c)
hdrs=$(ls device/src/*.h device/include/mote/*.h)

bad_inc=$(grep -hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' $srcs $hdrs |
          grep -vE '<(stdint|stddef|string)\.h>' || true)
if [ -n "$bad_inc" ]; then echo "agent core includes a header outside <stdint.h> <stddef.h> <string.h>:"; echo "$bad_inc"; fail=1; fi

bad_call=$(grep -nE '\b(malloc|calloc|realloc|free|printf|fprintf|sprintf|snprintf|puts|fopen|abort|exit)[[:space:]]*\(' $srcs $hdrs || true)
if [ -n "$bad_call" ]; then echo "agent core calls allocation/stdio/exit:"; echo "$bad_call"; fail=1; fi

if ! command -v arm-none-eabi-gcc >/dev/null; then
  echo "arm-none-eabi-gcc not found (scripts/install-deps.sh installs it)"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cpu in "cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard" "cortex-m0plus -mfloat-abi=soft"; do
  for f in $srcs; do
    o="$tmp/$(basename "$f" .c).o"
    if ! arm-none-eabi-gcc -mcpu=$cpu -mthumb -std=c99 -pedantic -O2 -Wall -Wextra -Werror \
         -Idevice/include -Idevice/src -Iruntime/include -c "$f" -o "$o"; then
      echo "Cortex-M build failed: $f (-mcpu=$cpu)"; fail=1
    fi
  done
  mut=$(arm-none-eabi-nm "$tmp"/*.o | awk '$2 ~ /^[DdBbC]$/ {print}' || true)
  if [ -n "$mut" ]; then echo "agent core has mutable global state (-mcpu=${cpu%% *}):"; echo "$mut"; fail=1; fi
  rm -f "$tmp"/*.o
  for opt in -O0 -Og -O1 -Os -O3; do   # every level a firmware build may pick
    if ! (cd "$tmp" && arm-none-eabi-gcc -mcpu=$cpu -mthumb -std=c99 -pedantic $opt -Wall -Wextra -Werror \
          -I"$OLDPWD/device/include" -I"$OLDPWD/device/src" -I"$OLDPWD/runtime/include" -c $(printf "$OLDPWD/%s " $srcs)); then
      echo "Cortex-M build failed at $opt (-mcpu=$cpu)"; fail=1
    fi
    rm -f "$tmp"/*.o
  done
done
[ $fail -eq 0 ] && echo "device rules: 1 passed, 0 failed" || echo "device rules: 0 passed, 1 failed"
exit $fail
