/* QUANTIZE: float32 -> int8/int16 (round half away from zero, as TFLite's
 * AffineQuantize) and integer requantization between int8, int16 and int32
 * (TFLite's Requantize: one fixed-point multiply by in_scale/out_scale). */
#include <math.h>

#include "mote/kernel.h"
#include "mote/quant.h"

typedef struct {
    int32_t n;
    float out_scale;
    int32_t in_zero_point, out_zero_point;
    int32_t mult;
    int shift;
} quantize_params;

/* float -> integer in [lo, hi]; out-of-int32 values saturate. */
static inline int32_t quantize_float(float x, float scale, int32_t zp, int32_t lo, int32_t hi)
{
    const float r = roundf(x / scale);
    int32_t q;
    if (r >= 2147483520.0f)
        q = INT32_MAX;
    else if (r <= -2147483648.0f || r != r)
        q = INT32_MIN;
    else
        q = (int32_t)r;
    /* saturate before adding the zero point so it cannot overflow */
    if (q > hi - zp) return hi;
    if (q < lo - zp) return lo;
    return q + zp;
}

void mote_quantize_f32_s8_eval(const mote_node *nd, const mote_tensor *t)
{
    const quantize_params *p = (const quantize_params *)nd->data;
    const float *in = (const float *)mote_in(nd, t, 0)->data;
    int8_t *out = (int8_t *)mote_out(nd, t, 0)->data;
    for (int32_t i = 0; i < p->n; i++)
        out[i] = (int8_t)quantize_float(in[i], p->out_scale, p->out_zero_point, INT8_MIN, INT8_MAX);
}

void mote_quantize_f32_s16_eval(const mote_node *nd, const mote_tensor *t)
{
    const quantize_params *p = (const quantize_params *)nd->data;
    const float *in = (const float *)mote_in(nd, t, 0)->data;
    int16_t *out = (int16_t *)mote_out(nd, t, 0)->data;
    for (int32_t i = 0; i < p->n; i++)
        out[i] = (int16_t)quantize_float(in[i], p->out_scale, p->out_zero_point, INT16_MIN, INT16_MAX);
}

/* Requantize TI -> TO: out = clamp(MBQM(in - zp_in) + zp_out). */
#define DEFINE_REQUANTIZE(name, TI, TO, LO, HI)                                            \
    void name(const mote_node *nd, const mote_tensor *t)                                  \
    {                                                                                      \
        const quantize_params *p = (const quantize_params *)nd->data;                      \
        const TI *in = (const TI *)mote_in(nd, t, 0)->data;                                \
        TO *out = (TO *)mote_out(nd, t, 0)->data;                                          \
        for (int32_t i = 0; i < p->n; i++) {                                               \
            const int32_t x = (int32_t)((uint32_t)(int32_t)in[i] - (uint32_t)p->in_zero_point); \
            const int32_t y = mote_mul_qm(x, p->mult, p->shift);                           \
            const int64_t o = (int64_t)y + p->out_zero_point;                              \
            out[i] = (TO)(o < (LO) ? (LO) : o > (HI) ? (HI) : o);                          \
        }                                                                                  \
    }

DEFINE_REQUANTIZE(mote_quantize_s8_s8_eval, int8_t, int8_t, INT8_MIN, INT8_MAX)
DEFINE_REQUANTIZE(mote_quantize_s8_s16_eval, int8_t, int16_t, INT16_MIN, INT16_MAX)
DEFINE_REQUANTIZE(mote_quantize_s8_s32_eval, int8_t, int32_t, INT32_MIN, INT32_MAX)
DEFINE_REQUANTIZE(mote_quantize_s16_s8_eval, int16_t, int8_t, INT8_MIN, INT8_MAX)
DEFINE_REQUANTIZE(mote_quantize_s16_s16_eval, int16_t, int16_t, INT16_MIN, INT16_MAX)
DEFINE_REQUANTIZE(mote_quantize_s16_s32_eval, int16_t, int32_t, INT32_MIN, INT32_MAX)
DEFINE_REQUANTIZE(mote_quantize_s32_s8_eval, int32_t, int8_t, INT8_MIN, INT8_MAX)
DEFINE_REQUANTIZE(mote_quantize_s32_s16_eval, int32_t, int16_t, INT16_MIN, INT16_MAX)

static mote_eval_fn quantize_pick(int in, int out)
{
    static const struct { uint8_t in, out; mote_eval_fn fn; } table[] = {
        {MOTE_F32, MOTE_I8, mote_quantize_f32_s8_eval},  {MOTE_F32, MOTE_I16, mote_quantize_f32_s16_eval},
        {MOTE_I8, MOTE_I8, mote_quantize_s8_s8_eval},       {MOTE_I8, MOTE_I16, mote_quantize_s8_s16_eval},
        {MOTE_I8, MOTE_I32, mote_quantize_s8_s32_eval},     {MOTE_I16, MOTE_I8, mote_quantize_s16_s8_eval},
        {MOTE_I16, MOTE_I16, mote_quantize_s16_s16_eval},   {MOTE_I16, MOTE_I32, mote_quantize_s16_s32_eval},
        {MOTE_I32, MOTE_I8, mote_quantize_s32_s8_eval},     {MOTE_I32, MOTE_I16, mote_quantize_s32_s16_eval},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].in == in && table[i].out == out) return table[i].fn;
    return NULL;
}

static mote_status quantize_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 1 || !mote_in(n, t, 0))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "QUANTIZE needs one input and one output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (mote_tensor_elems(in) != mote_tensor_elems(out) || !mote_same_shape(in, out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "QUANTIZE output shape differs from input");
    mote_eval_fn fn = quantize_pick(in->type, out->type);
    if (!fn) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "QUANTIZE dtype pair not supported");
    if (out->q.n != 1 || !(out->q.scale[0] > 0.0f))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "QUANTIZE output needs one per-tensor scale");
    if (in->type != MOTE_F32 && (in->q.n < 1 || !(in->q.scale[0] > 0.0f)))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "QUANTIZE integer input needs a scale");
    quantize_params *p = (quantize_params *)mote_node_data(ctx, n, sizeof(quantize_params));
    if (!p) return MOTE_ERR_ARENA;
    p->n = (int32_t)mote_tensor_elems(in);
    p->out_scale = out->q.scale[0];
    p->out_zero_point = out->q.zero_point[0];
    if (in->type != MOTE_F32) {
        p->in_zero_point = in->q.zero_point[0];
        mote_quantize_multiplier((double)in->q.scale[0] / (double)out->q.scale[0], &p->mult, &p->shift);
    }
    n->eval = fn;
    return MOTE_OK;
}

static const mote_kernel quantize_kernels[] = {
    MOTE_KERNEL("quantize_f32_s8", mote_quantize_f32_s8_eval),
    MOTE_KERNEL("quantize_f32_s16", mote_quantize_f32_s16_eval),
    MOTE_KERNEL("quantize_s8_s8", mote_quantize_s8_s8_eval),
    MOTE_KERNEL("quantize_s8_s16", mote_quantize_s8_s16_eval),
    MOTE_KERNEL("quantize_s8_s32", mote_quantize_s8_s32_eval),
    MOTE_KERNEL("quantize_s16_s8", mote_quantize_s16_s8_eval),
    MOTE_KERNEL("quantize_s16_s16", mote_quantize_s16_s16_eval),
    MOTE_KERNEL("quantize_s16_s32", mote_quantize_s16_s32_eval),
    MOTE_KERNEL("quantize_s32_s8", mote_quantize_s32_s8_eval),
    MOTE_KERNEL("quantize_s32_s16", mote_quantize_s32_s16_eval),
};

const mote_op_def mote_op_quantize = {quantize_prepare, MOTE_KERNELS(quantize_kernels)};
