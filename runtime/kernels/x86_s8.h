/* Internal to the x86-64 int8 kernels (conv_s8_x86.c, fc_s8_x86.c,
 * depthwise_s8_x86.c): the packed parameter block they append at prepare,
 * the CPU level chosen at run time, the GEMM micro-kernels and the vector
 * requantization.
 *
 * Packed block (appended after the reference prepare's block; its header sits
 * in the LAST bytes of the node's block so eval finds it from data_bytes):
 *   GEMM (conv, FC): weights int8 [kq][cp][4] (4 consecutive k of one output
 *   channel together: one VNNI dword, or after sign extension to int16 two
 *   PMADDWD pairs), folded biases, requantization arrays (all padded to cp).
 *   bias_s = bias - zp_in * sum(w) for raw int8 inputs (padding taps hold the
 *   zero point, so they add (zp - zp) * w = 0); bias_u = bias_s - 128 * sum(w)
 *   for inputs biased to uint8 (x ^ 0x80) as VPDPBUSD needs.
 *   Depthwise: weights int32 [taps][cp], bias_s, requantization arrays.
 * The layout does not depend on the CPU: prepare may run on another machine
 * than eval (compiled models), and eval picks SSE4.1, AVX2 or AVX-512 VNNI
 * each time. Valgrind hides AVX-512, so callgrind measures the AVX2 path. */
#ifndef MOTE_X86_S8_H
#define MOTE_X86_S8_H

#include "mote/kernel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "mote/quant.h"
#include "s1.h"
#include "s4.h"

#define MOTE_SSE41 __attribute__((target("sse4.1")))
#define MOTE_AVX2 __attribute__((target("avx2")))
#define MOTE_VNNI __attribute__((target("avx2,avx512f,avx512vnni,avx512vl")))
#define MOTE_INLINE static inline __attribute__((always_inline))

typedef struct {
    int32_t k, kq, c, cp;          /* GEMM depth, groups of 4 of it, channels, channels rounded to 8 */
    int32_t in_zp, out_off, act_min, act_max;
    uint32_t w, bias_s, bias_u;    /* byte offsets of the arrays in the block */
    uint32_t mult, mask, half, rsh; /* requantization: multiplier, 2^r - 1, its half, r = -shift */
    int32_t max_level;             /* 0, or a cap on the CPU level: lets tests run every path */
} mote_x86_pack;

/* Resolved pointers into a node's packed block. */
typedef struct {
    const int8_t *w;
    const int32_t *wd;             /* depthwise weights */
    const int32_t *bias_s, *bias_u, *mult, *mask, *half, *rsh;
    int32_t k, kq, c, cp, in_zp, out_off, act_min, act_max, max_level;
} mote_x86_view;

static inline mote_x86_view mote_x86_view_of(const mote_node *n)
{
    const uint8_t *base = n->data;
    const mote_x86_pack *h = (const mote_x86_pack *)(const void *)(base + n->data_bytes - sizeof(mote_x86_pack));
    mote_x86_view v;
    v.w = (const int8_t *)(base + h->w);
    v.wd = (const int32_t *)(const void *)(base + h->w);
    v.bias_s = (const int32_t *)(const void *)(base + h->bias_s);
    v.bias_u = (const int32_t *)(const void *)(base + h->bias_u);
    v.mult = (const int32_t *)(const void *)(base + h->mult);
    v.mask = (const int32_t *)(const void *)(base + h->mask);
    v.half = (const int32_t *)(const void *)(base + h->half);
    v.rsh = (const int32_t *)(const void *)(base + h->rsh);
    v.k = h->k, v.kq = h->kq, v.c = h->c, v.cp = h->cp;
    v.in_zp = h->in_zp, v.out_off = h->out_off, v.act_min = h->act_min, v.act_max = h->act_max;
    v.max_level = h->max_level;
    return v;
}

static inline size_t mote_x86_round16(size_t x)
{
    return (x + 15u) & ~(size_t)15u;
}

/* Grow the node's block by the packed arrays (w_bytes of weights, then
 * bias_s, bias_u, mult, mask, half, rsh of cp int32 each) and the header at the
 * end. Fills the header's offsets and the requantization arrays from the
 * reference prepare's per-channel multipliers and shifts (stride 0 when one
 * multiplier serves every channel). NULL on arena failure. */
static inline mote_x86_pack *mote_x86_grow(mote_ctx *ctx, mote_node *n, size_t w_bytes, int32_t c,
                                           const int32_t *mult, const int32_t *shift, int32_t step)
{
    const int32_t cp = (c + 7) & ~7;
    const size_t base = mote_x86_round16(n->data_bytes), wb = mote_x86_round16(w_bytes);
    const size_t arr = (size_t)cp * sizeof(int32_t);
    const size_t total = base + wb + 6 * arr + sizeof(mote_x86_pack);
    /* the reference arrays move with the block: copy them first */
    const size_t m_off = (size_t)((const uint8_t *)mult - (const uint8_t *)n->data);
    const size_t s_off = (size_t)((const uint8_t *)shift - (const uint8_t *)n->data);
    uint8_t *b = mote_node_data_grow(ctx, n, total);
    if (!b) return NULL;
    mote_x86_pack *h = (mote_x86_pack *)(void *)(b + total - sizeof(mote_x86_pack));
    memset(h, 0, sizeof *h);
    h->c = c, h->cp = cp;
    h->w = (uint32_t)base;
    h->bias_s = (uint32_t)(base + wb);
    h->bias_u = h->bias_s + (uint32_t)arr;
    h->mult = h->bias_u + (uint32_t)arr;
    h->mask = h->mult + (uint32_t)arr;
    h->half = h->mask + (uint32_t)arr;
    h->rsh = h->half + (uint32_t)arr;
    const int32_t *m = (const int32_t *)(const void *)(b + m_off), *s = (const int32_t *)(const void *)(b + s_off);
    int32_t *om = (int32_t *)(void *)(b + h->mult), *omask = (int32_t *)(void *)(b + h->mask);
    int32_t *ohalf = (int32_t *)(void *)(b + h->half), *orsh = (int32_t *)(void *)(b + h->rsh);
    for (int32_t i = 0; i < c; i++) {
        const int32_t r = -s[i * step];
        om[i] = m[i * step];
        orsh[i] = r;
        omask[i] = (int32_t)(((int64_t)1 << r) - 1);
        ohalf[i] = omask[i] >> 1;
    }
    return h;
}

/* 3 = AVX-512 VNNI (256-bit VPDPBUSD), 2 = AVX2, 1 = SSE4.1, 0 = none. */
static inline int mote_x86_level(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx2"))
        return 3;
    if (__builtin_cpu_supports("avx2")) return 2;
    if (__builtin_cpu_supports("sse4.1")) return 1;
    return 0;
}

/* The level a node runs at: the CPU's, capped by the node's max_level. */
static inline int mote_x86_level_of(const mote_x86_view *v)
{
    const int l = mote_x86_level();
    return v->max_level > 0 && l > v->max_level ? v->max_level : l;
}

/* Store the first n (<= 8) bytes of r. */
MOTE_INLINE MOTE_SSE41 void mote_x86_store8(int8_t *dst, __m128i r, int32_t n)
{
    if (n >= 8) {
        _mm_storel_epi64((__m128i *)(void *)dst, r);
    } else {
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)(void *)tmp, r);
        memcpy(dst, tmp, (size_t)n);
    }
}

/* The reference output stage (mote_mul_qm, mote_add_sat, clamp) on 8
 * channels starting at cb, exact for every int32 accumulator when the shift
 * is in [-31, 0] (mote_x86_shifts_ok): (acc * m + 2^30) >> 31 is the
 * doubling high multiply for m >= 0, the division by 2^r rounds half away
 * from zero by comparing the remainder as gemmlowp does (no add that could
 * overflow), and the clamp runs before the zero point is added. 8 int8 in
 * the low half. */
MOTE_INLINE MOTE_AVX2 __m128i mote_x86_requant8(__m256i acc, const mote_x86_view *v, int32_t cb)
{
    const __m256i m = _mm256_loadu_si256((const __m256i *)(const void *)(v->mult + cb));
    const __m256i half = _mm256_set1_epi64x((int64_t)1 << 30);
    /* (acc * m + 2^30) >> 31 in 64 bits: even lanes, then odd lanes moved up */
    __m256i e = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(acc, m), half), 31);
    __m256i o = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(m, 32)), half);
    __m256i x = _mm256_blend_epi32(e, _mm256_slli_epi64(o, 1), 0xAA);
    const __m256i rem = _mm256_and_si256(x, _mm256_loadu_si256((const __m256i *)(const void *)(v->mask + cb)));
    const __m256i thr = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(v->half + cb)),
                                         _mm256_srai_epi32(x, 31));
    x = _mm256_srav_epi32(x, _mm256_loadu_si256((const __m256i *)(const void *)(v->rsh + cb)));
    x = _mm256_sub_epi32(x, _mm256_cmpgt_epi32(rem, thr));
    x = _mm256_min_epi32(_mm256_max_epi32(x, _mm256_set1_epi32(v->act_min - v->out_off)),
                         _mm256_set1_epi32(v->act_max - v->out_off));
    x = _mm256_add_epi32(x, _mm256_set1_epi32(v->out_off));
    __m128i p = _mm_packs_epi32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
    return _mm_packs_epi16(p, p);
}

/* Scalar output stage for the SSE4.1 paths: the reference one. */
static inline void mote_x86_requant_n(const int32_t *acc, const mote_x86_view *v, int32_t cb, int32_t n, int8_t *dst)
{
    for (int32_t i = 0; i < n; i++) {
        const int32_t r = mote_add_sat(mote_mul_qm(acc[i], v->mult[cb + i], -v->rsh[cb + i]), v->out_off);
        dst[i] = (int8_t)mote_clamp_i32(r, v->act_min, v->act_max);
    }
}

/* The vector output stage's precondition: no left shifts, right shifts < 32,
 * multipliers >= 0 (as mote_quantize_multiplier makes them). */
static inline int mote_x86_shifts_ok(const int32_t *mult, const int32_t *shift, int32_t n, int32_t step)
{
    for (int32_t i = 0; i < n; i++)
        if (shift[i * step] > 0 || shift[i * step] < -31 || mult[i * step] < 0) return 0;
    return 1;
}

/* GEMM over rows of int16 inputs (row stride lda elements, kq*4 used):
 * out[r][c] for c < v->c, row stride v->c. AVX2: PMADDWD on sign-extended
 * weights, the two pair sums of a channel joined by PHADDD at the end. Four
 * rows at a time share each weight load (written out: compilers keep arrays
 * of accumulators in memory). */
MOTE_INLINE MOTE_AVX2 __m256i mote_x86_bcast4(const int16_t *a)
{
    int64_t x4;
    memcpy(&x4, a, 8);
    return _mm256_set1_epi64x(x4);
}

MOTE_INLINE MOTE_AVX2 __m256i mote_x86_madd4(__m256i acc, const int16_t *a, __m256i w)
{
    int64_t x4;
    memcpy(&x4, a, 8);
    return _mm256_add_epi32(_mm256_madd_epi16(_mm256_set1_epi64x(x4), w), acc);
}

MOTE_INLINE MOTE_AVX2 void mote_x86_out_avx2(const mote_x86_view *v, __m256i lo, __m256i hi, const int32_t *bias,
                                               int32_t cb, int32_t n, int8_t *dst)
{
    const __m256i acc = _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo, hi), 0xD8);
    const __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)bias);
    mote_x86_store8(dst, mote_x86_requant8(_mm256_add_epi32(acc, b), v, cb), n);
}

static MOTE_AVX2 void mote_x86_gemm_avx2(const mote_x86_view *v, const int16_t *a, int32_t lda, int32_t rows,
                                         int8_t *out)
{
    const size_t step = (size_t)v->cp * 4, ld = (size_t)lda;
    for (int32_t cb = 0; cb < v->cp; cb += 8) {
        const int8_t *w = v->w + (size_t)cb * 4;
        const int32_t *bias = v->bias_s + cb;
        const int32_t n = v->c - cb < 8 ? v->c - cb : 8;
        if (rows == 4) {
            __m256i l0 = _mm256_setzero_si256(), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
            const int16_t *a0 = a, *a1 = a + ld, *a2 = a + 2 * ld, *a3 = a + 3 * ld;
            for (int32_t q = 0; q < v->kq; q++, w += step) {
                const size_t k = 4 * (size_t)q;
                const __m256i x0 = mote_x86_bcast4(a0 + k), x1 = mote_x86_bcast4(a1 + k);
                const __m256i x2 = mote_x86_bcast4(a2 + k), x3 = mote_x86_bcast4(a3 + k);
                __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)w));
                l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(x0, wv));
                l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(x1, wv));
                l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(x2, wv));
                l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(x3, wv));
                wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w + 16)));
                h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(x0, wv));
                h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(x1, wv));
                h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(x2, wv));
                h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(x3, wv));
            }
            const size_t c = (size_t)v->c;
            mote_x86_out_avx2(v, l0, h0, bias, cb, n, out + cb);
            mote_x86_out_avx2(v, l1, h1, bias, cb, n, out + c + cb);
            mote_x86_out_avx2(v, l2, h2, bias, cb, n, out + 2 * c + cb);
            mote_x86_out_avx2(v, l3, h3, bias, cb, n, out + 3 * c + cb);
            continue;
        }
        for (int32_t r = 0; r < rows; r++) {
            const int16_t *ar = a + (size_t)r * ld;
            const int8_t *wr = w;
            __m256i l0 = _mm256_setzero_si256(), h0 = l0;
            for (int32_t q = 0; q < v->kq; q++, wr += step) {
                const __m256i wl = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)wr));
                const __m256i wh = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(wr + 16)));
                l0 = mote_x86_madd4(l0, ar + 4 * (size_t)q, wl), h0 = mote_x86_madd4(h0, ar + 4 * (size_t)q, wh);
            }
            mote_x86_out_avx2(v, l0, h0, bias, cb, n, out + (size_t)r * (size_t)v->c + cb);
        }
    }
}

/* The same with uint8 inputs (x ^ 0x80) and VPDPBUSD: one dword per channel. */
MOTE_INLINE MOTE_VNNI __m256i mote_x86_dp4(__m256i acc, const uint8_t *a, __m256i w)
{
    int32_t x4;
    memcpy(&x4, a, 4);
    return _mm256_dpbusd_epi32(acc, _mm256_set1_epi32(x4), w);
}

static MOTE_VNNI void mote_x86_gemm_vnni(const mote_x86_view *v, const uint8_t *a, int32_t lda, int32_t rows,
                                         int8_t *out)
{
    const size_t step = (size_t)v->cp * 4, ld = (size_t)lda;
    for (int32_t cb = 0; cb < v->cp; cb += 8) {
        const int8_t *w = v->w + (size_t)cb * 4;
        const __m256i bias = _mm256_loadu_si256((const __m256i *)(const void *)(v->bias_u + cb));
        const int32_t n = v->c - cb < 8 ? v->c - cb : 8;
        if (rows == 4) {
            __m256i c0 = bias, c1 = bias, c2 = bias, c3 = bias;
            const uint8_t *a0 = a, *a1 = a + ld, *a2 = a + 2 * ld, *a3 = a + 3 * ld;
            for (int32_t q = 0; q < v->kq; q++, w += step) {
                const __m256i wv = _mm256_loadu_si256((const __m256i *)(const void *)w);
                const size_t k = 4 * (size_t)q;
                c0 = mote_x86_dp4(c0, a0 + k, wv), c1 = mote_x86_dp4(c1, a1 + k, wv);
                c2 = mote_x86_dp4(c2, a2 + k, wv), c3 = mote_x86_dp4(c3, a3 + k, wv);
            }
            const size_t c = (size_t)v->c;
            mote_x86_store8(out + cb, mote_x86_requant8(c0, v, cb), n);
            mote_x86_store8(out + c + cb, mote_x86_requant8(c1, v, cb), n);
            mote_x86_store8(out + 2 * c + cb, mote_x86_requant8(c2, v, cb), n);
            mote_x86_store8(out + 3 * c + cb, mote_x86_requant8(c3, v, cb), n);
            continue;
        }
        for (int32_t r = 0; r < rows; r++) {
            const uint8_t *ar = a + (size_t)r * ld;
            const int8_t *wr = w;
            __m256i c0 = bias;
            for (int32_t q = 0; q < v->kq; q++, wr += step)
                c0 = mote_x86_dp4(c0, ar + 4 * (size_t)q, _mm256_loadu_si256((const __m256i *)(const void *)wr));
            mote_x86_store8(out + (size_t)r * (size_t)v->c + cb, mote_x86_requant8(c0, v, cb), n);
        }
    }
}

/* SSE4.1: one row at a time, scalar output stage. */
static MOTE_SSE41 void mote_x86_gemm_sse(const mote_x86_view *v, const int16_t *a, int32_t lda, int32_t rows,
                                         int8_t *out)
{
    for (int32_t r = 0; r < rows; r++, a += lda, out += v->c) {
        for (int32_t cb = 0; cb < v->cp; cb += 8) {
            __m128i acc[4];
            for (int j = 0; j < 4; j++) acc[j] = _mm_setzero_si128();
            const int8_t *w = v->w + (size_t)cb * 4;
            for (int32_t q = 0; q < v->kq; q++, w += (size_t)v->cp * 4) {
                int64_t x4;
                memcpy(&x4, a + 4 * (size_t)q, 8);
                const __m128i xb = _mm_set1_epi64x(x4);
                for (int j = 0; j < 4; j++) {
                    __m128i wj = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)(w + 8 * j)));
                    acc[j] = _mm_add_epi32(acc[j], _mm_madd_epi16(xb, wj));
                }
            }
            int32_t sum[8];
            _mm_storeu_si128((__m128i *)(void *)sum, _mm_hadd_epi32(acc[0], acc[1]));
            _mm_storeu_si128((__m128i *)(void *)(sum + 4), _mm_hadd_epi32(acc[2], acc[3]));
            const int32_t n = v->c - cb < 8 ? v->c - cb : 8;
            for (int32_t i = 0; i < n; i++) sum[i] = (int32_t)((uint32_t)sum[i] + (uint32_t)v->bias_s[cb + i]);
            mote_x86_requant_n(sum, v, cb, n, out + cb);
        }
    }
}

/* Row conversions for the GEMM inputs. */
static MOTE_AVX2 void mote_x86_cvt16_avx2(void *dst, const int8_t *src, int32_t n)
{
    int16_t *d = dst;
    int32_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(void *)(d + i),
                            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(src + i))));
    for (; i < n; i++) d[i] = src[i];
}
static MOTE_SSE41 void mote_x86_cvt16_sse(void *dst, const int8_t *src, int32_t n)
{
    int16_t *d = dst;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(void *)(d + i),
                         _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)(src + i))));
    for (; i < n; i++) d[i] = src[i];
}
static MOTE_AVX2 void mote_x86_cvtu8_avx2(void *dst, const int8_t *src, int32_t n)
{
    uint8_t *d = dst;
    int32_t i = 0;
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (; i + 32 <= n; i += 32)
        _mm256_storeu_si256((__m256i *)(void *)(d + i),
                            _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(src + i)), flip));
    for (; i < n; i++) d[i] = (uint8_t)((uint8_t)src[i] ^ 0x80u);
}

typedef void (*mote_x86_cvt_fn)(void *dst, const int8_t *src, int32_t n);

/* The GEMM input format of a CPU level: converter and element size. */
static inline mote_x86_cvt_fn mote_x86_cvt_for(int level, int32_t *es)
{
    *es = level == 3 ? 1 : 2;
    return level == 3 ? mote_x86_cvtu8_avx2 : (level == 2 ? mote_x86_cvt16_avx2 : mote_x86_cvt16_sse);
}

/* n copies of the zero point (x = zp) in the GEMM input format. */
static inline void mote_x86_fill(void *dst, int32_t es, int32_t zp, int32_t n)
{
    if (es == 1) {
        memset(dst, (int)(uint8_t)((uint8_t)zp ^ 0x80u), (size_t)n);
    } else {
        int16_t *d = dst;
        for (int32_t i = 0; i < n; i++) d[i] = (int16_t)zp;
    }
}

/* One GEMM step on `rows` (<= 4) converted rows of stride lda elements. */
static inline void mote_x86_gemm(int level, const mote_x86_view *v, const void *a, int32_t lda, int32_t rows,
                                 int8_t *out)
{
    if (level == 3)
        mote_x86_gemm_vnni(v, a, lda, rows, out);
    else if (level == 2)
        mote_x86_gemm_avx2(v, a, lda, rows, out);
    else
        mote_x86_gemm_sse(v, a, lda, rows, out);
}

/* Weight i of an int8, int4 (MOTE_I4) or binary (MOTE_I1) filter: int4 and
 * binary filters are widened to int8 in the x86 kernels' parameter blocks (hosts have no flash limit). */
static inline int8_t mote_x86_wv(const mote_tensor *w, size_t i)
{
    if (w->type == MOTE_I1) return (int8_t)mote_s1_at(w->data, i); /* binary: +-1 */
    return w->type == MOTE_I4 ? (int8_t)mote_s4_at(w->data, i) : ((const int8_t *)w->data)[i];
}

/* Prepare for a GEMM node: pack weights w (element (c, k) at w[c * k_len + k])
 * and fold bias (may be NULL) and the input zero point. */
static inline mote_x86_pack *mote_x86_pack_gemm(mote_ctx *ctx, mote_node *n, const mote_tensor *w, const int32_t *bias,
                                                int32_t c, int32_t k, int32_t in_zp, const int32_t *mult,
                                                const int32_t *shift, int32_t step)
{
    const int32_t kq = (k + 3) / 4, cp = (c + 7) & ~7;
    mote_x86_pack *h = mote_x86_grow(ctx, n, (size_t)kq * (size_t)cp * 4, c, mult, shift, step);
    if (!h) return NULL;
    uint8_t *b = n->data;
    int8_t *pw = (int8_t *)(b + h->w);
    int32_t *bs = (int32_t *)(void *)(b + h->bias_s), *bu = (int32_t *)(void *)(b + h->bias_u);
    for (int32_t ch = 0; ch < c; ch++) {
        int64_t sum = 0;
        for (int32_t i = 0; i < k; i++) {
            const int8_t wv = mote_x86_wv(w, (size_t)ch * (size_t)k + (size_t)i);
            pw[((size_t)(i / 4) * (size_t)cp + (size_t)ch) * 4 + (size_t)(i % 4)] = wv;
            sum += wv;
        }
        const int64_t s = (bias ? bias[ch] : 0) - (int64_t)in_zp * sum;
        bs[ch] = (int32_t)s;
        bu[ch] = (int32_t)(s - 128 * sum);
    }
    h->k = k, h->kq = kq, h->in_zp = in_zp;
    return h;
}

#endif /* __x86_64__ */
#endif
