/* FULLY_CONNECTED, int8 activations with sparse int8 weights (MOTE_I8_SPARSE,
 * mote/sparse.h): the int8 kernels' arithmetic over the non-zero weights
 * only, so bit-exact with them on the same weights stored dense. One
 * multiplier per unit (a per-tensor scale is broadcast by prepare, computed
 * as the per-tensor kernel does). Time is linear in the stored entries: it
 * beats the dense kernels only at high sparsity (docs/pruning.md). */
#include "fc_pool_common.h"
#include "mote/quant.h"
#include "mote/sparse.h"

/* One row: e points at its n entries; returns the sum, wrapping as the
 * int8 kernels' uint32 accumulators do. */
static int32_t fc_sparse_dot(const uint8_t *e, uint32_t n, const int8_t *x, int32_t in_off)
{
    uint32_t acc = 0;
    for (uint32_t k = 0; k < n; k++, e += 2) {
        x += e[0];
        acc += (uint32_t)((int32_t)(int8_t)e[1] * ((int32_t)*x++ + in_off));
    }
    return (int32_t)acc;
}

void mote_fc_s8_sparse_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const int8_t *in = mote_in(n, t, 0)->data;
    const uint8_t *w = mote_in(n, t, 1)->data;
    const mote_tensor *bias_t = mote_in(n, t, 2);
    const int32_t *bias = bias_t ? (const int32_t *)bias_t->data : NULL;
    int8_t *out = mote_out(n, t, 0)->data;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = in + (size_t)b * (size_t)p->depth;
        const uint8_t *e = w + 2 * (size_t)p->units; /* the first row's entries */
        for (int32_t o = 0; o < p->units; o++) {
            const uint32_t cnt = mote_sparse_count(w, o);
            uint32_t acc = (uint32_t)fc_sparse_dot(e, cnt, x, p->input_offset);
            e += 2 * (size_t)cnt;
            if (bias) acc += (uint32_t)bias[o];
            int32_t v = mote_add_sat(mote_mul_qm((int32_t)acc, mote_fc_ch_multiplier(p)[o], mote_fc_ch_shift(p)[o]),
                                     p->output_offset);
            out[(size_t)b * (size_t)p->units + (size_t)o] = (int8_t)mote_clamp_i32(v, p->act_min, p->act_max);
        }
    }
}
