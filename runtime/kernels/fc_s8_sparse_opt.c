/* FULLY_CONNECTED with sparse int8 weights (MOTE_I8_SPARSE), optimized: the
 * reference kernel's sums with the input offset folded at prepare into one
 * bias per unit (bias + input_offset * the row's weight sum, wrapping as the
 * reference's uint32 sums do, so the bits are the same), and the entries
 * taken two at a time: a stored weight then costs a skip, a weight and an
 * activation load and one multiply-accumulate. Bit-exact with fc_s8_sparse
 * (tests/unit/kernels_sparse.c).
 *
 * Parameter block: mote_fc_params, multipliers, shifts (as the reference
 * kernel's), then the folded biases; the bias tensor is not read. */
#include "fc_pool_common.h"
#include "mote/quant.h"
#include "mote/sparse.h"

static const int32_t *folded_bias(const mote_fc_params *p)
{
    return mote_fc_ch_shift(p) + p->units;
}

mote_status mote_fc_s8_sparse_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *wt = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_fc_params *p = n->data;
    const int32_t units = p->units;
    if (bt && !mote_const_bytes(bt)) return MOTE_OK; /* a computed bias cannot be folded: the reference */
    const size_t at = sizeof(mote_fc_params) + 2u * (size_t)units * sizeof(int32_t);
    uint8_t *blk = mote_node_data_grow(ctx, n, at + (size_t)units * sizeof(int32_t));
    if (!blk) return MOTE_ERR_ARENA;
    p = (const mote_fc_params *)(const void *)blk; /* the block may have moved */
    int32_t *fb = (int32_t *)(void *)(blk + at);
    const uint8_t *w = wt->data, *e = w + 2 * (size_t)units; /* checked by the reference prepare */
    for (int32_t o = 0; o < units; o++) {
        uint32_t sum = 0;
        for (uint32_t k = mote_sparse_count(w, o); k > 0; k--, e += 2) sum += (uint32_t)(int32_t)(int8_t)e[1];
        fb[o] = (int32_t)((bt ? (uint32_t)((const int32_t *)bt->data)[o] : 0u) + sum * (uint32_t)p->input_offset);
    }
    n->eval = mote_fc_s8_sparse_opt_eval;
    return MOTE_OK;
}

void mote_fc_s8_sparse_opt_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const int8_t *in = mote_in(n, t, 0)->data;
    const uint8_t *w = mote_in(n, t, 1)->data;
    int8_t *out = mote_out(n, t, 0)->data;
    const int32_t *fb = folded_bias(p), *mult = mote_fc_ch_multiplier(p), *shift = mote_fc_ch_shift(p);
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = in + (size_t)b * (size_t)p->depth;
        const uint8_t *e = w + 2 * (size_t)p->units;
        for (int32_t o = 0; o < p->units; o++) {
            const uint32_t cnt = mote_sparse_count(w, o);
            const int8_t *xp = x;
            uint32_t acc = (uint32_t)fb[o];
            for (uint32_t k = cnt >> 1; k > 0; k--) {
                const int32_t s0 = e[0], w0 = (int8_t)e[1], s1 = e[2], w1 = (int8_t)e[3];
                e += 4;
                xp += s0;
                acc += (uint32_t)(w0 * (int32_t)*xp++);
                xp += s1;
                acc += (uint32_t)(w1 * (int32_t)*xp++);
            }
            if (cnt & 1) {
                xp += e[0];
                acc += (uint32_t)((int32_t)(int8_t)e[1] * (int32_t)*xp);
                e += 2;
            }
            int32_t v = mote_add_sat(mote_mul_qm((int32_t)acc, mult[o], shift[o]), p->output_offset);
            out[(size_t)b * (size_t)p->units + (size_t)o] = (int8_t)mote_clamp_i32(v, p->act_min, p->act_max);
        }
    }
}
