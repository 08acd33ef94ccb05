/* MINIMUM and MAXIMUM with broadcasting: float32, int8, uint8, int16, int32,
 * int64. As TFLM, quantized tensors are compared on their raw values (the
 * converter gives inputs and output the same scale and zero point).
 * max(a, b) = a > b ? a : b and min(a, b) = a < b ? a : b, so NaN handling
 * follows TFLite's reference (a NaN in a yields b). */
#include "mote/kernel.h"

typedef struct {
    int32_t rank;
    int32_t dims[MOTE_MAX_DIMS];
    int32_t sa[MOTE_MAX_DIMS], sb[MOTE_MAX_DIMS]; /* element strides, 0 = broadcast */
} mm_data;

/* Walk the output in row-major order, yielding the two input offsets. */
#define BCAST_LOOP(d, BODY)                                                      \
    do {                                                                         \
        int32_t idx_[MOTE_MAX_DIMS] = {0};                                       \
        int64_t oa_ = 0, ob_ = 0, o_ = 0, total_ = 1;                            \
        for (int32_t k_ = 0; k_ < (d)->rank; k_++) total_ *= (d)->dims[k_];      \
        for (o_ = 0; o_ < total_; o_++) {                                        \
            const int64_t ia = oa_, ib = ob_, io = o_;                           \
            BODY;                                                                \
            for (int32_t k_ = (d)->rank - 1; k_ >= 0; k_--) {                    \
                oa_ += (d)->sa[k_];                                              \
                ob_ += (d)->sb[k_];                                              \
                if (++idx_[k_] < (d)->dims[k_]) break;                           \
                oa_ -= (int64_t)(d)->sa[k_] * (d)->dims[k_];                     \
                ob_ -= (int64_t)(d)->sb[k_] * (d)->dims[k_];                     \
                idx_[k_] = 0;                                                    \
            }                                                                    \
        }                                                                        \
    } while (0)

#define MM_KERNELS(NAME, T)                                                      \
    static void max_##NAME(const mote_node *n, mote_tensor *t)                   \
    {                                                                            \
        const mm_data *d = (const mm_data *)n->data;                             \
        const T *a = (const T *)mote_in(n, t, 0)->data;                          \
        const T *b = (const T *)mote_in(n, t, 1)->data;                          \
        T *y = (T *)mote_out(n, t, 0)->data;                                     \
        BCAST_LOOP(d, y[io] = a[ia] > b[ib] ? a[ia] : b[ib]);                    \
    }                                                                            \
    static void min_##NAME(const mote_node *n, mote_tensor *t)                   \
    {                                                                            \
        const mm_data *d = (const mm_data *)n->data;                             \
        const T *a = (const T *)mote_in(n, t, 0)->data;                          \
        const T *b = (const T *)mote_in(n, t, 1)->data;                          \
        T *y = (T *)mote_out(n, t, 0)->data;                                     \
        BCAST_LOOP(d, y[io] = a[ia] < b[ib] ? a[ia] : b[ib]);                    \
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
    const int r = out->rank;
    if (a->rank > r || b->rank > r) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "output rank is below an input rank");
    mm_data *d = (mm_data *)mote_persist_alloc(ctx, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    int32_t st_a = 1, st_b = 1;
    d->rank = r;
    for (int k = r - 1; k >= 0; k--) {
        const int ka = k - (r - a->rank), kb = k - (r - b->rank);
        const int32_t da = ka >= 0 ? a->dims[ka] : 1, db = kb >= 0 ? b->dims[kb] : 1;
        if (da != db && da != 1 && db != 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "input shapes cannot be broadcast");
        const int32_t want = (da == 1) ? db : da;
        if (out->dims[k] != want) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "output shape differs from the broadcast shape");
        d->dims[k] = want;
        d->sa[k] = (da == 1) ? 0 : st_a;
        d->sb[k] = (db == 1) ? 0 : st_b;
        st_a *= da;
        st_b *= db;
    }
    n->data = d;
    switch (out->type) {
    case MOTE_F32: n->eval = is_max ? max_f32 : min_f32; break;
    case MOTE_I8: n->eval = is_max ? max_s8 : min_s8; break;
    case MOTE_U8: n->eval = is_max ? max_u8 : min_u8; break;
    case MOTE_I16: n->eval = is_max ? max_s16 : min_s16; break;
    case MOTE_I32: n->eval = is_max ? max_s32 : min_s32; break;
    case MOTE_I64: n->eval = is_max ? max_s64 : min_s64; break;
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

const mote_op_def mote_op_maximum = {"MAXIMUM", maximum_prepare};
const mote_op_def mote_op_minimum = {"MINIMUM", minimum_prepare};
