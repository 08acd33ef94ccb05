#!/usr/bin/env bash
# Builds (does not test) every CMake build type a user may pick with gcc and
# clang, warnings as errors: optimizers warn differently per level (gcc -O3
# found an uninitialized read that RelWithDebInfo and Debug never showed).
# Usage: tests/build_types.sh [SHARED_DIR]; build trees go to build-types/.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${1:-$root/../shared}
jobs=$(nproc 2>/dev/null || echo 2)
pass=0 fail=0
mkdir -p "$root/build-types"
for cc in gcc clang; do
  # make test and test-asan build gcc RelWithDebInfo and Debug; make fuzz clang RelWithDebInfo.
  for type in Release MinSizeRel Debug; do
    [ "$cc/$type" = gcc/Debug ] && continue
    dir="$root/build-types/$cc-$type"
    if CC=$cc cmake -S "$root" -B "$dir" -DMOTE_SHARED_DIR="$shared" -DCMAKE_BUILD_TYPE=$type >"$dir.log" 2>&1 &&
       cmake --build "$dir" -j "$jobs" >>"$dir.log" 2>&1; then
      echo "build $cc $type: ok"; pass=$((pass + 1))
    else
      echo "build $cc $type: FAILED (log: $dir.log)"; grep -m 20 -E 'error|warning' "$dir.log"; fail=$((fail + 1))
    fi
  done
done
echo "build types: $pass passed, $fail failed"
[ $fail -eq 0 ]
