/* SignalRfft, int16, optimized: the same integer results as the reference
 * kernel (signal_rfft.c, KISS FFT's fixed-point arithmetic), bit for bit,
 * in fewer instructions:
 *  - the factorisation of a power of two is radix 4 stages and at most one
 *    radix 2 stage, the innermost one (span 1); so the innermost stage (span
 *    1, twiddle 0 = (32767, 0)) is one loop of its own that reads its inputs
 *    through a digit-reversal table, with no separate copy, and every other
 *    stage is radix 4 with its twiddles in the order the loop uses them;
 *  - a product by twiddle 0 is sround(x * 32767) per part (the imaginary
 *    part of the twiddle is 0), the same formula as the division by the
 *    radix, with no table load;
 *  - on cores with the Arm DSP extension (and with MOTE_DSP_EMULATE, in C)
 *    a complex value is one word, real part in the low halfword:
 *      sums, differences:   SADD16 / SSUB16 (wrapping, as the reference's
 *                           wrap16; the saturating QADD16 would differ);
 *      x +- j y:            SSAX / SASX (wrapping);
 *      complex product:     SMLSD / SMLADX with 2^14 as the accumulator:
 *                           ar*br - ai*bi + 2^14 and ar*bi + ai*br + 2^14,
 *                           exact in 32 bits (|a| <= 2^15, |b| < 2^15, so
 *                           |sum| < 2^31 - 2^15), then >> 15 and the low
 *                           halfwords packed (PKHBT), which is wrap16;
 *      division by radix:   SMLABB / SMLATB: x * (32767 / radix) + 2^14;
 *      split halving:       SHADD16 / SHSUB16: (a + b) >> 1 per halfword
 *                           from the 17-bit sum, as the reference's int32
 *                           sum shifted;
 *      conjugate:           (x ^ 0xFFFF0000) + 0x10000: the imaginary
 *                           halfword negated with int16 wrap (-(-32768) is
 *                           -32768, as wrap16), the real one untouched.
 * Elsewhere the same schedule runs in plain C on int32 pairs.
 *
 * Parameter block: the reference's (signal_rfft_common.h), then
 *   uint16_t perm[ncfft]    input point of the innermost stage's slot o;
 *   cpx16 tw3[...]          for every radix-4 stage of span m > 1, outermost
 *                           last (the order they run): m triples
 *                           tw[k*fs], tw[2k*fs], tw[3k*fs], k = 0..m-1,
 *                           fs = ncfft / (4m). */
#include <string.h>

#include "signal_rfft_common.h"

#if (defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP) || defined(MOTE_DSP_EMULATE)
#define RFFT_PACKED 1
#else
#define RFFT_PACKED 0
#endif

#define K_DIV4 (32767 / 4)
#define K_DIV2 (32767 / 2)
#define K_TW0 32767

#if RFFT_PACKED
typedef uint32_t cx;

static inline cx cx_ld(const cpx16 *p)
{
    cx v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void cx_st(cpx16 *p, cx v)
{
    memcpy(p, &v, sizeof v);
}
/* -(imaginary part), wrapping; the real part is untouched. */
static inline cx cx_conj(cx x)
{
    return (x ^ 0xFFFF0000u) + 0x10000u;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
static inline cx cx_add(cx a, cx b) { return (cx)__sadd16((int16x2_t)a, (int16x2_t)b); }
static inline cx cx_sub(cx a, cx b) { return (cx)__ssub16((int16x2_t)a, (int16x2_t)b); }
/* (a.r + b.i, a.i - b.r) and (a.r - b.i, a.i + b.r) */
static inline cx cx_add_mj(cx a, cx b) { return (cx)__ssax((int16x2_t)a, (int16x2_t)b); }
static inline cx cx_sub_mj(cx a, cx b) { return (cx)__sasx((int16x2_t)a, (int16x2_t)b); }
static inline cx cx_hadd(cx a, cx b) { return (cx)__shadd16((int16x2_t)a, (int16x2_t)b); }
static inline cx cx_hsub(cx a, cx b) { return (cx)__shsub16((int16x2_t)a, (int16x2_t)b); }
/* low halfword of lo, bits 30..15 of hi */
static inline cx pack_lo_hi15(int32_t lo, int32_t hi)
{
    cx r;
    __asm__("pkhbt %0, %1, %2, lsl #1" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}
/* low halfword of a, high halfword of b */
static inline cx pack_lo_hi(cx a, cx b)
{
    cx r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static inline cx cx_scale(cx x, int32_t k)
{
    int32_t lo = __smlabb((int32_t)x, k, 1 << 14), hi = __smlatb((int32_t)x, k, 1 << 14);
    return pack_lo_hi15(lo >> 15, hi);
}
static inline cx cx_mul(cx a, cx b)
{
    int32_t re = __smlsd((int16x2_t)a, (int16x2_t)b, 1 << 14), im = __smladx((int16x2_t)a, (int16x2_t)b, 1 << 14);
    return pack_lo_hi15(re >> 15, im);
}
#else /* MOTE_DSP_EMULATE: the same instructions in C */
static inline int32_t lo16(cx x) { return (int16_t)(uint16_t)(x & 0xFFFFu); }
static inline int32_t hi16(cx x) { return (int16_t)(uint16_t)(x >> 16); }
static inline cx pack16(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16); }
static inline cx cx_add(cx a, cx b) { return pack16(lo16(a) + lo16(b), hi16(a) + hi16(b)); }
static inline cx cx_sub(cx a, cx b) { return pack16(lo16(a) - lo16(b), hi16(a) - hi16(b)); }
static inline cx cx_add_mj(cx a, cx b) { return pack16(lo16(a) + hi16(b), hi16(a) - lo16(b)); }
static inline cx cx_sub_mj(cx a, cx b) { return pack16(lo16(a) - hi16(b), hi16(a) + lo16(b)); }
static inline cx cx_hadd(cx a, cx b) { return pack16((lo16(a) + lo16(b)) >> 1, (hi16(a) + hi16(b)) >> 1); }
static inline cx cx_hsub(cx a, cx b) { return pack16((lo16(a) - lo16(b)) >> 1, (hi16(a) - hi16(b)) >> 1); }
static inline cx pack_lo_hi15(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xFFFFu) | (((uint32_t)hi << 1) & 0xFFFF0000u); }
static inline cx pack_lo_hi(cx a, cx b) { return (a & 0xFFFFu) | (b & 0xFFFF0000u); }
static inline cx cx_scale(cx x, int32_t k)
{
    return pack_lo_hi15((lo16(x) * k + (1 << 14)) >> 15, hi16(x) * k + (1 << 14));
}
static inline cx cx_mul(cx a, cx b)
{
    int32_t re = lo16(a) * lo16(b) - hi16(a) * hi16(b) + (1 << 14);
    int32_t im = lo16(a) * hi16(b) + hi16(a) * lo16(b) + (1 << 14);
    return pack_lo_hi15(re >> 15, im);
}
#endif

/* The split's second output: ((f.r - t.r) >> 1, (t.i - f.i) >> 1). */
static inline cx cx_split_lo(cx f, cx t)
{
    return pack_lo_hi(cx_hsub(f, t), cx_hsub(t, f));
}
/* (x.r + x.i, x.r - x.i) of the DC term, wrapped */
static inline void cx_dc(cx x, int16_t *sum, int16_t *dif)
{
    int32_t r = (int16_t)(uint16_t)(x & 0xFFFFu), i = (int16_t)(uint16_t)(x >> 16);
    *sum = wrap16(r + i);
    *dif = wrap16(r - i);
}

#else /* plain C: int32 pairs that always hold int16 values */
typedef struct {
    int32_t r, i;
} cx;

static inline cx cx_ld(const cpx16 *p)
{
    cx v = {p->r, p->i};
    return v;
}
static inline void cx_st(cpx16 *p, cx v)
{
    p->r = (int16_t)v.r;
    p->i = (int16_t)v.i;
}
static inline cx cx_mk(int32_t r, int32_t i)
{
    cx v = {r, i};
    return v;
}
static inline cx cx_conj(cx x) { return cx_mk(x.r, wrap16(-x.i)); }
static inline cx cx_add(cx a, cx b) { return cx_mk(wrap16(a.r + b.r), wrap16(a.i + b.i)); }
static inline cx cx_sub(cx a, cx b) { return cx_mk(wrap16(a.r - b.r), wrap16(a.i - b.i)); }
static inline cx cx_add_mj(cx a, cx b) { return cx_mk(wrap16(a.r + b.i), wrap16(a.i - b.r)); }
static inline cx cx_sub_mj(cx a, cx b) { return cx_mk(wrap16(a.r - b.i), wrap16(a.i + b.r)); }
static inline cx cx_hadd(cx a, cx b) { return cx_mk((a.r + b.r) >> 1, (a.i + b.i) >> 1); }
static inline cx cx_scale(cx x, int32_t k) { return cx_mk(sround(x.r * k), sround(x.i * k)); }
static inline cx cx_mul(cx a, cx b)
{
    return cx_mk(sround(a.r * b.r - a.i * b.i), sround(a.r * b.i + a.i * b.r));
}
static inline cx cx_split_lo(cx f, cx t) { return cx_mk((f.r - t.r) >> 1, (t.i - f.i) >> 1); }
static inline void cx_dc(cx x, int16_t *sum, int16_t *dif)
{
    *sum = wrap16(x.r + x.i);
    *dif = wrap16(x.r - x.i);
}
#endif

/* The radix-4 butterfly on four values already divided by 4, f1..f3
 * already multiplied by their twiddles. */
#define BFLY4(a0, s0, s1, s2, o0, o1, o2, o3) \
    do {                                      \
        cx s5_ = cx_sub(a0, s1);              \
        cx f0_ = cx_add(a0, s1);              \
        cx s3_ = cx_add(s0, s2);              \
        cx s4_ = cx_sub(s0, s2);              \
        o2 = cx_sub(f0_, s3_);                \
        o0 = cx_add(f0_, s3_);                \
        o1 = cx_add_mj(s5_, s4_);             \
        o3 = cx_sub_mj(s5_, s4_);             \
    } while (0)

static inline const uint16_t *opt_perm(const rfft_data *d)
{
    return (const uint16_t *)(const void *)((const uint8_t *)d + rfft_data_bytes(d->ncfft));
}
static inline const cpx16 *opt_tw3(const rfft_data *d)
{
    return (const cpx16 *)(const void *)(opt_perm(d) + d->ncfft);
}

/* Innermost stage, span 1, inputs through the digit-reversal table. */
static void first_radix4(const cpx16 *in, const uint16_t *perm, cpx16 *out, int32_t n)
{
    for (int32_t g = 0; g < n; g += 4, perm += 4, out += 4) {
        cx a0 = cx_scale(cx_ld(&in[perm[0]]), K_DIV4);
        cx a1 = cx_scale(cx_scale(cx_ld(&in[perm[1]]), K_DIV4), K_TW0);
        cx a2 = cx_scale(cx_scale(cx_ld(&in[perm[2]]), K_DIV4), K_TW0);
        cx a3 = cx_scale(cx_scale(cx_ld(&in[perm[3]]), K_DIV4), K_TW0);
        cx o0, o1, o2, o3;
        BFLY4(a0, a1, a2, a3, o0, o1, o2, o3);
        cx_st(&out[0], o0);
        cx_st(&out[1], o1);
        cx_st(&out[2], o2);
        cx_st(&out[3], o3);
    }
}

static void first_radix2(const cpx16 *in, const uint16_t *perm, cpx16 *out, int32_t n)
{
    for (int32_t g = 0; g < n; g += 2, perm += 2, out += 2) {
        cx a = cx_scale(cx_ld(&in[perm[0]]), K_DIV2);
        cx t = cx_scale(cx_scale(cx_ld(&in[perm[1]]), K_DIV2), K_TW0);
        cx_st(&out[0], cx_add(a, t));
        cx_st(&out[1], cx_sub(a, t));
    }
}

/* A radix-4 stage of span m > 1 over all n points; tw: m twiddle triples. */
static void stage_radix4(cpx16 *f, int32_t n, int32_t m, const cpx16 *tw)
{
    for (int32_t base = 0; base < n; base += 4 * m) {
        cpx16 *p = f + base;
        const cpx16 *w = tw;
        for (int32_t k = 0; k < m; k++, p++, w += 3) {
            cx a0 = cx_scale(cx_ld(&p[0]), K_DIV4);
            cx a1 = cx_mul(cx_scale(cx_ld(&p[m]), K_DIV4), cx_ld(&w[0]));
            cx a2 = cx_mul(cx_scale(cx_ld(&p[2 * m]), K_DIV4), cx_ld(&w[1]));
            cx a3 = cx_mul(cx_scale(cx_ld(&p[3 * m]), K_DIV4), cx_ld(&w[2]));
            cx o0, o1, o2, o3;
            BFLY4(a0, a1, a2, a3, o0, o1, o2, o3);
            cx_st(&p[0], o0);
            cx_st(&p[m], o1);
            cx_st(&p[2 * m], o2);
            cx_st(&p[3 * m], o3);
        }
    }
}

/* The split of the N/2-point complex spectrum z into the N/2 + 1 outputs y. */
static void split(const cpx16 *z, const cpx16 *stw, int32_t n, cpx16 *y)
{
    cx dc = cx_scale(cx_ld(&z[0]), K_DIV2);
    int16_t s, t;
    cx_dc(dc, &s, &t);
    y[0].r = s, y[0].i = 0;
    y[n].r = t, y[n].i = 0;
    for (int32_t k = 1; k <= n / 2; k++) {
        cx fpk = cx_scale(cx_ld(&z[k]), K_DIV2);
        cx fpnk = cx_scale(cx_conj(cx_ld(&z[n - k])), K_DIV2);
        cx f1k = cx_add(fpk, fpnk), f2k = cx_sub(fpk, fpnk);
        cx tw = cx_mul(f2k, cx_ld(&stw[k - 1]));
        cx_st(&y[k], cx_hadd(f1k, tw));
        cx_st(&y[n - k], cx_split_lo(f1k, tw)); /* after y[k]: the same slot when k = n / 2 */
    }
}

static void rfft_frame(const rfft_data *d, const cpx16 *x, cpx16 *tmp, cpx16 *y)
{
    const int32_t n = d->ncfft, ns = d->n_stages;
    if (d->radix[ns - 1] == 4)
        first_radix4(x, opt_perm(d), tmp, n);
    else
        first_radix2(x, opt_perm(d), tmp, n);
    const cpx16 *tw = opt_tw3(d);
    for (int32_t s = ns - 2; s >= 0; s--) {
        const int32_t m = d->span[s];
        stage_radix4(tmp, n, m, tw);
        tw += 3 * m;
    }
    split(tmp, rfft_super_tw(d), n, y);
}

void mote_signal_rfft_opt_eval(const mote_node *n, const mote_tensor *t)
{
    const rfft_data *d = (const rfft_data *)n->data;
    const int16_t *x = (const int16_t *)mote_in(n, t, 0)->data;
    cpx16 *y = (cpx16 *)mote_out(n, t, 0)->data;
    int16_t *work = (int16_t *)n->scratch;
    cpx16 *tmp = (cpx16 *)(void *)(work + d->fft_length);
    const int pad = d->in_len < d->fft_length;
    for (int32_t i = 0, o = 0; i < d->in_size; i += d->in_len, o += d->out_len) {
        const int16_t *frame = x + i;
        if (pad) {
            memcpy(work, frame, (size_t)d->in_len * sizeof(int16_t));
            memset(work + d->in_len, 0, (size_t)(d->fft_length - d->in_len) * sizeof(int16_t));
            frame = work;
        }
        rfft_frame(d, (const cpx16 *)(const void *)frame, tmp, y + o);
    }
}

mote_status mote_signal_rfft_opt_choose(mote_ctx *ctx, mote_node *n)
{
    const rfft_data *d = (const rfft_data *)n->data;
    const int32_t nc = d->ncfft, ns = d->n_stages;
    if (nc > 65536 || ns < 1) return MOTE_OK; /* perm is uint16 */
    /* radix 4 everywhere but possibly the innermost stage (span 1) */
    for (int32_t s = 0; s < ns; s++)
        if ((s < ns - 1 && d->radix[s] != 4) || (s == ns - 1 && d->span[s] != 1)) return MOTE_OK;
    int32_t triples = 0;
    for (int32_t s = 0; s + 1 < ns; s++) triples += d->span[s];
    const size_t ref_bytes = rfft_data_bytes(nc);
    const size_t perm_bytes = ((size_t)nc * sizeof(uint16_t) + 3) & ~(size_t)3;
    uint8_t *blk = (uint8_t *)mote_node_data_grow(ctx, n, ref_bytes + perm_bytes + (size_t)triples * 3 * sizeof(cpx16));
    if (!blk) return MOTE_ERR_ARENA;
    d = (const rfft_data *)(const void *)blk;
    uint16_t *perm = (uint16_t *)(void *)(blk + ref_bytes);
    cpx16 *tw3 = (cpx16 *)(void *)(blk + ref_bytes + perm_bytes);
    const cpx16 *tw = rfft_tw(d);

    /* Leaf order (the reference's odometer): slot sum(q_s * span_s) takes
     * input sum(q_s * stride_s), stride_s = product of the radices before s. */
    int32_t digit[RFFT_MAX_STAGES] = {0};
    for (int32_t o = 0; o < nc; o++) {
        int32_t src = 0, stride = 1;
        for (int32_t s = 0; s < ns; s++) {
            src += digit[s] * stride;
            stride *= d->radix[s];
        }
        perm[o] = (uint16_t)src;
        for (int32_t s = ns - 1; s >= 0; s--) {
            if (++digit[s] < d->radix[s]) break;
            digit[s] = 0;
        }
    }
    /* Twiddle triples in the order the stages run: s = ns - 2 down to 0. */
    for (int32_t s = ns - 2; s >= 0; s--) {
        const int32_t m = d->span[s], fs = nc / (4 * m);
        for (int32_t k = 0; k < m; k++) {
            *tw3++ = tw[k * fs];
            *tw3++ = tw[2 * k * fs];
            *tw3++ = tw[3 * k * fs];
        }
    }
    n->eval = mote_signal_rfft_opt_eval;
    return MOTE_OK;
}
