/* CONV_2D int8 on x86-64: im2col of 4 output pixels at a time into scratch
 * (raw inputs, padding taps = the zero point), then one GEMM step against
 * weights packed at prepare (x86_s8.h), requantization fused. 1x1 convs go
 * the same way (their im2col is a plain conversion). All 4 pixels' windows
 * are read before any of them is written, so the in-place rule of the
 * reference kernels holds (block 1). */
#include "conv_common.h"
#include "x86_s8.h"

#if defined(__x86_64__)

#define ROWS 4

typedef struct {
    int32_t ih, iw, ic, kh, kw, sh, sw, pad_h, pad_w, oh, ow;
} geom;

/* Window of output pixel p as one GEMM row: taps (fy, fx, channel). Runs of
 * valid taps are contiguous in NHWC, one conversion per filter row. */
static void im2col_row(const geom *g, const int8_t *x, int64_t p, uint8_t *dst, int32_t es, mote_x86_cvt_fn cvt,
                       int32_t zp, int32_t kp)
{
    const int64_t plane = (int64_t)g->oh * g->ow;
    const int32_t b = (int32_t)(p / plane), oy = (int32_t)(p % plane / g->ow), ox = (int32_t)(p % g->ow);
    const int32_t y0 = oy * g->sh - g->pad_h, x0 = ox * g->sw - g->pad_w;
    int32_t fx0 = x0 < 0 ? -x0 : 0, fx1 = g->iw - x0 < g->kw ? g->iw - x0 : g->kw;
    if (fx1 < fx0) fx1 = fx0;
    const int32_t row = g->kw * g->ic;
    for (int32_t fy = 0; fy < g->kh; fy++, dst += (size_t)row * (size_t)es) {
        const int32_t iy = y0 + fy;
        if (iy < 0 || iy >= g->ih || fx1 == fx0) {
            mote_x86_fill(dst, es, zp, row);
            continue;
        }
        if (fx0 > 0) mote_x86_fill(dst, es, zp, fx0 * g->ic);
        const int8_t *src = x + (((size_t)b * (size_t)g->ih + (size_t)iy) * (size_t)g->iw + (size_t)(x0 + fx0)) * (size_t)g->ic;
        cvt(dst + (size_t)fx0 * (size_t)g->ic * (size_t)es, src, (fx1 - fx0) * g->ic);
        if (fx1 < g->kw) mote_x86_fill(dst + (size_t)fx1 * (size_t)g->ic * (size_t)es, es, zp, (g->kw - fx1) * g->ic);
    }
    const int32_t k = g->kh * row;
    memset(dst, 0, (size_t)(kp - k) * (size_t)es); /* weights there are 0 */
}

void mote_conv_s8_x86_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const mote_x86_view v = mote_x86_view_of(n);
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    const geom g = {in->dims[1], in->dims[2], in->dims[3], ft->dims[1], ft->dims[2], n->opts.stride_h,
                    n->opts.stride_w, d->pad_h, d->pad_w, out->dims[1], out->dims[2]};
    const int level = mote_x86_level_of(&v);
    int32_t es;
    const mote_x86_cvt_fn cvt = mote_x86_cvt_for(level, &es);
    const int32_t kp = v.kq * 4;
    const int64_t npx = (int64_t)in->dims[0] * g.oh * g.ow;
    uint8_t *a = n->scratch;
    int8_t *y = out->data;
    for (int64_t p = 0; p < npx; p += ROWS) {
        const int32_t rows = npx - p < ROWS ? (int32_t)(npx - p) : ROWS;
        for (int32_t r = 0; r < rows; r++)
            im2col_row(&g, in->data, p + r, a + (size_t)r * (size_t)kp * (size_t)es, es, cvt, v.in_zp, kp);
        mote_x86_gemm(level, &v, a, kp, rows, y + (size_t)p * (size_t)v.c);
    }
}

mote_status mote_conv_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_conv_data *d = n->data;
    const int32_t oc = ft->dims[0], k = ft->dims[1] * ft->dims[2] * ft->dims[3];
    const int32_t zp = in->q.zero_point[0];
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    if (mote_x86_level() < 1) return MOTE_OK;
    if (ft->dims[3] != in->dims[3] || n->opts.dilation_h != 1 || n->opts.dilation_w != 1) return MOTE_OK;
    if (zp < -128 || zp > 127 || !mote_const_bytes(ft) || (bt && !mote_const_bytes(bt))) return MOTE_OK;
    if (k > (1 << 20)) return MOTE_OK;
    if (!mote_x86_shifts_ok(mote_conv_mult(d), mote_conv_shift(d), oc, 1)) return MOTE_OK;
    mote_x86_pack *h = mote_x86_pack_gemm(ctx, n, ft, bias, oc, k, zp, mote_conv_mult(d), mote_conv_shift(d), 1);
    if (!h) return MOTE_ERR_ARENA;
    d = n->data;
    h->out_off = d->output_offset, h->act_min = d->act_min, h->act_max = d->act_max;
    n->scratch_bytes = (size_t)ROWS * (size_t)h->kq * 4 * sizeof(int16_t);
    n->eval = mote_conv_s8_x86_eval;
    return MOTE_OK;
}

#else

mote_status mote_conv_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    (void)ctx, (void)n, (void)t;
    return MOTE_OK;
}

#endif
