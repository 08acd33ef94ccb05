/* Internal to the optimized int8 FULLY_CONNECTED (fc_s8_gemv.c, packed by
 * fc_s8_opt.c). out[b][u] = requant(bias'[u] + sum_k w[u][k] * x[b][k]) with
 * raw int8 x: the input zero point is folded into bias' at compile time.
 *
 * Parameter block: mote_fc_params (+ per-channel arrays), then at a
 * 16-aligned offset the pack: a head of four int32 (multiplier, round,
 * rshift of mote_requant_s8, 0: the output stage of every row when the pack
 * is `uniform`), then per group of 4 rows (units padded to a multiple of 4
 * with zero rows), so that one pointer walks it all:
 *   bias' x4; the weights, k padded with zeros to kp (a multiple of 8), per
 *   8-element slice 8 bytes of each of the 4 rows; unless uniform,
 *   multiplier x4, round x4, rshift x4;
 * and last the mote_fc_s8_pack itself (found from the block's end).
 * With `folded` (act_max = 127) round holds round + d << rshift (checked
 * not to overflow), so that with s = 2v + round + (v >> 31) an output is
 * ssat8(max(s >> rshift, 0) + act_min), d = off - act_min (folded = 1), or
 * ssat8(s >> rshift), d = off, when act_min = -128 (folded = 2).
 * Scratch: one input row, per 4 elements two words (x0,x2) (x1,x3) of int16
 * for SMLAD (the raw int8 word in the first one without DSP): 2 * kp bytes,
 * filled front to back by mote_s8_expand, the only reader of the input: the
 * planner may lay it over a dying one-row input (table entry `expand` = 2). */
#ifndef MOTE_FC_S8_GEMV_H
#define MOTE_FC_S8_GEMV_H

#include "fc_pool_common.h"
#include "simd_s8.h"

typedef struct {
    int32_t k, kp;    /* input features, padded to a multiple of 8 */
    int32_t groups;   /* (units + 3) / 4 */
    uint8_t uniform;  /* one output stage for all rows, in the head */
    uint8_t folded;   /* 1, 2: output offset (and clamp) folded into round */
    uint8_t pad[2];
} mote_fc_s8_pack;

static inline size_t mote_fc_s8_pack_offset(size_t params_bytes)
{
    return (params_bytes + 15u) & ~(size_t)15u;
}
/* Bytes of one group of 4 rows: a multiple of 16. */
static inline size_t mote_fc_s8_group_bytes(int32_t kp, int uniform)
{
    return 16u + 4u * (size_t)kp + (uniform ? 0u : 48u);
}
static inline size_t mote_fc_s8_pack_bytes(int32_t groups, int32_t kp, int uniform)
{
    return 16u + (size_t)groups * mote_fc_s8_group_bytes(kp, uniform) + sizeof(mote_fc_s8_pack);
}
/* The pack's header closes the parameter block. */
static inline const mote_fc_s8_pack *mote_fc_s8_pack_of(const mote_fc_params *p, size_t data_bytes)
{
    return (const mote_fc_s8_pack *)(const void *)((const uint8_t *)p + data_bytes - sizeof(mote_fc_s8_pack));
}
static inline const int32_t *mote_fc_s8_head(const mote_fc_s8_pack *g)
{
    const size_t body = 16u + (size_t)g->groups * mote_fc_s8_group_bytes(g->kp, g->uniform);
    return (const int32_t *)(const void *)((const uint8_t *)g - body);
}

void mote_fc_s8_gemv_eval(const mote_node *n, const mote_tensor *t);

#endif
