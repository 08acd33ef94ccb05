/* AVERAGE_POOL_2D and MAX_POOL_2D: shared checks (TFLM pooling_common).
 *
 * NHWC input and output of the same dtype (int8 or float32). Output size and
 * padding follow TFLite: SAME gives ceil(in / stride), VALID gives
 * (in - filter + stride) / stride; the leading pad is half the total, rounded
 * down. int8 pools never requantize, so input and output must share scale
 * and zero point.
 */
#include <math.h>

#include "fc_pool_common.h"
#include "mote/quant.h"

static int32_t pool_out_size(int pad, int32_t in, int32_t filter, int32_t stride)
{
    return pad == MOTE_PAD_SAME ? (in + stride - 1) / stride : (in + stride - filter) / stride;
}

static int32_t pool_pad(int32_t in, int32_t filter, int32_t stride, int32_t out)
{
    int32_t total = (out - 1) * stride + filter - in;
    return total > 0 ? total / 2 : 0;
}

/* Every output window must overlap the input, or the average divides by 0. */
static int pool_windows_nonempty(int32_t in, int32_t filter, int32_t stride, int32_t pad, int32_t out)
{
    for (int32_t o = 0; o < out; o++) {
        int32_t origin = o * stride - pad;
        if (origin >= in || origin + filter <= 0) return 0;
    }
    return 1;
}

static mote_status pool_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t, int is_avg)
{
    if (n->n_in != 1 || n->n_out != 1 || !mote_in(n, t, 0))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "pooling needs one input and one output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    int32_t out_t = n->io[n->n_in];
    const mote_opts *o = &n->opts;
    if (in->type != MOTE_I8 && in->type != MOTE_F32)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "pooling supports int8 and float32");
    if (out->type != in->type) return mote_fail(ctx, MOTE_ERR_TYPE, out_t, "pooling output dtype differs from input");
    if (in->rank != 4) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "pooling input must be 4-D NHWC");
    if (o->stride_h < 1 || o->stride_w < 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "pooling strides must be >= 1");
    if (o->filter_h < 1 || o->filter_w < 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "pooling filter size must be >= 1");
    if ((int32_t)o->filter_h * o->filter_w > (1 << 23))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "pooling filter too large for an int32 sum");
    if (o->padding != MOTE_PAD_SAME && o->padding != MOTE_PAD_VALID)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "pooling padding must be SAME or VALID");
    int act = o->activation;
    if (act != MOTE_ACT_NONE && act != MOTE_ACT_RELU && act != MOTE_ACT_RELU6 && act != MOTE_ACT_RELU_N1_TO_1)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "pooling fused activation not supported");

    mote_pool_params *p = mote_node_data(ctx, n, sizeof *p);
    if (!p) return MOTE_ERR_ARENA;
    p->batches = in->dims[0];
    p->in_h = in->dims[1];
    p->in_w = in->dims[2];
    p->depth = in->dims[3];
    p->stride_h = o->stride_h;
    p->stride_w = o->stride_w;
    p->filter_h = o->filter_h;
    p->filter_w = o->filter_w;
    p->out_h = pool_out_size(o->padding, p->in_h, p->filter_h, p->stride_h);
    p->out_w = pool_out_size(o->padding, p->in_w, p->filter_w, p->stride_w);
    if (p->out_h < 1 || p->out_w < 1)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "pooling filter larger than the VALID-padded input");
    p->pad_h = pool_pad(p->in_h, p->filter_h, p->stride_h, p->out_h);
    p->pad_w = pool_pad(p->in_w, p->filter_w, p->stride_w, p->out_w);
    if (out->rank != 4 || out->dims[0] != p->batches || out->dims[1] != p->out_h || out->dims[2] != p->out_w ||
        out->dims[3] != p->depth)
        return mote_fail(ctx, MOTE_ERR_SHAPE, out_t, "pooling output shape differs from [N, out_h, out_w, C]");
    if (!pool_windows_nonempty(p->in_h, p->filter_h, p->stride_h, p->pad_h, p->out_h) ||
        !pool_windows_nonempty(p->in_w, p->filter_w, p->stride_w, p->pad_w, p->out_w))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "pooling window lies entirely in the padding");

    if (in->type == MOTE_F32) {
        mote_act_range_f(act, &p->f_min, &p->f_max);
        n->eval = is_avg ? mote_avg_pool_f32_eval : mote_max_pool_f32_eval;
    } else {
        if (in->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "pooling int8 input is not quantized");
        if (out->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, out_t, "pooling int8 output is not quantized");
        if (fabs((double)in->q.scale[0] - (double)out->q.scale[0]) > 1.0e-6)
            return mote_fail(ctx, MOTE_ERR_PARAM, out_t, "pooling output scale differs from input scale");
        if (in->q.zero_point[0] != out->q.zero_point[0])
            return mote_fail(ctx, MOTE_ERR_PARAM, out_t, "pooling output zero point differs from input");
        mote_act_range_q(act, out->q.scale[0], out->q.zero_point[0], -128, 127, &p->act_min, &p->act_max);
        n->eval = is_avg ? mote_avg_pool_s8_eval : mote_max_pool_s8_eval;
    }
    return MOTE_OK;
}

static mote_status avg_pool_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    return pool_prepare(ctx, n, t, 1);
}

static mote_status max_pool_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    return pool_prepare(ctx, n, t, 0);
}

static const mote_kernel avg_pool_kernels[] = {
    MOTE_KERNEL("avg_pool_s8", mote_avg_pool_s8_eval),
    MOTE_KERNEL("avg_pool_f32", mote_avg_pool_f32_eval),
};
static const mote_kernel max_pool_kernels[] = {
    MOTE_KERNEL("max_pool_s8", mote_max_pool_s8_eval),
    MOTE_KERNEL("max_pool_f32", mote_max_pool_f32_eval),
};

const mote_op_def mote_op_average_pool_2d = {avg_pool_prepare, MOTE_KERNELS(avg_pool_kernels)};
const mote_op_def mote_op_max_pool_2d = {max_pool_prepare, MOTE_KERNELS(max_pool_kernels)};
