#!/usr/bin/env bash
# SignalRfft on Cortex-M4: instructions of the reference (signal_rfft) and the
# optimized (signal_rfft_opt) kernel per frame, for 256- and 512-point FFTs:
#   bench/signal_rfft.sh [BUILD_DIR] [SHARED]      (defaults: build, ../shared)
# Writes two audio front ends of `mote train` (train/frontend/audio.c, 2048
# samples at 16 kHz, 16 ms and 32 ms frames: 15 frames of a 256-point FFT,
# 7 of a 512-point one) with a small program linked against the build's
# libraries, makes 3 inputs (a sine plus noise), and runs
#   mote bench MODEL --target nrf52840 --kernels ref|opt --inputs DIR
# on each, and on TFLM's micro_speech preprocessor (one 512-point frame of
# 480 samples, zero padded) with its golden inputs. Prints the SignalRfft row.
set -eu
build=${1:-build}
shared=${2:-../shared}
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/mk.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include "mote/frontend.h"
#include "backend/tflite_write.h"
int main(int argc, char **argv)
{
    fe_audio_params p;
    char err[256];
    uint8_t *b;
    size_t n;
    (void)argc;
    fe_audio_defaults(&p);
    p.stride_ms = atoi(argv[1]);
    p.samples = 2048;
    fe_frontend *fe = fe_audio_new(&p, NULL, 0, err, sizeof err);
    if (!fe || mote_tflite_write(fe_graph(fe), &b, &n, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f)) return 1;
    return 0;
}
C
cc -O1 "$tmp/mk.c" -I"$here/train/include" -I"$here/compiler" -I"$here/runtime/include" \
    "$build/train/libmote_frontend.a" "$build/train/libmote_train.a" "$build/compiler/libmote_compiler.a" \
    "$build/runtime/libmote_runtime.a" -lopenblas -lpthread -lm -o "$tmp/mk"
"$tmp/mk" 8 "$tmp/fft256.tflite"
"$tmp/mk" 16 "$tmp/fft512.tflite"
mkdir -p "$tmp/in"
python3 - "$tmp/in" <<'PY'
import math, random, struct, sys
random.seed(1)
for k in range(3):
    v = [int(max(-32768, min(32767, 12000 * math.sin(0.05 * (k + 1) * i) + random.gauss(0, 2000)))) for i in range(2048)]
    open('%s/in_%02d.bin' % (sys.argv[1], k), 'wb').write(struct.pack('<2048h', *v))
PY
run() { # model inputs frames label
    for k in ref opt; do
        out=$("$build/bin/mote" bench "$1" --target nrf52840 --kernels $k --inputs "$2")
        exact=$(echo "$out" | head -1 | grep -o 'bit-exact on [0-9]* vectors' || echo "NOT bit-exact")
        echo "$out" | awk -v f="$3" -v l="$4" -v k="$k" -v e="$exact" \
            '$2 == "SignalRfft" { printf "%s %s: %s %d instructions, %d per frame (%s)\n", l, k, $3, $5, $5 / f, e }'
    done
}
run "$tmp/fft256.tflite" "$tmp/in" 15 "256-point, 15 frames"
run "$tmp/fft512.tflite" "$tmp/in" 7 "512-point, 7 frames"
run "$shared/models/tflm/micro_speech_audio_preprocessor_int8.tflite" "$shared/golden/micro_speech_audio_preprocessor_int8" 1 \
    "micro_speech preprocessor, 512-point, 1 frame"
