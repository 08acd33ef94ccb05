/* SUB: int8 / int16 (TFLite's rescale-to-common-scale subtraction, as TFLM's reference
 * BroadcastQuantSubSlow: both inputs scaled to twice the larger input scale, subtracted, scaled to the
 * output), float32, with numpy broadcasting up to 6-D. The parameter block is ADD's. */
#include "elementwise_common.h"
#include "mote/kernel.h"
#include "mote/quant.h"

static inline int32_t sub_quantized(const mote_add_params *p, int32_t x, int32_t y)
{
    const int32_t a = (int32_t)((uint32_t)(x + p->in1_offset) << p->left_shift);
    const int32_t b = (int32_t)((uint32_t)(y + p->in2_offset) << p->left_shift);
    /* |a| < 2^28 (int8) or 2^30 (int16, zero point 0) and the input multipliers are <= 1/2: the difference fits */
    const int32_t diff = mote_mul_qm(a, p->in1_mult, p->in1_shift) - mote_mul_qm(b, p->in2_mult, p->in2_shift);
    const int32_t out = mote_add_sat(mote_mul_qm(diff, p->out_mult, p->out_shift), p->out_offset);
    return mote_clamp_i32(out, p->act_min, p->act_max);
}

void mote_sub_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_add_params *p = (const mote_add_params *)n->data;
    const int8_t *x = (const int8_t *)mote_in(n, t, 0)->data;
    const int8_t *y = (const int8_t *)mote_in(n, t, 1)->data;
    int8_t *o = (int8_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = (int8_t)sub_quantized(p, x[i1], y[i2]));
}

void mote_sub_s16_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_add_params *p = (const mote_add_params *)n->data;
    const int16_t *x = (const int16_t *)mote_in(n, t, 0)->data;
    const int16_t *y = (const int16_t *)mote_in(n, t, 1)->data;
    int16_t *o = (int16_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = (int16_t)sub_quantized(p, x[i1], y[i2]));
}

void mote_sub_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_add_params *p = (const mote_add_params *)n->data;
    const float *x = (const float *)mote_in(n, t, 0)->data;
    const float *y = (const float *)mote_in(n, t, 1)->data;
    float *o = (float *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = mote_clamp_f(x[i1] - y[i2], p->act_min_f, p->act_max_f));
}

static mote_status sub_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 2 || n->n_out != 1 || !mote_in(n, t, 0) || !mote_in(n, t, 1))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SUB needs two inputs and one output");
    const mote_tensor *in1 = mote_in(n, t, 0), *in2 = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    if (in1->type != out->type || in2->type != out->type)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "SUB inputs and output must share a dtype");
    mote_add_params *p = (mote_add_params *)mote_node_data(ctx, n, sizeof(mote_add_params));
    if (!p) return MOTE_ERR_ARENA;
    if (!mote_bcast_init(&p->bc, in1, in2, out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "SUB output shape is not the broadcast of the inputs");
    p->total = (int32_t)mote_tensor_elems(out);
    if (out->type == MOTE_F32) {
        mote_act_range_f(n->opts.activation, &p->act_min_f, &p->act_max_f);
        n->eval = mote_sub_f32_eval;
        return MOTE_OK;
    }
    if (out->type != MOTE_I8 && out->type != MOTE_I16)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "SUB supports int8, int16 and float32");
    const int is16 = out->type == MOTE_I16;
    for (int i = 0; i < 3; i++) {
        const mote_tensor *q = i == 0 ? in1 : i == 1 ? in2 : out;
        if (q->q.n < 1 || !(q->q.scale[0] > 0.0f))
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[i], "SUB quantized tensor needs a positive per-tensor scale");
        /* TFLite's int16 SUB takes symmetric tensors only */
        if (is16 && q->q.zero_point[0] != 0)
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[i], "SUB int16 tensors need zero point 0");
    }
    p->in1_offset = -in1->q.zero_point[0];
    p->in2_offset = -in2->q.zero_point[0];
    p->out_offset = out->q.zero_point[0];
    p->left_shift = is16 ? 15 : 20; /* TFLM's general path: headroom for |x - zp| < 2^16 or 2^8 */
    const float s1 = in1->q.scale[0], s2 = in2->q.scale[0];
    const double twice_max = 2.0 * (double)(s1 > s2 ? s1 : s2);
    mote_quantize_multiplier((double)s1 / twice_max, &p->in1_mult, &p->in1_shift);
    mote_quantize_multiplier((double)s2 / twice_max, &p->in2_mult, &p->in2_shift);
    mote_quantize_multiplier(twice_max / ((double)(1 << p->left_shift) * (double)out->q.scale[0]), &p->out_mult,
                             &p->out_shift);
    mote_act_range_q(n->opts.activation, out->q.scale[0], out->q.zero_point[0], is16 ? INT16_MIN : INT8_MIN,
                     is16 ? INT16_MAX : INT8_MAX, &p->act_min, &p->act_max);
    n->eval = is16 ? mote_sub_s16_eval : mote_sub_s8_eval;
    return MOTE_OK;
}

static const mote_kernel sub_kernels[] = {
    MOTE_KERNEL("sub_s8", mote_sub_s8_eval),
    MOTE_KERNEL("sub_s16", mote_sub_s16_eval),
    MOTE_KERNEL("sub_f32", mote_sub_f32_eval),
};

const mote_op_def mote_op_sub = {sub_prepare, MOTE_KERNELS(sub_kernels)};
