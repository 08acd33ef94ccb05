/* Internal to the optimized int4-weight kernels (conv_s8_s4_opt.c,
 * fc_s8_s4_opt.c): the packed nibble word and its SMLAD operands.
 *
 * A weight w (-8..7) is stored offset by 8, u = w + 8 (0..15), so that a
 * masked nibble is already a non-negative int16 lane. One word holds one
 * 4-input slice e0..e3 of two output channels a and b:
 *   bits 0..3 a.e0, 16..19 a.e2 | 4..7 a.e1, 20..23 a.e3 |
 *   bits 8..11 b.e0, 24..27 b.e2 | 12..15 b.e1, 28..31 b.e3
 * so (word >> 4j) & 0x000F000F, j = 0..3, is (a.e0,a.e2), (a.e1,a.e3),
 * (b.e0,b.e2), (b.e1,b.e3): the lane order SXTB16 splits the slice's inputs
 * into (mote_s8_expand). One AND with a shifted register per 2 weights, no
 * sign extension. The dot product then carries 8 * sum x too:
 *   sum u x = sum w x + 8 sum x,
 * which the kernels subtract once per pixel (sum x over the window).
 *
 * Inputs are always held as int16 lane pairs here (also without DSP),
 * 2 words per 4 inputs; without DSP the lanes are multiplied in C. */
#ifndef MOTE_S4_SIMD_H
#define MOTE_S4_SIMD_H

#include "s4.h"
#include "simd_s8.h"

#define MOTE_S4_MASK 0x000F000Fu

static inline int32_t mote_s4_smlad(uint32_t a, uint32_t b, int32_t acc)
{
#if MOTE_DSP
    return mote_smlad(a, b, acc);
#else
    int32_t lo = (int32_t)(int16_t)(a & 0xFFFFu) * (int32_t)(int16_t)(b & 0xFFFFu);
    int32_t hi = (int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
#endif
}

/* Lane-wise a + b (SADD16; the lanes here never overflow) and the
 * halfword multiply-accumulates acc + lo(a) lo(b) (SMLABB), acc + hi(a) hi(b)
 * (SMLATT), for the depthwise kernel. */
static inline uint32_t mote_s4_add16(uint32_t a, uint32_t b)
{
#if MOTE_DSP && defined(__ARM_FEATURE_DSP)
    return (uint32_t)__sadd16((int16x2_t)a, (int16x2_t)b);
#else
    return (((a & 0xFFFFu) + (b & 0xFFFFu)) & 0xFFFFu) | (((a >> 16) + (b >> 16)) << 16);
#endif
}
static inline int32_t mote_s4_mlabb(uint32_t a, uint32_t b, int32_t acc)
{
#if MOTE_DSP && defined(__ARM_FEATURE_DSP)
    return __smlabb((int32_t)a, (int32_t)b, acc);
#else
    return acc + (int32_t)(int16_t)(a & 0xFFFFu) * (int32_t)(int16_t)(b & 0xFFFFu);
#endif
}
static inline int32_t mote_s4_mlatt(uint32_t a, uint32_t b, int32_t acc)
{
#if MOTE_DSP && defined(__ARM_FEATURE_DSP)
    return __smlatt((int32_t)a, (int32_t)b, acc);
#else
    return acc + (int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16);
#endif
}

/* Bytes b0..b3 as (b0,b2), (b1,b3) sign-extended int16 lanes. */
static inline void mote_s4_split(uint32_t v, uint32_t *even, uint32_t *odd)
{
#if MOTE_DSP
    *even = mote_sxtb16(v);
    *odd = mote_sxtb16_ror8(v);
#else
    *even = (uint32_t)(uint16_t)(int16_t)(int8_t)(v & 0xFFu) | (uint32_t)(uint16_t)(int16_t)(int8_t)(v >> 16) << 16;
    *odd = (uint32_t)(uint16_t)(int16_t)(int8_t)(v >> 8) | (uint32_t)(uint16_t)(int16_t)(int8_t)(v >> 24) << 16;
#endif
}

/* k int8 inputs into lane pairs, 2 words per 4 inputs, `stride` words apart,
 * zeros up to kp (a multiple of 8); returns sum x over the k inputs. */
static inline int32_t mote_s4_expand(uint32_t *dst, int32_t stride, const int8_t *src, int32_t k, int32_t kp)
{
    int32_t sum = 0, s = 0;
    for (; 4 * s + 4 <= k; s++, dst += stride) {
        mote_s4_split(mote_load_u32(src + 4 * s), &dst[0], &dst[1]);
        sum = mote_s4_smlad(dst[0], 0x00010001u, mote_s4_smlad(dst[1], 0x00010001u, sum)); /* lane sums */
    }
    for (; 4 * s < kp; s++, dst += stride) {
        uint8_t tail[4] = {0, 0, 0, 0};
        for (int32_t j = 0; j < 4 && 4 * s + j < k; j++) {
            tail[j] = (uint8_t)src[4 * s + j];
            sum += src[4 * s + j];
        }
        mote_s4_split(mote_load_u32(tail), &dst[0], &dst[1]);
    }
    return sum;
}

/* The word of slice o (elements 4o..4o+3) of channels a and b, each a flat
 * int4 run of k weights from element first_a / first_b of w; b < 0: no
 * channel b (weights 0); elements at or beyond k count as 0. */
static inline uint32_t mote_s4_pack_word(const uint8_t *w, size_t first_a, int64_t first_b, int64_t k, int64_t o)
{
    static const uint8_t shift[8] = {0, 4, 16, 20, 8, 12, 24, 28};
    uint32_t word = 0;
    for (int j = 0; j < 8; j++) {
        const int64_t e = 4 * o + (j & 3);
        int32_t v = 0;
        if (e < k && j < 4) v = mote_s4_at(w, first_a + (size_t)e);
        if (e < k && j >= 4 && first_b >= 0) v = mote_s4_at(w, (size_t)first_b + (size_t)e);
        word |= (uint32_t)(v + 8) << shift[j];
    }
    return word;
}

/* Reach of a channel's dot product sum w (x - zp) over every int8 input
 * (mote_s8_dot_range for int4 weights). */
static inline void mote_s4_dot_range(const uint8_t *w, size_t first, size_t stride, int64_t n, int32_t zp,
                                     int64_t *lo, int64_t *hi, int64_t *sabs)
{
    int64_t l = 0, h = 0, s = 0;
    for (int64_t j = 0; j < n; j++) {
        const int64_t v = mote_s4_at(w, first + (size_t)j * stride), a = v * (-128 - zp), b = v * (127 - zp);
        l += a < b ? a : b;
        h += a < b ? b : a;
        s += v < 0 ? -v : v;
    }
    *lo = l;
    *hi = h;
    *sabs = s;
}

#endif
