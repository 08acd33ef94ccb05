/* Compile-time half of the optimized int8 FULLY_CONNECTED: packs rows in
 * groups of 4 with per-row multipliers and folded biases (fc_s8_gemv.h). */
#include "fc_s8_gemv.h"

/* Unit u's output stage for the kernel (mote_requant_fit): its own, or for a
 * dead unit one inside the bound that gives the same constant. Partial sums
 * stay within |bias| + 256 sum|w| (as in conv_s8_opt.c). */
static int unit_fit(const mote_fc_params *p, const mote_tensor *bias, const int8_t *w, int32_t u, int per_channel,
                    mote_requant_chan *f)
{
    const int32_t depth = p->depth, zp = -p->input_offset;
    int64_t lo = 0, hi = 0, sabs = 0;
    for (int32_t j = 0; j < depth; j++) {
        const int64_t v = w[(size_t)u * (size_t)depth + (size_t)j], a = v * (-128 - zp), b = v * (127 - zp);
        lo += a < b ? a : b;
        hi += a < b ? b : a;
        sabs += v < 0 ? -v : v;
    }
    const int64_t b = bias ? ((const int32_t *)bias->data)[u] : 0;
    const int32_t mult = per_channel ? mote_fc_ch_multiplier(p)[u] : p->multiplier;
    const int32_t shift = per_channel ? mote_fc_ch_shift(p)[u] : p->shift;
    if (!mote_requant_fit(b, mult, shift, lo, hi, 256 * sabs, (int64_t)1 << 30, 0, p->output_offset, p->act_min,
                          p->act_max, f))
        return 0;
    return mote_requant_fast_ok(&f->shift, 1, (f->bias < 0 ? -(int64_t)f->bias : f->bias) + 256 * sabs);
}

mote_status mote_fc_s8_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *w = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_fc_params *p = n->data;
    /* asymmetric or run-time weights or bias: reference */
    if (p->filter_offset != 0 || p->depth > (1 << 20) || p->input_offset < -127 || p->input_offset > 128 ||
        !mote_const_bytes(w) || (bt && !mote_const_bytes(bt)))
        return MOTE_OK;
    const int per_channel = n->eval == mote_fc_s8_per_channel_eval;
    const int32_t units = p->units, depth = p->depth, zp = -p->input_offset;
    const int32_t kp = (depth + 7) & ~7, groups = (units + 3) / 4;
    for (int32_t u = 0; u < units; u++) {
        mote_requant_chan f;
        if (!unit_fit(p, bt, w->data, u, per_channel, &f)) return MOTE_OK;
    }

    size_t at = mote_fc_s8_pack_offset(n->data_bytes);
    uint8_t *blk = mote_node_data_grow(ctx, n, at + mote_fc_s8_pack_bytes(groups, kp));
    if (!blk) return MOTE_ERR_ARENA;
    p = (const mote_fc_params *)(const void *)blk;
    mote_fc_s8_pack *g = (mote_fc_s8_pack *)(void *)(blk + at);
    g->k = depth;
    g->kp = kp;
    g->groups = groups;
    int32_t *mult = (int32_t *)(void *)(g + 1), *round = mult + 4 * groups, *rshift = round + 4 * groups;
    int32_t *bias = rshift + 4 * groups;
    int8_t *dst = (int8_t *)(bias + 4 * groups);
    const int8_t *src = w->data;
    for (int32_t u = 0; u < units; u++) {
        mote_requant_chan f = {0, 0, 0};
        (void)unit_fit(p, bt, src, u, per_channel, &f); /* accepted above */
        mult[u] = f.mult;
        round[u] = mote_requant_round(f.shift);
        rshift[u] = mote_requant_rshift(f.shift);
        int64_t sum = 0;
        for (int32_t j = 0; j < depth; j++) {
            int8_t v = src[(size_t)u * (size_t)depth + (size_t)j];
            sum += v;
            dst[((size_t)(u / 4) * (size_t)(kp / 8) + (size_t)(j / 8)) * 32 + (size_t)(u % 4) * 8 + (size_t)(j % 8)] = v;
        }
        bias[u] = (int32_t)(f.bias - (int64_t)zp * sum);
    }
    n->scratch_bytes = 2 * (size_t)kp;
    n->eval = mote_fc_s8_gemv_eval;
    return MOTE_OK;
}
