/* RESHAPE (any dtype): a byte copy; the planner may alias it in place. */
#include <string.h>

#include "mote/kernel.h"

void mote_reshape_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0);
    const mote_tensor *out = mote_out(n, t, 0);
    if (out->data != in->data) memmove(out->data, in->data, out->bytes);
}

static mote_status reshape_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0);
    const mote_tensor *out = mote_out(n, t, 0);
    if (n->n_in < 1 || n->n_out != 1 || !in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "RESHAPE needs one input and one output");
    if (in->type != out->type) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[n->n_in], "RESHAPE output dtype differs from input");
    if (in->bytes != out->bytes) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[n->n_in], "RESHAPE output element count differs from input");
    n->eval = mote_reshape_eval;
    return MOTE_OK;
}

static const mote_kernel reshape_kernels[] = {
    MOTE_KERNEL("reshape", mote_reshape_eval),
};

const mote_op_def mote_op_reshape = {reshape_prepare, MOTE_KERNELS(reshape_kernels)};
