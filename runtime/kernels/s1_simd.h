/* Internal to the optimized binary-weight kernels (conv_s8_s1_opt.c,
 * depthwise_s8_s1_opt.c, fc_s8_s1_opt.c): multiply-free dot products.
 *
 * With u = x + 128 (the int8 input as a byte, x ^ 0x80) and c = off - 128
 * (off = -zp_in), each term s (x + off) = s (u + c), s = +-1, so
 *   sum s (x + off) = 2 S_set - S_all + c (2 n_set - n),
 * S_set = sum of u where the weight bit is set, S_all = sum of u, n_set the
 * set bits of the channel: the last term is constant and folded into the
 * bias (bias'). S_set takes, per 4 inputs, one mask word from 4 weight bits
 * (table: byte lane j = 0xFF when bit j is set), one AND and one USADA8
 * (sum of 4 bytes into a register) on DSP cores: no multiply at all. An
 * input outside the image counts as u = zp + 128, whose term is 0.
 *
 * Words hold bytes in little-endian lane order (the choosers check it);
 * without DSP the byte sums are done in C (SWAR). */
#ifndef MOTE_S1_SIMD_H
#define MOTE_S1_SIMD_H

#include "s1.h"
#include "simd_s8.h"

/* Byte lane j of the result is 0xFF when bit j of nib (0..15) is set. */
static inline uint32_t mote_s1_mask(uint32_t nib)
{
    static const uint32_t lut[16] = {
        0x00000000u, 0x000000FFu, 0x0000FF00u, 0x0000FFFFu, 0x00FF0000u, 0x00FF00FFu, 0x00FFFF00u, 0x00FFFFFFu,
        0xFF000000u, 0xFF0000FFu, 0xFF00FF00u, 0xFF00FFFFu, 0xFFFF0000u, 0xFFFF00FFu, 0xFFFFFF00u, 0xFFFFFFFFu,
    };
    return lut[nib & 15u];
}

/* acc + the 4 bytes of v (USADA8 against 0). */
static inline uint32_t mote_s1_sad(uint32_t v, uint32_t acc)
{
#if MOTE_DSP && defined(__ARM_FEATURE_DSP)
    return __usada8(v, 0u, acc);
#else
    v = (v & 0x00FF00FFu) + ((v >> 8) & 0x00FF00FFu);
    return acc + (v & 0xFFFFu) + (v >> 16);
#endif
}

/* Bytes 0, 2 (even) and 1, 3 (odd) of v added to two 16-bit lane pairs
 * (UXTAB16); the lanes never carry (callers bound the count to 257). */
static inline void mote_s1_lanes(uint32_t v, uint32_t *even, uint32_t *odd)
{
#if MOTE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
    uint32_t o = *odd;
    *even = __uxtab16(*even, v);
    __asm__("uxtab16 %0, %0, %1, ror #8" : "+r"(o) : "r"(v)); /* GCC does not fold the rotation */
    *odd = o;
#elif MOTE_DSP && defined(__ARM_FEATURE_DSP)
    *even = __uxtab16(*even, v);
    *odd = __uxtab16(*odd, (v >> 8) | (v << 24));
#else
    *even += v & 0x00FF00FFu;
    *odd += (v >> 8) & 0x00FF00FFu;
#endif
}

/* Is this a little-endian core (the lane order above)? */
static inline int mote_s1_little_endian(void)
{
    const uint32_t one = 1u;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1u;
}

/* One bit word (32 inputs) of one channel: 8 steps of mask, AND, USADA8
 * (written out so every shift is a constant: UBFX on Arm). */
static inline uint32_t mote_s1_word(const uint32_t *u, uint32_t b, uint32_t s)
{
    s = mote_s1_sad(u[0] & mote_s1_mask(b), s);
    s = mote_s1_sad(u[1] & mote_s1_mask(b >> 4), s);
    s = mote_s1_sad(u[2] & mote_s1_mask(b >> 8), s);
    s = mote_s1_sad(u[3] & mote_s1_mask(b >> 12), s);
    s = mote_s1_sad(u[4] & mote_s1_mask(b >> 16), s);
    s = mote_s1_sad(u[5] & mote_s1_mask(b >> 20), s);
    s = mote_s1_sad(u[6] & mote_s1_mask(b >> 24), s);
    return mote_s1_sad(u[7] & mote_s1_mask(b >> 28), s);
}

/* S_set of one channel: words bit words (32 inputs each) against the input
 * bytes u (8 words per bit word). */
static inline uint32_t mote_s1_dot(const uint32_t *u, const uint32_t *w, int32_t words)
{
    uint32_t s = 0;
    for (int32_t m = 0; m < words; m++, u += 8) s = mote_s1_word(u, w[m], s);
    return s;
}

/* One input word against two channels' nibbles (the word loaded once). */
#define MOTE_S1_STEP2(i, sh)                                                                                    \
    do {                                                                                                       \
        const uint32_t x_ = u[i];                                                                              \
        a = mote_s1_sad(x_ & mote_s1_mask(ba >> (sh)), a);                                                     \
        b = mote_s1_sad(x_ & mote_s1_mask(bb >> (sh)), b);                                                     \
    } while (0)

/* S_set of two channels at once (each input word loaded once). */
static inline void mote_s1_dot2(const uint32_t *u, const uint32_t *wa, const uint32_t *wb, int32_t words,
                                uint32_t *sa, uint32_t *sb)
{
    uint32_t a = 0, b = 0;
    for (int32_t m = 0; m < words; m++, u += 8) {
        const uint32_t ba = wa[m], bb = wb[m];
        MOTE_S1_STEP2(0, 0);
        MOTE_S1_STEP2(1, 4);
        MOTE_S1_STEP2(2, 8);
        MOTE_S1_STEP2(3, 12);
        MOTE_S1_STEP2(4, 16);
        MOTE_S1_STEP2(5, 20);
        MOTE_S1_STEP2(6, 24);
        MOTE_S1_STEP2(7, 28);
    }
    *sa = a;
    *sb = b;
}
#undef MOTE_S1_STEP2

/* May the fast output stage (mote_requant_s8) stand for the reference one
 * on every channel? The accumulator is bias + a sum of n terms s (x + off),
 * each within +-255. Binary layers' multipliers (input scale x alpha /
 * output scale) are often above 1/2, a left shift: the accumulator is then
 * shifted first, exact while the shifted value stays below 2^30 (the
 * reference shifts the same way), and takes the stage with shift 0. */
static inline int mote_s1_fast_ok(const int32_t *bias, const int32_t *shift, int32_t channels, int64_t n)
{
    for (int32_t c = 0; c < channels; c++) {
        const int64_t b = bias ? (bias[c] < 0 ? -(int64_t)bias[c] : bias[c]) : 0;
        const int32_t s = shift[c];
        const int64_t lim = s > 30 ? 0 : s > 0 ? (int64_t)1 << (30 - s) : mote_requant_limit(s);
        if (b + 255 * n >= lim) return 0;
    }
    return 1;
}

/* One channel as the optimized kernels keep it (12 bytes: flash is what
 * binary weights are for): bias' and, for the fast output stage, the
 * multiplier, the accumulator's left shift and mote_requant_s8's right shift
 * (its rounding term 2^(rshift - 1) is one shift at run time). */
typedef struct {
    int32_t bias, mult;
    uint8_t lshift, rshift, pad[2];
} mote_s1_chan;

static inline mote_s1_chan mote_s1_chan_make(int64_t bias, int32_t mult, int32_t shift)
{
    /* shifts the fast stage cannot take (mote_s1_fast_ok refuses them) get harmless terms */
    const int32_t l = shift > 0 && shift <= 30 ? shift : 0, r = shift < 0 && shift >= -30 ? shift : 0;
    return (mote_s1_chan){(int32_t)bias, mult, (uint8_t)l, (uint8_t)mote_requant_rshift(r), {0, 0}};
}

/* The output stage's per-layer terms, copied to locals by the kernels (their
 * int8 stores may alias anything, so fields read through pointers would be
 * read again for every output). mult / shift: the reference stage's arrays. */
typedef struct {
    int fast;
    int32_t out_offset, act_min, act_max;
    const int32_t *mult, *shift;
} mote_s1_stage;

/* Output of channel k: dot = 2 S_set - S_all; fast when mote_s1_fast_ok
 * said so, else the reference stage on the channel's own multiplier. */
static inline int8_t mote_s1_out(uint32_t dot, const mote_s1_chan *c, mote_s1_stage st, int32_t k)
{
    const uint32_t acc = (uint32_t)c->bias + dot;
    const int32_t out_offset = st.out_offset, act_min = st.act_min, act_max = st.act_max;
    if (!st.fast)
        return (int8_t)mote_requant_ref((int32_t)acc, st.mult[k], st.shift[k], out_offset, act_min, act_max);
    return (int8_t)mote_requant_s8((int32_t)(acc << c->lshift), c->mult, (int32_t)(1u << (c->rshift - 1u)), c->rshift,
                                   out_offset, act_min, act_max);
}

/* Turns kp int8 bytes (kp a multiple of 32, zeros as 0x80 past the inputs)
 * into u bytes in place; returns S_all. */
static inline uint32_t mote_s1_to_u(uint32_t *row, int32_t kp)
{
    uint32_t s = 0;
    for (int32_t i = 0; i < kp / 4; i++) {
        row[i] ^= 0x80808080u;
        s = mote_s1_sad(row[i], s);
    }
    return s;
}

/* Bit words of a run of k binary weights from element first (bits past k
 * are 0, i.e. masked out); returns the set bits. */
static inline int32_t mote_s1_pack_row(uint32_t *dst, const uint8_t *w, size_t first, int32_t k)
{
    int32_t set = 0;
    for (int32_t i = 0; i < (k + 31) / 32; i++) dst[i] = 0;
    for (int32_t i = 0; i < k; i++)
        if (mote_s1_at(w, first + (size_t)i) > 0) {
            dst[i >> 5] |= 1u << (i & 31);
            set++;
        }
    return set;
}

#endif
