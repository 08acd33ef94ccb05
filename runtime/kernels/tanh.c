/* TANH: int8 as TFLite's reference integer kernel (input rescaled to Q4.27,
 * gemmlowp fixed-point tanh, output read as scale 1/128 with zero point 0)
 * and float32. */
#include <math.h>

#include "mote/fixedpoint.h"
#include "mote/kernel.h"
#include "mote/quant.h"

#define INPUT_INT_BITS 4

typedef struct {
    int32_t n;
    int32_t in_zero_point;
    int32_t radius; /* |input - zp| >= radius saturates */
    int32_t in_mult;
    int in_shift;
} tanh_params;

void mote_tanh_s8_eval(const mote_node *nd, const mote_tensor *t)
{
    const tanh_params *p = (const tanh_params *)nd->data;
    const int8_t *in = (const int8_t *)mote_in(nd, t, 0)->data;
    int8_t *out = (int8_t *)mote_out(nd, t, 0)->data;
    for (int32_t i = 0; i < p->n; i++) {
        const int32_t x = in[i] - p->in_zero_point;
        if (x <= -p->radius) {
            out[i] = INT8_MIN;
        } else if (x >= p->radius) {
            out[i] = INT8_MAX;
        } else {
            const int32_t q4 = mote_mul_qm(x, p->in_mult, p->in_shift);
            const int32_t y = mote_rdivpot(mote_fp_tanh(q4, INPUT_INT_BITS), 31 - 7);
            out[i] = (int8_t)mote_clamp_i32(y, INT8_MIN, INT8_MAX);
        }
    }
}

void mote_tanh_f32_eval(const mote_node *nd, const mote_tensor *t)
{
    const tanh_params *p = (const tanh_params *)nd->data;
    const float *in = (const float *)mote_in(nd, t, 0)->data;
    float *out = (float *)mote_out(nd, t, 0)->data;
    for (int32_t i = 0; i < p->n; i++) out[i] = tanhf(in[i]);
}

static mote_status tanh_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 1 || !mote_in(n, t, 0))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "TANH needs one input and one output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (in->type != out->type) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "TANH output dtype differs from input");
    if (!mote_same_shape(in, out)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "TANH output shape differs from input");
    tanh_params *p = (tanh_params *)mote_node_data(ctx, n, sizeof(tanh_params));
    if (!p) return MOTE_ERR_ARENA;
    p->n = (int32_t)mote_tensor_elems(in);
    if (in->type == MOTE_F32) {
        n->eval = mote_tanh_f32_eval;
        return MOTE_OK;
    }
    if (in->type != MOTE_I8) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "TANH supports int8 and float32");
    if (in->q.n < 1 || !(in->q.scale[0] > 0.0f)) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "TANH int8 input needs a scale");
    p->in_zero_point = in->q.zero_point[0];
    /* input scale in Q4.27 units; frexp mantissa rounded to Q31 (no
     * renormalisation, as TFLite) */
    const double m = frexp((double)in->q.scale[0] * (double)(1 << (31 - INPUT_INT_BITS)), &p->in_shift);
    const double mq = round(m * 2147483648.0);
    p->in_mult = mq >= 2147483647.0 ? INT32_MAX : (int32_t)mq;
    const double radius = floor(ldexp((double)((1 << INPUT_INT_BITS) - 1) * (double)(1LL << (31 - INPUT_INT_BITS)),
                                      -p->in_shift));
    p->radius = radius >= 2147483647.0 ? INT32_MAX : (int32_t)radius;
    n->eval = mote_tanh_s8_eval;
    return MOTE_OK;
}

static const mote_kernel tanh_kernels[] = {
    MOTE_KERNEL("tanh_s8", mote_tanh_s8_eval),
    MOTE_KERNEL("tanh_f32", mote_tanh_f32_eval),
};

const mote_op_def mote_op_tanh = {tanh_prepare, MOTE_KERNELS(tanh_kernels)};
