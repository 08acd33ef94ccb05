/* Compile-time half of the optimized int8 FULLY_CONNECTED: packs rows in
 * groups of 4 with folded biases, and the output stage once per layer when
 * all rows share it, else per row; folds the output offset and clamp into
 * the rounding constant when that cannot overflow (fc_s8_gemv.h). */
#include "fc_s8_gemv.h"

/* Unit u's output stage for the kernel (mote_requant_fit): its own, or for a
 * dead unit one inside the bound that gives the same constant. Partial sums
 * stay within |bias| + 256 sum|w| (as in conv_s8_opt.c): *bound. */
static int unit_fit(const mote_fc_params *p, const mote_tensor *bias, const int8_t *w, int32_t u, int per_channel,
                    mote_requant_chan *f, int64_t *bound)
{
    const int32_t depth = p->depth, zp = -p->input_offset;
    int64_t lo, hi, sabs;
    mote_s8_dot_range(w + (size_t)u * (size_t)depth, 1, depth, zp, &lo, &hi, &sabs);
    const int64_t b = bias ? ((const int32_t *)bias->data)[u] : 0;
    const int32_t mult = per_channel ? mote_fc_ch_multiplier(p)[u] : p->multiplier;
    const int32_t shift = per_channel ? mote_fc_ch_shift(p)[u] : p->shift;
    if (!mote_requant_fit(b, mult, shift, lo, hi, 256 * sabs, (int64_t)1 << 30, 0, p->output_offset, p->act_min,
                          p->act_max, f))
        return 0;
    *bound = (f->bias < 0 ? -(int64_t)f->bias : f->bias) + 256 * sabs;
    return mote_requant_fast_ok(&f->shift, 1, *bound);
}

/* Can round take the output offset and the lower clamp (fc_s8_gemv.h)?
 * Adding d << rshift to the numerator 2v + round + (v >> 31) moves the
 * shifted value by exactly d; it must stay inside int32 for every v the
 * accumulators (|acc| <= bound) give. */
static int unit_folds(const mote_requant_chan *f, int64_t bound, int32_t d)
{
    const int64_t m = f->mult < 0 ? -(int64_t)f->mult : f->mult;
    const int64_t vmax = ((bound * m + ((int64_t)1 << 30)) >> 31) + 1;
    const int64_t r = (int64_t)mote_requant_round(f->shift) + (int64_t)d * ((int64_t)1 << mote_requant_rshift(f->shift));
    return r - 2 * vmax - 1 >= INT32_MIN && r + 2 * vmax <= INT32_MAX;
}

mote_status mote_fc_s8_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *w = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_fc_params *p = n->data;
    /* asymmetric or run-time weights or bias: reference */
    if (p->filter_offset != 0 || p->depth > (1 << 20) || p->input_offset < -127 || p->input_offset > 128 ||
        !mote_const_bytes(w) || (bt && !mote_const_bytes(bt)))
        return MOTE_OK;
    const int per_channel = w->q.n > 1; /* the reference prepare took its per-channel branch */
    const int32_t units = p->units, depth = p->depth, zp = -p->input_offset;
    const int32_t kp = (depth + 7) & ~7, groups = (units + 3) / 4;
    /* with act_min = -128 SSAT does both clamps: round takes the offset only */
    const int32_t d = p->output_offset - (p->act_min == -128 ? 0 : p->act_min);
    int uniform = 1, folded = p->act_max == 127;
    mote_requant_chan f0 = {0, 0, 0};
    for (int32_t u = 0; u < units; u++) {
        mote_requant_chan f;
        int64_t bound;
        if (!unit_fit(p, bt, w->data, u, per_channel, &f, &bound)) return MOTE_OK;
        if (u == 0) f0 = f;
        uniform &= f.mult == f0.mult && f.shift == f0.shift;
        folded &= unit_folds(&f, bound, d);
    }

    size_t at = mote_fc_s8_pack_offset(n->data_bytes);
    uint8_t *blk = mote_node_data_grow(ctx, n, at + mote_fc_s8_pack_bytes(groups, kp, uniform));
    if (!blk) return MOTE_ERR_ARENA;
    p = (const mote_fc_params *)(const void *)blk;
    int32_t *head = (int32_t *)(void *)(blk + at);
    const size_t gw = mote_fc_s8_group_bytes(kp, uniform) / 4; /* group stride in words */
    mote_fc_s8_pack *g = (mote_fc_s8_pack *)(void *)(head + 4 + (size_t)groups * gw);
    memset(head, 0, mote_fc_s8_pack_bytes(groups, kp, uniform));
    g->k = depth;
    g->kp = kp;
    g->groups = groups;
    g->uniform = (uint8_t)uniform;
    g->folded = (uint8_t)(folded ? 1 + (p->act_min == -128) : 0);
    const int8_t *src = w->data;
    for (int32_t u = 0; u < 4 * groups; u++) {
        int32_t *grp = head + 4 + (size_t)(u / 4) * gw, *c = grp + 4 + (size_t)kp;
        mote_requant_chan f = {0, 0, 0};
        int64_t bound = 0;
        if (u < units) (void)unit_fit(p, bt, src, u, per_channel, &f, &bound); /* accepted above */
        int32_t round = mote_requant_round(f.shift);
        if (folded) round += (int32_t)((int64_t)d * ((int64_t)1 << mote_requant_rshift(f.shift))); /* checked */
        if (u == 0) {
            head[0] = f.mult;
            head[1] = round;
            head[2] = mote_requant_rshift(f.shift);
        }
        if (!uniform) {
            c[u % 4] = f.mult;
            c[4 + u % 4] = round;
            c[8 + u % 4] = mote_requant_rshift(f.shift);
        }
        if (u >= units) continue;
        int8_t *dst = (int8_t *)(void *)(grp + 4);
        int64_t sum = 0;
        for (int32_t j = 0; j < depth; j++) {
            int8_t v = src[(size_t)u * (size_t)depth + (size_t)j];
            sum += v;
            dst[(size_t)(j / 8) * 32 + (size_t)(u % 4) * 8 + (size_t)(j % 8)] = v;
        }
        grp[u % 4] = (int32_t)(f.bias - (int64_t)zp * sum);
    }
    n->scratch_bytes = 2 * (size_t)kp;
    n->eval = mote_fc_s8_gemv_eval;
    return MOTE_OK;
}
