/* DEPTHWISE_CONV_2D prepare: checks, fixed-point parameters, variant choice.
 * Filter [1, kh, kw, in_c * depth_multiplier]; output channel c reads input
 * channel c / depth_multiplier. */
#include "conv_common.h"
#include "mote/quant.h"

static mote_status depthwise_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if ((n->n_in != 2 && n->n_in != 3) || n->n_out != 1)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "DEPTHWISE_CONV_2D needs input, filter, optional bias and one output");
    const mote_tensor *in = mote_in(n, t, 0), *filter = mote_in(n, t, 1), *bias = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    int32_t oidx = n->io[n->n_in];
    if (!in || !filter) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "DEPTHWISE_CONV_2D input or filter missing");
    if (in->rank != 4) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "DEPTHWISE_CONV_2D input must be 4-D NHWC");
    if (filter->rank != 4 || filter->dims[0] != 1)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "DEPTHWISE_CONV_2D filter must be [1,kh,kw,channels]");
    int32_t ic = in->dims[3], oc = filter->dims[3];
    if (ic < 1 || oc < 1 || oc % ic != 0)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "DEPTHWISE_CONV_2D filter channels not a multiple of input channels");
    /* The option may be left 0 by some converters; the shapes decide. */
    if (n->opts.depth_multiplier != 0 && n->opts.depth_multiplier * ic != oc)
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "DEPTHWISE_CONV_2D depth_multiplier disagrees with filter shape");
    if (out->rank != 4 || out->dims[3] != oc)
        return mote_fail(ctx, MOTE_ERR_SHAPE, oidx, "DEPTHWISE_CONV_2D output channels differ from filter");
    if (bias && mote_tensor_elems(bias) != oc)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "DEPTHWISE_CONV_2D bias size differs from output channels");

    mote_conv_data *d = mote_node_data(ctx, n, mote_conv_data_bytes(oc));
    if (!d) return MOTE_ERR_ARENA;
    d->channels = oc;
    d->depth_mult = oc / ic;
    mote_status s = mote_conv_geometry(ctx, n, in, out, filter->dims[1], filter->dims[2], d);
    if (s != MOTE_OK) return s;
    mote_act_range_f(n->opts.activation, &d->fact_min, &d->fact_max);

    if (in->type == MOTE_I8 && filter->type == MOTE_I8 && out->type == MOTE_I8) {
        s = mote_conv_quant_s8(ctx, n, in, filter, bias, out, 3, d);
        if (s != MOTE_OK) return s;
        n->eval = mote_depthwise_s8_eval;
        if (ctx->isa & MOTE_ISA_REFERENCE) return MOTE_OK;
        if (ctx->isa & MOTE_ISA_X86) {
            s = mote_depthwise_s8_x86_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != mote_depthwise_s8_eval) return s;
        }
        if (ctx->isa & MOTE_ISA_NEON) {
            s = mote_depthwise_s8_neon_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != mote_depthwise_s8_eval) return s;
        }
        return mote_depthwise_s8_opt_choose(ctx, n, t);
    }
    if (in->type == MOTE_F32 && filter->type == MOTE_F32 && out->type == MOTE_F32) {
        if (bias && bias->type != MOTE_F32)
            return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "DEPTHWISE_CONV_2D float bias must be float32");
        n->eval = mote_depthwise_f32_eval;
        return MOTE_OK;
    }
    if (in->type == MOTE_I8 && filter->type == MOTE_I4 && out->type == MOTE_I8) {
        s = mote_conv_quant_s4(ctx, n, in, filter, bias, out, 3, d);
        if (s != MOTE_OK) return s;
        n->eval = mote_depthwise_s8_s4_eval;
        if (ctx->isa & MOTE_ISA_REFERENCE) return MOTE_OK;
        if (ctx->isa & MOTE_ISA_X86) { /* the int8 x86 kernel, weights widened in its block */
            s = mote_depthwise_s8_x86_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != mote_depthwise_s8_s4_eval) return s;
        }
        s = mote_depthwise_s8_opt_choose(ctx, n, t); /* the 3x3 kernel: int16 weights in its block */
        if (s != MOTE_OK || n->eval != mote_depthwise_s8_s4_eval) return s;
        return mote_depthwise_s8_s4_opt_choose(ctx, n, t);
    }
    if (in->type == MOTE_I8 && filter->type == MOTE_I1 && out->type == MOTE_I8) {
        s = mote_conv_quant_s4(ctx, n, in, filter, bias, out, 3, d);
        if (s != MOTE_OK) return s;
        n->eval = mote_depthwise_s8_s1_eval;
        if (ctx->isa & MOTE_ISA_REFERENCE) return MOTE_OK;
        if (ctx->isa & MOTE_ISA_X86) { /* the int8 x86 kernel, weights widened in its block */
            s = mote_depthwise_s8_x86_choose(ctx, n, t);
            if (s != MOTE_OK || n->eval != mote_depthwise_s8_s1_eval) return s;
        }
        return mote_depthwise_s8_s1_opt_choose(ctx, n, t);
    }
    return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1],
                     "DEPTHWISE_CONV_2D supports int8 or float32 (no hybrid), or int8 with int4 or binary weights");
}

static const mote_kernel depthwise_conv_2d_kernels[] = {
    MOTE_KERNEL("depthwise_s8", mote_depthwise_s8_eval),
    MOTE_KERNEL("depthwise_f32", mote_depthwise_f32_eval),
    {"depthwise_s8_x86", MOTE_X86_EVAL(mote_depthwise_s8_x86_eval), 0x6, 0, 0}, /* weights, bias packed */
    {"depthwise_s8_3x3", mote_depthwise_s8_3x3_eval, 0x6, 2, 0}, /* weights, bias packed; pixel pairs */
    {"depthwise_s8_neon", mote_depthwise_s8_neon_eval, 0x6, 0, 0}, /* weights, bias packed */
    MOTE_KERNEL("depthwise_s8_s4", mote_depthwise_s8_s4_eval),
    /* int4 weights unpacked per inference into scratch (depthwise_s8_s4_opt.c) */
    MOTE_KERNEL("depthwise_s8_s4_opt", mote_depthwise_s8_s4_opt_eval),
    MOTE_KERNEL("depthwise_s8_s1", mote_depthwise_s8_s1_eval),
    /* binary weights' bits and folded bias in the parameter block (depthwise_s8_s1_opt.c) */
    {"depthwise_s8_s1_opt", mote_depthwise_s8_s1_opt_eval, (1u << 1) | (1u << 2), 0, 0},
};

const mote_op_def mote_op_depthwise_conv_2d = {depthwise_prepare, MOTE_KERNELS(depthwise_conv_2d_kernels)};
