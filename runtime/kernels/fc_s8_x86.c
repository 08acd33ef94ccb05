/* FULLY_CONNECTED int8 on x86-64: the GEMM of x86_s8.h with one row per
 * batch (a GEMV for batch 1, 8 units per step), weights packed and biases
 * folded at prepare, requantization fused. Weight zero points other than 0
 * (legacy per-tensor models) keep the reference kernel. */
#include "fc_pool_common.h"
#include "x86_s8.h"

#if defined(__x86_64__)

#define ROWS 4

void mote_fc_s8_x86_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_x86_view v = mote_x86_view_of(n);
    const mote_fc_params *p = n->data;
    const int level = mote_x86_level_of(&v);
    int32_t es;
    const mote_x86_cvt_fn cvt = mote_x86_cvt_for(level, &es);
    const int32_t kp = v.kq * 4;
    const int8_t *x = mote_in(n, t, 0)->data;
    int8_t *y = mote_out(n, t, 0)->data;
    uint8_t *a = n->scratch;
    for (int32_t b = 0; b < p->batches; b += ROWS) {
        const int32_t rows = p->batches - b < ROWS ? p->batches - b : ROWS;
        for (int32_t r = 0; r < rows; r++) {
            uint8_t *row = a + (size_t)r * (size_t)kp * (size_t)es;
            cvt(row, x + (size_t)(b + r) * (size_t)p->depth, p->depth);
            memset(row + (size_t)p->depth * (size_t)es, 0, (size_t)(kp - p->depth) * (size_t)es);
        }
        mote_x86_gemm(level, &v, a, kp, rows, y + (size_t)b * (size_t)v.c);
    }
}

mote_status mote_fc_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *w = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_fc_params *p = n->data;
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    /* the reference prepare took its per-channel branch (int4: always) */
    const int per_channel = w->q.n > 1 || w->type == MOTE_I4 || w->type == MOTE_I1;
    if (mote_x86_level() < 1) return MOTE_OK;
    if (p->filter_offset != 0 || !mote_const_bytes(w) || (bt && !mote_const_bytes(bt)) || p->depth > (1 << 20)) return MOTE_OK;
    const int32_t *mult = per_channel ? mote_fc_ch_multiplier(p) : &p->multiplier;
    const int32_t *shift = per_channel ? mote_fc_ch_shift(p) : &p->shift;
    const int32_t step = per_channel ? 1 : 0;
    if (!mote_x86_shifts_ok(mult, shift, per_channel ? p->units : 1, step)) return MOTE_OK;
    mote_x86_pack *h = mote_x86_pack_gemm(ctx, n, w, bias, p->units, p->depth, in->q.zero_point[0], mult,
                                          shift, step);
    if (!h) return MOTE_ERR_ARENA;
    p = n->data;
    h->out_off = p->output_offset, h->act_min = p->act_min, h->act_max = p->act_max;
    n->scratch_bytes = (size_t)ROWS * (size_t)h->kq * 4 * sizeof(int16_t);
    n->eval = mote_fc_s8_x86_eval;
    return MOTE_OK;
}

#else

mote_status mote_fc_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    (void)ctx, (void)n, (void)t;
    return MOTE_OK;
}

#endif
