/* Exporting a trained model as a float32 or int8 TFLite graph (mote/export.h): fold batch norms, plan
 * which nodes pass a tensor on and which ReLUs fuse into the op before them, then emit the IR ops in
 * node order and a SOFTMAX at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/tflite_write.h"
#include "internal.h"
#include "mote/export.h"

/* [H,W,C] -> [1,H,W,C]; [W,C] -> [1,1,W,C]; [C] -> [1,C]. Returns the rank. */
static int canon(tr_shape s, int32_t d[4])
{
    if (s.rank == 3) {
        d[0] = 1, d[1] = s.dims[0], d[2] = s.dims[1], d[3] = s.dims[2];
        return 4;
    }
    if (s.rank == 2) {
        d[0] = 1, d[1] = 1, d[2] = s.dims[0], d[3] = s.dims[1];
        return 4;
    }
    d[0] = 1, d[1] = s.dims[0];
    return 2;
}

static int same_canon(tr_shape a, tr_shape b)
{
    int32_t x[4], y[4];
    int r = canon(a, x);
    return r == canon(b, y) && !memcmp(x, y, sizeof(int32_t) * (size_t)r);
}

/* The non-alias node whose tensor node i's output is. */
static int root(const xp *x, int i)
{
    while (x->alias[i]) i = x->info[i].inputs[0];
    return i;
}

static int takes_activation(tr_op op)
{
    return op == TR_OP_CONV2D || op == TR_OP_DEPTHWISE_CONV2D || op == TR_OP_DENSE || op == TR_OP_AVG_POOL ||
           op == TR_OP_MAX_POOL || op == TR_OP_ADD;
}

/* Liveness, aliases, uses, ReLU fusion. */
static int plan(xp *x)
{
    tr_model *m = x->m;
    int out = tr_model_output(m), in = tr_model_input(m);
    if (x->n < 1 || out < 0) return xp_fail(x, "the model is empty (no nodes)");
    if (in < 0) return xp_fail(x, "the model has no input node");
    if (!tr_model_is_initialized(m)) return xp_fail(x, "the model's parameters are not initialised (tr_model_init, then train)");
    for (int i = 0; i < x->n; i++)
        if (tr_model_node(m, i, &x->info[i])) return xp_fail(x, "node %d: cannot be read", i);
    x->live[out] = 1;
    for (int i = out; i >= 0; i--)
        for (int k = 0; x->live[i] && k < x->info[i].n_inputs; k++) x->live[x->info[i].inputs[k]] = 1;
    if (!x->live[in] || out == in) return xp_fail(x, "the model has no layers between its input and output");
    for (int i = 0; i < x->n; i++) {
        const tr_node_info *nd = &x->info[i];
        x->rnode[i] = i;
        x->tensor[i] = -1;
        x->act[i] = MOTE_ACT_NONE;
        if (!x->live[i]) continue;
        if (nd->op == TR_OP_BATCHNORM)
            return xp_fail(x, "batch norm '%s' cannot be exported: it does not follow a convolution or dense layer "
                              "used by nothing else, so it was not folded", nd->name);
        x->alias[i] = nd->op == TR_OP_DROPOUT || nd->op == TR_OP_IDENTITY ||
                      (nd->op == TR_OP_RESHAPE && same_canon(nd->shape, x->info[nd->inputs[0]].shape));
    }
    for (int i = 0; i < x->n; i++)
        for (int k = 0; x->live[i] && !x->alias[i] && k < x->info[i].n_inputs; k++) x->uses[root(x, x->info[i].inputs[k])]++;
    x->uses[root(x, out)]++;
    for (int i = 0; i < x->n; i++) {
        const tr_node_info *nd = &x->info[i];
        if (!x->live[i] || (nd->op != TR_OP_RELU && nd->op != TR_OP_RELU6)) continue;
        int p = root(x, nd->inputs[0]);
        if (!takes_activation(x->info[p].op) || x->act[p] != MOTE_ACT_NONE || x->uses[p] != 1)
            return xp_fail(x, "%s '%s' cannot be exported: mote has no standalone ReLU, so it must follow a "
                              "convolution, dense, pooling or add layer ('%s' here) whose output nothing else uses",
                           tr_op_name(nd->op), nd->name, x->info[p].name);
        x->act[p] = nd->op == TR_OP_RELU ? MOTE_ACT_RELU : MOTE_ACT_RELU6;
        x->rnode[p] = i;
        x->alias[i] = 1;
    }
    return 0;
}

/* ---- activations ---- */

/* A new activation tensor for node i: quantized from its calibrated range, or like tensor like_t. */
static int32_t act_tensor(xp *x, const char *name, int rank, const int32_t *dims, int i, int32_t like_t)
{
    int32_t t = xp_tensor(x, name, x->int8 ? MOTE_I8 : MOTE_F32, rank, dims);
    if (t < 0 || !x->int8) return t;
    float s;
    int32_t z;
    if (like_t >= 0) {
        s = x->g->tensors[like_t].scale[0];
        z = x->g->tensors[like_t].zero_point[0];
    } else {
        int r = x->rnode[i];
        if (x->info[r].op == TR_OP_INPUT && x->fixed_in) s = x->in_scale, z = x->in_zp;
        else if (x->info[r].op == TR_OP_RELU6) xp_act_params(0.0f, 6.0f, &s, &z);
        else xp_act_params(x->ranges[r].lo, x->ranges[r].hi, &s, &z);
    }
    return xp_quant(x, t, 1, 0, &s, &z) ? -1 : t;
}

/* The tensor of node i's input k, reshaped to [1, N] (want_rank 2) or 4-D if it is not. */
static int32_t input_as(xp *x, int i, int k, int want_rank)
{
    int src = root(x, x->info[i].inputs[k]);
    int32_t t = x->tensor[src];
    const mote_tensor *tt = &x->g->tensors[t].t;
    if (tt->rank == want_rank) return t;
    int32_t d[4];
    size_t n = tr_shape_size(x->info[src].shape);
    if (want_rank == 2) d[0] = 1, d[1] = (int32_t)n;
    else if (canon(x->info[src].shape, d) != 4) return xp_fail(x, "'%s': input '%s' is not an image or sequence", x->info[i].name, x->info[src].name);
    char name[TR_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s/reshape", x->info[src].name);
    int32_t r = act_tensor(x, name, want_rank, d, src, t);
    mote_opts o = xp_opts();
    if (r < 0 || xp_op(x, MOTE_OP_RESHAPE, &t, 1, r, &o)) return -1;
    return r;
}

/* ---- layers with weights ---- */

static int32_t weight_const(xp *x, const tr_param_info *p, int n_ch, int axis, float in_scale, int bias_of,
                            const float *w_scales, float *scales_out)
{
    int32_t dims[4];
    for (int d = 0; d < p->rank; d++) dims[d] = p->dims[d];
    if (!x->int8) return xp_const(x, p->name, MOTE_F32, p->rank, dims, p->data);
    int32_t t;
    if (bias_of) {
        int32_t *q = xp_quant_bias(p->data, p->size, in_scale, w_scales, n_ch > 1);
        if (!q) return xp_fail(x, "out of memory");
        t = xp_const(x, p->name, MOTE_I32, p->rank, dims, q);
        free(q);
        float *s = malloc(sizeof *s * (size_t)n_ch);
        int32_t *z = calloc((size_t)n_ch, sizeof *z);
        if (!s || !z) t = xp_fail(x, "out of memory");
        for (int c = 0; t >= 0 && c < n_ch; c++) s[c] = (float)((double)in_scale * (double)w_scales[c]);
        if (t >= 0 && xp_quant(x, t, n_ch, 0, s, z)) t = -1;
        free(s), free(z);
        return t;
    }
    int8_t *q = xp_quant_weights(p->data, p->size, n_ch, axis != 0, scales_out);
    if (!q) return xp_fail(x, "out of memory");
    t = xp_const(x, p->name, MOTE_I8, p->rank, dims, q);
    free(q);
    int32_t *z = calloc((size_t)n_ch, sizeof *z);
    if (!z) return xp_fail(x, "out of memory");
    if (t >= 0 && xp_quant(x, t, n_ch, axis, scales_out, z)) t = -1;
    free(z);
    return t;
}

/* CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED with filters and bias. */
static int emit_weighted(xp *x, int i)
{
    const tr_node_info *nd = &x->info[i];
    tr_param_info w, b;
    if (nd->n_params < 2 || tr_model_param(x->m, nd->params[0], &w) || tr_model_param(x->m, nd->params[1], &b))
        return xp_fail(x, "'%s': filters or bias missing", nd->name);
    int dense = nd->op == TR_OP_DENSE, dw = nd->op == TR_OP_DEPTHWISE_CONV2D;
    int32_t in = input_as(x, i, 0, dense ? 2 : 4);
    if (in < 0) return -1;
    int n_ch = dense ? 1 : dw ? w.dims[3] : w.dims[0], axis = dw ? 3 : 0;
    float *scales = malloc(sizeof *scales * (size_t)n_ch);
    if (!scales) return xp_fail(x, "out of memory");
    float in_scale = x->int8 ? x->g->tensors[in].scale[0] : 1.0f;
    int32_t wt = weight_const(x, &w, n_ch, axis, in_scale, 0, NULL, scales);
    int32_t bt = wt < 0 ? -1 : weight_const(x, &b, dense ? 1 : n_ch, 0, in_scale, 1, scales, NULL);
    free(scales);
    if (bt < 0) return -1;
    int32_t d[4];
    int rank = canon(nd->shape, d);
    int32_t out = act_tensor(x, nd->name, rank, d, i, -1);
    if (out < 0) return -1;
    mote_opts o = xp_opts();
    o.activation = x->act[i];
    if (!dense) {
        o.padding = nd->padding == TR_PAD_SAME ? MOTE_PAD_SAME : MOTE_PAD_VALID;
        o.stride_h = (int16_t)nd->stride_h, o.stride_w = (int16_t)nd->stride_w;
        if (dw) o.depth_multiplier = (int16_t)nd->depth_multiplier;
    }
    int32_t ins[3] = {in, wt, bt};
    x->tensor[i] = out;
    return xp_op(x, dense ? MOTE_OP_FULLY_CONNECTED : dw ? MOTE_OP_DEPTHWISE_CONV_2D : MOTE_OP_CONV_2D, ins, 3, out, &o);
}

/* ---- the rest ---- */

static int emit_node(xp *x, int i)
{
    const tr_node_info *nd = &x->info[i];
    int32_t d[4];
    int rank = canon(nd->shape, d);
    mote_opts o = xp_opts();
    o.activation = x->act[i];
    switch (nd->op) {
    case TR_OP_INPUT:
        if ((x->tensor[i] = act_tensor(x, nd->name, rank, d, i, -1)) < 0) return -1;
        x->g->tensors[x->tensor[i]].t.flags |= MOTE_TENSOR_INPUT;
        return 0;
    case TR_OP_CONV2D:
    case TR_OP_DEPTHWISE_CONV2D:
    case TR_OP_DENSE: return emit_weighted(x, i);
    case TR_OP_AVG_POOL:
    case TR_OP_MAX_POOL: {
        int32_t in = input_as(x, i, 0, 4);
        if (in < 0) return -1;
        o.padding = nd->padding == TR_PAD_SAME ? MOTE_PAD_SAME : MOTE_PAD_VALID;
        o.stride_h = (int16_t)nd->stride_h, o.stride_w = (int16_t)nd->stride_w;
        o.filter_h = (int16_t)nd->kh, o.filter_w = (int16_t)nd->kw;
        if ((x->tensor[i] = act_tensor(x, nd->name, rank, d, i, in)) < 0) return -1;
        return xp_op(x, nd->op == TR_OP_AVG_POOL ? MOTE_OP_AVERAGE_POOL_2D : MOTE_OP_MAX_POOL_2D, &in, 1,
                     x->tensor[i], &o);
    }
    case TR_OP_GLOBAL_AVG_POOL: {
        int32_t in = input_as(x, i, 0, 4);
        if (in < 0) return -1;
        static const int32_t axes[2] = {1, 2};
        int32_t two = 2;
        char name[TR_NAME_MAX + 16];
        snprintf(name, sizeof name, "%s/axes", nd->name);
        int32_t ins[2] = {in, xp_const(x, name, MOTE_I32, 1, &two, axes)};
        if (ins[1] < 0 || (x->tensor[i] = act_tensor(x, nd->name, rank, d, i, in)) < 0) return -1;
        return xp_op(x, MOTE_OP_MEAN, ins, 2, x->tensor[i], &o);
    }
    case TR_OP_RESHAPE: {
        int32_t in = x->tensor[root(x, nd->inputs[0])];
        if ((x->tensor[i] = act_tensor(x, nd->name, rank, d, i, in)) < 0) return -1;
        return xp_op(x, MOTE_OP_RESHAPE, &in, 1, x->tensor[i], &o);
    }
    case TR_OP_ADD: {
        int32_t ins[2] = {x->tensor[root(x, nd->inputs[0])], x->tensor[root(x, nd->inputs[1])]};
        if ((x->tensor[i] = act_tensor(x, nd->name, rank, d, i, -1)) < 0) return -1;
        return xp_op(x, MOTE_OP_ADD, ins, 2, x->tensor[i], &o);
    }
    default: return xp_fail(x, "'%s': %s cannot be exported", nd->name, tr_op_name(nd->op));
    }
}

/* SOFTMAX over the logits, the graph's output. */
static int emit_softmax(xp *x)
{
    int out = root(x, tr_model_output(x->m));
    if (x->info[out].op == TR_OP_INPUT) return xp_fail(x, "the model has no layers between its input and output");
    int32_t in = x->tensor[out];
    if (x->g->tensors[in].t.rank != 2) {
        /* the logits as [1, K] */
        const tr_node_info *nd = &x->info[out];
        int32_t d[2] = {1, (int32_t)tr_shape_size(nd->shape)};
        char name[TR_NAME_MAX + 16];
        snprintf(name, sizeof name, "%s/flat", nd->name);
        int32_t r = act_tensor(x, name, 2, d, out, in);
        mote_opts o = xp_opts();
        if (r < 0 || xp_op(x, MOTE_OP_RESHAPE, &in, 1, r, &o)) return -1;
        in = r;
    }
    /* the dims copied first: adding a tensor may move the tensor array they live in */
    int32_t dims[2] = {x->g->tensors[in].t.dims[0], x->g->tensors[in].t.dims[1]};
    int32_t p = xp_tensor(x, "probabilities", x->int8 ? MOTE_I8 : MOTE_F32, 2, dims);
    if (p < 0) return -1;
    if (x->int8) {
        float s = 1.0f / 256.0f;
        int32_t z = -128;
        if (xp_quant(x, p, 1, 0, &s, &z)) return -1;
    }
    x->g->tensors[p].t.flags |= MOTE_TENSOR_OUTPUT;
    mote_opts o = xp_opts();
    return xp_op(x, MOTE_OP_SOFTMAX, &in, 1, p, &o);
}

static void xp_free(xp *x)
{
    free(x->info), free(x->live), free(x->alias), free(x->act), free(x->rnode), free(x->uses), free(x->tensor);
}

static mote_ir_graph *export(tr_model *m, const tr_dataset *calib, int int8, const float *in_scale,
                             const int32_t *in_zp, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    xp x = {.m = m, .int8 = int8, .err = err, .errlen = errlen};
    if (in_scale) x.fixed_in = 1, x.in_scale = *in_scale, x.in_zp = *in_zp;
    if (!m) {
        xp_fail(&x, "no model");
        return NULL;
    }
    if (tr_model_num_nodes(m) > 0 && tr_model_is_initialized(m) && tr_fold_batchnorm(m) < 0) {
        xp_fail(&x, "folding batch norms: %s", tr_model_error(m));
        return NULL;
    }
    x.n = tr_model_num_nodes(m);
    size_t n = (size_t)(x.n > 0 ? x.n : 1);
    x.info = calloc(n, sizeof *x.info);
    x.live = calloc(n, 1), x.alias = calloc(n, 1), x.act = calloc(n, 1);
    x.rnode = calloc(n, sizeof(int)), x.uses = calloc(n, sizeof(int)), x.tensor = calloc(n, sizeof(int32_t));
    x.g = mote_irb_begin(&x.b, err, errlen);
    xp_range *ranges = NULL;
    int ok = x.info && x.live && x.alias && x.act && x.rnode && x.uses && x.tensor && x.g;
    if (!ok) xp_fail(&x, "out of memory");
    ok = ok && !plan(&x);
    if (ok && int8) ok = (x.ranges = ranges = xp_calibrate(&x, calib)) != NULL;
    for (int i = 0; ok && i < x.n; i++)
        if (x.live[i] && !x.alias[i]) ok = !emit_node(&x, i);
    ok = ok && !emit_softmax(&x);
    if (ok) {
        mote_ir_graph *g = x.g;
        g->inputs = malloc(sizeof(int32_t));
        g->outputs = malloc(sizeof(int32_t));
        char desc[96];
        snprintf(desc, sizeof desc, "mote train export (%s)", int8 ? "int8" : "float32");
        g->description = strdup(desc);
        ok = g->inputs && g->outputs && g->description;
        if (!ok) xp_fail(&x, "out of memory");
        else {
            g->inputs[0] = x.tensor[tr_model_input(m)];
            g->outputs[0] = g->n_tensors - 1; /* the softmax output, added last */
            g->n_inputs = g->n_outputs = 1;
        }
    }
    free(ranges);
    xp_free(&x);
    if (!ok) {
        mote_ir_free(x.g);
        return NULL;
    }
    return x.g;
}

mote_ir_graph *tr_export_float(tr_model *m, char *err, size_t errlen)
{
    return export(m, NULL, 0, NULL, NULL, err, errlen);
}

mote_ir_graph *tr_export_int8(tr_model *m, const tr_dataset *calib, char *err, size_t errlen)
{
    return export(m, calib, 1, NULL, NULL, err, errlen);
}

mote_ir_graph *tr_export_int8_input(tr_model *m, const tr_dataset *calib, float in_scale, int32_t in_zero_point,
                                    char *err, size_t errlen)
{
    if (!(in_scale > 0.0f) || in_zero_point < -128 || in_zero_point > 127) {
        if (err && errlen) snprintf(err, errlen, "input quantization: scale %g, zero point %d is not int8's", (double)in_scale, (int)in_zero_point);
        return NULL;
    }
    return export(m, calib, 1, &in_scale, &in_zero_point, err, errlen);
}

int tr_export_write(const mote_ir_graph *g, const char *path, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!g || !path) {
        snprintf(err, errlen, "export write: no graph or path");
        return -1;
    }
    if (mote_tflite_write(g, &buf, &len, err, errlen)) return -1;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f)) ok = 0;
    free(buf);
    if (!ok) snprintf(err, errlen, "%s: cannot write the model", path);
    return ok ? 0 : -1;
}
