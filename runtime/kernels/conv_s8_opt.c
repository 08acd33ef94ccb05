/* Compile-time half of the optimized int8 CONV_2D kernels: chooses
 * conv_s8_1x1 or conv_s8_im2col and packs their parameters (gemm_s8.h):
 * weights in channel pairs, biases with the input zero point folded in. */
#include "gemm_s8.h"

/* Channel c's output stage for the kernel (mote_requant_fit): its own, or
 * for a dead channel one inside the bound that gives the same constant.
 * The kernel's partial sums stay within |bias| + spread, spread = 256 sum|w|:
 * the folded bias adds |zp sum w| <= 128 sum|w|, the raw products as much
 * again (and the reference's dot, w * (x - zp), at most 255 sum|w|). */
static int chan_fit(const mote_conv_data *d, const mote_tensor *bias, const int8_t *w, int32_t c, int64_t k,
                    int32_t zp, mote_requant_chan *f)
{
    int64_t lo, hi, sabs;
    mote_s8_dot_range(w + (size_t)c * (size_t)k, 1, k, zp, &lo, &hi, &sabs);
    const int64_t b = bias ? ((const int32_t *)bias->data)[c] : 0;
    if (!mote_requant_fit(b, mote_conv_mult(d)[c], mote_conv_shift(d)[c], lo, hi, 256 * sabs, (int64_t)1 << 30, 0,
                          d->output_offset, d->act_min, d->act_max, f))
        return 0;
    return mote_requant_fast_ok(&f->shift, 1, (f->bias < 0 ? -(int64_t)f->bias : f->bias) + 256 * sabs);
}

mote_status mote_conv_s8_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_conv_data *d = n->data;
    const int32_t oc = ft->dims[0], kh = ft->dims[1], kw = ft->dims[2], ic = ft->dims[3];
    const int32_t zp = in->q.zero_point[0];
    if (ic != in->dims[3] || zp < -128 || zp > 127) return MOTE_OK; /* groups: reference */
    const int64_t k = (int64_t)kh * kw * ic;
    if (k < 1 || !mote_const_bytes(ft) || (bt && !mote_const_bytes(bt)) || k > (1 << 20)) return MOTE_OK;
    for (int32_t c = 0; c < oc; c++) {
        mote_requant_chan f;
        if (!chan_fit(d, bt, ft->data, c, k, zp, &f)) return MOTE_OK;
    }
    const int32_t kp = (int32_t)((k + 3) & ~(int64_t)3), pairs = (oc + 1) / 2;
    const int one = kh == 1 && kw == 1;

    size_t at = mote_gemm_s8_pack_offset(oc);
    uint8_t *blk = mote_node_data_grow(ctx, n, at + mote_gemm_s8_pack_bytes(pairs, kp));
    if (!blk) return MOTE_ERR_ARENA;
    mote_gemm_s8_pack *g = (mote_gemm_s8_pack *)(void *)(blk + at);
    g->k = (int32_t)k;
    g->kp = kp;
    g->pairs = pairs;
    g->pad_x = zp;
    mote_gemm_s8_pair *pr = (mote_gemm_s8_pair *)(void *)(g + 1);
    int8_t *w = (int8_t *)(pr + pairs);
    const int8_t *src = ft->data;
    d = (const mote_conv_data *)(const void *)blk; /* the block moved */
    for (int32_t c = 0; c < oc; c++) {
        int64_t sum = 0;
        for (int64_t j = 0; j < k; j++) sum += src[(size_t)c * (size_t)k + (size_t)j];
        mote_gemm_s8_pair *r = &pr[c / 2];
        mote_requant_chan f = {0, 0, 0};
        (void)chan_fit(d, bt, src, c, k, zp, &f); /* accepted above */
        r->bias[c % 2] = (int32_t)(f.bias - (int64_t)zp * sum);
        r->mult[c % 2] = f.mult;
        r->round[c % 2] = mote_requant_round(f.shift);
        r->rshift[c % 2] = mote_requant_rshift(f.shift);
        int8_t *dst = w + (size_t)(c / 2) * 2 * (size_t)kp + (size_t)(c % 2) * 4;
        for (int64_t j = 0; j < k; j++) dst[(size_t)(j / 4) * 8 + (size_t)(j % 4)] = src[(size_t)c * (size_t)k + (size_t)j];
    }
    n->scratch_bytes = mote_gemm_s8_scratch(kp) + (one ? 0 : (size_t)kp);
    n->eval = one ? mote_conv_s8_1x1_eval : mote_conv_s8_im2col_eval;
    return MOTE_OK;
}
