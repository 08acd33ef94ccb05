/* DIV, float32 and int32 (TFLM semantics), with broadcasting and a fused
 * activation clamp. int32 division truncates toward zero (C++ '/', which is
 * what the TF "TruncateDiv" lowering relies on). TFLM does not guard x / 0
 * (it traps); mote returns 0 there and INT32_MIN for INT32_MIN / -1.
 * Quantized int8 DIV is not supported. */
#include "mote/kernel.h"
#include "mote/quant.h"
#include "elementwise_common.h"

typedef struct {
    mote_bcast bc;
    int32_t total;
    int32_t lo, hi;   /* int32 activation range */
    float flo, fhi;   /* float activation range */
} div_data;

void mote_div_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const div_data *d = (const div_data *)n->data;
    const float *a = (const float *)mote_in(n, t, 0)->data;
    const float *b = (const float *)mote_in(n, t, 1)->data;
    float *y = (float *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&d->bc, d->total, y[k] = mote_clamp_f(a[i1] / b[i2], d->flo, d->fhi));
}

static inline int32_t div_i32(int32_t x, int32_t q)
{
    if (q == 0) return 0;
    if (q == -1) return (int32_t)(0u - (uint32_t)x);
    return x / q;
}

void mote_div_i32_eval(const mote_node *n, const mote_tensor *t)
{
    const div_data *d = (const div_data *)n->data;
    const int32_t *a = (const int32_t *)mote_in(n, t, 0)->data;
    const int32_t *b = (const int32_t *)mote_in(n, t, 1)->data;
    int32_t *y = (int32_t *)mote_out(n, t, 0)->data;
    MOTE_BCAST_FOR(&d->bc, d->total, y[k] = mote_clamp_i32(div_i32(a[i1], b[i2]), d->lo, d->hi));
}

static mote_status div_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 2 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "DIV needs 2 inputs and 1 output");
    const mote_tensor *a = mote_in(n, t, 0), *b = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    if (!a || !b) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "DIV input missing");
    if (a->type != b->type || a->type != out->type) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "DIV inputs and output must share a dtype");
    if (out->type != MOTE_F32 && out->type != MOTE_I32)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "DIV supports float32 and int32 only");
    if (out->type == MOTE_I32 && (a->q.n > 0 || b->q.n > 0))
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[0], "DIV int32 inputs must not be quantized");
    div_data *d = (div_data *)mote_node_data(ctx, n, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    if (!mote_bcast_init(&d->bc, a, b, out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "DIV input shapes do not broadcast to the output shape");
    d->total = (int32_t)mote_tensor_elems(out);
    switch (n->opts.activation) {
    case MOTE_ACT_NONE: d->lo = INT32_MIN; d->hi = INT32_MAX; break;
    case MOTE_ACT_RELU: d->lo = 0; d->hi = INT32_MAX; break;
    case MOTE_ACT_RELU6: d->lo = 0; d->hi = 6; break;
    case MOTE_ACT_RELU_N1_TO_1: d->lo = -1; d->hi = 1; break;
    default: return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "DIV fused activation not supported");
    }
    mote_act_range_f(n->opts.activation, &d->flo, &d->fhi);
    n->eval = out->type == MOTE_F32 ? mote_div_f32_eval : mote_div_i32_eval;
    return MOTE_OK;
}

static const mote_kernel div_kernels[] = {
    MOTE_KERNEL("div_f32", mote_div_f32_eval),
    MOTE_KERNEL("div_i32", mote_div_i32_eval),
};

const mote_op_def mote_op_div = {div_prepare, MOTE_KERNELS(div_kernels)};
