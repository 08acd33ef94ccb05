/* MEAN float32 (TFLM reference_ops::Mean): each output sums its inputs in
 * row-major input order, accumulating in the output itself, then divides by
 * the element count. */
#include "fc_pool_common.h"
#include "mote/quant.h"

void mote_mean_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_mean_params *p = n->data;
    const float *in = mote_in(n, t, 0)->data;
    float *out = mote_out(n, t, 0)->data;
    for (int32_t k = 0; k < p->n_out; k++) out[k] = 0.0f;
    if (p->n_in == 0) return;

    int32_t idx[MOTE_MAX_DIMS] = {0};
    int32_t o = 0;
    for (int32_t i = 0; i < p->n_in; i++) {
        out[o] += in[i];
        for (int d = p->rank - 1; d >= 0; d--) {
            if (++idx[d] < p->in_dims[d]) {
                o += p->out_stride[d];
                break;
            }
            o -= p->out_stride[d] * (p->in_dims[d] - 1);
            idx[d] = 0;
        }
    }
    const float count = (float)p->n_reduced;
    for (int32_t k = 0; k < p->n_out; k++) out[k] = out[k] / count;
}
