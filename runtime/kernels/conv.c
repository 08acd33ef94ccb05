/* CONV_2D prepare: checks, fixed-point parameters and the choice of variant
 * (int8, float32, or hybrid float32 activations with int8 weights).
 * Also holds the prepare steps DEPTHWISE_CONV_2D shares. */
#include "conv_common.h"
#include "mote/sparse.h"
#include "mote/quant.h"

mote_status mote_conv_geometry(mote_ctx *ctx, const mote_node *n, const mote_tensor *in,
                               const mote_tensor *out, int32_t kh, int32_t kw, mote_conv_data *d)
{
    const mote_opts *o = &n->opts;
    int32_t oidx = n->io[n->n_in];
    if (o->stride_h < 1 || o->stride_w < 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "conv stride must be >= 1");
    if (o->dilation_h < 1 || o->dilation_w < 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "conv dilation must be >= 1");
    if (o->padding != MOTE_PAD_SAME && o->padding != MOTE_PAD_VALID)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "conv padding must be SAME or VALID");
    if (o->activation != MOTE_ACT_NONE && o->activation != MOTE_ACT_RELU && o->activation != MOTE_ACT_RELU6 &&
        o->activation != MOTE_ACT_RELU_N1_TO_1)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "conv fused activation not supported");
    if (kh < 1 || kw < 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "conv filter has an empty dimension");
    int32_t ih = in->dims[1], iw = in->dims[2];
    int32_t oh = mote_conv_out_size(o->padding, ih, kh, o->stride_h, o->dilation_h);
    int32_t ow = mote_conv_out_size(o->padding, iw, kw, o->stride_w, o->dilation_w);
    if (oh < 1 || ow < 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "conv input smaller than the dilated filter");
    if (out->rank != 4 || out->dims[0] != in->dims[0] || out->dims[1] != oh || out->dims[2] != ow)
        return mote_fail(ctx, MOTE_ERR_SHAPE, oidx, "conv output shape differs from the computed one");
    d->pad_h = mote_conv_pad(ih, kh, o->stride_h, o->dilation_h, oh);
    d->pad_w = mote_conv_pad(iw, kw, o->stride_w, o->dilation_w, ow);
    return MOTE_OK;
}

mote_status mote_conv_quant_s8(mote_ctx *ctx, const mote_node *n, const mote_tensor *in,
                               const mote_tensor *filter, const mote_tensor *bias,
                               const mote_tensor *out, int filter_axis, mote_conv_data *d)
{
    int32_t oidx = n->io[n->n_in];
    int32_t channels = filter->dims[filter_axis];
    if (in->q.n < 1)
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "conv int8 input is not quantized (no scale or zero_point)");
    if (out->q.n < 1)
        return mote_fail(ctx, MOTE_ERR_PARAM, oidx, "conv int8 output is not quantized (no scale or zero_point)");
    if (filter->q.n < 1)
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "conv int8 filter is not quantized (no scale or zero_point)");
    if (filter->q.n != 1 && !mote_quant_per_channel(filter, channels))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1],
                         "conv filter scale needs one value or one per output channel, on a quantized_dimension "
                         "of that size");
    /* The filter's zero points are not read: TFLM's int8 kernels take the
     * weights as symmetric whatever the file says, and so do these. */
    if (bias && bias->type != MOTE_I32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "conv int8 bias must be int32");
    if (out->q.scale[0] <= 0.0f) return mote_fail(ctx, MOTE_ERR_PARAM, oidx, "conv output scale must be > 0");

    int64_t terms = (int64_t)filter->dims[1] * filter->dims[2] * (filter_axis == 0 ? filter->dims[3] : 1);
    mote_status s = mote_check_acc_s8(ctx, bias ? n->io[2] : n->io[1], terms, bias);
    if (s != MOTE_OK) return s;
    d->input_offset = -in->q.zero_point[0];
    d->output_offset = out->q.zero_point[0];
    mote_act_range_q(n->opts.activation, out->q.scale[0], out->q.zero_point[0], -128, 127, &d->act_min,
                     &d->act_max);
    if (channels != d->channels) return mote_fail(ctx, MOTE_ERR_SHAPE, oidx, "conv output channels differ from its parameter block");
    int32_t *mult = (int32_t *)(void *)(d + 1), *shift = mult + channels;
    /* As TFLite: the effective scale in double, one multiplier per channel
     * (a per-tensor filter scale is broadcast). */
    for (int32_t c = 0; c < channels; c++) {
        float fs = filter->q.scale[filter->q.n > 1 ? c : 0];
        double m = (double)in->q.scale[0] * (double)fs / (double)out->q.scale[0];
        int sh = 0;
        mote_quantize_multiplier(m, &mult[c], &sh);
        shift[c] = sh;
    }
    return MOTE_OK;
}

mote_status mote_conv_quant_s4(mote_ctx *ctx, const mote_node *n, const mote_tensor *in,
                               const mote_tensor *filter, const mote_tensor *bias,
                               const mote_tensor *out, int filter_axis, mote_conv_data *d)
{
    /* int4 and binary weights are symmetric by construction: a zero point
     * other than 0 is a model these kernels would misread, so it is refused,
     * not ignored. */
    for (int32_t c = 0; c < filter->q.n; c++)
        if (filter->q.zero_point && filter->q.zero_point[c] != 0)
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1],
                             filter->type == MOTE_I1 ? "binary filter zero point must be 0"
                                                     : "int4 filter zero point must be 0");
    return mote_conv_quant_s8(ctx, n, in, filter, bias, out, filter_axis, d);
}

static mote_status prepare_hybrid(mote_ctx *ctx, const mote_node *n, const mote_tensor *in,
                                  const mote_tensor *filter, mote_conv_data *d)
{
    int32_t oc = filter->dims[0];
    if (filter->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "hybrid conv filter is not quantized");
    if (filter->q.n != 1 && !(filter->q.n == oc && filter->q.axis == 0))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "hybrid conv filter needs one scale or one per output channel");
    if (in->dims[3] != filter->dims[3])
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[1], "hybrid conv does not support groups");
    for (int32_t c = 0; c < filter->q.n; c++)
        if (filter->q.zero_point && filter->q.zero_point[c] != 0)
            return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[1], "hybrid conv filter zero point must be 0");
    /* TFLite takes the per-channel path (asymmetric input quantization) only
     * when the channel scales actually differ. */
    d->per_channel_scale = 0;
    d->filter_scale0 = filter->q.scale[0];
    for (int32_t c = 1; c < filter->q.n; c++)
        if (filter->q.scale[c] != filter->q.scale[0]) d->per_channel_scale = 1;
    return MOTE_OK;
}

static mote_status conv_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if ((n->n_in != 2 && n->n_in != 3) || n->n_out != 1)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "CONV_2D needs input, filter, optional bias and one output");
    const mote_tensor *in = mote_in(n, t, 0), *filter = mote_in(n, t, 1), *bias = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    int32_t oidx = n->io[n->n_in];
    if (!in || !filter) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "CONV_2D input or filter missing");
    if (in->rank != 4) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "CONV_2D input must be 4-D NHWC");
    if (filter->rank != 4) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "CONV_2D filter must be 4-D [out,kh,kw,in]");
    int32_t oc = filter->dims[0], fic = filter->dims[3];
    if (fic < 1 || in->dims[3] < fic || in->dims[3] % fic != 0)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "CONV_2D filter depth does not divide input channels");
    int32_t groups = in->dims[3] / fic;
    if (oc < 1 || oc % groups != 0)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "CONV_2D output channels not a multiple of groups");
    if (out->rank != 4 || out->dims[3] != oc)
        return mote_fail(ctx, MOTE_ERR_SHAPE, oidx, "CONV_2D output channels differ from filter");
    if (bias && mote_tensor_elems(bias) != oc)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "CONV_2D bias size differs from output channels");

    mote_conv_data *d = mote_node_data(ctx, n, mote_conv_data_bytes(oc));
    if (!d) return MOTE_ERR_ARENA;
    d->channels = oc;
    mote_status s = mote_conv_geometry(ctx, n, in, out, filter->dims[1], filter->dims[2], d);
    if (s != MOTE_OK) return s;
    mote_act_range_f(n->opts.activation, &d->fact_min, &d->fact_max);

    if (in->type == MOTE_I8 && filter->type == MOTE_I8 && out->type == MOTE_I8) {
        s = mote_conv_quant_s8(ctx, n, in, filter, bias, out, 0, d);
        if (s != MOTE_OK) return s;
        n->eval = mote_conv_s8_eval;
        if (ctx->isa & MOTE_ISA_REFERENCE) return MOTE_OK;
        if (ctx->isa & MOTE_ISA_X86) {
            s = mote_conv_s8_x86_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != mote_conv_s8_eval) return s;
        }
        if (ctx->isa & MOTE_ISA_NEON) {
            s = mote_conv_s8_neon_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != mote_conv_s8_eval) return s;
        }
        return mote_conv_s8_opt_choose(ctx, n, t);
    }
    if (in->type == MOTE_I8 && filter->type == MOTE_I8_SPARSE && out->type == MOTE_I8) {
        const int64_t depth = (int64_t)filter->dims[1] * filter->dims[2] * fic;
        if (groups != 1)
            return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[1], "CONV_2D sparse int8 filters: no grouped convolution");
        if (depth > MOTE_SPARSE_MAX_DEPTH || mote_sparse_s8_check(filter->data, filter->bytes, oc, (int32_t)depth))
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1],
                             "CONV_2D sparse int8 filter: the encoding does not describe [out channels, kh*kw*in]");
        for (int32_t c = 0; c < filter->q.n; c++)
            if (filter->q.zero_point[c] != 0)
                return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "CONV_2D sparse int8 filter zero point must be 0");
        s = mote_conv_quant_s8(ctx, n, in, filter, bias, out, 0, d);
        if (s != MOTE_OK) return s;
        n->scratch_bytes = (size_t)depth;
        n->eval = mote_conv_s8_sparse_eval; /* the one sparse kernel, on every ISA */
        return MOTE_OK;
    }
    if (in->type == MOTE_I8 && filter->type == MOTE_I4 && out->type == MOTE_I8) {
        s = mote_conv_quant_s4(ctx, n, in, filter, bias, out, 0, d);
        if (s != MOTE_OK) return s;
        n->eval = mote_conv_s8_s4_eval;
        if (ctx->isa & MOTE_ISA_REFERENCE) return MOTE_OK;
        if (ctx->isa & MOTE_ISA_X86) { /* the int8 x86 kernel, weights widened in its block */
            s = mote_conv_s8_x86_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != mote_conv_s8_s4_eval) return s;
        }
        return mote_conv_s8_s4_opt_choose(ctx, n, t);
    }
    if (in->type == MOTE_I8 && filter->type == MOTE_I1 && out->type == MOTE_I8) {
        s = mote_conv_quant_s4(ctx, n, in, filter, bias, out, 0, d);
        if (s != MOTE_OK) return s;
        n->eval = mote_conv_s8_s1_eval;
        if (ctx->isa & MOTE_ISA_REFERENCE) return MOTE_OK;
        if (ctx->isa & MOTE_ISA_X86) { /* the int8 x86 kernel, weights widened in its block */
            s = mote_conv_s8_x86_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != mote_conv_s8_s1_eval) return s;
        }
        return mote_conv_s8_s1_opt_choose(ctx, n, t);
    }
    if (in->type != MOTE_F32 || out->type != MOTE_F32)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "CONV_2D supports int8 or float32 activations");
    if (bias && bias->type != MOTE_F32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "CONV_2D float bias must be float32");
    if (filter->type == MOTE_F32) {
        n->eval = mote_conv_f32_eval;
        return MOTE_OK;
    }
    if (filter->type != MOTE_I8) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "CONV_2D filter must be float32 or int8");
    s = prepare_hybrid(ctx, n, in, filter, d);
    if (s != MOTE_OK) return s;
    n->scratch_bytes = mote_conv_hybrid_scratch(in->dims[0], mote_tensor_elems(in));
    n->eval = mote_conv_hybrid_f32_eval;
    return MOTE_OK;
}

static const mote_kernel conv_2d_kernels[] = {
    MOTE_KERNEL("conv_s8", mote_conv_s8_eval),
    MOTE_KERNEL("conv_f32", mote_conv_f32_eval),
    MOTE_KERNEL("conv_hybrid_f32", mote_conv_hybrid_f32_eval),
    {"conv_s8_x86", MOTE_X86_EVAL(mote_conv_s8_x86_eval), 0x6, 0, 0}, /* weights, bias packed */
    /* filter and bias live, packed and folded, in the parameter block */
    {"conv_s8_1x1", mote_conv_s8_1x1_eval, (1u << 1) | (1u << 2), 0, 0},
    {"conv_s8_im2col", mote_conv_s8_im2col_eval, (1u << 1) | (1u << 2), 0, 0},
    {"conv_s8_neon", mote_conv_s8_neon_eval, 0x6, 0, 0}, /* weights, bias packed */
    MOTE_KERNEL("conv_s8_s4", mote_conv_s8_s4_eval),
    /* int4 weights and folded bias in the parameter block (conv_s8_s4_opt.c) */
    {"conv_s8_s4_opt", mote_conv_s8_s4_opt_eval, (1u << 1) | (1u << 2), 0, 0},
    MOTE_KERNEL("conv_s8_s1", mote_conv_s8_s1_eval),
    /* binary weights (bit words) and folded bias in the parameter block (conv_s8_s1_opt.c) */
    {"conv_s8_s1_opt", mote_conv_s8_s1_opt_eval, (1u << 1) | (1u << 2), 0, 0},
    MOTE_KERNEL("conv_s8_sparse", mote_conv_s8_sparse_eval), /* MOTE_I8_SPARSE filters (conv_s8_sparse.c) */
};

const mote_op_def mote_op_conv_2d = {conv_prepare, MOTE_KERNELS(conv_2d_kernels)};
