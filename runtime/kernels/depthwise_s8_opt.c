/* Chooser of the optimized int8 DEPTHWISE_CONV_2D kernels (contract in
 * conv_common.h): 3x3, stride 1 or 2, depth multiplier 1, no dilation, with
 * an output stage the fast requantization reproduces exactly, go to
 * depthwise_s8_3x3.c; everything else stays on the reference kernel. */
#include "depthwise_s8_3x3.h"
#include "s4_simd.h"
#include "simd_s8.h"

/* Weight i of an int8 or int4 (MOTE_I4) filter: the kernel's records hold
 * int16 weights either way, so int4 filters get the same kernel. */
static int32_t dw3_w(const mote_tensor *filter, size_t i)
{
    if (filter->type == MOTE_I4) return mote_s4_at(filter->data, i);
    return ((const int8_t *)filter->data)[i];
}

/* Channel ch's output stage for the kernel (mote_requant_fit): its own, or
 * for a dead channel one that gives the same constant. The kernel doubles
 * weights and bias, so its accumulators need |bias| + 256 sum|w| < 2^29,
 * and the rounding constant k = 2^(s-1) + (zp_out << s) must fit too. */
static int dw3_chan(const mote_conv_data *d, const mote_tensor *filter, const mote_tensor *bias, int32_t ch,
                    mote_requant_chan *f)
{
    const int32_t c = d->channels, zp = -d->input_offset;
    int64_t lo, hi, sabs;
    if (filter->type == MOTE_I4)
        mote_s4_dot_range(filter->data, (size_t)ch, (size_t)c, 9, zp, &lo, &hi, &sabs);
    else
        mote_s8_dot_range((const int8_t *)filter->data + ch, (size_t)c, 9, zp, &lo, &hi, &sabs);
    const int64_t b = bias ? ((const int32_t *)bias->data)[ch] : 0;
    if (!mote_requant_fit(b, mote_conv_mult(d)[ch], mote_conv_shift(d)[ch], lo, hi, 256 * sabs, (int64_t)1 << 29, 1,
                          d->output_offset, d->act_min, d->act_max, f))
        return 0;
    const int32_t s = -f->shift;
    const int64_t k = ((int64_t)1 << (s - 1)) + (int64_t)d->output_offset * ((int64_t)1 << s);
    return f->mult >= 0 && k < ((int64_t)1 << 30) && k > -((int64_t)1 << 30);
}

/* Does the 3x3 kernel apply, and is its arithmetic exact here? */
static int dw3_fits(const mote_node *n, const mote_conv_data *d, const mote_tensor *in,
                    const mote_tensor *filter, const mote_tensor *bias)
{
    const int32_t c = d->channels;
    if (d->depth_mult != 1 || filter->dims[1] != 3 || filter->dims[2] != 3 || !mote_const_bytes(filter)) return 0;
    if (bias && !mote_const_bytes(bias)) return 0;
    if (n->opts.dilation_h != 1 || n->opts.dilation_w != 1) return 0;
    if (n->opts.stride_h < 1 || n->opts.stride_h > 2 || n->opts.stride_w < 1 || n->opts.stride_w > 2) return 0;
    if (in->dims[3] != c || d->input_offset < -127 || d->input_offset > 128) return 0;
    for (int32_t ch = 0; ch < c; ch++) {
        mote_requant_chan f;
        if (!dw3_chan(d, filter, bias, ch, &f)) return 0;
    }
    return 1;
}

static mote_status dw3_pack(mote_ctx *ctx, mote_node *n, const mote_tensor *in, const mote_tensor *out,
                            const mote_tensor *filter, const mote_tensor *bias)
{
    const mote_conv_data *d0 = n->data;
    const int32_t c = d0->channels;
    if (!mote_node_data_grow(ctx, n, mote_dw3_bytes(c))) return MOTE_ERR_ARENA;
    const mote_conv_data *d = n->data; /* moved */
    mote_dw3_hdr *h = (mote_dw3_hdr *)(void *)((uint8_t *)n->data + mote_dw3_offset(c));
    int32_t *rec = (int32_t *)(void *)(h + 1);
    h->row = mote_dw3_row(in->dims[2], out->dims[2], n->opts.stride_w, d->pad_w);
    h->full = d->act_min <= -128 && d->act_max >= 127;
    for (int32_t ch = 0; ch < c; ch++, rec += MOTE_DW3_REC) {
        mote_requant_chan f = {0, 0, -1};
        (void)dw3_chan(d, filter, bias, ch, &f); /* accepted by dw3_fits */
        int32_t sum = 0;
        for (int32_t r = 0; r < 3; r++) {
            int32_t t[3];
            for (int32_t k = 0; k < 3; k++) {
                const int32_t v = dw3_w(filter, (size_t)(3 * r + k) * c + ch);
                t[k] = 2 * v;
                sum += v;
            }
            rec[2 * r] = (int32_t)(((uint32_t)t[0] & 0xFFFFu) | ((uint32_t)t[1] << 16));
            rec[2 * r + 1] = (int32_t)(((uint32_t)t[1] & 0xFFFFu) | ((uint32_t)t[2] << 16));
        }
        rec[6] = 2 * (f.bias + d->input_offset * sum);
        const int32_t s = -f.shift;
        rec[7] = f.mult;
        rec[8] = (int32_t)(((int64_t)1 << (s - 1)) + (int64_t)d->output_offset * ((int64_t)1 << s));
        rec[9] = s;
    }
    size_t scratch = 3u * (size_t)c * (size_t)h->row * sizeof(int16_t);
    if (scratch > n->scratch_bytes) n->scratch_bytes = scratch;
    n->eval = mote_depthwise_s8_3x3_eval;
    return MOTE_OK;
}

mote_status mote_depthwise_s8_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *filter = mote_in(n, t, 1), *bias = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    if (n->eval != mote_depthwise_s8_eval && n->eval != mote_depthwise_s8_s4_eval) return MOTE_OK;
    if (dw3_fits(n, n->data, in, filter, bias)) return dw3_pack(ctx, n, in, out, filter, bias);
    return MOTE_OK;
}
