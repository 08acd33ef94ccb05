/* Internal to the optimized int8 FULLY_CONNECTED (fc_s8_gemv.c, packed by
 * fc_s8_opt.c). out[b][u] = requant(bias'[u] + sum_k w[u][k] * x[b][k]) with
 * raw int8 x: the input zero point is folded into bias' at compile time.
 *
 * Parameter block: mote_fc_params (+ per-channel arrays), then at a
 * 16-aligned offset a mote_fc_s8_pack, then per row (units padded to a
 * multiple of 4 with zero rows) four int32 arrays: multiplier, round, rshift
 * (mote_requant_s8's constants) and bias', then
 * the weights: rows in groups of 4, k padded with zeros to kp (a multiple of
 * 8); per group and 8-element slice: 8 bytes of each of the 4 rows.
 * Scratch: one input row, per 4 elements two words (x0,x2) (x1,x3) of int16
 * for SMLAD (the raw int8 word in the first one without DSP): 2 * kp bytes. */
#ifndef MOTE_FC_S8_GEMV_H
#define MOTE_FC_S8_GEMV_H

#include "fc_pool_common.h"
#include "simd_s8.h"

typedef struct {
    int32_t k, kp;    /* input features, padded to a multiple of 8 */
    int32_t groups;   /* (units + 3) / 4 */
    int32_t pad;
} mote_fc_s8_pack;

static inline size_t mote_fc_s8_pack_offset(size_t params_bytes)
{
    return (params_bytes + 15u) & ~(size_t)15u;
}
static inline size_t mote_fc_s8_pack_bytes(int32_t groups, int32_t kp)
{
    return sizeof(mote_fc_s8_pack) + 4u * 16u * (size_t)groups + 4u * (size_t)groups * (size_t)kp;
}
static inline const int32_t *mote_fc_s8_mult(const mote_fc_s8_pack *g)
{
    return (const int32_t *)(const void *)(g + 1);
}
static inline const int32_t *mote_fc_s8_round(const mote_fc_s8_pack *g)
{
    return mote_fc_s8_mult(g) + 4 * g->groups;
}
static inline const int32_t *mote_fc_s8_rshift(const mote_fc_s8_pack *g)
{
    return mote_fc_s8_round(g) + 4 * g->groups;
}
static inline const int32_t *mote_fc_s8_bias(const mote_fc_s8_pack *g)
{
    return mote_fc_s8_rshift(g) + 4 * g->groups;
}
static inline const int8_t *mote_fc_s8_weights(const mote_fc_s8_pack *g)
{
    return (const int8_t *)(const void *)(mote_fc_s8_bias(g) + 4 * g->groups);
}

/* The pack sits at the end of the parameter block; its size follows from
 * the shapes. */
static inline const mote_fc_s8_pack *mote_fc_s8_pack_of(const mote_fc_params *p, size_t data_bytes)
{
    size_t bytes = mote_fc_s8_pack_bytes((p->units + 3) / 4, (p->depth + 7) & ~7);
    return (const mote_fc_s8_pack *)(const void *)((const uint8_t *)p + data_bytes - bytes);
}

void mote_fc_s8_gemv_eval(const mote_node *n, const mote_tensor *t);

#endif
