/* FULLY_CONNECTED int8 (TFLM reference_integer_ops::FullyConnected):
 * acc = sum (w + filter_offset) * (x + input_offset) + bias, requantized with
 * mote_mul_qm, plus the output zero point, then clamped. */
#include "fc_pool_common.h"
#include "mote/quant.h"

/* TFLM accumulates in int32 and wraps on overflow; summing in uint32 gives
 * the same bits without signed-overflow UB. */
static int32_t fc_dot_s8(const int8_t *x, const int8_t *w, int32_t depth, int32_t in_off, int32_t w_off)
{
    uint32_t acc = 0;
    for (int32_t d = 0; d < depth; d++) acc += (uint32_t)(((int32_t)w[d] + w_off) * ((int32_t)x[d] + in_off));
    return (int32_t)acc;
}

void mote_fc_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const int8_t *in = mote_in(n, t, 0)->data;
    const int8_t *w = mote_in(n, t, 1)->data;
    const mote_tensor *bias_t = mote_in(n, t, 2);
    const int32_t *bias = bias_t ? (const int32_t *)bias_t->data : NULL;
    int8_t *out = mote_out(n, t, 0)->data;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = in + (size_t)b * (size_t)p->depth;
        for (int32_t o = 0; o < p->units; o++) {
            int32_t acc = fc_dot_s8(x, w + (size_t)o * (size_t)p->depth, p->depth, p->input_offset, p->filter_offset);
            if (bias) acc = (int32_t)((uint32_t)acc + (uint32_t)bias[o]);
            acc = mote_add_sat(mote_mul_qm(acc, p->multiplier, p->shift), p->output_offset);
            out[(size_t)b * (size_t)p->units + (size_t)o] = (int8_t)mote_clamp_i32(acc, p->act_min, p->act_max);
        }
    }
}

/* Per-channel weights are symmetric: no weight offset (filter_offset is 0). */
void mote_fc_s8_per_channel_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const int8_t *in = mote_in(n, t, 0)->data;
    const int8_t *w = mote_in(n, t, 1)->data;
    const mote_tensor *bias_t = mote_in(n, t, 2);
    const int32_t *bias = bias_t ? (const int32_t *)bias_t->data : NULL;
    int8_t *out = mote_out(n, t, 0)->data;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = in + (size_t)b * (size_t)p->depth;
        for (int32_t o = 0; o < p->units; o++) {
            int32_t acc = fc_dot_s8(x, w + (size_t)o * (size_t)p->depth, p->depth, p->input_offset, 0);
            if (bias) acc = (int32_t)((uint32_t)acc + (uint32_t)bias[o]);
            acc = mote_add_sat(mote_mul_qm(acc, mote_fc_ch_multiplier(p)[o], mote_fc_ch_shift(p)[o]), p->output_offset);
            out[(size_t)b * (size_t)p->units + (size_t)o] = (int8_t)mote_clamp_i32(acc, p->act_min, p->act_max);
        }
    }
}
