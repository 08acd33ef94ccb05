/* ONNX importer, top level: parse the ModelProto, declare the graph inputs
 * and initializers, import the nodes in order (each either folded on the
 * host or lowered to mote ops), then the graph outputs in ONNX order. */
#include "import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

enum { ONNX_DT_FLOAT = 1 };

const char *onnx_node_name(const onnx_node *n)
{
    return n && n->name ? n->name : "";
}

int onnx_fail(onnx_imp *im, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (im->node)
        snprintf(im->err, im->errlen, "%s: node %d (%s, %s): %s", im->file, (int)im->node_index,
                 onnx_node_name(im->node)[0] ? onnx_node_name(im->node) : "unnamed",
                 im->node->op_type ? im->node->op_type : "no op_type", msg);
    else
        snprintf(im->err, im->errlen, "%s: %s", im->file, msg);
    return -1;
}

int onnx_axis(onnx_imp *im, int64_t a, int rank, const char *what)
{
    if (a < -rank || a >= rank) return onnx_fail(im, "%s %lld out of range for rank %d", what, (long long)a, rank);
    return (int)(a < 0 ? a + rank : a);
}

/* Exporters write ModelProto fields in number order, ir_version (field 1, a varint) first; any
 * leading key of field 1 to 20 with a varint or length-delimited value is let through to a full
 * parse, which decides. */
int mote_onnx_probe(const uint8_t *buf, size_t len)
{
    if (len < 4) return 0;
    unsigned field = buf[0] >> 3, wire = buf[0] & 7;
    if (field < 1 || field > 15 || (wire != 0 && wire != 2)) {
        /* two-byte key (fields 16 to 20) */
        if (!(buf[0] & 0x80) || buf[1] > 2 || (wire != 0 && wire != 2)) return 0;
    }
    MoteOnnx__ModelProto *m = mote_onnx__model_proto__unpack(NULL, len, buf);
    if (!m) return 0;
    int ok = m->graph != NULL && m->n_opset_import > 0;
    mote_onnx__model_proto__free_unpacked(m, NULL);
    return ok;
}

static int import_input(onnx_imp *im, const MoteOnnx__ValueInfoProto *vi, int32_t *tensor)
{
    const char *name = vi->name ? vi->name : "";
    const MoteOnnx__TypeProto__Tensor *tt = vi->type ? vi->type->tensor_type : NULL;
    if (!tt) return onnx_fail(im, "graph input '%s' is not a tensor", name);
    if (tt->elem_type != ONNX_DT_FLOAT)
        return onnx_fail(im, "graph input '%s': element type %d not supported (float32 only)", name, tt->elem_type);
    if (!tt->shape) return onnx_fail(im, "graph input '%s' has no shape", name);
    if (tt->shape->n_dim > MOTE_MAX_DIMS)
        return onnx_fail(im, "graph input '%s': rank %zu (at most %d)", name, tt->shape->n_dim, MOTE_MAX_DIMS);
    int32_t dims[MOTE_MAX_DIMS];
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const MoteOnnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (!d->has_dim_value || d->dim_value < 1 || d->dim_value > ONNX_MAX_ELEMS)
            return onnx_fail(im, "graph input '%s': dimension %zu is %s (dynamic shapes are not supported; export "
                                 "with fixed sizes)", name, i, d->dim_param ? d->dim_param : "not a positive number");
        dims[i] = (int32_t)d->dim_value;
    }
    onnx_value *v = onnx_define(im, name, (int)tt->shape->n_dim, dims, MOTE_F32);
    if (!v) return -1;
    if ((*tensor = onnx_act(im, v, 0)) < 0) return -1;
    im->g->tensors[*tensor].t.flags |= MOTE_TENSOR_INPUT;
    return 0;
}

static int is_initializer(const MoteOnnx__GraphProto *gp, const char *name)
{
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (gp->initializer[i]->name && !strcmp(gp->initializer[i]->name, name)) return 1;
    return 0;
}

int32_t onnx_uses(onnx_imp *im, const char *name)
{
    int32_t n = 0;
    const MoteOnnx__GraphProto *gp = im->gp;
    for (size_t j = 0; j < gp->n_node; j++)
        for (size_t q = 0; q < gp->node[j]->n_input; q++)
            if (gp->node[j]->input[q] && !strcmp(gp->node[j]->input[q], name)) n++;
    for (size_t j = 0; j < gp->n_output; j++)
        if (gp->output[j]->name && !strcmp(gp->output[j]->name, name)) n++;
    return n;
}

static int import_node(onnx_imp *im)
{
    const onnx_node *n = im->node;
    const char *op = n->op_type ? n->op_type : "";
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return onnx_fail(im, "operator domain '%s' not supported", n->domain);
    if (n->n_input > 64 || n->n_output > 16) return onnx_fail(im, "too many inputs or outputs");
    int r;
    if ((r = onnx_op_nn(im, op)) || (r = onnx_op_elem(im, op)) || (r = onnx_op_tensor(im, op)) || (r = onnx_op_rnn(im, op)))
        return r < 0 ? -1 : 0;
    if (!strcmp(op, "GRU") || !strcmp(op, "RNN"))
        return onnx_fail(im, "recurrent operator not supported yet (export the cell unrolled or use TFLite)");
    return onnx_fail(im, "operator not supported");
}

static int import_graph(onnx_imp *im, const MoteOnnx__ModelProto *m)
{
    const MoteOnnx__GraphProto *gp = m->graph;
    if (!gp) return onnx_fail(im, "model has no graph");
    im->gp = gp;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *d = m->opset_import[i]->domain;
        if (!d || !d[0] || !strcmp(d, "ai.onnx")) im->opset = m->opset_import[i]->version;
    }
    if (im->opset < 7 || im->opset > 21)
        return onnx_fail(im, "default-domain opset %lld not supported (7 to 21)", (long long)im->opset);
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const onnx_tensor *t = gp->initializer[i];
        if (!t->name || !t->name[0]) return onnx_fail(im, "initializer %zu has no name", i);
        if (!onnx_tensor_value(im, t, t->name, "initializer")) return -1;
    }
    int32_t *ins = calloc(gp->n_input + 1, sizeof *ins), n_in = 0;
    int32_t *outs = calloc(gp->n_output + 1, sizeof *outs);
    if (!ins || !outs) {
        free(ins);
        free(outs);
        return onnx_fail(im, "out of memory");
    }
    int rc = -1;
    for (size_t i = 0; i < gp->n_input; i++) {
        const char *nm = gp->input[i]->name ? gp->input[i]->name : "";
        if (is_initializer(gp, nm)) continue; /* older exporters list initializers as inputs too */
        if (import_input(im, gp->input[i], &ins[n_in]) != 0) goto out;
        n_in++;
    }
    if (n_in < 1 || gp->n_output < 1) {
        onnx_fail(im, "graph has no inputs or no outputs");
        goto out;
    }
    for (size_t i = 0; i < gp->n_node; i++) {
        im->node = gp->node[i];
        im->node_index = (int32_t)i;
        if (import_node(im) != 0) goto out;
    }
    im->node = NULL;
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *nm = gp->output[i]->name ? gp->output[i]->name : "";
        onnx_value *v = onnx_find(im, nm);
        if (!v) {
            onnx_fail(im, "graph output '%s' is not computed by any node", nm);
            goto out;
        }
        if (v->cdata && v->plain < 0 && v->nhwc < 0) {
            onnx_fail(im, "graph output '%s' is a constant", nm);
            goto out;
        }
        if (v->dtype != MOTE_F32) {
            onnx_fail(im, "graph output '%s' is not float32", nm);
            goto out;
        }
        if ((outs[i] = onnx_plain(im, v)) < 0) goto out;
        mote_tensor *t = &im->g->tensors[outs[i]].t;
        if (t->flags & (MOTE_TENSOR_INPUT | MOTE_TENSOR_CONST)) {
            onnx_fail(im, "graph output '%s' is a graph input or constant", nm);
            goto out;
        }
        t->flags |= MOTE_TENSOR_OUTPUT;
    }
    if (im->g->n_ops < 1) {
        onnx_fail(im, "graph has no operators to run");
        goto out;
    }
    if (mote_irb_io(&im->b, ins, n_in, outs, (int)gp->n_output) != 0) {
        onnx_fail(im, "%s", im->berr);
        goto out;
    }
    rc = 0;
out:
    free(ins);
    free(outs);
    return rc;
}

mote_ir_graph *mote_onnx_import(uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    onnx_imp im = {.file = name, .err = err, .errlen = errlen};
    im.g = mote_irb_begin(&im.b, im.berr, sizeof im.berr);
    if (!im.g) {
        free(buf);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    im.g->file = buf;
    im.g->file_len = len;
    MoteOnnx__ModelProto *m = mote_onnx__model_proto__unpack(NULL, len, buf);
    int rc = -1;
    if (!m)
        onnx_fail(&im, "not a valid ONNX model (protobuf parse failed: truncated or corrupt file)");
    else {
        char desc[200];
        snprintf(desc, sizeof desc, "ONNX from %s %s", m->producer_name ? m->producer_name : "unknown producer",
                 m->producer_version ? m->producer_version : "");
        im.g->description = strdup(desc);
        rc = im.g->description ? import_graph(&im, m) : onnx_fail(&im, "out of memory");
    }
    if (m) mote_onnx__model_proto__free_unpacked(m, NULL);
    for (int32_t i = 0; i < im.nv; i++) {
        free(im.v[i]->name);
        free(im.v[i]->cdata);
        free(im.v[i]);
    }
    free(im.v);
    if (rc != 0) {
        mote_ir_free(im.g);
        return NULL;
    }
    return im.g;
}
