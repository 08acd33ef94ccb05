/* MUL: int8 / int16 (product of zero-point-corrected inputs, one
 * requantization), float32 and int32, with numpy broadcasting up to 6-D. */
#include "elementwise_common.h"
#include "mote/kernel.h"
#include "mote/quant.h"

typedef struct {
    mote_bcast bc;
    int32_t total;
    int32_t in1_offset, in2_offset, out_offset;
    int32_t out_mult;
    int out_shift;
    int32_t act_min, act_max;
    float act_min_f, act_max_f;
} mul_params;

static inline int32_t mul_quantized(const mul_params *p, int32_t x, int32_t y)
{
    const int32_t prod = (x + p->in1_offset) * (y + p->in2_offset);
    const int32_t out = mote_add_sat(mote_mul_qm(prod, p->out_mult, p->out_shift), p->out_offset);
    return mote_clamp_i32(out, p->act_min, p->act_max);
}

void mote_mul_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const mul_params *p = (const mul_params *)n->data;
    const int8_t *x = (const int8_t *)mote_in(n, t, 0)->data;
    const int8_t *y = (const int8_t *)mote_in(n, t, 1)->data;
    int8_t *o = (int8_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = (int8_t)mul_quantized(p, x[i1], y[i2]));
}

/* int16 requires zero points of 0, so the product fits int32. */
void mote_mul_s16_eval(const mote_node *n, const mote_tensor *t)
{
    const mul_params *p = (const mul_params *)n->data;
    const int16_t *x = (const int16_t *)mote_in(n, t, 0)->data;
    const int16_t *y = (const int16_t *)mote_in(n, t, 1)->data;
    int16_t *o = (int16_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = (int16_t)mul_quantized(p, x[i1], y[i2]));
}

void mote_mul_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const mul_params *p = (const mul_params *)n->data;
    const float *x = (const float *)mote_in(n, t, 0)->data;
    const float *y = (const float *)mote_in(n, t, 1)->data;
    float *o = (float *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = mote_clamp_f(x[i1] * y[i2], p->act_min_f, p->act_max_f));
}

/* int32: the product wraps (two's complement), then the fused activation
 * clamps it (NONE: the full int32 range). */
void mote_mul_i32_eval(const mote_node *n, const mote_tensor *t)
{
    const mul_params *p = (const mul_params *)n->data;
    const int32_t *x = (const int32_t *)mote_in(n, t, 0)->data;
    const int32_t *y = (const int32_t *)mote_in(n, t, 1)->data;
    int32_t *o = (int32_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total,
                   o[k] = mote_clamp_i32((int32_t)((uint32_t)x[i1] * (uint32_t)y[i2]), p->act_min, p->act_max));
}

static void mul_int_act_range(int act, int32_t *lo, int32_t *hi)
{
    *lo = INT32_MIN;
    *hi = INT32_MAX;
    if (act == MOTE_ACT_RELU) {
        *lo = 0;
    } else if (act == MOTE_ACT_RELU6) {
        *lo = 0;
        *hi = 6;
    } else if (act == MOTE_ACT_RELU_N1_TO_1) {
        *lo = -1;
        *hi = 1;
    }
}

static mote_status mul_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 2 || n->n_out != 1 || !mote_in(n, t, 0) || !mote_in(n, t, 1))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "MUL needs two inputs and one output");
    const mote_tensor *in1 = mote_in(n, t, 0), *in2 = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    if (in1->type != out->type || in2->type != out->type)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "MUL inputs and output must share a dtype");
    mul_params *p = (mul_params *)mote_node_data(ctx, n, sizeof(mul_params));
    if (!p) return MOTE_ERR_ARENA;
    if (!mote_bcast_init(&p->bc, in1, in2, out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "MUL output shape is not the broadcast of the inputs");
    p->total = (int32_t)mote_tensor_elems(out);
    switch (out->type) {
    case MOTE_I8:
    case MOTE_I16: {
        const int is16 = out->type == MOTE_I16;
        for (int i = 0; i < 3; i++) {
            const mote_tensor *q = i == 0 ? in1 : i == 1 ? in2 : out;
            if (q->q.n < 1 || !(q->q.scale[0] > 0.0f))
                return mote_fail(ctx, MOTE_ERR_PARAM, n->io[i], "MUL quantized tensor needs a positive per-tensor scale");
            if (is16 && q->q.zero_point[0] != 0)
                return mote_fail(ctx, MOTE_ERR_PARAM, n->io[i], "MUL int16 needs zero points of 0");
        }
        p->in1_offset = -in1->q.zero_point[0];
        p->in2_offset = -in2->q.zero_point[0];
        p->out_offset = out->q.zero_point[0];
        mote_quantize_multiplier((double)in1->q.scale[0] * (double)in2->q.scale[0] / (double)out->q.scale[0],
                                 &p->out_mult, &p->out_shift);
        mote_act_range_q(n->opts.activation, out->q.scale[0], out->q.zero_point[0],
                         is16 ? INT16_MIN : INT8_MIN, is16 ? INT16_MAX : INT8_MAX, &p->act_min, &p->act_max);
        n->eval = is16 ? mote_mul_s16_eval : mote_mul_s8_eval;
        break;
    }
    case MOTE_F32:
        mote_act_range_f(n->opts.activation, &p->act_min_f, &p->act_max_f);
        n->eval = mote_mul_f32_eval;
        break;
    case MOTE_I32:
        mul_int_act_range(n->opts.activation, &p->act_min, &p->act_max);
        n->eval = mote_mul_i32_eval;
        break;
    default:
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "MUL supports int8, int16, int32 and float32");
    }
    return MOTE_OK;
}

static const mote_kernel mul_kernels[] = {
    MOTE_KERNEL("mul_s8", mote_mul_s8_eval),
    MOTE_KERNEL("mul_s16", mote_mul_s16_eval),
    MOTE_KERNEL("mul_f32", mote_mul_f32_eval),
    MOTE_KERNEL("mul_i32", mote_mul_i32_eval),
};

const mote_op_def mote_op_mul = {mul_prepare, MOTE_KERNELS(mul_kernels)};
