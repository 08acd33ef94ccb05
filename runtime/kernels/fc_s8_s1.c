/* FULLY_CONNECTED, int8 activations with binary weights (reference): the
 * per-channel int8 kernel's arithmetic (one multiplier per unit, alpha in
 * it) with each weight +-1 read from its bit (s1.h). */
#include "fc_pool_common.h"
#include "mote/quant.h"
#include "s1.h"

void mote_fc_s8_s1_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const int8_t *in = mote_in(n, t, 0)->data;
    const uint8_t *w = mote_in(n, t, 1)->data;
    const mote_tensor *bias_t = mote_in(n, t, 2);
    const int32_t *bias = bias_t ? (const int32_t *)bias_t->data : NULL;
    int8_t *out = mote_out(n, t, 0)->data;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = in + (size_t)b * (size_t)p->depth;
        for (int32_t o = 0; o < p->units; o++) {
            const size_t w0 = (size_t)o * (size_t)p->depth;
            uint32_t acc = 0; /* wraps as the int8 kernel's (prepare bounds it anyway) */
            for (int32_t i = 0; i < p->depth; i++)
                acc += (uint32_t)(mote_s1_at(w, w0 + (size_t)i) * ((int32_t)x[i] + p->input_offset));
            if (bias) acc += (uint32_t)bias[o];
            int32_t v = mote_add_sat(mote_mul_qm((int32_t)acc, mote_fc_ch_multiplier(p)[o], mote_fc_ch_shift(p)[o]),
                                     p->output_offset);
            out[(size_t)b * (size_t)p->units + (size_t)o] = (int8_t)mote_clamp_i32(v, p->act_min, p->act_max);
        }
    }
}
