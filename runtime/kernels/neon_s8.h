/* Internal to the aarch64 NEON int8 kernels (conv_s8_neon.c, fc_s8_neon.c,
 * depthwise_s8_neon.c): the block they append at prepare, the GEMM step and
 * the exact vector output stage.
 *
 * Prepare (packing) is plain C and runs on any machine: the compiler on an
 * x86-64 host packs a model for an aarch64 board. The evals use NEON on
 * aarch64; other builds get scalar C over the same block (exact, slow), so
 * the table entries exist everywhere, a host can prepare for the rpi4 and
 * host tests check the packing too.
 *
 * Packed block (appended after the reference prepare's block; its header sits
 * in the LAST bytes of the node's block so eval finds it from data_bytes):
 *   GEMM (conv, FC): weights int8 [cp/4][kp/16][4][16]: per group of 4 output
 *   channels and 16-long slice of the dot product, each channel's 16 bytes
 *   (zeros past k and c), so one step loads 64 contiguous bytes.
 *   Depthwise: weights int8 [taps][cp].
 *   Then cp int32 each: bias' = bias - zp_in * sum(w) (inputs stay raw int8;
 *   padding taps hold the zero point, so they add (zp - zp) * w = 0),
 *   multiplier, left shift, right shift (<= 0, as SRSHL takes it).
 * Accumulators wrap modulo 2^32 (NEON adds, uint32 in C): the reference's
 * accumulator provably fits int32 (mote_check_acc_s8), so the final sum is
 * exactly the reference's whatever the order of the partial sums.
 * MOTE_NEON_PAIRS: no weight is -128, so two int8 products share an int16
 * (|a*b + c*d| <= 16384 + 16256) before widening: 3 instructions for 16 MACs
 * instead of 4. */
#ifndef MOTE_NEON_S8_H
#define MOTE_NEON_S8_H

#include <string.h>

#include "mote/kernel.h"
#include "mote/quant.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define MOTE_NEON 1
#else
#define MOTE_NEON 0
#endif

#define MOTE_NEON_ALWAYS static inline __attribute__((always_inline))

enum { MOTE_NEON_PAIRS = 1 };

typedef struct {
    int32_t k, kp, c, cp;           /* dot length, padded to 16; channels, padded (4 GEMM, 16 depthwise) */
    int32_t in_zp, out_off, act_min, act_max;
    int32_t flags;                  /* MOTE_NEON_PAIRS */
    uint32_t w, bias, mult, lsh, rsh; /* byte offsets of the arrays in the block */
    int32_t reserved;
} mote_neon_pack;

/* Resolved pointers into a node's packed block. */
typedef struct {
    const int8_t *w;
    const int32_t *bias, *mult, *lsh, *rsh;
    int32_t k, kp, c, cp, in_zp, out_off, act_min, act_max, flags;
} mote_neon_view;

static inline mote_neon_view mote_neon_view_of(const mote_node *n)
{
    const uint8_t *base = n->data;
    const mote_neon_pack *h = (const mote_neon_pack *)(const void *)(base + n->data_bytes - sizeof(mote_neon_pack));
    mote_neon_view v;
    v.w = (const int8_t *)(base + h->w);
    v.bias = (const int32_t *)(const void *)(base + h->bias);
    v.mult = (const int32_t *)(const void *)(base + h->mult);
    v.lsh = (const int32_t *)(const void *)(base + h->lsh);
    v.rsh = (const int32_t *)(const void *)(base + h->rsh);
    v.k = h->k, v.kp = h->kp, v.c = h->c, v.cp = h->cp;
    v.in_zp = h->in_zp, v.out_off = h->out_off, v.act_min = h->act_min, v.act_max = h->act_max;
    v.flags = h->flags;
    return v;
}

static inline size_t mote_neon_round16(size_t x)
{
    return (x + 15u) & ~(size_t)15u;
}

/* The vector output stage handles every multiplier and any shift in
 * [-31, 31] exactly (see mote_neon_requant4). */
static inline int mote_neon_shifts_ok(const int32_t *shift, int32_t n, int32_t step)
{
    for (int32_t i = 0; i < n; i++)
        if (shift[i * step] > 31 || shift[i * step] < -31) return 0;
    return 1;
}

/* 1 when no weight is -128 (MOTE_NEON_PAIRS may be set). */
static inline int mote_neon_no_m128(const int8_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (w[i] == -128) return 0;
    return 1;
}

/* Grow the node's block by w_bytes of weights, the four per-channel arrays
 * (cp int32 each) and the header at the end; fill the header's offsets and
 * the requantization arrays from the reference prepare's multipliers and
 * shifts (stride `step`: 0 when one serves every channel). NULL on arena
 * failure. The caller fills weights and biases. */
static inline mote_neon_pack *mote_neon_grow(mote_ctx *ctx, mote_node *n, size_t w_bytes, int32_t c, int32_t cp,
                                             const int32_t *mult, const int32_t *shift, int32_t step)
{
    const size_t base = mote_neon_round16(n->data_bytes), wb = mote_neon_round16(w_bytes);
    const size_t arr = (size_t)cp * sizeof(int32_t);
    const size_t total = base + wb + 4 * arr + sizeof(mote_neon_pack);
    /* the reference arrays move with the block: remember where they are */
    const size_t m_off = (size_t)((const uint8_t *)mult - (const uint8_t *)n->data);
    const size_t s_off = (size_t)((const uint8_t *)shift - (const uint8_t *)n->data);
    uint8_t *b = mote_node_data_grow(ctx, n, total);
    if (!b) return NULL;
    mote_neon_pack *h = (mote_neon_pack *)(void *)(b + total - sizeof(mote_neon_pack));
    memset(h, 0, sizeof *h);
    h->c = c, h->cp = cp;
    h->w = (uint32_t)base;
    h->bias = (uint32_t)(base + wb);
    h->mult = h->bias + (uint32_t)arr;
    h->lsh = h->mult + (uint32_t)arr;
    h->rsh = h->lsh + (uint32_t)arr;
    const int32_t *m = (const int32_t *)(const void *)(b + m_off), *s = (const int32_t *)(const void *)(b + s_off);
    int32_t *om = (int32_t *)(void *)(b + h->mult), *ol = (int32_t *)(void *)(b + h->lsh);
    int32_t *orr = (int32_t *)(void *)(b + h->rsh);
    for (int32_t i = 0; i < c; i++) { /* padding channels stay 0: outputs never stored */
        const int32_t sh = s[i * step];
        om[i] = m[i * step];
        ol[i] = sh > 0 ? sh : 0;
        orr[i] = sh < 0 ? sh : 0;
    }
    return h;
}

/* GEMM prepare: pack weights w (element (ch, i) at w[ch * k + i]) and fold
 * bias (may be NULL) and the input zero point. */
static inline mote_neon_pack *mote_neon_pack_gemm(mote_ctx *ctx, mote_node *n, const int8_t *w, const int32_t *bias,
                                                  int32_t c, int32_t k, int32_t in_zp, const int32_t *mult,
                                                  const int32_t *shift, int32_t step)
{
    const int32_t kp = (k + 15) & ~15, cp = (c + 3) & ~3;
    mote_neon_pack *h = mote_neon_grow(ctx, n, (size_t)cp * (size_t)kp, c, cp, mult, shift, step);
    if (!h) return NULL;
    uint8_t *b = n->data;
    int8_t *pw = (int8_t *)(b + h->w);
    int32_t *bs = (int32_t *)(void *)(b + h->bias);
    for (int32_t ch = 0; ch < c; ch++) {
        int64_t sum = 0;
        for (int32_t i = 0; i < k; i++) {
            const int8_t wv = w[(size_t)ch * (size_t)k + (size_t)i];
            /* group ch/4 starts at (ch/4)*4*kp = (ch & ~3)*kp; slice i/16 is 64 bytes */
            pw[(size_t)(ch & ~3) * (size_t)kp + (size_t)(i / 16) * 64 + (size_t)(ch & 3) * 16 + (size_t)(i % 16)] = wv;
            sum += wv;
        }
        bs[ch] = (int32_t)(uint32_t)((bias ? bias[ch] : 0) - (int64_t)in_zp * sum);
    }
    h->k = k, h->kp = kp, h->in_zp = in_zp;
    h->flags = mote_neon_no_m128(w, (size_t)c * (size_t)k) ? MOTE_NEON_PAIRS : 0;
    return h;
}

/* The reference output stage of channel ch (scalar paths and tails). */
static inline int8_t mote_neon_requant1(int32_t acc, const mote_neon_view *v, int32_t ch)
{
    const int32_t r = mote_add_sat(mote_mul_qm(acc, v->mult[ch], v->lsh[ch] + v->rsh[ch]), v->out_off);
    return (int8_t)mote_clamp_i32(r, v->act_min, v->act_max);
}

#if MOTE_NEON

/* The reference output stage (mote_mul_qm, mote_add_sat, clamp) on 4
 * channels from ch, exact for every accumulator: the left shift wraps like
 * the reference's uint32 shift; SQRDMULH is mote_srdhm (both round the
 * doubled high product half up, and saturate only INT32_MIN * INT32_MIN);
 * subtracting 1 from a negative value before SRSHL's round-half-up makes
 * the division by 2^r round half away from zero as mote_rdivpot does (the
 * saturating add keeps INT32_MIN, which rounds the same either way); the
 * offset add saturates like mote_add_sat. */
MOTE_NEON_ALWAYS int32x4_t mote_neon_requant4(int32x4_t acc, const mote_neon_view *v, int32_t ch)
{
    const int32x4_t rsh = vld1q_s32(v->rsh + ch);
    int32x4_t x = vshlq_s32(acc, vld1q_s32(v->lsh + ch));
    x = vqrdmulhq_s32(x, vld1q_s32(v->mult + ch));
    x = vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, rsh), 31));
    x = vrshlq_s32(x, rsh);
    x = vqaddq_s32(x, vdupq_n_s32(v->out_off));
    return vminq_s32(vmaxq_s32(x, vdupq_n_s32(v->act_min)), vdupq_n_s32(v->act_max));
}

/* Clamped int32 lanes (inside int8) to bytes. */
MOTE_NEON_ALWAYS int8x8_t mote_neon_narrow8(int32x4_t a, int32x4_t b)
{
    return vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b)));
}

/* acc += the 16 products a[j] * w[j], pairwise. */
MOTE_NEON_ALWAYS int32x4_t mote_neon_dot16(int32x4_t acc, int8x16_t a, int8x16_t w, int pairs)
{
    if (pairs) return vpadalq_s16(acc, vmlal_high_s8(vmull_s8(vget_low_s8(a), vget_low_s8(w)), a, w));
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(w)));
    return vpadalq_s16(acc, vmull_high_s8(a, w));
}

/* Four dot products' lanes summed: lane j = sum of dj. */
MOTE_NEON_ALWAYS int32x4_t mote_neon_hsum4(int32x4_t d0, int32x4_t d1, int32x4_t d2, int32x4_t d3)
{
    return vpaddq_s32(vpaddq_s32(d0, d1), vpaddq_s32(d2, d3));
}

/* Bias, output stage and store of n (<= 4) channels from ch. */
MOTE_NEON_ALWAYS void mote_neon_out4(const mote_neon_view *v, int32x4_t s, int32_t ch, int32_t n, int8_t *dst)
{
    const int32x4_t r = mote_neon_requant4(vaddq_s32(s, vld1q_s32(v->bias + ch)), v, ch);
    const uint32_t word = vget_lane_u32(vreinterpret_u32_s8(mote_neon_narrow8(r, r)), 0);
    memcpy(dst, &word, (size_t)n);
}

/* One row against one channel group (4 channels). */
MOTE_NEON_ALWAYS int32x4_t mote_neon_row4(const int8_t *a, const int8_t *w, int32_t nb, int pairs)
{
    int32x4_t c0 = vdupq_n_s32(0), c1 = c0, c2 = c0, c3 = c0;
    for (int32_t b = 0; b < nb; b++, a += 16, w += 64) {
        const int8x16_t x = vld1q_s8(a);
        c0 = mote_neon_dot16(c0, x, vld1q_s8(w), pairs);
        c1 = mote_neon_dot16(c1, x, vld1q_s8(w + 16), pairs);
        c2 = mote_neon_dot16(c2, x, vld1q_s8(w + 32), pairs);
        c3 = mote_neon_dot16(c3, x, vld1q_s8(w + 48), pairs);
    }
    return mote_neon_hsum4(c0, c1, c2, c3);
}

/* 4 rows x 4 channels per step: each weight load serves 4 rows, each input
 * load 4 channels; 16 accumulators stay in registers (written out). */
#define MOTE_NEON_ROW(r)                                                                                   \
    do {                                                                                                   \
        const int8x16_t x = vld1q_s8(a##r);                                                                \
        a##r += 16;                                                                                        \
        c##r##0 = mote_neon_dot16(c##r##0, x, w0, pairs), c##r##1 = mote_neon_dot16(c##r##1, x, w1, pairs); \
        c##r##2 = mote_neon_dot16(c##r##2, x, w2, pairs), c##r##3 = mote_neon_dot16(c##r##3, x, w3, pairs); \
    } while (0)

MOTE_NEON_ALWAYS void mote_neon_gemm_body(const mote_neon_view *v, const int8_t *a, int32_t rows, int8_t *out,
                                          int pairs)
{
    const size_t kp = (size_t)v->kp, c = (size_t)v->c;
    const int32_t nb = v->kp / 16;
    for (int32_t cb = 0; cb < v->cp; cb += 4) {
        const int8_t *w = v->w + (size_t)cb * kp;
        const int32_t n = v->c - cb < 4 ? v->c - cb : 4;
        if (rows == 4) {
            int32x4_t c00 = vdupq_n_s32(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00,
                      c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00,
                      c33 = c00;
            const int8_t *a0 = a, *a1 = a + kp, *a2 = a + 2 * kp, *a3 = a + 3 * kp;
            for (int32_t b = 0; b < nb; b++, w += 64) {
                const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
                MOTE_NEON_ROW(0);
                MOTE_NEON_ROW(1);
                MOTE_NEON_ROW(2);
                MOTE_NEON_ROW(3);
            }
            mote_neon_out4(v, mote_neon_hsum4(c00, c01, c02, c03), cb, n, out + cb);
            mote_neon_out4(v, mote_neon_hsum4(c10, c11, c12, c13), cb, n, out + c + cb);
            mote_neon_out4(v, mote_neon_hsum4(c20, c21, c22, c23), cb, n, out + 2 * c + cb);
            mote_neon_out4(v, mote_neon_hsum4(c30, c31, c32, c33), cb, n, out + 3 * c + cb);
            continue;
        }
        for (int32_t r = 0; r < rows; r++)
            mote_neon_out4(v, mote_neon_row4(a + (size_t)r * kp, w, nb, pairs), cb, n, out + (size_t)r * c + cb);
    }
}
#undef MOTE_NEON_ROW

/* One GEMM step: out[r][ch] for r < rows (<= 4), ch < c, row stride c, from
 * `rows` input rows of kp int8 (stride kp, zeros or anything past k). */
static inline void mote_neon_gemm(const mote_neon_view *v, const int8_t *a, int32_t rows, int8_t *out)
{
    if (v->flags & MOTE_NEON_PAIRS)
        mote_neon_gemm_body(v, a, rows, out, 1);
    else
        mote_neon_gemm_body(v, a, rows, out, 0);
}

#else /* scalar C over the same block */

static inline void mote_neon_gemm(const mote_neon_view *v, const int8_t *a, int32_t rows, int8_t *out)
{
    const size_t kp = (size_t)v->kp;
    for (int32_t r = 0; r < rows; r++, a += kp, out += v->c)
        for (int32_t ch = 0; ch < v->c; ch++) {
            const int8_t *w = v->w + (size_t)(ch & ~3) * kp + (size_t)(ch & 3) * 16;
            uint32_t acc = (uint32_t)v->bias[ch];
            for (int32_t i = 0; i < v->k; i++)
                acc += (uint32_t)((int32_t)a[i] * w[(size_t)(i / 16) * 64 + (size_t)(i % 16)]);
            out[ch] = mote_neon_requant1((int32_t)acc, v, ch);
        }
}

#endif /* MOTE_NEON */
#endif
