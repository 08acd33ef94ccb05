/* CAST between float32, int8/16/32/64, uint8/32/64 and bool.
 * Integer to integer keeps the low bits (C++ static_cast, as TFLM); to bool
 * is x != 0. Float to integer truncates toward zero; TFLM leaves
 * out-of-range values undefined, mote saturates them (NaN -> 0). */
#include <math.h>

#include "mote/kernel.h"

/* Integer value of element i as 64 bits: signed types sign-extend. */
static uint64_t load_bits(const void *p, int64_t i, int type)
{
    switch (type) {
    case MOTE_I8: return (uint64_t)(int64_t)((const int8_t *)p)[i];
    case MOTE_U8: return ((const uint8_t *)p)[i];
    case MOTE_BOOL: return ((const uint8_t *)p)[i] != 0;
    case MOTE_I16: return (uint64_t)(int64_t)((const int16_t *)p)[i];
    case MOTE_I32: return (uint64_t)(int64_t)((const int32_t *)p)[i];
    case MOTE_U32: return ((const uint32_t *)p)[i];
    case MOTE_I64: return (uint64_t)((const int64_t *)p)[i];
    default: return ((const uint64_t *)p)[i]; /* MOTE_U64 */
    }
}

static double load_real(const void *p, int64_t i, int type)
{
    if (type == MOTE_F32) return ((const float *)p)[i];
    uint64_t b = load_bits(p, i, type);
    return type == MOTE_U64 ? (double)b : (double)(int64_t)b;
}

/* float -> integer in [lo, hi], truncating; NaN -> 0. */
static int64_t sat_trunc(double v, double lo, double hi)
{
    if (v != v) return 0;
    if (v <= lo) return (int64_t)lo;
    if (v >= hi) return (int64_t)hi;
    return (int64_t)v;
}

void mote_cast_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0);
    const mote_tensor *out = mote_out(n, t, 0);
    const int64_t count = mote_tensor_elems(in);
    const int it = in->type, ot = out->type;
    const void *x = in->data;
    void *y = out->data;
    for (int64_t i = 0; i < count; i++) {
        if (ot == MOTE_F32) {
            /* int64 -> float rounds once, like static_cast<float>(int64) */
            float v;
            if (it == MOTE_F32) v = ((const float *)x)[i];
            else if (it == MOTE_U64) v = (float)load_bits(x, i, it);
            else v = (float)(int64_t)load_bits(x, i, it);
            ((float *)y)[i] = v;
            continue;
        }
        uint64_t b;
        if (it == MOTE_F32) {
            double v = load_real(x, i, it);
            switch (ot) {
            case MOTE_I8: b = (uint64_t)sat_trunc(v, INT8_MIN, INT8_MAX); break;
            case MOTE_U8: b = (uint64_t)sat_trunc(v, 0, UINT8_MAX); break;
            case MOTE_I16: b = (uint64_t)sat_trunc(v, INT16_MIN, INT16_MAX); break;
            case MOTE_I32: b = (uint64_t)sat_trunc(v, INT32_MIN, INT32_MAX); break;
            case MOTE_U32: b = (uint64_t)sat_trunc(v, 0, UINT32_MAX); break;
            case MOTE_I64: b = (uint64_t)sat_trunc(v, -9223372036854775808.0, 9223372036854774784.0); break;
            case MOTE_U64:
                b = v != v || v <= 0 ? 0 : (v >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)v);
                break;
            default: b = v != 0; break; /* bool: NaN is true, like C++ */
            }
        } else {
            b = load_bits(x, i, it);
        }
        switch (ot) {
        case MOTE_I8: ((int8_t *)y)[i] = (int8_t)(uint8_t)b; break;
        case MOTE_U8: ((uint8_t *)y)[i] = (uint8_t)b; break;
        case MOTE_BOOL: ((uint8_t *)y)[i] = b != 0; break;
        case MOTE_I16: ((int16_t *)y)[i] = (int16_t)(uint16_t)b; break;
        case MOTE_I32: ((int32_t *)y)[i] = (int32_t)(uint32_t)b; break;
        case MOTE_U32: ((uint32_t *)y)[i] = (uint32_t)b; break;
        case MOTE_I64: ((int64_t *)y)[i] = (int64_t)b; break;
        default: ((uint64_t *)y)[i] = b; break;
        }
    }
}

static mote_status cast_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "CAST needs 1 input and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "CAST input missing");
    if (in->type >= MOTE_DTYPE_COUNT) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "CAST input dtype unknown");
    if (in->type == MOTE_I4) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "CAST does not support int4");
    if (in->type == MOTE_I1) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "CAST does not support binary");
    if (out->type >= MOTE_DTYPE_COUNT) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "CAST output dtype unknown");
    if (mote_tensor_elems(in) != mote_tensor_elems(out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "CAST output element count differs from input");
    if (!mote_same_shape(in, out)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "CAST output shape differs from input");
    n->eval = mote_cast_eval;
    return MOTE_OK;
}

static const mote_kernel cast_kernels[] = {
    MOTE_KERNEL("cast", mote_cast_eval),
};

const mote_op_def mote_op_cast = {cast_prepare, MOTE_KERNELS(cast_kernels)};
