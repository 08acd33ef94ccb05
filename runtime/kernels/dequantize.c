/* DEQUANTIZE: int8 / int16 / uint8 -> float32 as scale * (q - zero_point),
 * the subtraction in int and the product in float (TFLite's Dequantize). */
#include "mote/kernel.h"

typedef struct {
    int32_t n;
    float scale;
    int32_t zero_point;
} dequantize_params;

#define DEFINE_DEQUANTIZE(name, TI)                                             \
    void name(const mote_node *nd, const mote_tensor *t)                       \
    {                                                                           \
        const dequantize_params *p = (const dequantize_params *)nd->data;       \
        const TI *in = (const TI *)mote_in(nd, t, 0)->data;                     \
        float *out = (float *)mote_out(nd, t, 0)->data;                         \
        for (int32_t i = 0; i < p->n; i++)                                      \
            out[i] = p->scale * (float)((int32_t)in[i] - p->zero_point);        \
    }

DEFINE_DEQUANTIZE(mote_dequantize_s8_eval, int8_t)
DEFINE_DEQUANTIZE(mote_dequantize_s16_eval, int16_t)
DEFINE_DEQUANTIZE(mote_dequantize_u8_eval, uint8_t)

static mote_status dequantize_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 1 || !mote_in(n, t, 0))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "DEQUANTIZE needs one input and one output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (!mote_same_shape(in, out)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "DEQUANTIZE output shape differs from input");
    if (out->type != MOTE_F32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "DEQUANTIZE output must be float32");
    if (in->q.n != 1) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "DEQUANTIZE input needs one per-tensor scale");
    dequantize_params *p = (dequantize_params *)mote_node_data(ctx, n, sizeof(dequantize_params));
    if (!p) return MOTE_ERR_ARENA;
    p->n = (int32_t)mote_tensor_elems(in);
    p->scale = in->q.scale[0];
    p->zero_point = in->q.zero_point[0];
    switch (in->type) {
    case MOTE_I8: n->eval = mote_dequantize_s8_eval; break;
    case MOTE_I16: n->eval = mote_dequantize_s16_eval; break;
    case MOTE_U8: n->eval = mote_dequantize_u8_eval; break;
    default: return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "DEQUANTIZE input must be int8, int16 or uint8");
    }
    return MOTE_OK;
}

static const mote_kernel dequantize_kernels[] = {
    MOTE_KERNEL("dequantize_s8", mote_dequantize_s8_eval),
    MOTE_KERNEL("dequantize_s16", mote_dequantize_s16_eval),
    MOTE_KERNEL("dequantize_u8", mote_dequantize_u8_eval),
};

const mote_op_def mote_op_dequantize = {dequantize_prepare, MOTE_KERNELS(dequantize_kernels)};
