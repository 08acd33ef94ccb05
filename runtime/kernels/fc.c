/* FULLY_CONNECTED: checks and fixed-point parameters (TFLM semantics).
 *
 * The input, of any rank, is read as [batches, depth] with depth = weights
 * dim 1. The output is [batches, units], or with keep_num_dims the input's
 * shape with its last dimension replaced by units.
 * int8: per-tensor weights (the weight zero point is applied, as TFLM does
 * for backward compatibility) or one scale per unit (symmetric, zero point
 * ignored).
 */
#include <math.h>

#include "fc_pool_common.h"
#include "fc_s8_gemv.h"
#include "mote/quant.h"
#include "mote/sparse.h"

static mote_status fc_check_shapes(mote_ctx *ctx, const mote_node *n, mote_tensor *t,
                                   mote_fc_params *p)
{
    const mote_tensor *in = mote_in(n, t, 0), *w = mote_in(n, t, 1), *bias = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    int32_t out_t = n->io[n->n_in];
    if (w->rank != 2) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "FULLY_CONNECTED weights must be 2-D [units, depth]");
    if (in->rank < 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "FULLY_CONNECTED input must have rank >= 1");
    p->units = w->dims[0];
    p->depth = w->dims[1];
    int64_t elems = mote_tensor_elems(in);
    if (p->depth <= 0 || p->units <= 0 || elems % p->depth != 0)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "FULLY_CONNECTED input size is not a multiple of weights dim 1");
    if (elems / p->depth > INT32_MAX) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "FULLY_CONNECTED input too large");
    p->batches = (int32_t)(elems / p->depth);
    if (bias && mote_tensor_elems(bias) != p->units)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "FULLY_CONNECTED bias size differs from the number of units");

    if (n->opts.keep_dims) {
        int ok = out->rank == in->rank && in->dims[in->rank - 1] == p->depth && mote_dim(out, -1) == p->units;
        for (int i = 0; ok && i + 1 < in->rank; i++) ok = out->dims[i] == in->dims[i];
        if (!ok) return mote_fail(ctx, MOTE_ERR_SHAPE, out_t, "FULLY_CONNECTED output must be the input shape with last dim = units (keep_num_dims)");
    } else if (out->rank != 2 || out->dims[0] != p->batches || out->dims[1] != p->units) {
        return mote_fail(ctx, MOTE_ERR_SHAPE, out_t, "FULLY_CONNECTED output must be [batches, units]");
    }
    return MOTE_OK;
}

static mote_status fc_check_act(mote_ctx *ctx, const mote_node *n)
{
    int act = n->opts.activation;
    if (act != MOTE_ACT_NONE && act != MOTE_ACT_RELU && act != MOTE_ACT_RELU6 && act != MOTE_ACT_RELU_N1_TO_1)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "FULLY_CONNECTED fused activation not supported");
    return MOTE_OK;
}

static mote_status fc_prepare_f32(mote_ctx *ctx, mote_node *n, mote_tensor *t, mote_fc_params *p)
{
    const mote_tensor *w = mote_in(n, t, 1), *bias = mote_in(n, t, 2), *out = mote_out(n, t, 0);
    if (w->type != MOTE_F32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "FULLY_CONNECTED float32 input needs float32 weights");
    if (bias && bias->type != MOTE_F32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "FULLY_CONNECTED float32 bias must be float32");
    if (out->type != MOTE_F32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[n->n_in], "FULLY_CONNECTED output dtype differs from input");
    mote_act_range_f(n->opts.activation, &p->f_min, &p->f_max);
    n->eval = mote_fc_f32_eval;
    return MOTE_OK;
}

/* int4 and binary weights: always the per-channel arithmetic (a per-tensor scale is
 * broadcast), symmetric, so zero points other than 0 are refused. */
static mote_status fc_prepare_s4(mote_ctx *ctx, mote_node *n, const mote_tensor *w, float in_scale, float out_scale,
                                 mote_fc_params *p)
{
    if (w->q.n != 1 && !mote_quant_per_channel(w, p->units))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1],
                         w->type == MOTE_I1 ? "FULLY_CONNECTED binary weights need one scale or one per unit, on a "
                                              "quantized_dimension of that size"
                                            : "FULLY_CONNECTED int4 weights need one scale or one per unit, on a "
                                              "quantized_dimension of that size");
    for (int32_t o = 0; o < w->q.n; o++)
        if (w->q.zero_point[o] != 0)
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1],
                             w->type == MOTE_I1 ? "FULLY_CONNECTED binary weights zero point must be 0"
                                                : "FULLY_CONNECTED int4 weights zero point must be 0");
    int32_t *m = (int32_t *)(void *)(p + 1), *s = m + p->units; /* sized by fc_prepare */
    for (int32_t o = 0; o < p->units; o++) {
        /* per tensor as the int8 kernel: the scale product in float, then the division in double */
        double real = w->q.n > 1 ? (double)in_scale * (double)w->q.scale[o] / (double)out_scale
                                 : (double)(in_scale * w->q.scale[0]) / (double)out_scale;
        int shift;
        mote_quantize_multiplier(real, &m[o], &shift);
        s[o] = shift;
    }
    p->filter_offset = 0;
    n->eval = w->type == MOTE_I1 ? mote_fc_s8_s1_eval : mote_fc_s8_s4_eval;
    return MOTE_OK;
}

/* Sparse int8 weights: the encoding checked before any eval reads it; one
 * multiplier per unit, each computed as the dense kernel for this kind of
 * scale computes its own, so the results are the dense kernels' bits. */
static mote_status fc_prepare_sparse(mote_ctx *ctx, mote_node *n, const mote_tensor *w, const mote_tensor *bias,
                                     float in_scale, float out_scale, mote_fc_params *p)
{
    if (mote_sparse_s8_check(w->data, w->bytes, p->units, p->depth))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1],
                         "FULLY_CONNECTED sparse int8 weights: the encoding does not describe [units, depth]");
    if (w->q.n != 1 && !mote_quant_per_channel(w, p->units))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1],
                         "FULLY_CONNECTED sparse weights need one scale or one per unit, on a quantized_dimension of "
                         "that size");
    for (int32_t o = 0; o < w->q.n; o++)
        if (w->q.zero_point[o] != 0)
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "FULLY_CONNECTED sparse weights zero point must be 0");
    if (w->q.n == 1 && bias && bias->q.n >= 1 &&
        fabs((double)in_scale * (double)w->q.scale[0] - (double)bias->q.scale[0]) / (double)out_scale > 0.02)
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[2],
                         "FULLY_CONNECTED bias scale differs from input scale * weights scale by more than 0.02 "
                         "output steps");
    int32_t *m = (int32_t *)(void *)(p + 1), *s = m + p->units; /* sized by fc_prepare */
    for (int32_t o = 0; o < p->units; o++) {
        double real = w->q.n > 1 ? (double)in_scale * (double)w->q.scale[o] / (double)out_scale
                                 : (double)(in_scale * w->q.scale[0]) / (double)out_scale;
        int shift;
        mote_quantize_multiplier(real, &m[o], &shift);
        s[o] = shift;
    }
    p->filter_offset = 0;
    n->eval = mote_fc_s8_sparse_eval;
    return MOTE_OK;
}

static mote_status fc_prepare_s8(mote_ctx *ctx, mote_node *n, mote_tensor *t, mote_fc_params *p)
{
    const mote_tensor *in = mote_in(n, t, 0), *w = mote_in(n, t, 1), *bias = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    int32_t out_t = n->io[n->n_in];
    if (w->type != MOTE_I8 && w->type != MOTE_I4 && w->type != MOTE_I1 && w->type != MOTE_I8_SPARSE)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1],
                         "FULLY_CONNECTED int8 input needs int8, sparse int8, int4 or binary weights");
    if (bias && bias->type != MOTE_I32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "FULLY_CONNECTED int8 bias must be int32");
    if (out->type != MOTE_I8) return mote_fail(ctx, MOTE_ERR_TYPE, out_t, "FULLY_CONNECTED output dtype differs from input");
    if (in->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "FULLY_CONNECTED int8 input is not quantized");
    if (w->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "FULLY_CONNECTED int8 weights are not quantized");
    if (out->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, out_t, "FULLY_CONNECTED int8 output is not quantized");

    /* int8 zero points outside the dtype range would overflow the int32 products. */
    if (in->q.zero_point[0] < -128 || in->q.zero_point[0] > 127)
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "FULLY_CONNECTED input zero point out of int8 range");
    if (out->q.zero_point[0] < -128 || out->q.zero_point[0] > 127)
        return mote_fail(ctx, MOTE_ERR_PARAM, out_t, "FULLY_CONNECTED output zero point out of int8 range");
    float in_scale = in->q.scale[0], out_scale = out->q.scale[0];
    if (!(out_scale > 0.0f)) return mote_fail(ctx, MOTE_ERR_PARAM, out_t, "FULLY_CONNECTED output scale must be positive");
    p->input_offset = -in->q.zero_point[0];
    p->output_offset = out->q.zero_point[0];
    mote_act_range_q(n->opts.activation, out_scale, p->output_offset, -128, 127, &p->act_min, &p->act_max);

    if (w->type == MOTE_I4 || w->type == MOTE_I1) return fc_prepare_s4(ctx, n, w, in_scale, out_scale, p);
    if (w->type == MOTE_I8_SPARSE) return fc_prepare_sparse(ctx, n, w, bias, in_scale, out_scale, p);
    if (w->q.n > 1) {
        /* Per channel: one multiplier per unit, computed all in double. */
        if (!mote_quant_per_channel(w, p->units))
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1],
                             "FULLY_CONNECTED per-channel weights need one scale per unit, on a quantized_dimension "
                             "of that size");
        int32_t *m = (int32_t *)(void *)(p + 1), *s = m + p->units; /* sized by fc_prepare */
        for (int32_t o = 0; o < p->units; o++) {
            double real = (double)in_scale * (double)w->q.scale[o] / (double)out_scale;
            int shift;
            mote_quantize_multiplier(real, &m[o], &shift);
            s[o] = shift;
        }
        p->filter_offset = 0;
        n->eval = mote_fc_s8_per_channel_eval;
        return MOTE_OK;
    }

    /* Per tensor: TFLM forms the scale product in float, then divides in double. */
    float prod = in_scale * w->q.scale[0];
    if (!(prod >= 0.0f)) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "FULLY_CONNECTED input*weights scale must be non-negative");
    if (bias && bias->q.n >= 1) {
        /* TFLM's check. It also runs it, with scale 0, on a bias without
         * quantization; mote adds such a bias as stored, as TFLM would. */
        double diff = fabs((double)in_scale * (double)w->q.scale[0] - (double)bias->q.scale[0]);
        if (diff / (double)out_scale > 0.02)
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[2],
                             "FULLY_CONNECTED bias scale differs from input scale * weights scale by more than "
                             "0.02 output steps");
    }
    int shift;
    mote_quantize_multiplier((double)prod / (double)out_scale, &p->multiplier, &shift);
    p->shift = shift;
    if (w->q.zero_point[0] < -128 || w->q.zero_point[0] > 127)
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "FULLY_CONNECTED weights zero point out of int8 range");
    p->filter_offset = -w->q.zero_point[0];
    n->eval = mote_fc_s8_eval;
    return MOTE_OK;
}

/* After the reference int8 prepare: a faster variant if one applies. */
static mote_status fc_choose_s8(mote_ctx *ctx, mote_node *n, const mote_tensor *t, mote_status s)
{
    if (s != MOTE_OK || (ctx->isa & MOTE_ISA_REFERENCE)) return s;
    mote_eval_fn ref = n->eval;
    if (ref == mote_fc_s8_s1_eval) {
        if (ctx->isa & MOTE_ISA_X86) { /* the int8 x86 kernel, weights widened in its block */
            s = mote_fc_s8_x86_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != ref) return s;
        }
        return mote_fc_s8_s1_opt_choose(ctx, n, t);
    }
    if (ref == mote_fc_s8_sparse_eval) return mote_fc_s8_sparse_opt_choose(ctx, n, t); /* every ISA */
    if (ref == mote_fc_s8_s4_eval) {
        if (ctx->isa & MOTE_ISA_X86) { /* the int8 x86 kernel, weights widened in its block */
            s = mote_fc_s8_x86_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != ref) return s;
        }
        return mote_fc_s8_s4_opt_choose(ctx, n, t);
    }
    if (ctx->isa & MOTE_ISA_X86) {
        s = mote_fc_s8_x86_choose(ctx, n, t);
        if (s != MOTE_OK || n->eval != ref) return s;
    }
    if (ctx->isa & MOTE_ISA_NEON) {
        s = mote_fc_s8_neon_choose(ctx, n, t);
        if (s != MOTE_OK || n->eval != ref) return s;
    }
    return mote_fc_s8_opt_choose(ctx, n, t);
}

static mote_status fc_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in < 2 || n->n_in > 3 || n->n_out != 1 || !mote_in(n, t, 0) || !mote_in(n, t, 1))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "FULLY_CONNECTED needs input, weights, optional bias and one output");
    mote_status s = fc_check_act(ctx, n);
    if (s != MOTE_OK) return s;
    const mote_tensor *w = mote_in(n, t, 1);
    size_t arrays = 0;
    if ((w->q.n > 1 || w->type == MOTE_I4 || w->type == MOTE_I1 || w->type == MOTE_I8_SPARSE) && w->rank >= 1 &&
        w->dims[0] > 0)
        arrays = 2 * (size_t)w->dims[0] * sizeof(int32_t);
    mote_fc_params *p = mote_node_data(ctx, n, sizeof *p + arrays);
    if (!p) return MOTE_ERR_ARENA;
    s = fc_check_shapes(ctx, n, t, p);
    if (s != MOTE_OK) return s;
    switch (mote_in(n, t, 0)->type) {
    case MOTE_F32: return fc_prepare_f32(ctx, n, t, p);
    case MOTE_I8: return fc_choose_s8(ctx, n, t, fc_prepare_s8(ctx, n, t, p));
    default: return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "FULLY_CONNECTED supports float32 and int8 inputs");
    }
}

static const mote_kernel fully_connected_kernels[] = {
    MOTE_KERNEL("fc_s8", mote_fc_s8_eval),
    MOTE_KERNEL("fc_s8_per_channel", mote_fc_s8_per_channel_eval),
    MOTE_KERNEL("fc_f32", mote_fc_f32_eval),
    {"fc_s8_x86", MOTE_X86_EVAL(mote_fc_s8_x86_eval), 0x6, 0, 0}, /* weights, bias packed */
    {"fc_s8_gemv", mote_fc_s8_gemv_eval, (1u << 1) | (1u << 2), 0, 2}, /* weights, bias: in the parameter block;
                                                                     * input expanded to int16 pairs */
    {"fc_s8_neon", mote_fc_s8_neon_eval, 0x6, 0, 0}, /* weights, bias packed */
    MOTE_KERNEL("fc_s8_s4", mote_fc_s8_s4_eval),
    /* int4 weights and folded bias in the parameter block (fc_s8_s4_opt.c) */
    {"fc_s8_s4_opt", mote_fc_s8_s4_opt_eval, (1u << 1) | (1u << 2), 0, 0},
    MOTE_KERNEL("fc_s8_s1", mote_fc_s8_s1_eval),
    /* binary weights (bit words) and folded bias in the parameter block (fc_s8_s1_opt.c) */
    {"fc_s8_s1_opt", mote_fc_s8_s1_opt_eval, (1u << 1) | (1u << 2), 0, 0},
    MOTE_KERNEL("fc_s8_sparse", mote_fc_s8_sparse_eval), /* MOTE_I8_SPARSE weights (fc_s8_sparse.c) */
    /* the same with the input offset folded into the biases, in the parameter block (fc_s8_sparse_opt.c) */
    {"fc_s8_sparse_opt", mote_fc_s8_sparse_opt_eval, 1u << 2, 0, 0},
};

const mote_op_def mote_op_fully_connected = {fc_prepare, MOTE_KERNELS(fully_connected_kernels)};
