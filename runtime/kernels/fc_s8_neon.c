/* FULLY_CONNECTED int8 for aarch64 NEON: the GEMM of neon_s8.h with one row
 * per batch (4 units per step, 4 batches share each weight load), weights
 * packed and biases folded at prepare, requantization fused. Rows are copied
 * to scratch first (zero-padded to kp), so an output that overlaps the input
 * is safe. Weight zero points other than 0 (legacy per-tensor models) keep
 * the reference kernel. Other builds run the same block in scalar C. */
#include "fc_pool_common.h"
#include "neon_s8.h"

#define ROWS 4

void mote_fc_s8_neon_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_neon_view v = mote_neon_view_of(n);
    const mote_fc_params *p = n->data;
    const int8_t *x = mote_in(n, t, 0)->data;
    int8_t *y = mote_out(n, t, 0)->data;
    int8_t *a = n->scratch;
    const size_t kp = (size_t)v.kp, depth = (size_t)p->depth;
    for (int32_t b = 0; b < p->batches; b += ROWS) {
        const int32_t rows = p->batches - b < ROWS ? p->batches - b : ROWS;
        for (int32_t r = 0; r < rows; r++) {
            int8_t *row = a + (size_t)r * kp;
            memcpy(row, x + (size_t)(b + r) * depth, depth);
            memset(row + depth, 0, kp - depth);
        }
        mote_neon_gemm(&v, a, rows, y + (size_t)b * (size_t)v.c);
    }
}

mote_status mote_fc_s8_neon_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *w = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_fc_params *p = n->data;
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    const int per_channel = w->q.n > 1; /* the reference prepare took its per-channel branch */
    if (p->filter_offset != 0 || !mote_const_bytes(w) || (bt && !mote_const_bytes(bt)) || p->depth > (1 << 20))
        return MOTE_OK;
    const int32_t *mult = per_channel ? mote_fc_ch_multiplier(p) : &p->multiplier;
    const int32_t *shift = per_channel ? mote_fc_ch_shift(p) : &p->shift;
    const int32_t step = per_channel ? 1 : 0;
    if (!mote_neon_shifts_ok(shift, per_channel ? p->units : 1, step)) return MOTE_OK;
    mote_neon_pack *h = mote_neon_pack_gemm(ctx, n, w->data, bias, p->units, p->depth, in->q.zero_point[0], mult,
                                            shift, step);
    if (!h) return MOTE_ERR_ARENA;
    p = n->data;
    h->out_off = p->output_offset, h->act_min = p->act_min, h->act_max = p->act_max;
    n->scratch_bytes = (size_t)ROWS * (size_t)h->kp;
    n->eval = mote_fc_s8_neon_eval;
    return MOTE_OK;
}
