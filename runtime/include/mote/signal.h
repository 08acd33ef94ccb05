/* mote runtime: shared facts of the TFLM signal-library ops (micro_speech
 * audio front end).
 *
 * The importer decodes each custom op's FlexBuffer options into
 * node->opts.iparams; the indices below are the contract between
 * compiler/import/tflite/custom_options.c and runtime/kernels/signal_*.c.
 */
#ifndef MOTE_SIGNAL_H
#define MOTE_SIGNAL_H

#include <stdint.h>

#include "mote/mote.h"

/* Frames. TFLM's signal kernels take one frame: a vector. mote's also take a
 * stack of frames, [..., frames, n]: each row is one frame, processed in row
 * order (stateful ops carry their state from row to row, as from one invoke
 * to the next), and a per-frame scalar becomes a vector [..., frames]. A
 * vector behaves exactly as in TFLM. */
static inline int32_t mote_sig_len(const mote_tensor *t) { return t->rank ? t->dims[t->rank - 1] : 1; }
static inline int32_t mote_sig_rows(const mote_tensor *t)
{
    int32_t r = 1;
    for (int i = 0; i + 1 < t->rank; i++) r *= t->dims[i];
    return r;
}
/* Same leading (frame) dimensions: a's rank - 1 first dims equal b's first ones. */
static inline int mote_sig_same_rows(const mote_tensor *a, const mote_tensor *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i + 1 < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

/* SignalWindow */
enum { MOTE_SIG_WINDOW_SHIFT = 0, MOTE_SIG_WINDOW_N };
/* SignalRfft: fft_length, and the TFLite TensorType code of 'T' (7 = int16) */
enum { MOTE_SIG_RFFT_FFT_LENGTH = 0, MOTE_SIG_RFFT_T, MOTE_SIG_RFFT_N };
/* SignalEnergy: output[i] is computed for start_index <= i < end_index */
enum { MOTE_SIG_ENERGY_START = 0, MOTE_SIG_ENERGY_END, MOTE_SIG_ENERGY_N };
/* SignalFilterBank */
enum { MOTE_SIG_FB_NUM_CHANNELS = 0, MOTE_SIG_FB_N };
/* SignalFilterBankSpectralSubtraction */
enum {
    MOTE_SIG_SS_NUM_CHANNELS = 0,
    MOTE_SIG_SS_SMOOTHING,
    MOTE_SIG_SS_ONE_MINUS_SMOOTHING,
    MOTE_SIG_SS_ALT_SMOOTHING,
    MOTE_SIG_SS_ALT_ONE_MINUS_SMOOTHING,
    MOTE_SIG_SS_MIN_SIGNAL_REMAINING,
    MOTE_SIG_SS_SMOOTHING_BITS,
    MOTE_SIG_SS_SPECTRAL_SUBTRACTION_BITS,
    MOTE_SIG_SS_CLAMPING, /* 0 or 1 */
    MOTE_SIG_SS_N
};
/* SignalPCAN */
enum { MOTE_SIG_PCAN_SNR_SHIFT = 0, MOTE_SIG_PCAN_N };
/* SignalFilterBankLog */
enum { MOTE_SIG_LOG_INPUT_CORRECTION_BITS = 0, MOTE_SIG_LOG_OUTPUT_SCALE, MOTE_SIG_LOG_N };
/* SignalFftAutoScale and SignalFilterBankSquareRoot take no options. */

/* Number of significant bits of x. TFLM's reference (built with gcc) uses
 * 32 - clz(x) and returns 32 for x == 0; keep that quirk. */
static inline uint32_t mote_sig_msb32(uint32_t x)
{
    uint32_t n = 0;
    if (x == 0) return 32;
    while (x) {
        x >>= 1;
        n++;
    }
    return n;
}

/* 64-bit version; 64 for x == 0 as TFLM's gcc build. */
static inline uint32_t mote_sig_msb64(uint64_t x)
{
    uint32_t n = 0;
    if (x == 0) return 64;
    while (x) {
        x >>= 1;
        n++;
    }
    return n;
}

#endif
