/* DIV, float32 and int32 (TFLM semantics), with broadcasting and a fused
 * activation clamp. int32 division truncates toward zero (C++ '/', which is
 * what the TF "TruncateDiv" lowering relies on). TFLM does not guard x / 0
 * (it traps); mote returns 0 there and INT32_MIN for INT32_MIN / -1.
 * Quantized int8 DIV is not supported. */
#include "mote/kernel.h"
#include "mote/quant.h"

typedef struct {
    int32_t rank;
    int32_t dims[MOTE_MAX_DIMS];
    int32_t sa[MOTE_MAX_DIMS], sb[MOTE_MAX_DIMS]; /* element strides, 0 = broadcast */
    int32_t lo, hi;   /* int32 activation range */
    float flo, fhi;   /* float activation range */
} div_data;

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

static void div_f32_eval(const mote_node *n, mote_tensor *t)
{
    const div_data *d = (const div_data *)n->data;
    const float *a = (const float *)mote_in(n, t, 0)->data;
    const float *b = (const float *)mote_in(n, t, 1)->data;
    float *y = (float *)mote_out(n, t, 0)->data;
    BCAST_LOOP(d, y[io] = mote_clamp_f(a[ia] / b[ib], d->flo, d->fhi));
}

static inline int32_t div_i32(int32_t x, int32_t q)
{
    if (q == 0) return 0;
    if (q == -1) return (int32_t)(0u - (uint32_t)x);
    return x / q;
}

static void div_i32_eval(const mote_node *n, mote_tensor *t)
{
    const div_data *d = (const div_data *)n->data;
    const int32_t *a = (const int32_t *)mote_in(n, t, 0)->data;
    const int32_t *b = (const int32_t *)mote_in(n, t, 1)->data;
    int32_t *y = (int32_t *)mote_out(n, t, 0)->data;
    BCAST_LOOP(d, y[io] = mote_clamp_i32(div_i32(a[ia], b[ib]), d->lo, d->hi));
}

/* Right-aligned numpy broadcasting of a and b onto out's shape. */
static mote_status bcast_setup(mote_ctx *ctx, const mote_node *n, const mote_tensor *a, const mote_tensor *b,
                               const mote_tensor *out, div_data *d)
{
    const int r = out->rank;
    if (a->rank > r || b->rank > r) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "output rank is below an input rank");
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
    return MOTE_OK;
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
    div_data *d = (div_data *)mote_persist_alloc(ctx, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    mote_status s = bcast_setup(ctx, n, a, b, out, d);
    if (s != MOTE_OK) return s;
    switch (n->opts.activation) {
    case MOTE_ACT_NONE: d->lo = INT32_MIN; d->hi = INT32_MAX; break;
    case MOTE_ACT_RELU: d->lo = 0; d->hi = INT32_MAX; break;
    case MOTE_ACT_RELU6: d->lo = 0; d->hi = 6; break;
    case MOTE_ACT_RELU_N1_TO_1: d->lo = -1; d->hi = 1; break;
    default: return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "DIV fused activation not supported");
    }
    mote_act_range_f(n->opts.activation, &d->flo, &d->fhi);
    n->data = d;
    n->eval = out->type == MOTE_F32 ? div_f32_eval : div_i32_eval;
    return MOTE_OK;
}

const mote_op_def mote_op_div = {"DIV", div_prepare};
