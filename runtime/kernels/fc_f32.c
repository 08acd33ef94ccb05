/* FULLY_CONNECTED float32 (TFLM reference_ops::FullyConnected): the dot
 * product is summed in input order, then the bias is added and the fused
 * activation applied — the same order as TFLM so results match closely. */
#include "fc_pool_common.h"
#include "mote/quant.h"

void mote_fc_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const float *in = mote_in(n, t, 0)->data;
    const float *w = mote_in(n, t, 1)->data;
    const mote_tensor *bias_t = mote_in(n, t, 2);
    const float *bias = bias_t ? (const float *)bias_t->data : NULL;
    float *out = mote_out(n, t, 0)->data;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = in + (size_t)b * (size_t)p->depth;
        for (int32_t o = 0; o < p->units; o++) {
            const float *wo = w + (size_t)o * (size_t)p->depth;
            float total = 0.0f;
            for (int32_t d = 0; d < p->depth; d++) total += x[d] * wo[d];
            float bv = bias ? bias[o] : 0.0f;
            out[(size_t)b * (size_t)p->units + (size_t)o] = mote_clamp_f(total + bv, p->f_min, p->f_max);
        }
    }
}
