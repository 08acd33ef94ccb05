/* CONV_2D int8 for aarch64 NEON: im2col of 4 output pixels at a time into
 * scratch (raw int8, padding taps = the input zero point, zeros past k),
 * then one GEMM step against weights packed at prepare (neon_s8.h),
 * requantization fused. 1x1 convs take the same path (their im2col is a
 * copy, negligible beside k * channels MACs). All 4 pixels' windows are read
 * before any of them is written, so the reference's in-place rule holds
 * (block 1). Other builds run the same block in scalar C (neon_s8.h). */
#include "conv_common.h"
#include "neon_s8.h"

#define ROWS 4

typedef struct {
    int32_t ih, iw, ic, kh, kw, sh, sw, pad_h, pad_w, oh, ow;
} geom;

/* Window of output pixel p as one GEMM row of kp bytes: taps (fy, fx,
 * channel). Valid taps of a filter row are contiguous in NHWC: one copy. */
static void im2col_row(const geom *g, const int8_t *x, int64_t p, int8_t *dst, int32_t zp, int32_t kp)
{
    const int64_t plane = (int64_t)g->oh * g->ow;
    const int32_t b = (int32_t)(p / plane), oy = (int32_t)(p % plane / g->ow), ox = (int32_t)(p % g->ow);
    const int32_t y0 = oy * g->sh - g->pad_h, x0 = ox * g->sw - g->pad_w;
    int32_t fx0 = x0 < 0 ? -x0 : 0, fx1 = g->iw - x0 < g->kw ? g->iw - x0 : g->kw;
    if (fx1 < fx0) fx1 = fx0;
    const size_t row = (size_t)g->kw * (size_t)g->ic, ic = (size_t)g->ic;
    const int fill = (int)(uint8_t)(int8_t)zp;
    for (int32_t fy = 0; fy < g->kh; fy++, dst += row) {
        const int32_t iy = y0 + fy;
        if (iy < 0 || iy >= g->ih || fx1 == fx0) {
            memset(dst, fill, row);
            continue;
        }
        if (fx0 > 0) memset(dst, fill, (size_t)fx0 * ic);
        const int8_t *src = x + (((size_t)b * (size_t)g->ih + (size_t)iy) * (size_t)g->iw + (size_t)(x0 + fx0)) * ic;
        memcpy(dst + (size_t)fx0 * ic, src, (size_t)(fx1 - fx0) * ic);
        if (fx1 < g->kw) memset(dst + (size_t)fx1 * ic, fill, (size_t)(g->kw - fx1) * ic);
    }
    memset(dst, 0, (size_t)kp - (size_t)g->kh * row); /* weights there are 0 */
}

void mote_conv_s8_neon_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const mote_neon_view v = mote_neon_view_of(n);
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    const geom g = {in->dims[1], in->dims[2], in->dims[3], ft->dims[1], ft->dims[2], n->opts.stride_h,
                    n->opts.stride_w, d->pad_h, d->pad_w, out->dims[1], out->dims[2]};
    const int64_t npx = (int64_t)in->dims[0] * g.oh * g.ow;
    int8_t *a = n->scratch;
    int8_t *y = out->data;
    for (int64_t p = 0; p < npx; p += ROWS) {
        const int32_t rows = npx - p < ROWS ? (int32_t)(npx - p) : ROWS;
        for (int32_t r = 0; r < rows; r++) im2col_row(&g, in->data, p + r, a + (size_t)r * (size_t)v.kp, v.in_zp, v.kp);
        mote_neon_gemm(&v, a, rows, y + (size_t)p * (size_t)v.c);
    }
}

mote_status mote_conv_s8_neon_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_conv_data *d = n->data;
    const int32_t oc = ft->dims[0], k = ft->dims[1] * ft->dims[2] * ft->dims[3];
    const int32_t zp = in->q.zero_point[0];
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    if (ft->dims[3] != in->dims[3] || n->opts.dilation_h != 1 || n->opts.dilation_w != 1) return MOTE_OK;
    if (zp < -128 || zp > 127 || !mote_const_bytes(ft) || (bt && !mote_const_bytes(bt))) return MOTE_OK;
    if (k > (1 << 20)) return MOTE_OK;
    if (!mote_neon_shifts_ok(mote_conv_shift(d), oc, 1)) return MOTE_OK;
    mote_neon_pack *h = mote_neon_pack_gemm(ctx, n, ft->data, bias, oc, k, zp, mote_conv_mult(d), mote_conv_shift(d), 1);
    if (!h) return MOTE_ERR_ARENA;
    d = n->data;
    h->out_off = d->output_offset, h->act_min = d->act_min, h->act_max = d->act_max;
    n->scratch_bytes = (size_t)ROWS * (size_t)h->kp;
    n->eval = mote_conv_s8_neon_eval;
    return MOTE_OK;
}
