/* MEAN int8: sum into an int32 scratch per output element, then either a
 * truncating division (same quantization in and out) or a requantization of
 * sum - zp_in*count with the count folded into the multiplier (TFLM). */
#include <string.h>

#include "fc_pool_common.h"
#include "mote/quant.h"

void mote_mean_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_mean_params *p = n->data;
    const int8_t *in = mote_in(n, t, 0)->data;
    int8_t *out = mote_out(n, t, 0)->data;
    int32_t *sum = n->scratch;
    if (p->n_out == 0) return;
    memset(out, 0, (size_t)p->n_out);
    if (p->n_in == 0) return; /* TFLM leaves zeros when there is nothing to sum */
    memset(sum, 0, (size_t)p->n_out * sizeof(int32_t));

    /* Walk the input in row-major order, tracking the output offset. */
    int32_t idx[MOTE_MAX_DIMS] = {0};
    int32_t o = 0;
    for (int32_t i = 0; i < p->n_in; i++) {
        sum[o] += in[i];
        for (int d = p->rank - 1; d >= 0; d--) {
            if (++idx[d] < p->in_dims[d]) {
                o += p->out_stride[d];
                break;
            }
            o -= p->out_stride[d] * (p->in_dims[d] - 1);
            idx[d] = 0;
        }
    }

    if (!p->requantize) {
        for (int32_t k = 0; k < p->n_out; k++) out[k] = (int8_t)(sum[k] / p->n_reduced);
        return;
    }
    const int32_t zp_total = p->in_zp * p->n_reduced;
    for (int32_t k = 0; k < p->n_out; k++) {
        int32_t v = mote_add_sat(mote_mul_qm(sum[k] - zp_total, p->multiplier, p->shift), p->out_zp);
        out[k] = (int8_t)mote_clamp_i32(v, -128, 127);
    }
}
