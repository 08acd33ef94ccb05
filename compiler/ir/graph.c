/* mote graph IR: ownership and per-op statistics. */
#include "ir/graph.h"

#include <stdlib.h>
#include <string.h>

#include "mote/motion.h"

void mote_ir_free(mote_ir_graph *g)
{
    if (!g) return;
    for (int32_t i = 0; i < g->n_tensors; i++) {
        free(g->tensors[i].name);
        free(g->tensors[i].scale);
        free(g->tensors[i].zero_point);
        free(g->tensors[i].owned_data);
    }
    for (int32_t i = 0; i < g->n_ops; i++) {
        free(g->ops[i].io);
        free(g->ops[i].custom_code);
    }
    free(g->tensors);
    free(g->ops);
    free(g->inputs);
    free(g->outputs);
    free(g->description);
    free(g->file);
    free(g);
}

const char *mote_ir_short_name(const char *name, char buf[MOTE_IR_SHORT_NAME])
{
    size_t n = strlen(name);
    if (n < MOTE_IR_SHORT_NAME) return name;
    memcpy(buf, "...", 3);
    memcpy(buf + 3, name + n - (MOTE_IR_SHORT_NAME - 4), MOTE_IR_SHORT_NAME - 3); /* with the NUL */
    return buf;
}

static const mote_tensor *ir_in(const mote_ir_graph *g, const mote_ir_op *op, int i)
{
    if (i >= op->n_in || op->io[i] < 0) return NULL;
    return &g->tensors[op->io[i]].t;
}

mote_ir_op_stats mote_ir_stats(const mote_ir_graph *g, int32_t op_index)
{
    const mote_ir_op *op = &g->ops[op_index];
    mote_ir_op_stats s = {0, 0, 0};
    for (int i = 0; i < op->n_in + op->n_out; i++) {
        if (op->io[i] < 0) continue;
        const mote_tensor *t = &g->tensors[op->io[i]].t;
        if (t->flags & MOTE_TENSOR_CONST)
            s.param_bytes += (int64_t)t->bytes;
        else
            s.act_bytes += (int64_t)t->bytes;
    }
    const mote_tensor *out = &g->tensors[op->io[op->n_in]].t;
    const mote_tensor *in = ir_in(g, op, 0), *w = ir_in(g, op, 1);
    int64_t out_elems = mote_tensor_elems(out);
    switch (op->op) {
    case MOTE_OP_CONV_2D: /* each output: kh * kw * in_c products */
        if (w && w->rank == 4) s.macs = out_elems * w->dims[1] * w->dims[2] * w->dims[3];
        break;
    case MOTE_OP_DEPTHWISE_CONV_2D:
        if (w && w->rank == 4) s.macs = out_elems * w->dims[1] * w->dims[2];
        break;
    case MOTE_OP_FULLY_CONNECTED:
        if (w && w->rank == 2) s.macs = out_elems * w->dims[1];
        break;
    case MOTE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM:
        /* 4 gates, each an input and a recurrent matrix product per step */
        if (in && in->rank == 3 && w && w->rank == 2) {
            int64_t steps_batch = (int64_t)in->dims[0] * in->dims[1];
            int64_t units = w->dims[0];
            s.macs = steps_batch * 4 * units * (in->dims[2] + units);
        }
        break;
    case MOTE_OP_MOTION_FEATURES: /* the DFT: window / 2 bins of window complex products per axis */
        if (in && in->rank == 2 && op->opts.n_iparams > MOTE_MOTION_BANDS && op->opts.iparams[MOTE_MOTION_BANDS] > 0)
            s.macs = (int64_t)in->dims[0] * in->dims[0] * in->dims[1];
        break;
    default:
        break;
    }
    return s;
}
