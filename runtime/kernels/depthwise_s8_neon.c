/* DEPTHWISE_CONV_2D int8 for aarch64 NEON (depth multiplier 1): 16
 * channels per step, int8 products (SMULL) widened into four int32x4
 * accumulators; with MOTE_NEON_PAIRS two taps' products share an int16
 * (SMLAL) before widening. Weights [taps][cp] and biases folded at prepare
 * (neon_s8.h). Taps outside the input read a row of zero points from
 * scratch, so every pixel runs the same loop and padding adds
 * (zp - zp) * w = 0. Each output pixel is written after its own window is
 * read and before the next one's: in-place block 1. Other builds run the
 * same block in scalar C. */
#include "conv_common.h"
#include "neon_s8.h"

#define MAX_TAPS 64

typedef struct {
    int32_t ih, iw, c, kh, kw, sh, sw, pad_h, pad_w, oh, ow;
} geom;

/* Input address of every tap of output pixel (b, oy, ox): one row address
 * per filter row, then steps of c bytes. */
static void taps_of(const geom *g, const int8_t *x, const int8_t *zprow, int32_t b, int32_t oy, int32_t ox,
                    const int8_t **tp)
{
    const int32_t y0 = oy * g->sh - g->pad_h, x0 = ox * g->sw - g->pad_w;
    const size_t c = (size_t)g->c;
    for (int32_t fy = 0; fy < g->kh; fy++) {
        const int32_t iy = y0 + fy;
        if (iy < 0 || iy >= g->ih) {
            for (int32_t fx = 0; fx < g->kw; fx++) *tp++ = zprow;
            continue;
        }
        const int8_t *row = x + ((size_t)b * (size_t)g->ih + (size_t)iy) * (size_t)g->iw * c;
        for (int32_t fx = 0, ix = x0; fx < g->kw; fx++, ix++)
            *tp++ = ix < 0 || ix >= g->iw ? zprow : row + (size_t)ix * c;
    }
}

#if MOTE_NEON

/* 16 bytes of tap i from channel cb; fewer than 16 left: copied (no read
 * past the tensor), the rest zero. */
MOTE_NEON_ALWAYS int8x16_t load_tap(const int8_t *p, int32_t n)
{
    if (n == 16) return vld1q_s8(p);
    int8_t tmp[16] = {0};
    memcpy(tmp, p, (size_t)n);
    return vld1q_s8(tmp);
}

/* 16 channels from cb (n of them real) of one pixel. */
MOTE_NEON_ALWAYS void block16(const mote_neon_view *v, const int8_t *const *tp, int32_t taps, int8_t *y, int32_t cb,
                              int32_t n, int pairs)
{
    const size_t cp = (size_t)v->cp;
    int32x4_t a0 = vld1q_s32(v->bias + cb), a1 = vld1q_s32(v->bias + cb + 4);
    int32x4_t a2 = vld1q_s32(v->bias + cb + 8), a3 = vld1q_s32(v->bias + cb + 12);
    const int8_t *w = v->w + cb;
    int32_t i = 0;
    if (pairs) {
        for (; i + 2 <= taps; i += 2, w += 2 * cp) {
            const int8x16_t x0 = load_tap(tp[i] + cb, n), x1 = load_tap(tp[i + 1] + cb, n);
            const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + cp);
            const int16x8_t lo = vmlal_s8(vmull_s8(vget_low_s8(x0), vget_low_s8(w0)), vget_low_s8(x1), vget_low_s8(w1));
            const int16x8_t hi = vmlal_high_s8(vmull_high_s8(x0, w0), x1, w1);
            a0 = vaddw_s16(a0, vget_low_s16(lo)), a1 = vaddw_high_s16(a1, lo);
            a2 = vaddw_s16(a2, vget_low_s16(hi)), a3 = vaddw_high_s16(a3, hi);
        }
    }
    for (; i < taps; i++, w += cp) {
        const int8x16_t x0 = load_tap(tp[i] + cb, n), w0 = vld1q_s8(w);
        const int16x8_t lo = vmull_s8(vget_low_s8(x0), vget_low_s8(w0)), hi = vmull_high_s8(x0, w0);
        a0 = vaddw_s16(a0, vget_low_s16(lo)), a1 = vaddw_high_s16(a1, lo);
        a2 = vaddw_s16(a2, vget_low_s16(hi)), a3 = vaddw_high_s16(a3, hi);
    }
    const int8x16_t r = vcombine_s8(mote_neon_narrow8(mote_neon_requant4(a0, v, cb), mote_neon_requant4(a1, v, cb + 4)),
                                    mote_neon_narrow8(mote_neon_requant4(a2, v, cb + 8), mote_neon_requant4(a3, v, cb + 12)));
    if (n == 16) {
        vst1q_s8(y + cb, r);
    } else {
        int8_t tmp[16];
        vst1q_s8(tmp, r);
        memcpy(y + cb, tmp, (size_t)n);
    }
}

/* Full blocks with n a constant 16 (no tail checks), then the tail. */
MOTE_NEON_ALWAYS void pixel_body(const mote_neon_view *v, const int8_t *const *tp, int32_t taps, int8_t *y, int pairs)
{
    int32_t cb = 0;
    for (; cb + 16 <= v->c; cb += 16) block16(v, tp, taps, y, cb, 16, pairs);
    if (cb < v->c) block16(v, tp, taps, y, cb, v->c - cb, pairs);
}

static void pixel(const mote_neon_view *v, const int8_t *const *tp, int32_t taps, int8_t *y)
{
    if (v->flags & MOTE_NEON_PAIRS)
        pixel_body(v, tp, taps, y, 1);
    else
        pixel_body(v, tp, taps, y, 0);
}

#else /* scalar C over the same block */

static void pixel(const mote_neon_view *v, const int8_t *const *tp, int32_t taps, int8_t *y)
{
    for (int32_t ch = 0; ch < v->c; ch++) {
        uint32_t acc = (uint32_t)v->bias[ch];
        for (int32_t i = 0; i < taps; i++)
            acc += (uint32_t)((int32_t)tp[i][ch] * v->w[(size_t)i * (size_t)v->cp + (size_t)ch]);
        y[ch] = mote_neon_requant1((int32_t)acc, v, ch);
    }
}

#endif

void mote_depthwise_s8_neon_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const mote_neon_view v = mote_neon_view_of(n);
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    const geom g = {in->dims[1], in->dims[2], in->dims[3], ft->dims[1], ft->dims[2], n->opts.stride_h,
                    n->opts.stride_w, d->pad_h, d->pad_w, out->dims[1], out->dims[2]};
    const int32_t taps = g.kh * g.kw;
    int8_t *zprow = n->scratch;
    memset(zprow, (int)(uint8_t)(int8_t)v.in_zp, (size_t)v.cp);
    const int8_t *tp[MAX_TAPS];
    int8_t *y = out->data;
    for (int32_t b = 0; b < in->dims[0]; b++)
        for (int32_t oy = 0; oy < g.oh; oy++)
            for (int32_t ox = 0; ox < g.ow; ox++, y += v.c) {
                taps_of(&g, in->data, zprow, b, oy, ox, tp);
                pixel(&v, tp, taps, y);
            }
}

mote_status mote_depthwise_s8_neon_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_conv_data *d = n->data;
    const int32_t c = ft->dims[3], taps = ft->dims[1] * ft->dims[2];
    const int32_t zp = in->q.zero_point[0];
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    if (d->depth_mult != 1 || n->opts.dilation_h != 1 || n->opts.dilation_w != 1 || taps > MAX_TAPS) return MOTE_OK;
    if (zp < -128 || zp > 127 || !mote_const_bytes(ft) || (bt && !mote_const_bytes(bt))) return MOTE_OK;
    if (!mote_neon_shifts_ok(mote_conv_shift(d), c, 1)) return MOTE_OK;
    const int32_t cp = (c + 15) & ~15;
    mote_neon_pack *h = mote_neon_grow(ctx, n, (size_t)taps * (size_t)cp, c, cp, mote_conv_mult(d), mote_conv_shift(d), 1);
    if (!h) return MOTE_ERR_ARENA;
    d = n->data;
    uint8_t *b = n->data;
    int8_t *w = (int8_t *)(b + h->w);
    int32_t *bs = (int32_t *)(void *)(b + h->bias);
    const int8_t *f = ft->data;
    for (int32_t ch = 0; ch < c; ch++) {
        int64_t sum = 0;
        for (int32_t i = 0; i < taps; i++) {
            w[(size_t)i * (size_t)cp + (size_t)ch] = f[(size_t)i * (size_t)c + (size_t)ch];
            sum += f[(size_t)i * (size_t)c + (size_t)ch];
        }
        bs[ch] = (int32_t)(uint32_t)((bias ? bias[ch] : 0) - (int64_t)zp * sum);
    }
    h->k = taps, h->kp = taps, h->in_zp = zp;
    h->out_off = d->output_offset, h->act_min = d->act_min, h->act_max = d->act_max;
    h->flags = mote_neon_no_m128(f, (size_t)taps * (size_t)c) ? MOTE_NEON_PAIRS : 0;
    n->scratch_bytes = (size_t)cp;
    n->eval = mote_depthwise_s8_neon_eval;
    return MOTE_OK;
}
