/* ADD int8, same shapes: TFLite's rescale-to-common-scale add (add.c). Each
 * input's rescaled value depends on its int8 value alone, so prepare
 * tabulated both (256 int32 each, after mote_add_params); the sum goes
 * through the exact fast output stage of simd_s8.h, which prepare proved safe. */
#include "elementwise_common.h"
#include "simd_s8.h"

void mote_add_s8_fast_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_add_params *p = (const mote_add_params *)n->data;
    const int32_t *lut1 = (const int32_t *)(const void *)(p + 1) + 128, *lut2 = lut1 + 256;
    const int8_t *x = (const int8_t *)mote_in(n, t, 0)->data;
    const int8_t *y = (const int8_t *)mote_in(n, t, 1)->data;
    int8_t *o = (int8_t *)mote_out(n, t, 0)->data;
    const int32_t mo = p->out_mult, round = mote_requant_round(p->out_shift);
    const int32_t rshift = mote_requant_rshift(p->out_shift);
    const int32_t oo = p->out_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t k = 0; k < p->total; k++)
        o[k] = (int8_t)mote_requant_s8(lut1[x[k]] + lut2[y[k]], mo, round, rshift, oo, lo, hi);
}
