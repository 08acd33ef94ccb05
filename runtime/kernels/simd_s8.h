/* Internal to the optimized int8 kernels: the few SIMD operations their inner
 * loops are written in, and the requantization they fuse into output loops.
 *
 * MOTE_DSP is 1 when the Arm DSP extension is there (Cortex-M4/M7/M33/M55:
 * __ARM_FEATURE_DSP): SMLAD = two 16x16 multiplies and an add, SXTB16 = bytes
 * 0 and 2 (or, rotated, 1 and 3) sign-extended into two halfwords. Built
 * with -DMOTE_DSP_EMULATE elsewhere, the same operations run in plain C, so
 * host tests check the DSP code paths bit for bit against the reference
 * kernels. Otherwise MOTE_DSP is 0 and kernels take their scalar paths.
 *
 * Pair order: sxtb16(w) = (w0, w2), sxtb16_ror8(w) = (w1, w3) for the bytes
 * w0..w3 of a little-endian word. Two operands split the same way multiply
 * lane by lane, so 4 int8 products need no byte shuffling at all. */
#ifndef MOTE_SIMD_S8_H
#define MOTE_SIMD_S8_H

#include <stdint.h>
#include <string.h>

#include "mote/quant.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define MOTE_DSP 1
static inline uint32_t mote_sxtb16(uint32_t x)
{
    return (uint32_t)__sxtb16((int32_t)x);
}
static inline uint32_t mote_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
static inline int32_t mote_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad((int32_t)a, (int32_t)b, acc);
}
#elif defined(MOTE_DSP_EMULATE)
#define MOTE_DSP 1
static inline uint32_t mote_sxtb16(uint32_t x)
{
    return (uint32_t)(uint16_t)(int16_t)(int8_t)(x & 0xFFu) |
           (uint32_t)(uint16_t)(int16_t)(int8_t)((x >> 16) & 0xFFu) << 16;
}
static inline uint32_t mote_sxtb16_ror8(uint32_t x)
{
    return mote_sxtb16((x >> 8) | (x << 24));
}
static inline int32_t mote_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t lo = (int32_t)(int16_t)(a & 0xFFFFu) * (int32_t)(int16_t)(b & 0xFFFFu);
    int32_t hi = (int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
}
#else
#define MOTE_DSP 0
#endif

/* Unaligned little-endian word load: one LDR where the core allows it. */
static inline uint32_t mote_load_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* k int8 values as SMLAD operands, 4 per step: (x0,x2) in dst[0] and
 * (x1,x3) in dst[1] (without DSP the raw word in dst[0]), then dst moves on
 * by `stride` words; zeros after k up to kp (a multiple of 4). */
static inline void mote_s8_put(uint32_t *dst, uint32_t v)
{
#if MOTE_DSP
    dst[0] = mote_sxtb16(v);
    dst[1] = mote_sxtb16_ror8(v);
#else
    dst[0] = v;
#endif
}
static inline void mote_s8_expand(uint32_t *dst, int32_t stride, const int8_t *src, int32_t k, int32_t kp)
{
    int32_t s = 0, full = k >> 2, slices = kp >> 2;
    for (; s < full; s++, dst += stride) mote_s8_put(dst, mote_load_u32(src + 4 * s));
    for (; s < slices; s++, dst += stride) { /* the tail */
        uint8_t tail[4] = {0, 0, 0, 0};
        for (int32_t j = 0; j < 4 && 4 * s + j < k; j++) tail[j] = (uint8_t)src[4 * s + j];
        mote_s8_put(dst, mote_load_u32(tail));
    }
}

/* TFLite's int8 output stage (mote_mul_qm, mote_add_sat, clamp) in its
 * cheapest exact form, valid under mote_requant_fast_ok. (acc*m + 2^30) >> 31
 * is the doubling high multiply (the arithmetic shift is TFLite's nudged
 * truncation); on DSP cores SMMULR(2*acc, m) = (2*acc*m + 2^31) >> 32 is the
 * same value while |acc| < 2^30. Rounding half away from zero when dividing
 * by 2^r is (2v + 2^r + (v >> 31)) >> (r + 1) for every r >= 0: for v < 0 the
 * odd numerator never sits on a multiple of 2^(r+1), so subtracting 1
 * instead of 2 changes nothing, and r = 0 needs no branch. Nothing overflows
 * (|v| <= |acc| < 2^30 - 2^(r-1): mote_requant_limit), so the reference's
 * saturating add is a plain add.
 * round = 2^r and rshift = r + 1 are per-channel constants computed at
 * compile time (mote_requant_round / _rshift of TFLite's shift = -r). */
static inline int32_t mote_requant_s8(int32_t acc, int32_t mult, int32_t round, int32_t rshift,
                                      int32_t out_offset, int32_t act_min, int32_t act_max)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    int32_t v;
    __asm__("smmulr %0, %1, %2" : "=r"(v) : "r"(acc * 2), "r"(mult));
#else
    int32_t v = (int32_t)(((int64_t)acc * mult + ((int64_t)1 << 30)) >> 31);
#endif
    v = ((2 * v + round + (v >> 31)) >> rshift) + out_offset;
    return v < act_min ? act_min : (v > act_max ? act_max : v);
}
/* mote_requant_s8 when the activation range is all of int8: the clamp is
 * one saturation (SSAT on DSP cores). */
static inline int32_t mote_requant_s8_full(int32_t acc, int32_t mult, int32_t round, int32_t rshift,
                                           int32_t out_offset)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    int32_t v;
    __asm__("smmulr %0, %1, %2" : "=r"(v) : "r"(acc * 2), "r"(mult));
    return __ssat(((2 * v + round + (v >> 31)) >> rshift) + out_offset, 8);
#else
    return mote_requant_s8(acc, mult, round, rshift, out_offset, -128, 127);
#endif
}
static inline int32_t mote_requant_round(int32_t shift)
{
    return (int32_t)(1u << -shift);
}
static inline int32_t mote_requant_rshift(int32_t shift)
{
    return 1 - shift;
}

/* Largest |accumulator| (exclusive) for which mote_requant_s8 with TFLite
 * shift `shift` = -r equals the reference: SMMULR's doubling needs < 2^30,
 * and 2v + 2^r must stay inside int32 (|v| <= |acc|): 2^30 - 2^(r-1).
 * 0 for shifts it does not handle (left shifts, r > 30). */
static inline int64_t mote_requant_limit(int32_t shift)
{
    if (shift > 0 || shift < -30) return 0;
    return ((int64_t)1 << 30) - (shift < 0 ? (int64_t)1 << (-shift - 1) : 0);
}

/* 1 when mote_requant_s8 equals the reference for every accumulator with
 * |acc| <= acc_bound and every channel's shift (mote_requant_limit). */
static inline int mote_requant_fast_ok(const int32_t *shift, int32_t n, int64_t acc_bound)
{
    for (int32_t c = 0; c < n; c++)
        if (acc_bound >= mote_requant_limit(shift[c])) return 0;
    return 1;
}

/* The reference output stage (mote_mul_qm, saturating add, clamp): what
 * the fast one must equal. Nondecreasing in acc when mult >= 0, shift <= 0. */
static inline int32_t mote_requant_ref(int32_t acc, int32_t mult, int32_t shift, int32_t out_offset,
                                       int32_t act_min, int32_t act_max)
{
    int32_t v = mote_add_sat(mote_mul_qm(acc, mult, shift), out_offset);
    return v < act_min ? act_min : (v > act_max ? act_max : v);
}

/* Reach of one output channel's dot product sum_j w[j * stride] * (x_j - zp)
 * over every int8 input: [*lo, *hi], and sum |w| (*sabs), which bounds the
 * optimized kernels' partial sums (mote_requant_fit's spread). */
static inline void mote_s8_dot_range(const int8_t *w, size_t stride, int64_t n, int32_t zp, int64_t *lo, int64_t *hi,
                                     int64_t *sabs)
{
    int64_t l = 0, h = 0, s = 0;
    for (int64_t j = 0; j < n; j++) {
        const int64_t v = w[(size_t)j * stride], a = v * (-128 - zp), b = v * (127 - zp);
        l += a < b ? a : b;
        h += a < b ? b : a;
        s += v < 0 ? -v : v;
    }
    *lo = l;
    *hi = h;
    *sabs = s;
}

/* One channel's output stage as a fast kernel stores it. */
typedef struct {
    int32_t bias, mult, shift;
} mote_requant_chan;

/* Are both ends of [b + lo, b + hi] (inside int32) mapped to c by the
 * reference stage (mult, shift)? Then so is all of it: it is monotonic. */
static inline int mote_requant_ends_are(int64_t b, int64_t lo, int64_t hi, int32_t mult, int32_t shift,
                                        int32_t out_offset, int32_t act_min, int32_t act_max, int32_t c)
{
    if (b + lo < INT32_MIN || b + hi > INT32_MAX) return 0;
    return mote_requant_ref((int32_t)(b + lo), mult, shift, out_offset, act_min, act_max) == c &&
           mote_requant_ref((int32_t)(b + hi), mult, shift, out_offset, act_min, act_max) == c;
}

/* Largest |bias| a kernel takes with this shift: the accumulator stays
 * below its limit and mote_requant_limit; < 0 when none. */
static inline int64_t mote_requant_room(int32_t shift, int32_t rmin, int64_t spread, int64_t limit)
{
    const int64_t lim = mote_requant_limit(shift);
    if (shift > -rmin || lim == 0) return -1;
    return (lim < limit ? lim : limit) - 1 - spread;
}

/* The output stage a fast kernel may use for one channel, at no run-time
 * cost (proof in docs/kernels.md). The reference accumulator is
 * bias + dot with dot in [lo, hi] over every input; the kernel is exact when
 * |bias| + spread < min(limit, mote_requant_limit(shift)) (spread: its own
 * bound on the dot part and partial sums, >= |lo|, |hi|) and
 * rmin <= -shift. A channel outside that is kept when it is "dead": the
 * reference gives one output C on all of [bias + lo, bias + hi]. Then,
 * checked at both ends of the new range again:
 * (a) its bias moves toward 0 just into the bound (the new range lies
 * between the old one and the bound, so this is the best move), else
 * (b) a canonical stage, multiplier 1/2 and right shift r, whose rounding
 * step 2^(r+1) is wider than the range, centred on C - output offset.
 * 1 and *out set, or 0: the channel needs the reference kernel. */
static inline int mote_requant_fit(int64_t bias, int32_t mult, int32_t shift, int64_t lo, int64_t hi, int64_t spread,
                                   int64_t limit, int32_t rmin, int32_t out_offset, int32_t act_min, int32_t act_max,
                                   mote_requant_chan *out)
{
    const int64_t room = mote_requant_room(shift, rmin, spread, limit);
    if (lo > hi) return 0;
    if (bias >= -room && bias <= room) {
        *out = (mote_requant_chan){(int32_t)bias, mult, shift};
        return 1;
    }
    /* monotonic reference only: no left shift, no negative multiplier */
    if (mult < 0 || shift > 0 || shift < -31 || bias + lo < INT32_MIN || bias + lo > INT32_MAX) return 0;
    const int32_t c = mote_requant_ref((int32_t)(bias + lo), mult, shift, out_offset, act_min, act_max);
    if (!mote_requant_ends_are(bias, lo, hi, mult, shift, out_offset, act_min, act_max, c)) return 0;
    const int64_t b = bias < -room ? -room : (bias > room ? room : bias);
    if (room >= 0 && mote_requant_ends_are(b, lo, hi, mult, shift, out_offset, act_min, act_max, c)) {
        *out = (mote_requant_chan){(int32_t)b, mult, shift};
        return 1;
    }
    int32_t r = rmin;
    while (r < 29 && ((int64_t)1 << r) <= (hi - lo) / 2 + 1) r++;
    const int64_t nb = ((int64_t)c - out_offset) * ((int64_t)1 << (r + 1)) - (lo + hi) / 2;
    const int64_t nroom = mote_requant_room(-r, rmin, spread, limit);
    if (nb < -nroom || nb > nroom ||
        !mote_requant_ends_are(nb, lo, hi, (int32_t)1 << 30, -r, out_offset, act_min, act_max, c))
        return 0;
    *out = (mote_requant_chan){(int32_t)nb, (int32_t)1 << 30, -r};
    return 1;
}

#endif
