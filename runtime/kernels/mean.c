/* MEAN: checks and parameters (TFLM reduce_common EvalMeanHelper).
 *
 * Input 1 is a constant int32 tensor of axes (negative counts from the end,
 * duplicates ignored). The output keeps the reduced axes as size 1 when
 * keep_dims is set and drops them otherwise.
 * int8: with the same scale and zero point in and out, TFLM divides the raw
 * int8 sum by the count with C's truncating division; otherwise it
 * requantizes sum - zp_in*count with in_scale/out_scale, the 1/count factor
 * folded into the multiplier (reference_ops::QuantizedMeanOrSum).
 */
#include "fc_pool_common.h"
#include "mote/quant.h"

/* floor(log2(v)) for v >= 1. */
static int mean_log2(int64_t v)
{
    int r = 0;
    while (v > 1) {
        v >>= 1;
        r++;
    }
    return r;
}

static mote_status mean_resolve(mote_ctx *ctx, const mote_node *n, mote_tensor *t, mote_mean_params *p,
                                int reduced[MOTE_MAX_DIMS])
{
    const mote_tensor *in = mote_in(n, t, 0), *ax = mote_in(n, t, 1);
    if (ax->type != MOTE_I32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "MEAN axis tensor must be int32");
    if (!(ax->flags & MOTE_TENSOR_CONST) || !ax->data)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[1], "MEAN axis tensor must be constant");
    const int32_t *axes = ax->data;
    int64_t n_axes = mote_tensor_elems(ax);
    for (int d = 0; d < MOTE_MAX_DIMS; d++) reduced[d] = 0;
    for (int64_t i = 0; i < n_axes; i++) {
        int32_t a = axes[i] < 0 ? axes[i] + in->rank : axes[i];
        if (a < 0 || a >= in->rank) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "MEAN axis out of range");
        reduced[a] = 1;
    }
    p->rank = in->rank;
    int64_t n_in = 1, n_out = 1, n_reduced = 1, stride = 1;
    for (int d = in->rank - 1; d >= 0; d--) {
        p->in_dims[d] = in->dims[d];
        n_in *= in->dims[d];
        if (reduced[d]) {
            p->out_stride[d] = 0;
            n_reduced *= in->dims[d];
        } else {
            p->out_stride[d] = (int32_t)stride;
            stride *= in->dims[d];
            n_out *= in->dims[d];
        }
    }
    if (n_in > INT32_MAX) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "MEAN input too large");
    p->n_in = (int32_t)n_in;
    p->n_reduced = (int32_t)n_reduced;
    p->n_out = (int32_t)n_out;
    return MOTE_OK;
}

static mote_status mean_check_output(mote_ctx *ctx, const mote_node *n, mote_tensor *t, const int reduced[MOTE_MAX_DIMS])
{
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    int32_t want[MOTE_MAX_DIMS];
    int rank = 0;
    for (int d = 0; d < in->rank; d++) {
        if (!reduced[d]) want[rank++] = in->dims[d];
        else if (n->opts.keep_dims) want[rank++] = 1;
    }
    int ok = out->rank == rank;
    for (int d = 0; ok && d < rank; d++) ok = out->dims[d] == want[d];
    /* A full reduction without keep_dims is a scalar; accept [1] for it too. */
    if (!ok && rank == 0) ok = out->rank == 1 && out->dims[0] == 1;
    if (!ok) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[n->n_in], "MEAN output shape differs from the reduced input shape");
    if (out->type != in->type) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[n->n_in], "MEAN output dtype differs from input");
    return MOTE_OK;
}

static mote_status mean_prepare_s8(mote_ctx *ctx, mote_node *n, mote_tensor *t, mote_mean_params *p)
{
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (in->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "MEAN int8 input is not quantized");
    if (out->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[n->n_in], "MEAN int8 output is not quantized");
    float in_scale = in->q.scale[0], out_scale = out->q.scale[0];
    if (!(out_scale > 0.0f)) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[n->n_in], "MEAN output scale must be positive");
    p->in_zp = in->q.zero_point[0];
    p->out_zp = out->q.zero_point[0];
    if (p->in_zp < -128 || p->in_zp > 127 || p->out_zp < -128 || p->out_zp > 127)
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "MEAN zero point out of int8 range");
    if (p->n_reduced > (1 << 23)) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "MEAN reduces too many elements for an int32 sum");
    p->requantize = !(p->in_zp == p->out_zp && in_scale == out_scale);
    int32_t q = 0;
    int shift = 0;
    mote_quantize_multiplier((double)in_scale / (double)out_scale, &q, &shift);
    if (p->n_reduced > 0) {
        /* Fold 1/count into the multiplier: pre-shift by up to log2(count)
         * (at most 32, and keeping the final shift >= -31), then divide. */
        int s = mean_log2(p->n_reduced);
        if (s > 32) s = 32;
        if (s > 31 + shift) s = 31 + shift;
        q = (int32_t)(((int64_t)q * ((int64_t)1 << s)) / p->n_reduced);
        shift -= s;
    }
    p->multiplier = q;
    p->shift = shift;
    n->scratch_bytes = (size_t)p->n_out * sizeof(int32_t);
    n->eval = mote_mean_s8_eval;
    return MOTE_OK;
}

static mote_status mean_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 2 || n->n_out != 1 || !mote_in(n, t, 0) || !mote_in(n, t, 1))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "MEAN needs an input, an axis tensor and one output");
    const mote_tensor *in = mote_in(n, t, 0);
    if (in->type != MOTE_I8 && in->type != MOTE_F32)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "MEAN supports int8 and float32");
    mote_mean_params *p = mote_node_data(ctx, n, sizeof *p);
    if (!p) return MOTE_ERR_ARENA;
    int reduced[MOTE_MAX_DIMS];
    mote_status s = mean_resolve(ctx, n, t, p, reduced);
    if (s != MOTE_OK) return s;
    s = mean_check_output(ctx, n, t, reduced);
    if (s != MOTE_OK) return s;
    if (in->type == MOTE_I8) return mean_prepare_s8(ctx, n, t, p);
    n->eval = mote_mean_f32_eval;
    return MOTE_OK;
}

static const mote_kernel mean_kernels[] = {
    MOTE_KERNEL("mean_s8", mote_mean_s8_eval),
    MOTE_KERNEL("mean_f32", mote_mean_f32_eval),
};

const mote_op_def mote_op_mean = {mean_prepare, MOTE_KERNELS(mean_kernels)};
