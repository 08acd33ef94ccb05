/* Activation fusion: a RELU or RELU6 op right after an op that clamps its
 * own output (conv, depthwise, fully connected, add, pooling) becomes that
 * op's fused activation, as TFLite converters write it. Exact: for float,
 * max/min of the same value; for int8, only when the activation's input and
 * output share scale and zero point, so that its requantization is the
 * identity and its clamp [zp, min(127, zp + round(6 / scale))] is the one the
 * producer applies for that fused activation (quant.h, mote_act_range_q).
 * Also how models whose RELUs stand alone (ONNX) run at all: the runtime has
 * no separate RELU kernel. */
#include "passes/passes.h"

static int takes_activation(mote_op op)
{
    switch (op) {
    case MOTE_OP_CONV_2D:
    case MOTE_OP_DEPTHWISE_CONV_2D:
    case MOTE_OP_FULLY_CONNECTED:
    case MOTE_OP_ADD:
    case MOTE_OP_AVERAGE_POOL_2D:
    case MOTE_OP_MAX_POOL_2D: return 1;
    default: return 0;
    }
}

static int32_t producer(const mote_ir_graph *g, int32_t t)
{
    for (int32_t i = 0; i < g->n_ops; i++)
        if (g->ops[i].n_out == 1 && g->ops[i].io[g->ops[i].n_in] == t) return i;
    return -1;
}

static int same_quantization(const mote_tensor *a, const mote_tensor *b)
{
    if (a->type != b->type) return 0;
    if (a->type == MOTE_F32) return 1;
    return a->type == MOTE_I8 && a->q.n == 1 && b->q.n == 1 && a->q.scale[0] == b->q.scale[0] &&
           a->q.zero_point[0] == b->q.zero_point[0];
}

static int fuse_activation(mote_ir_graph *g, int *changed, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    *changed = 0;
    for (int32_t i = 0; i < g->n_ops;) {
        const mote_ir_op *act = &g->ops[i];
        const int relu = act->op == MOTE_OP_RELU, relu6 = act->op == MOTE_OP_RELU6;
        int32_t x = act->n_in == 1 ? act->io[0] : -1, y = act->n_out == 1 ? act->io[1] : -1;
        int32_t p = x >= 0 ? producer(g, x) : -1;
        if (!(relu || relu6) || p < 0 || y < 0 || !takes_activation(g->ops[p].op) ||
            g->ops[p].opts.activation != MOTE_ACT_NONE || mote_ir_readers(g, x) != 1 || mote_ir_is_output(g, x) ||
            !same_quantization(&g->tensors[x].t, &g->tensors[y].t)) {
            i++;
            continue;
        }
        mote_ir_op *prod = &g->ops[p];
        prod->opts.activation = relu ? MOTE_ACT_RELU : MOTE_ACT_RELU6;
        prod->io[prod->n_in] = y; /* x is left unread: the planner skips it */
        mote_ir_remove_op(g, i);
        *changed = 1;
    }
    return 0;
}

const mote_pass mote_pass_fuse_activation = {"fuse-activation", fuse_activation};
