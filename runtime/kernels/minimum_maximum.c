/* MINIMUM and MAXIMUM with broadcasting: float32, int8, uint8, int16, int32,
 * int64. As TFLM, quantized tensors are compared on their raw values (the
 * converter gives inputs and output the same scale and zero point).
 * max(a, b) = a > b ? a : b and min(a, b) = a < b ? a : b, so NaN handling
 * follows TFLite's reference (a NaN in a yields b). */
#include "mote/kernel.h"
#include "elementwise_common.h"

typedef struct {
    mote_bcast bc;
    int32_t total;
} mm_data;

#define MM_KERNELS(NAME, T)                                                      \
    void mote_maximum_##NAME##_eval(const mote_node *n, const mote_tensor *t)                \
    {                                                                            \
        const mm_data *d = (const mm_data *)n->data;                             \
        const T *a = (const T *)mote_in(n, t, 0)->data;                          \
        const T *b = (const T *)mote_in(n, t, 1)->data;                          \
        T *y = (T *)mote_out(n, t, 0)->data;                                     \
        MOTE_BCAST_FOR(&d->bc, d->total, y[k] = a[i1] > b[i2] ? a[i1] : b[i2]);   \
    }                                                                            \
    void mote_minimum_##NAME##_eval(const mote_node *n, const mote_tensor *t)                \
    {                                                                            \
        const mm_data *d = (const mm_data *)n->data;                             \
        const T *a = (const T *)mote_in(n, t, 0)->data;                          \
        const T *b = (const T *)mote_in(n, t, 1)->data;                          \
        T *y = (T *)mote_out(n, t, 0)->data;                                     \
        MOTE_BCAST_FOR(&d->bc, d->total, y[k] = a[i1] < b[i2] ? a[i1] : b[i2]);   \
    }

MM_KERNELS(f32, float)
MM_KERNELS(s8, int8_t)
MM_KERNELS(u8, uint8_t)
MM_KERNELS(s16, int16_t)
MM_KERNELS(s32, int32_t)
MM_KERNELS(s64, int64_t)

static mote_status mm_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t, int is_max)
{
    if (n->n_in != 2 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "MINIMUM/MAXIMUM needs 2 inputs and 1 output");
    const mote_tensor *a = mote_in(n, t, 0), *b = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    if (!a || !b) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "MINIMUM/MAXIMUM input missing");
    if (a->type != b->type || a->type != out->type)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "MINIMUM/MAXIMUM inputs and output must share a dtype");
    mm_data *d = (mm_data *)mote_node_data(ctx, n, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    if (!mote_bcast_init(&d->bc, a, b, out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "MINIMUM/MAXIMUM input shapes do not broadcast to the output shape");
    d->total = (int32_t)mote_tensor_elems(out);
    switch (out->type) {
    case MOTE_F32: n->eval = is_max ? mote_maximum_f32_eval : mote_minimum_f32_eval; break;
    case MOTE_I8: n->eval = is_max ? mote_maximum_s8_eval : mote_minimum_s8_eval; break;
    case MOTE_U8: n->eval = is_max ? mote_maximum_u8_eval : mote_minimum_u8_eval; break;
    case MOTE_I16: n->eval = is_max ? mote_maximum_s16_eval : mote_minimum_s16_eval; break;
    case MOTE_I32: n->eval = is_max ? mote_maximum_s32_eval : mote_minimum_s32_eval; break;
    case MOTE_I64: n->eval = is_max ? mote_maximum_s64_eval : mote_minimum_s64_eval; break;
    default: return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "MINIMUM/MAXIMUM dtype not supported");
    }
    return MOTE_OK;
}

static mote_status maximum_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    return mm_prepare(ctx, n, t, 1);
}

static mote_status minimum_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    return mm_prepare(ctx, n, t, 0);
}

static const mote_kernel maximum_kernels[] = {
    MOTE_KERNEL("maximum_f32", mote_maximum_f32_eval),
    MOTE_KERNEL("maximum_s8", mote_maximum_s8_eval),
    MOTE_KERNEL("maximum_u8", mote_maximum_u8_eval),
    MOTE_KERNEL("maximum_s16", mote_maximum_s16_eval),
    MOTE_KERNEL("maximum_s32", mote_maximum_s32_eval),
    MOTE_KERNEL("maximum_s64", mote_maximum_s64_eval),
};
static const mote_kernel minimum_kernels[] = {
    MOTE_KERNEL("minimum_f32", mote_minimum_f32_eval),
    MOTE_KERNEL("minimum_s8", mote_minimum_s8_eval),
    MOTE_KERNEL("minimum_u8", mote_minimum_u8_eval),
    MOTE_KERNEL("minimum_s16", mote_minimum_s16_eval),
    MOTE_KERNEL("minimum_s32", mote_minimum_s32_eval),
    MOTE_KERNEL("minimum_s64", mote_minimum_s64_eval),
};

const mote_op_def mote_op_maximum = {maximum_prepare, MOTE_KERNELS(maximum_kernels)};
const mote_op_def mote_op_minimum = {minimum_prepare, MOTE_KERNELS(minimum_kernels)};
