/* CONCATENATION (any dtype) along any axis, negative axis counting from
 * the end. A byte copy, as TFLite Micro does for every dtype including
 * int8: it does not requantize inputs whose scale differs from the
 * output's. */
#include <string.h>

#include "mote/kernel.h"

typedef struct {
    int32_t outer;        /* product of the dims before the axis */
    int32_t out_chunk;    /* bytes of one outer slice of the output */
    int32_t in_chunk[];   /* bytes of one outer slice of each input */
} concat_params;

void mote_concatenation_eval(const mote_node *nd, const mote_tensor *t)
{
    const concat_params *p = (const concat_params *)nd->data;
    uint8_t *out = (uint8_t *)mote_out(nd, t, 0)->data;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int i = 0; i < nd->n_in; i++) {
            const size_t len = (size_t)p->in_chunk[i];
            memcpy(out, (const uint8_t *)t[nd->io[i]].data + (size_t)o * len, len);
            out += len;
        }
    }
}

static mote_status concat_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in < 1 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "CONCATENATION needs inputs and one output");
    const mote_tensor *out = mote_out(n, t, 0);
    const int32_t out_idx = n->io[n->n_in];
    const int rank = out->rank;
    const int axis = n->opts.axis < 0 ? n->opts.axis + rank : n->opts.axis;
    if (axis < 0 || axis >= rank) return mote_fail(ctx, MOTE_ERR_PARAM, out_idx, "CONCATENATION axis out of range");
    if (n->opts.activation != MOTE_ACT_NONE)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, out_idx, "CONCATENATION fused activation not supported");
    const size_t es = mote_dtype_size((mote_dtype)out->type);
    if (!es) return mote_fail(ctx, MOTE_ERR_TYPE, out_idx, "CONCATENATION does not support packed (int4, binary) tensors");
    int64_t axis_sum = 0;
    for (int i = 0; i < n->n_in; i++) {
        const mote_tensor *in = mote_in(n, t, i);
        if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "CONCATENATION input missing");
        if (in->type != out->type) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[i], "CONCATENATION input dtype differs from output");
        if (in->rank != rank) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[i], "CONCATENATION input rank differs from output");
        for (int d = 0; d < rank; d++)
            if (d != axis && in->dims[d] != out->dims[d])
                return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[i], "CONCATENATION input dims differ off the axis");
        axis_sum += in->dims[axis];
    }
    if (axis_sum != out->dims[axis])
        return mote_fail(ctx, MOTE_ERR_SHAPE, out_idx, "CONCATENATION output axis is not the sum of the inputs");
    concat_params *p = (concat_params *)mote_node_data(ctx, n, sizeof(concat_params) + (size_t)n->n_in * sizeof(int32_t));
    if (!p) return MOTE_ERR_ARENA;
    int64_t inner = 1, outer = 1;
    for (int d = 0; d < axis; d++) outer *= out->dims[d];
    for (int d = axis + 1; d < rank; d++) inner *= out->dims[d];
    p->outer = (int32_t)outer;
    p->out_chunk = (int32_t)(out->dims[axis] * inner * (int64_t)es);
    for (int i = 0; i < n->n_in; i++) p->in_chunk[i] = (int32_t)(mote_in(n, t, i)->dims[axis] * inner * (int64_t)es);
    n->eval = mote_concatenation_eval;
    return MOTE_OK;
}

static const mote_kernel concatenation_kernels[] = {
    MOTE_KERNEL("concatenation", mote_concatenation_eval),
};

const mote_op_def mote_op_concatenation = {concat_prepare, MOTE_KERNELS(concatenation_kernels)};
