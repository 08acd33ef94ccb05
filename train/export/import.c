/* The reverse of tr_export_float: a float32 graph (a float TFLite classifier, or the classifier part of a
 * mote-trained model) as a training-engine model with its weights, so it can be fine-tuned, pruned or
 * retrained. Batch 1, NHWC; the layers the engine has and nothing else (mote/export.h lists them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mote/export.h"

typedef struct {
    const mote_ir_graph *g;
    tr_model *m;
    int *node;       /* per IR tensor: the engine node holding its values, -1 none */
    char *err;
    size_t errlen;
} imp;

static int fail(imp *p, int32_t o, const char *what)
{
    const mote_ir_op *op = o >= 0 ? &p->g->ops[o] : NULL;
    if (op)
        snprintf(p->err, p->errlen, "op %d (%s): %s", (int)o, mote_op_name(op->op), what);
    else
        snprintf(p->err, p->errlen, "%s", what);
    return -1;
}

static int engine_fail(imp *p, int32_t o) { return fail(p, o, tr_model_error(p->m)); }

/* An IR shape [1, ...] as a per-sample engine shape (rank 1..3). */
static int shape_of(const mote_tensor *t, tr_shape *s)
{
    if (t->rank < 2 || t->rank > 4 || t->dims[0] != 1) return -1;
    s->rank = t->rank - 1;
    for (int d = 1; d < t->rank; d++) s->dims[d - 1] = t->dims[d];
    return 0;
}

/* The tensor's name for the engine node, if the engine takes it (1..63 characters, no '/'; converted
 * models' names are paths): else the engine names the node itself. */
static const char *name_of(const imp *p, int32_t t)
{
    const char *n = p->g->tensors[t].name;
    return n && n[0] && strlen(n) < 64 && !strchr(n, '/') ? n : NULL;
}

/* The fused activation as its own engine node after node n. */
static int activation(imp *p, int32_t o, int n, int act)
{
    if (act == MOTE_ACT_NONE) return n;
    if (act != MOTE_ACT_RELU && act != MOTE_ACT_RELU6)
        return fail(p, o, "a fused activation the training engine does not have (only ReLU and ReLU6)");
    int r = act == MOTE_ACT_RELU ? tr_model_add_relu(p->m, n, NULL) : tr_model_add_relu6(p->m, n, NULL);
    return r < 0 ? engine_fail(p, o) : r;
}

static int input_node(imp *p, int32_t o, int k)
{
    int32_t t = p->g->ops[o].io[k];
    if (t < 0 || p->node[t] < 0) return fail(p, o, "reads a tensor that is not a float activation");
    return p->node[t];
}

/* Copies a constant float tensor into parameter index pi (shapes must agree element for element). */
static int load_param(imp *p, int32_t o, int pi, int32_t t)
{
    tr_param_info info;
    if (tr_model_param(p->m, pi, &info)) return fail(p, o, "parameter missing in the engine");
    if (t < 0) {
        memset(info.data, 0, sizeof(float) * info.size); /* an absent bias */
        return 0;
    }
    const mote_tensor *mt = &p->g->tensors[t].t;
    if (mt->type != MOTE_F32 || !(mt->flags & MOTE_TENSOR_CONST) || !mt->data)
        return fail(p, o, "weights or bias are not constant float32 (quantize after training, not before)");
    if (mt->bytes != sizeof(float) * info.size) return fail(p, o, "weights of an unexpected size");
    memcpy(info.data, mt->data, mt->bytes);
    return 0;
}

static int layer(imp *p, int32_t o)
{
    const mote_ir_op *op = &p->g->ops[o];
    const mote_opts *x = &op->opts;
    const int32_t out = op->io[op->n_in];
    tr_padding pad = x->padding == MOTE_PAD_SAME ? TR_PAD_SAME : TR_PAD_VALID;
    int in = input_node(p, o, 0), n = -1;
    if (in < 0) return -1;
    switch (op->op) {
    case MOTE_OP_CONV_2D:
    case MOTE_OP_DEPTHWISE_CONV_2D: {
        const mote_tensor *w = op->io[1] >= 0 ? &p->g->tensors[op->io[1]].t : NULL;
        if (!w || w->rank != 4) return fail(p, o, "no 4-D filter");
        if (x->dilation_w != 1 || x->dilation_h != 1) return fail(p, o, "dilation: the training engine has none");
        n = op->op == MOTE_OP_CONV_2D
                ? tr_model_add_conv2d(p->m, in, w->dims[0], w->dims[1], w->dims[2], x->stride_h, x->stride_w, pad,
                                      name_of(p, out))
                : tr_model_add_depthwise_conv2d(p->m, in, x->depth_multiplier, w->dims[1], w->dims[2], x->stride_h,
                                                x->stride_w, pad, name_of(p, out));
        break;
    }
    case MOTE_OP_FULLY_CONNECTED: {
        const mote_tensor *w = op->io[1] >= 0 ? &p->g->tensors[op->io[1]].t : NULL;
        if (!w || w->rank != 2) return fail(p, o, "no 2-D weights");
        n = tr_model_add_dense(p->m, in, w->dims[0], name_of(p, out));
        break;
    }
    case MOTE_OP_AVERAGE_POOL_2D:
    case MOTE_OP_MAX_POOL_2D:
        n = (op->op == MOTE_OP_AVERAGE_POOL_2D ? tr_model_add_avg_pool : tr_model_add_max_pool)(
            p->m, in, x->filter_h, x->filter_w, x->stride_h, x->stride_w, pad, name_of(p, out));
        break;
    case MOTE_OP_MEAN: {
        /* the global average pool: MEAN over H and W of [1, H, W, C] */
        const mote_tensor *ax = op->n_in > 1 && op->io[1] >= 0 ? &p->g->tensors[op->io[1]].t : NULL;
        const int32_t *a = ax && ax->type == MOTE_I32 && ax->data ? ax->data : NULL;
        if (!a || ax->bytes != 8 || !((a[0] == 1 && a[1] == 2) || (a[0] == 2 && a[1] == 1)))
            return fail(p, o, "only a MEAN over axes 1 and 2 (global average pooling) is a training-engine layer");
        n = tr_model_add_global_avg_pool(p->m, in, name_of(p, out));
        if (n >= 0 && x->keep_dims) {
            tr_shape s;
            shape_of(&p->g->tensors[out].t, &s);
            n = tr_model_add_reshape(p->m, n, s, NULL);
        }
        break;
    }
    case MOTE_OP_ADD: {
        int b = input_node(p, o, 1);
        if (b < 0) return -1;
        n = tr_model_add_add(p->m, in, b, name_of(p, out));
        break;
    }
    case MOTE_OP_RESHAPE: {
        tr_shape s;
        if (shape_of(&p->g->tensors[out].t, &s)) return fail(p, o, "output is not [1, ...] of rank 2 to 4");
        n = tr_model_add_reshape(p->m, in, s, name_of(p, out));
        break;
    }
    default:
        return fail(p, o, "not a layer of the training engine (conv, depthwise, dense, pools, MEAN, ADD, RESHAPE, "
                          "a final SOFTMAX)");
    }
    if (n < 0) return engine_fail(p, o);
    if ((p->node[out] = activation(p, o, n, x->activation)) < 0) return -1;
    return 0;
}

/* After tr_model_init: the weights of every conv, depthwise and dense layer from the graph. */
static int load_weights(imp *p)
{
    for (int32_t o = 0; o < p->g->n_ops; o++) {
        const mote_ir_op *op = &p->g->ops[o];
        if (op->op != MOTE_OP_CONV_2D && op->op != MOTE_OP_DEPTHWISE_CONV_2D && op->op != MOTE_OP_FULLY_CONNECTED)
            continue;
        int n = p->node[op->io[op->n_in]];
        tr_node_info info;
        /* the node holding the output may be the ReLU after the layer: the layer is its input */
        if (tr_model_node(p->m, n, &info)) return fail(p, o, "node missing");
        if (info.op == TR_OP_RELU || info.op == TR_OP_RELU6) tr_model_node(p->m, info.inputs[0], &info);
        if (info.n_params < 2) return fail(p, o, "the engine layer has no weights");
        if (load_param(p, o, info.params[0], op->io[1]) ||
            load_param(p, o, info.params[1], op->n_in > 2 ? op->io[2] : -1))
            return -1;
    }
    return 0;
}

tr_model *tr_import_float(const mote_ir_graph *g, char *err, size_t errlen)
{
    char local[8];
    if (!err || !errlen) err = local, errlen = sizeof local;
    err[0] = 0;
    imp p = {.g = g, .m = tr_model_new(), .err = err, .errlen = errlen};
    p.node = malloc(sizeof(int) * (size_t)(g->n_tensors + 1));
    int ok = p.m && p.node;
    if (!ok) fail(&p, -1, "out of memory");
    for (int32_t t = 0; ok && t < g->n_tensors; t++) p.node[t] = -1;
    tr_shape s;
    if (ok && (g->n_inputs != 1 || g->n_outputs != 1)) ok = fail(&p, -1, "the model needs one input and one output") == 0;
    const mote_tensor *in = ok ? &g->tensors[g->inputs[0]].t : NULL;
    if (ok && (in->type != MOTE_F32 || shape_of(in, &s)))
        ok = fail(&p, -1, "the model's input must be float32 [1, ...] of rank 2 to 4") == 0;
    if (ok && (p.node[g->inputs[0]] = tr_model_add_input(p.m, s, name_of(&p, g->inputs[0]))) < 0)
        ok = engine_fail(&p, -1) == 0;
    int32_t last = g->n_ops - 1;
    /* the engine's output is the logits: a final SOFTMAX is what the exporter puts back */
    if (ok && last >= 0 && g->ops[last].op == MOTE_OP_SOFTMAX) {
        if (g->ops[last].opts.beta != 1.0f) ok = fail(&p, last, "a SOFTMAX with beta other than 1") == 0;
        last--;
    }
    for (int32_t o = 0; ok && o <= last; o++) ok = !layer(&p, o);
    if (ok && last >= 0) {
        const int32_t out = g->ops[last].io[g->ops[last].n_in];
        if (tr_model_set_output(p.m, p.node[out]) || tr_model_init(p.m, 1)) ok = engine_fail(&p, last) == 0;
    }
    if (ok && last < 0) ok = fail(&p, -1, "the model has no layers") == 0;
    ok = ok && !load_weights(&p);
    free(p.node);
    if (!ok) {
        tr_model_free(p.m);
        return NULL;
    }
    return p.m;
}
