/* Internal to the matrix-multiply int8 convolutions (conv_s8_1x1.c,
 * conv_s8_im2col.c, packed by conv_s8_opt.c): the packed weight layout and
 * the inner loops, 2 output channels x 2 output pixels per step.
 *
 * A convolution is out[p][c] = requant(bias'[c] + sum_k w[c][k] * x[p][k])
 * with k over the window (kh * kw * ic) and x the raw int8 input: the input
 * zero point is folded into bias' = bias - zp * sum_k w[c][k] at compile
 * time, so padding taps must read x = zp (they then add nothing).
 *
 * Parameter block: mote_conv_data, multipliers, shifts (conv_common.h), then
 * at a 16-aligned offset a mote_gemm_s8_pack, one mote_gemm_s8_pair per
 * channel pair (its output-stage constants), then the weights.
 * Weights: output channels in pairs (an odd last one paired with zeros), k
 * padded with zeros to kp (a multiple of 4); per pair and 4-element slice
 * s: bytes w[c][4s..4s+3], then w[c+1][4s..4s+3].
 *
 * Scratch: the two pixels' inputs, slice by slice, each slice as two words
 * (x0,x2) (x1,x3) of int16 for SMLAD: xs[4s] xs[4s+1] pixel 0, xs[4s+2]
 * xs[4s+3] pixel 1. Without DSP the scalar loop reads the raw int8 slice from
 * xs[4s] and xs[4s+2] instead. Either way 4 * kp bytes. */
#ifndef MOTE_GEMM_S8_H
#define MOTE_GEMM_S8_H

#include "conv_common.h"
#include "simd_s8.h"

typedef struct {
    int32_t k, kp;   /* dot product length, padded to a multiple of 4 */
    int32_t pairs;   /* (channels + 1) / 2 */
    int32_t pad_x;   /* the input zero point, for padding taps */
} mote_gemm_s8_pack;

/* Output-stage constants of a channel pair (mote_requant_s8). */
typedef struct {
    int32_t bias[2];    /* bias' */
    int32_t mult[2];
    int32_t round[2];
    int32_t rshift[2];
} mote_gemm_s8_pair;

static inline size_t mote_gemm_s8_pack_offset(int32_t channels)
{
    return (mote_conv_data_bytes(channels) + 15u) & ~(size_t)15u;
}
static inline size_t mote_gemm_s8_pack_bytes(int32_t pairs, int32_t kp)
{
    return sizeof(mote_gemm_s8_pack) + sizeof(mote_gemm_s8_pair) * (size_t)pairs + 2u * (size_t)pairs * (size_t)kp;
}
static inline const mote_gemm_s8_pack *mote_gemm_s8_pack_of(const mote_conv_data *d)
{
    return (const mote_gemm_s8_pack *)(const void *)((const uint8_t *)d + mote_gemm_s8_pack_offset(d->channels));
}
static inline const mote_gemm_s8_pair *mote_gemm_s8_pairs(const mote_gemm_s8_pack *g)
{
    return (const mote_gemm_s8_pair *)(const void *)(g + 1);
}
static inline const int8_t *mote_gemm_s8_weights(const mote_gemm_s8_pack *g)
{
    return (const int8_t *)(const void *)(mote_gemm_s8_pairs(g) + g->pairs);
}
static inline size_t mote_gemm_s8_scratch(int32_t kp)
{
    return 4u * (size_t)kp;
}

/* Put one pixel's k int8 inputs (row) into slot 0 or 1 of the scratch. */
static inline void mote_gemm_s8_load(uint32_t *xs, int slot, const int8_t *row, int32_t k, int32_t kp)
{
    mote_s8_expand(xs + 2 * slot, 4, row, k, kp);
}

/* acc[0..3] += (ch a, px 0), (ch a, px 1), (ch b, px 0), (ch b, px 1) over
 * `slices` slices of one channel pair w and the scratch xs. */
static inline void mote_gemm_s8_2x2(const uint32_t *xs, const int8_t *w, int32_t slices, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
#if MOTE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
    /* The C below, scheduled by hand: GCC neither uses LDM for the scratch
     * words nor post-increments, which costs 4 of 20 instructions a slice.
     * Two slices per iteration so that the loop needs only 13 registers (the
     * frame pointer keeps r7 at -Og): 32 instructions per 32 MACs; an odd
     * count enters at the second slice. At -O0 GCC cannot spare even 13, and
     * the C computes the same. */
    const uint32_t *wp = (const uint32_t *)(const void *)w;
    int32_t left = slices;
#define MOTE_GEMM_S8_SLICE                                                                                      \
    "ldm %[w]!, {r6, r8}\n\t"                                                                                     \
    "sxtb16 r9, r6, ror #8\n\t"                                                                                   \
    "sxtb16 r6, r6\n\t"                                                                                           \
    "sxtb16 r10, r8, ror #8\n\t"                                                                                  \
    "sxtb16 r8, r8\n\t"                                                                                           \
    "ldm %[x]!, {r4, r5}\n\t"                                                                                     \
    "smlad %[a00], r6, r4, %[a00]\n\t"                                                                            \
    "smlad %[a00], r9, r5, %[a00]\n\t"                                                                            \
    "smlad %[a10], r8, r4, %[a10]\n\t"                                                                            \
    "smlad %[a10], r10, r5, %[a10]\n\t"                                                                           \
    "ldm %[x]!, {r4, r5}\n\t"                                                                                     \
    "smlad %[a01], r6, r4, %[a01]\n\t"                                                                            \
    "smlad %[a01], r9, r5, %[a01]\n\t"                                                                            \
    "smlad %[a11], r8, r4, %[a11]\n\t"                                                                            \
    "smlad %[a11], r10, r5, %[a11]\n\t"
    __asm__ volatile("lsrs %[n], %[n], #1\n\t"
                     "bcc 1f\n\t"
                     "adds %[n], %[n], #1\n\t"
                     "b 2f\n\t"
                     "1:\n\t" MOTE_GEMM_S8_SLICE "2:\n\t" MOTE_GEMM_S8_SLICE
                     "subs %[n], %[n], #1\n\t"
                     "bne 1b\n\t"
                     : [x] "+r"(xs), [w] "+r"(wp), [n] "+r"(left), [a00] "+r"(a00), [a01] "+r"(a01),
                       [a10] "+r"(a10), [a11] "+r"(a11)
                     :
                     : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory");
#undef MOTE_GEMM_S8_SLICE
#elif MOTE_DSP
    const uint32_t *wp = (const uint32_t *)(const void *)w;
    for (int32_t s = 0; s < slices; s++) {
        uint32_t x0a = xs[0], x0b = xs[1], x1a = xs[2], x1b = xs[3];
        uint32_t w0 = wp[0], w1 = wp[1];
        xs += 4;
        wp += 2;
        uint32_t wa = mote_sxtb16(w0), wb = mote_sxtb16_ror8(w0);
        a00 = mote_smlad(wa, x0a, a00);
        a01 = mote_smlad(wa, x1a, a01);
        a00 = mote_smlad(wb, x0b, a00);
        a01 = mote_smlad(wb, x1b, a01);
        wa = mote_sxtb16(w1);
        wb = mote_sxtb16_ror8(w1);
        a10 = mote_smlad(wa, x0a, a10);
        a11 = mote_smlad(wa, x1a, a11);
        a10 = mote_smlad(wb, x0b, a10);
        a11 = mote_smlad(wb, x1b, a11);
    }
#else
    for (int32_t s = 0; s < slices; s++, xs += 4, w += 8) {
        const int8_t *x0 = (const int8_t *)(const void *)xs, *x1 = (const int8_t *)(const void *)(xs + 2);
        for (int j = 0; j < 4; j++) {
            int32_t wa = w[j], wb = w[4 + j];
            a00 += wa * x0[j];
            a01 += wa * x1[j];
            a10 += wb * x0[j];
            a11 += wb * x1[j];
        }
    }
#endif
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

#if defined(__GNUC__)
#define MOTE_GEMM_INLINE static inline __attribute__((always_inline))
#else
#define MOTE_GEMM_INLINE static inline
#endif

/* One output: `full` (a constant in each inlined copy) when the activation
 * range is all of int8, so the clamp is one saturation. */
MOTE_GEMM_INLINE int8_t mote_gemm_s8_out(int32_t acc, const mote_gemm_s8_pair *pr, int i, int32_t off, const int full,
                                         int32_t lo, int32_t hi)
{
    if (full) return (int8_t)mote_requant_s8_full(acc, pr->mult[i], pr->round[i], pr->rshift[i], off);
    return (int8_t)mote_requant_s8(acc, pr->mult[i], pr->round[i], pr->rshift[i], off, lo, hi);
}

MOTE_GEMM_INLINE void mote_gemm_s8_pixels_as(const mote_conv_data *d, const uint32_t *xs, int8_t *out0, int8_t *out1,
                                             const int full)
{
    const mote_gemm_s8_pack *g = mote_gemm_s8_pack_of(d);
    const mote_gemm_s8_pair *pr = mote_gemm_s8_pairs(g);
    const int8_t *w = mote_gemm_s8_weights(g);
    const int32_t oc = d->channels, slices = g->kp >> 2, wstride = 2 * g->kp;
    const int32_t off = d->output_offset, lo = d->act_min, hi = d->act_max;
    for (int32_t c = 0; c < oc; c += 2, w += wstride, pr++) {
        int32_t acc[4] = {pr->bias[0], pr->bias[0], pr->bias[1], pr->bias[1]};
        mote_gemm_s8_2x2(xs, w, slices, acc);
        out0[c] = mote_gemm_s8_out(acc[0], pr, 0, off, full, lo, hi);
        if (out1) out1[c] = mote_gemm_s8_out(acc[1], pr, 0, off, full, lo, hi);
        if (c + 1 < oc) {
            out0[c + 1] = mote_gemm_s8_out(acc[2], pr, 1, off, full, lo, hi);
            if (out1) out1[c + 1] = mote_gemm_s8_out(acc[3], pr, 1, off, full, lo, hi);
        }
    }
}

/* All output channels of the two pixels in the scratch: out1 NULL when the
 * second slot is only padding (odd pixel count). */
static inline void mote_gemm_s8_pixels(const mote_conv_data *d, const uint32_t *xs, int8_t *out0, int8_t *out1)
{
    if (d->act_min <= -128 && d->act_max >= 127)
        mote_gemm_s8_pixels_as(d, xs, out0, out1, 1);
    else
        mote_gemm_s8_pixels_as(d, xs, out0, out1, 0);
}

#endif
