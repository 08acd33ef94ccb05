/* FULLY_CONNECTED, int8 activations with int4 weights, optimized: the
 * input row is expanded once into lane pairs (s4_simd.h), then four units at
 * a time over 4 inputs: 2 input words, 2 weight words (a unit pair each),
 * 8 ANDs and 8 SMLAD for 16 MACs. Units are padded to a multiple of 4 with
 * zero weights.
 *
 * Parameter block: mote_fc_params, multipliers, shifts, then (16-aligned)
 * s4_fc_hdr, one s4_fc_unit per unit (bias' = bias + input_offset sum w,
 * the fast output stage), then per quad of units and slice of 4 inputs the
 * words of its two unit pairs. Scratch: the row's lane pairs, 2 words per 4 inputs (2 * dp bytes). */
#include "fc_pool_common.h"
#include "s4_simd.h"

typedef struct {
    int32_t depth, dp, quads, pad;
} s4_fc_hdr;

typedef struct {
    int32_t bias, mult, round, rshift;
} s4_fc_unit;

static size_t hdr_offset(int32_t units)
{
    return (sizeof(mote_fc_params) + 2u * (size_t)units * sizeof(int32_t) + 15u) & ~(size_t)15u;
}

/* Unit o's output stage (mote_requant_fit, as conv_s8_s4_opt.c). */
static int unit_fit(const mote_fc_params *p, const mote_tensor *bias, const uint8_t *w, int32_t o,
                    mote_requant_chan *f)
{
    int64_t lo, hi, sabs;
    mote_s4_dot_range(w, (size_t)o * (size_t)p->depth, 1, p->depth, -p->input_offset, &lo, &hi, &sabs);
    const int64_t b = bias ? ((const int32_t *)bias->data)[o] : 0;
    if (!mote_requant_fit(b, mote_fc_ch_multiplier(p)[o], mote_fc_ch_shift(p)[o], lo, hi, 256 * sabs,
                          (int64_t)1 << 30, 0, p->output_offset, p->act_min, p->act_max, f))
        return 0;
    return mote_requant_fast_ok(&f->shift, 1, (f->bias < 0 ? -(int64_t)f->bias : f->bias) + 256 * sabs);
}

mote_status mote_fc_s8_s4_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *wt = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_fc_params *p = n->data;
    const int32_t units = p->units, depth = p->depth;
    if (depth > (1 << 18) || !mote_const_bytes(wt) || (bt && !mote_const_bytes(bt))) return MOTE_OK;
    for (int32_t o = 0; o < units; o++) {
        mote_requant_chan f;
        if (!unit_fit(p, bt, wt->data, o, &f)) return MOTE_OK;
    }
    const int32_t dp = (depth + 7) & ~7, slices = dp / 4, quads = (units + 3) / 4;
    const size_t at = hdr_offset(units);
    const size_t bytes = sizeof(s4_fc_hdr) + sizeof(s4_fc_unit) * 4u * (size_t)quads + 8u * (size_t)quads * (size_t)slices;
    uint8_t *blk = mote_node_data_grow(ctx, n, at + bytes);
    if (!blk) return MOTE_ERR_ARENA;
    p = (const mote_fc_params *)(const void *)blk; /* the block moved */
    s4_fc_hdr *h = (s4_fc_hdr *)(void *)(blk + at);
    h->depth = depth;
    h->dp = dp;
    h->quads = quads;
    s4_fc_unit *u = (s4_fc_unit *)(void *)(h + 1);
    uint32_t *w = (uint32_t *)(void *)(u + 4 * quads);
    const uint8_t *src = wt->data;
    for (int32_t o = 0; o < 4 * quads; o++) {
        if (o >= units) {
            u[o] = (s4_fc_unit){0, 0, 1, 1};
            continue;
        }
        int64_t sum = 0;
        for (int32_t j = 0; j < depth; j++) sum += mote_s4_at(src, (size_t)o * (size_t)depth + (size_t)j);
        mote_requant_chan f = {0, 0, 0};
        (void)unit_fit(p, bt, src, o, &f); /* accepted above */
        u[o] = (s4_fc_unit){(int32_t)(f.bias + (int64_t)p->input_offset * sum), f.mult, mote_requant_round(f.shift),
                            mote_requant_rshift(f.shift)};
    }
    /* unit pair (2i, 2i + 1); a unit past the last has weights 0 */
    for (int32_t q = 0; q < quads; q++)
        for (int32_t s = 0; s < slices; s++)
            for (int32_t i = 0; i < 2; i++) {
                const int32_t a = 4 * q + 2 * i, b = a + 1;
                uint32_t v = 0x88888888u;
                if (a < units)
                    v = mote_s4_pack_word(src, (size_t)a * (size_t)depth, b < units ? (int64_t)b * depth : -1, depth, s);
                w[((size_t)q * (size_t)slices + (size_t)s) * 2u + (size_t)i] = v;
            }
    n->scratch_bytes = 2u * (size_t)dp; /* 2 words per 4 inputs */
    n->eval = mote_fc_s8_s4_opt_eval;
    return MOTE_OK;
}

static inline int8_t unit_out(int32_t acc, const s4_fc_unit *u, const mote_fc_params *p)
{
    return (int8_t)mote_requant_s8(acc, u->mult, u->round, u->rshift, p->output_offset, p->act_min, p->act_max);
}

void mote_fc_s8_s4_opt_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const s4_fc_hdr *h = (const s4_fc_hdr *)(const void *)((const uint8_t *)p + hdr_offset(p->units));
    const s4_fc_unit *u = (const s4_fc_unit *)(const void *)(h + 1);
    const uint32_t *w0 = (const uint32_t *)(const void *)(u + 4 * h->quads);
    const int8_t *in = mote_in(n, t, 0)->data;
    int8_t *out = mote_out(n, t, 0)->data;
    uint32_t *xs = n->scratch;
    const int32_t slices = h->dp >> 2, units = p->units;
    const uint32_t m = MOTE_S4_MASK;
    for (int32_t b = 0; b < p->batches; b++) {
        const int32_t e = 8 * mote_s4_expand(xs, 2, in + (size_t)b * (size_t)p->depth, h->depth, h->dp);
        int8_t *y = out + (size_t)b * (size_t)units;
        const uint32_t *w = w0;
        for (int32_t q = 0; q < h->quads; q++) {
            const s4_fc_unit *uq = u + 4 * q;
            int32_t a0 = uq[0].bias - e, a1 = uq[1].bias - e, a2 = uq[2].bias - e, a3 = uq[3].bias - e;
            const uint32_t *x = xs;
            for (int32_t k = 0; k < slices; k++, w += 2, x += 2) {
                const uint32_t xa = x[0], xb = x[1], v = w[0], v2 = w[1];
                a0 = mote_s4_smlad(v & m, xa, a0);
                a0 = mote_s4_smlad((v >> 4) & m, xb, a0);
                a1 = mote_s4_smlad((v >> 8) & m, xa, a1);
                a1 = mote_s4_smlad((v >> 12) & m, xb, a1);
                a2 = mote_s4_smlad(v2 & m, xa, a2);
                a2 = mote_s4_smlad((v2 >> 4) & m, xb, a2);
                a3 = mote_s4_smlad((v2 >> 8) & m, xa, a3);
                a3 = mote_s4_smlad((v2 >> 12) & m, xb, a3);
            }
            const int32_t o = 4 * q, acc[4] = {a0, a1, a2, a3};
            for (int j = 0; j < 4 && o + j < units; j++) y[o + j] = unit_out(acc[j], &uq[j], p);
        }
    }
}
