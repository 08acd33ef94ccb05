#!/bin/bash
# mote compile: the generated C package builds warning-free with gcc, clang and
# arm-none-eabi-gcc, through its CMakeLists.txt and its Makefile fragment; fit and
# no-fit verdicts carry the right numbers; bad usage exits 2.
# usage: compile_test.sh MOTE SHARED_DIR WORK_DIR
set -u
MOTE=$1 SHARED=$2 WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)
M=$SHARED/models/mlperf-tiny
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
rm -rf "$WORK" && mkdir -p "$WORK"

# 1. a package for the MLPerf Tiny reference board
"$MOTE" compile "$M/kws_int8.tflite" --target nucleo-l4r5zi -o "$WORK/kws" --format both --json > "$WORK/kws.json" ||
    fail "compile kws_int8 for nucleo-l4r5zi"
test -f "$WORK/kws/model.c" -a -f "$WORK/kws/model.h" -a -f "$WORK/kws/CMakeLists.txt" -a -f "$WORK/kws/model.mk" ||
    fail "package files missing"
test -f "$WORK/kws/kws_int8.mote" || fail ".mote file missing"
# only the kernels the model uses: KWS has no float, LSTM or signal kernels
for k in lstm_s8.c signal_rfft.c conv_f32.c mean_s8.c; do
    test ! -e "$WORK/kws/$k" || fail "package ships $k, which kws_int8 does not use"
done
# the optimized kernels the profile's core gets, not the reference ones it does not use
test -e "$WORK/kws/conv_s8_1x1.c" -a -e "$WORK/kws/conv_s8_im2col.c" -a -e "$WORK/kws/depthwise_s8_3x3.c" ||
    fail "package lacks its conv kernels"
test ! -e "$WORK/kws/conv_s8.c" || fail "package ships the reference conv kernel, which no node uses"
grep -q "static uint8_t arena\[$(python3 -c "import json;print(json.load(open('$WORK/kws.json'))['plan_bytes'])")\]" "$WORK/kws/model.c" ||
    fail "model.c arena is not the planned size"

# 2. warning-free with three compilers (-std=c99 -Wall -Wextra -Werror)
for cc in gcc clang arm-none-eabi-gcc; do
    extra=""
    [ "$cc" = arm-none-eabi-gcc ] && extra="-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
    for f in "$WORK"/kws/*.c; do
        $cc -std=c99 -O2 -Wall -Wextra -Werror $extra -I"$WORK/kws" -c "$f" -o "$WORK/$(basename "$f").$cc.o" \
            2> "$WORK/$cc.log" || { fail "$cc: $(basename "$f"): $(head -3 "$WORK/$cc.log")"; break; }
    done
done

# 3. the package's CMakeLists.txt and model.mk, used from a tiny application
mkdir -p "$WORK/app"
cp "$HERE/package_app.c" "$WORK/app/main.c"
cat > "$WORK/app/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.13)
project(app C)
add_compile_options(-Wall -Wextra -Werror)
add_subdirectory($WORK/kws kws)
add_executable(app main.c)
target_link_libraries(app PRIVATE model)
CM
if cmake -S "$WORK/app" -B "$WORK/app/build" > "$WORK/cmake.log" 2>&1 &&
   cmake --build "$WORK/app/build" >> "$WORK/cmake.log" 2>&1; then
    "$WORK/app/build/app" "$SHARED/golden/kws_int8/in_03.bin" > "$WORK/out_cmake.bin" &&
        cmp -s "$WORK/out_cmake.bin" "$SHARED/golden/kws_int8/out_03.bin" || fail "CMake-built app output differs from golden"
else
    fail "package CMakeLists.txt: $(tail -5 "$WORK/cmake.log")"
fi
cat > "$WORK/app/Makefile" <<MK
include $WORK/kws/model.mk
app_mk: main.c \$(MODEL_SRCS)
	cc -O2 -Wall -Wextra -Werror \$(MODEL_CFLAGS) main.c \$(MODEL_SRCS) -lm -o \$@
MK
if make -s -C "$WORK/app" app_mk > "$WORK/make.log" 2>&1; then
    "$WORK/app/app_mk" "$SHARED/golden/kws_int8/in_07.bin" | cmp -s - "$SHARED/golden/kws_int8/out_07.bin" ||
        fail "Makefile-built app output differs from golden"
else
    fail "package model.mk: $(tail -5 "$WORK/make.log")"
fi

# 3b. packages link without --gc-sections: every kernel file a copied file names comes along (the reference
#     ADD's table names the fast ADD; x86 FC layers once named the reference per-channel eval)
for case in "ic_resnet8_int8 host ref" "kws_int8 host opt" "ad_autoencoder_int8 nucleo-l4r5zi ref"; do
    set -- $case
    rm -rf "$WORK/pkg-$1-$3"
    "$MOTE" compile "$M/$1.tflite" --target "$2" --kernels "$3" -o "$WORK/pkg-$1-$3" --format c > /dev/null ||
        { fail "compile $case"; continue; }
    cat > "$WORK/app/Makefile.$1" <<MK
include $WORK/pkg-$1-$3/model.mk
app_$1: main.c \$(MODEL_SRCS)
	cc -O2 -Wall -Wextra -Werror \$(MODEL_CFLAGS) main.c \$(MODEL_SRCS) -lm -o \$@
MK
    make -s -C "$WORK/app" -f "Makefile.$1" "app_$1" > "$WORK/make-$1.log" 2>&1 ||
        { fail "package $case does not link: $(grep -m2 -E 'undefined|error' "$WORK/make-$1.log")"; continue; }
    "$WORK/app/app_$1" "$SHARED/golden/$1/in_00.bin" | cmp -s - "$SHARED/golden/$1/out_00.bin" ||
        fail "package $case: output differs from golden"
done

# 4. fit: the numbers of the verdict follow from the plan and the profile
"$MOTE" compile "$M/vww_mobilenet_96_int8.tflite" --target "$HERE/tiny-m0.target" -o "$WORK/vww" --json \
    > "$WORK/vww.json" 2> "$WORK/vww.err"
rc=$?
[ $rc -eq 1 ] || fail "no-fit compile exit $rc, want 1"
test ! -e "$WORK/vww/model.c" || fail "no-fit compile wrote a package"
python3 - "$WORK/vww.json" "$WORK/vww.err" <<'PY' || fail "no-fit numbers"
import json, sys
o = json.load(open(sys.argv[1])); err = open(sys.argv[2]).read()
c = o["c"]; ram, stack, flash = 16 * 1024, 2 * 1024, 64 * 1024
over_ram = c["arena_bytes"] + c["static_ram_bytes"] + stack - ram
over_flash = c["weights_bytes"] + c["code_bytes_estimate"] - flash
want_ram = "RAM overflow by {:,} bytes".format(over_ram)
want_flash = "flash overflow by {:,} bytes".format(over_flash)
assert not c["fits"] and c["arena_bytes"] == o["plan_bytes"], c
assert want_ram in c["fit"] and want_flash in c["fit"], (want_ram, want_flash, c["fit"])
assert want_ram in err and "does not fit as C" in err and "does not fit as .mote" in err, err
PY
"$MOTE" compile "$M/ad_autoencoder_int8.tflite" --target nrf52840 -o "$WORK/ad" --format c --json > "$WORK/ad.json" ||
    fail "ad_autoencoder_int8 should fit nrf52840"
python3 -c "
import json; o = json.load(open('$WORK/ad.json'))
assert o['ok'] and o['c']['fits'] and o['c']['fit'].startswith('fits nrf52840'), o" || fail "fit verdict"

# 5. usage errors
"$MOTE" compile "$M/kws_int8.tflite" -o "$WORK/x" 2>/dev/null; [ $? -eq 2 ] || fail "missing --target should exit 2"
"$MOTE" compile "$M/kws_int8.tflite" --target nucleo-l4r5zi -o "$WORK/x" --format elf 2>/dev/null
[ $? -eq 2 ] || fail "bad --format should exit 2"
"$MOTE" compile "$M/kws_int8.tflite" --target no-such-board -o "$WORK/x" 2>/dev/null; [ $? -eq 1 ] || fail "unknown target should exit 1"

[ $fails -eq 0 ] && echo "compile: all checks passed" || { echo "compile: $fails failed"; exit 1; }
