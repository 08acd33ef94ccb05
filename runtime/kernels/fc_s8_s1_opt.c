/* FULLY_CONNECTED, int8 activations with binary weights, optimized: the
 * input row is turned once into u bytes (s1_simd.h), then two units at a
 * time: per 4 inputs one input word, and per unit one table mask, one AND,
 * one USADA8. No multiplies; the output stage is the fast exact one
 * (mote_requant_s8) when every unit's accumulator bound allows it.
 *
 * Parameter block: mote_fc_params, multipliers, shifts, then (16-aligned)
 * s1_fc_hdr, one mote_s1_chan per unit (bias' = bias + (off - 128)(2 n_set -
 * depth), output stage), then per unit its bit words (depth padded to 32).
 * Scratch: the u row (kp bytes). */
#include "fc_pool_common.h"
#include "mote/quant.h"
#include "s1_simd.h"

typedef struct {
    int32_t depth, words, fast, pad;
} s1_fc_hdr;

static size_t hdr_offset(int32_t units)
{
    return (sizeof(mote_fc_params) + 2u * (size_t)units * sizeof(int32_t) + 15u) & ~(size_t)15u;
}

mote_status mote_fc_s8_s1_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *wt = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_fc_params *p = n->data;
    const int32_t units = p->units, depth = p->depth, words = (depth + 31) / 32;
    if (!mote_s1_little_endian() || depth > (1 << 22) || !mote_const_bytes(wt) || (bt && !mote_const_bytes(bt)))
        return MOTE_OK;
    const int64_t c = (int64_t)p->input_offset - 128;
    for (int32_t o = 0; o < units; o++) { /* bias' must fit int32 (n_set anywhere in 0..depth) */
        const int64_t b = bt ? ((const int32_t *)bt->data)[o] : 0, r = (c < 0 ? -c : c) * depth;
        if (b + r > INT32_MAX || b - r < INT32_MIN) return MOTE_OK;
    }
    const size_t at = hdr_offset(units);
    const size_t bytes = sizeof(s1_fc_hdr) + (sizeof(mote_s1_chan) + 4u * (size_t)words) * (size_t)units;
    uint8_t *blk = mote_node_data_grow(ctx, n, at + bytes);
    if (!blk) return MOTE_ERR_ARENA;
    p = (const mote_fc_params *)(const void *)blk; /* the block moved */
    s1_fc_hdr *h = (s1_fc_hdr *)(void *)(blk + at);
    h->depth = depth;
    h->words = words;
    h->fast = mote_s1_fast_ok(bt ? (const int32_t *)bt->data : NULL, mote_fc_ch_shift(p), units, depth);
    mote_s1_chan *ch = (mote_s1_chan *)(void *)(h + 1);
    uint32_t *w = (uint32_t *)(void *)(ch + units);
    for (int32_t o = 0; o < units; o++) {
        const int32_t set = mote_s1_pack_row(w + (size_t)o * (size_t)words, wt->data, (size_t)o * (size_t)depth, depth);
        const int64_t b = bt ? ((const int32_t *)bt->data)[o] : 0;
        ch[o] = mote_s1_chan_make(b + c * (2 * (int64_t)set - depth), mote_fc_ch_multiplier(p)[o],
                                  mote_fc_ch_shift(p)[o]);
    }
    n->scratch_bytes = 32u * (size_t)words;
    n->eval = mote_fc_s8_s1_opt_eval;
    return MOTE_OK;
}

void mote_fc_s8_s1_opt_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const s1_fc_hdr *h = (const s1_fc_hdr *)(const void *)((const uint8_t *)p + hdr_offset(p->units));
    const mote_s1_chan *ch = (const mote_s1_chan *)(const void *)(h + 1);
    const uint32_t *w = (const uint32_t *)(const void *)(ch + p->units);
    const int8_t *in = mote_in(n, t, 0)->data;
    int8_t *out = mote_out(n, t, 0)->data;
    const mote_s1_stage st = {h->fast, p->output_offset, p->act_min, p->act_max, mote_fc_ch_multiplier(p),
                              mote_fc_ch_shift(p)};
    uint32_t *u = n->scratch;
    const int32_t units = p->units, words = h->words, kp = 32 * words;
    for (int32_t b = 0; b < p->batches; b++) {
        uint8_t *ub = (uint8_t *)u;
        memcpy(ub, in + (size_t)b * (size_t)p->depth, (size_t)p->depth);
        memset(ub + p->depth, 0x80, (size_t)(kp - p->depth));
        const uint32_t all = mote_s1_to_u(u, kp);
        int8_t *y = out + (size_t)b * (size_t)units;
        int32_t o = 0;
        for (; o + 2 <= units; o += 2) {
            uint32_t sa, sb;
            mote_s1_dot2(u, w + (size_t)o * (size_t)words, w + (size_t)(o + 1) * (size_t)words, words, &sa, &sb);
            y[o] = mote_s1_out(2u * sa - all, &ch[o], st, o);
            y[o + 1] = mote_s1_out(2u * sb - all, &ch[o + 1], st, o + 1);
        }
        if (o < units) {
            const uint32_t s = mote_s1_dot(u, w + (size_t)o * (size_t)words, words);
            y[o] = mote_s1_out(2u * s - all, &ch[o], st, o);
        }
    }
}
