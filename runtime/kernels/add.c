/* ADD: int8 / int16 (TFLite's rescale-to-common-scale add), float32 and
 * int32, with numpy broadcasting up to 6-D. */
#include "elementwise_common.h"
#include "mote/kernel.h"
#include "mote/quant.h"
#include "simd_s8.h"


static inline int32_t add_quantized(const mote_add_params *p, int32_t x, int32_t y)
{
    const int32_t a = (int32_t)((uint32_t)(x + p->in1_offset) << p->left_shift);
    const int32_t b = (int32_t)((uint32_t)(y + p->in2_offset) << p->left_shift);
    const int32_t sum = mote_add_sat(mote_mul_qm(a, p->in1_mult, p->in1_shift),
                                     mote_mul_qm(b, p->in2_mult, p->in2_shift));
    const int32_t out = mote_add_sat(mote_mul_qm(sum, p->out_mult, p->out_shift), p->out_offset);
    return mote_clamp_i32(out, p->act_min, p->act_max);
}

void mote_add_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_add_params *p = (const mote_add_params *)n->data;
    const int8_t *x = (const int8_t *)mote_in(n, t, 0)->data;
    const int8_t *y = (const int8_t *)mote_in(n, t, 1)->data;
    int8_t *o = (int8_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = (int8_t)add_quantized(p, x[i1], y[i2]));
}

void mote_add_s16_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_add_params *p = (const mote_add_params *)n->data;
    const int16_t *x = (const int16_t *)mote_in(n, t, 0)->data;
    const int16_t *y = (const int16_t *)mote_in(n, t, 1)->data;
    int16_t *o = (int16_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = (int16_t)add_quantized(p, x[i1], y[i2]));
}

void mote_add_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_add_params *p = (const mote_add_params *)n->data;
    const float *x = (const float *)mote_in(n, t, 0)->data;
    const float *y = (const float *)mote_in(n, t, 1)->data;
    float *o = (float *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = mote_clamp_f(x[i1] + y[i2], p->act_min_f, p->act_max_f));
}

/* TFLite ignores the fused activation for int32 and lets the sum wrap. */
void mote_add_i32_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_add_params *p = (const mote_add_params *)n->data;
    const int32_t *x = (const int32_t *)mote_in(n, t, 0)->data;
    const int32_t *y = (const int32_t *)mote_in(n, t, 1)->data;
    int32_t *o = (int32_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&p->bc, p->total, o[k] = (int32_t)((uint32_t)x[i1] + (uint32_t)y[i2]));
}

static mote_status add_prepare_quantized(mote_ctx *ctx, const mote_node *n, mote_add_params *p,
                                         const mote_tensor *in1, const mote_tensor *in2,
                                         const mote_tensor *out)
{
    const int is16 = out->type == MOTE_I16;
    for (int i = 0; i < 3; i++) {
        const mote_tensor *q = i == 0 ? in1 : i == 1 ? in2 : out;
        if (q->q.n < 1 || !(q->q.scale[0] > 0.0f))
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[i], "ADD quantized tensor needs a positive per-tensor scale");
    }
    p->in1_offset = -in1->q.zero_point[0];
    p->in2_offset = -in2->q.zero_point[0];
    p->out_offset = out->q.zero_point[0];
    p->left_shift = is16 ? 15 : 20;
    const float s1 = in1->q.scale[0], s2 = in2->q.scale[0];
    const double twice_max = 2.0 * (double)(s1 > s2 ? s1 : s2);
    mote_quantize_multiplier((double)s1 / twice_max, &p->in1_mult, &p->in1_shift);
    mote_quantize_multiplier((double)s2 / twice_max, &p->in2_mult, &p->in2_shift);
    mote_quantize_multiplier(twice_max / ((double)(1 << p->left_shift) * (double)out->q.scale[0]),
                                 &p->out_mult, &p->out_shift);
    mote_act_range_q(n->opts.activation, out->q.scale[0], out->q.zero_point[0],
                     is16 ? INT16_MIN : INT8_MIN, is16 ? INT16_MAX : INT8_MAX, &p->act_min, &p->act_max);
    return MOTE_OK;
}

static mote_status add_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 2 || n->n_out != 1 || !mote_in(n, t, 0) || !mote_in(n, t, 1))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "ADD needs two inputs and one output");
    const mote_tensor *in1 = mote_in(n, t, 0), *in2 = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    if (in1->type != out->type || in2->type != out->type)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "ADD inputs and output must share a dtype");
    mote_add_params *p = (mote_add_params *)mote_node_data(ctx, n, sizeof(mote_add_params));
    if (!p) return MOTE_ERR_ARENA;
    if (!mote_bcast_init(&p->bc, in1, in2, out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "ADD output shape is not the broadcast of the inputs");
    p->total = (int32_t)mote_tensor_elems(out);
    switch (out->type) {
    case MOTE_I8:
    case MOTE_I16: {
        mote_status s = add_prepare_quantized(ctx, n, p, in1, in2, out);
        if (s != MOTE_OK) return s;
        n->eval = out->type == MOTE_I8 ? mote_add_s8_eval : mote_add_s16_eval;
        /* every intermediate stays below 2^29 ((x + offset) << 20 with |x + offset| <= 255, then
         * multipliers < 1): the fast exact arithmetic of simd_s8.h applies when the shifts allow */
        const int32_t shifts[3] = {p->in1_shift, p->in2_shift, p->out_shift};
        if (out->type == MOTE_I8 && !(ctx->isa & MOTE_ISA_REFERENCE) && !p->bc.needed && p->left_shift <= 20 &&
            p->in1_offset >= -128 && p->in1_offset <= 128 && p->in2_offset >= -128 && p->in2_offset <= 128 &&
            mote_requant_fast_ok(shifts, 3, 0)) {
            /* each input's scaled value depends on its int8 value alone: two tables */
            int32_t *lut = (int32_t *)mote_node_data_grow(ctx, n, sizeof(mote_add_params) + 2 * 256 * sizeof(int32_t));
            if (!lut) return MOTE_ERR_ARENA;
            p = (mote_add_params *)(void *)lut;
            lut = (int32_t *)(void *)(p + 1);
            for (int32_t v = -128; v < 128; v++) {
                lut[v + 128] = mote_mul_qm((v + p->in1_offset) * (1 << p->left_shift), p->in1_mult, p->in1_shift);
                lut[256 + v + 128] = mote_mul_qm((v + p->in2_offset) * (1 << p->left_shift), p->in2_mult, p->in2_shift);
            }
            n->eval = mote_add_s8_fast_eval;
        }
        break;
    }
    case MOTE_F32:
        mote_act_range_f(n->opts.activation, &p->act_min_f, &p->act_max_f);
        n->eval = mote_add_f32_eval;
        break;
    case MOTE_I32:
        if (in1->q.n > 0 || in2->q.n > 0)
            return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[0], "ADD int32 supports unquantized tensors only");
        n->eval = mote_add_i32_eval;
        break;
    default:
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "ADD supports int8, int16, int32 and float32");
    }
    return MOTE_OK;
}

static const mote_kernel add_kernels[] = {
    MOTE_KERNEL("add_s8", mote_add_s8_eval),
    MOTE_KERNEL("add_s16", mote_add_s16_eval),
    MOTE_KERNEL("add_f32", mote_add_f32_eval),
    MOTE_KERNEL("add_i32", mote_add_i32_eval),
    MOTE_KERNEL("add_s8_fast", mote_add_s8_fast_eval),
};

const mote_op_def mote_op_add = {add_prepare, MOTE_KERNELS(add_kernels)};
