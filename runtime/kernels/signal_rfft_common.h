/* Internal to the SignalRfft kernels (signal_rfft.c, the reference, and
 * signal_rfft_opt.c): the parameter block both read, and KISS FFT's
 * fixed-point rounding. signal_rfft.c's header comment states the
 * arithmetic. */
#ifndef MOTE_SIGNAL_RFFT_COMMON_H
#define MOTE_SIGNAL_RFFT_COMMON_H

#include <stdint.h>

#include "mote/kernel.h"

#define RFFT_MAX_STAGES 16

typedef struct {
    int16_t r, i;
} cpx16;

/* The parameter block. The reference's prepare writes it; the optimized
 * kernel appends its own tables after the split twiddles
 * (signal_rfft_opt.c). */
typedef struct {
    int32_t fft_length;   /* real length N */
    int32_t ncfft;        /* N / 2 */
    int32_t in_len;       /* samples per frame in the input */
    int32_t in_size;      /* all input samples */
    int32_t out_len;      /* complex outputs per frame */
    int32_t n_stages;
    int32_t radix[RFFT_MAX_STAGES];
    int32_t span[RFFT_MAX_STAGES]; /* m: sub-FFT length below this stage */
    /* followed by ncfft twiddles, then ncfft / 2 + 1 split twiddles */
} rfft_data;

static inline const cpx16 *rfft_tw(const rfft_data *d)
{
    return (const cpx16 *)(const void *)(d + 1);
}
static inline const cpx16 *rfft_super_tw(const rfft_data *d)
{
    return rfft_tw(d) + d->ncfft;
}
/* Bytes of the reference's block: header and both twiddle tables. */
static inline size_t rfft_data_bytes(int32_t ncfft)
{
    return sizeof(rfft_data) + (size_t)(ncfft + ncfft / 2 + 1) * sizeof(cpx16);
}

static inline int16_t wrap16(int32_t x)
{
    return (int16_t)(uint16_t)(uint32_t)x;
}

/* KISS FFT sround: round a Q30 product sum to Q15, truncated to int16. */
static inline int16_t sround(int32_t x)
{
    return wrap16((x + (1 << 14)) >> 15);
}

void mote_signal_rfft_eval(const mote_node *n, const mote_tensor *t);
void mote_signal_rfft_opt_eval(const mote_node *n, const mote_tensor *t);
/* Switch a node the reference prepare set up to the optimized kernel
 * (appending its tables to the parameter block); MOTE_OK leaves the
 * reference in place when the length is beyond its tables. */
mote_status mote_signal_rfft_opt_choose(mote_ctx *ctx, mote_node *n);

#endif
