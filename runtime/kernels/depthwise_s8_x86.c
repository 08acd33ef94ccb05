/* DEPTHWISE_CONV_2D int8 on x86-64 (depth multiplier 1): SIMD across
 * channels, 8 (AVX2) or 4 (SSE4.1) per step; weights widened to int32
 * [taps][channels] and biases folded at prepare (x86_s8.h). Taps outside the
 * input read a row of zero points from scratch, so every pixel runs the same
 * loop and padding adds (zp - zp) * w = 0. Each output pixel is written after
 * its own window is read and before the next one's: in-place block 1. */
#include "conv_common.h"
#include "x86_s8.h"

#if defined(__x86_64__)

#define MAX_TAPS 64

typedef struct {
    int32_t ih, iw, c, kh, kw, sh, sw, pad_h, pad_w, oh, ow;
} geom;

/* Input address of every tap of output pixel (b, oy, ox). */
static void taps_of(const geom *g, const int8_t *x, const int8_t *zprow, int32_t b, int32_t oy, int32_t ox,
                    const int8_t **tp)
{
    const int32_t y0 = oy * g->sh - g->pad_h, x0 = ox * g->sw - g->pad_w;
    for (int32_t fy = 0; fy < g->kh; fy++) {
        const int32_t iy = y0 + fy;
        for (int32_t fx = 0; fx < g->kw; fx++) {
            const int32_t ix = x0 + fx;
            *tp++ = iy < 0 || iy >= g->ih || ix < 0 || ix >= g->iw
                        ? zprow
                        : x + (((size_t)b * (size_t)g->ih + (size_t)iy) * (size_t)g->iw + (size_t)ix) * (size_t)g->c;
        }
    }
}

static MOTE_AVX2 void pixel_avx2(const mote_x86_view *v, const int8_t *const *tp, int32_t taps, int8_t *y)
{
    for (int32_t cb = 0; cb < v->cp; cb += 8) {
        __m256i acc = _mm256_loadu_si256((const __m256i *)(const void *)(v->bias_s + cb));
        const int32_t *w = v->wd + cb;
        const int32_t n = v->c - cb < 8 ? v->c - cb : 8;
        if (n == 8) {
            for (int32_t i = 0; i < taps; i++, w += v->cp) {
                __m256i xv = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(tp[i] + cb)));
                acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(xv, _mm256_loadu_si256((const __m256i *)(const void *)w)));
            }
        } else {
            for (int32_t i = 0; i < taps; i++, w += v->cp) {
                int8_t tmp[8] = {0};
                memcpy(tmp, tp[i] + cb, (size_t)n);
                __m256i xv = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)tmp));
                acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(xv, _mm256_loadu_si256((const __m256i *)(const void *)w)));
            }
        }
        mote_x86_store8(y + cb, mote_x86_requant8(acc, v, cb), n);
    }
}

static MOTE_SSE41 void pixel_sse(const mote_x86_view *v, const int8_t *const *tp, int32_t taps, int8_t *y)
{
    for (int32_t cb = 0; cb < v->c; cb += 4) {
        __m128i acc = _mm_loadu_si128((const __m128i *)(const void *)(v->bias_s + cb));
        const int32_t *w = v->wd + cb;
        const int32_t n = v->c - cb < 4 ? v->c - cb : 4;
        for (int32_t i = 0; i < taps; i++, w += v->cp) {
            int32_t x4 = 0;
            memcpy(&x4, tp[i] + cb, (size_t)n);
            __m128i xv = _mm_cvtepi8_epi32(_mm_cvtsi32_si128(x4));
            acc = _mm_add_epi32(acc, _mm_mullo_epi32(xv, _mm_loadu_si128((const __m128i *)(const void *)w)));
        }
        int32_t sum[4];
        _mm_storeu_si128((__m128i *)(void *)sum, acc);
        mote_x86_requant_n(sum, v, cb, n, y + cb);
    }
}

void mote_depthwise_s8_x86_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const mote_x86_view v = mote_x86_view_of(n);
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    const geom g = {in->dims[1], in->dims[2], in->dims[3], ft->dims[1], ft->dims[2], n->opts.stride_h,
                    n->opts.stride_w, d->pad_h, d->pad_w, out->dims[1], out->dims[2]};
    const int32_t taps = g.kh * g.kw;
    const int avx2 = mote_x86_level_of(&v) >= 2;
    int8_t *zprow = n->scratch;
    memset(zprow, (int)(uint8_t)(int8_t)v.in_zp, (size_t)v.cp);
    const int8_t *tp[MAX_TAPS];
    int8_t *y = out->data;
    for (int32_t b = 0; b < in->dims[0]; b++)
        for (int32_t oy = 0; oy < g.oh; oy++)
            for (int32_t ox = 0; ox < g.ow; ox++, y += v.c) {
                taps_of(&g, in->data, zprow, b, oy, ox, tp);
                if (avx2)
                    pixel_avx2(&v, tp, taps, y);
                else
                    pixel_sse(&v, tp, taps, y);
            }
}

mote_status mote_depthwise_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_conv_data *d = n->data;
    const int32_t c = ft->dims[3], taps = ft->dims[1] * ft->dims[2];
    const int32_t zp = in->q.zero_point[0];
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    if (mote_x86_level() < 1) return MOTE_OK;
    if (d->depth_mult != 1 || n->opts.dilation_h != 1 || n->opts.dilation_w != 1 || taps > MAX_TAPS) return MOTE_OK;
    if (zp < -128 || zp > 127 || !mote_const_bytes(ft) || (bt && !mote_const_bytes(bt))) return MOTE_OK;
    if (!mote_x86_shifts_ok(mote_conv_mult(d), mote_conv_shift(d), c, 1)) return MOTE_OK;
    const int32_t cp = (c + 7) & ~7;
    mote_x86_pack *h = mote_x86_grow(ctx, n, (size_t)taps * (size_t)cp * sizeof(int32_t), c, mote_conv_mult(d),
                                     mote_conv_shift(d), 1);
    if (!h) return MOTE_ERR_ARENA;
    d = n->data;
    uint8_t *b = n->data;
    int32_t *w = (int32_t *)(void *)(b + h->w), *bs = (int32_t *)(void *)(b + h->bias_s);
    for (int32_t ch = 0; ch < c; ch++) {
        int64_t sum = 0;
        for (int32_t i = 0; i < taps; i++) {
            const int32_t wv = mote_x86_wv(ft, (size_t)i * (size_t)c + (size_t)ch); /* int8 or int4 */
            w[(size_t)i * (size_t)cp + (size_t)ch] = wv;
            sum += wv;
        }
        bs[ch] = (int32_t)((bias ? bias[ch] : 0) - (int64_t)zp * sum);
    }
    h->k = taps, h->in_zp = zp;
    h->out_off = d->output_offset, h->act_min = d->act_min, h->act_max = d->act_max;
    n->scratch_bytes = (size_t)cp;
    n->eval = mote_depthwise_s8_x86_eval;
    return MOTE_OK;
}

#else

mote_status mote_depthwise_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    (void)ctx, (void)n, (void)t;
    return MOTE_OK;
}

#endif
