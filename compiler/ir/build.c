/* Graph IR builder (ir/build.h). */
#include "ir/build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mote_ir_graph *mote_irb_begin(mote_irb *b, char *err, size_t errlen)
{
    mote_ir_graph *g = calloc(1, sizeof *g);
    mote_irb_attach(b, g, err, errlen);
    if (!g) mote_irb_fail(b, "out of memory");
    return g;
}

void mote_irb_attach(mote_irb *b, mote_ir_graph *g, char *err, size_t errlen)
{
    b->g = g;
    b->cap_t = g ? g->n_tensors : 0;
    b->cap_o = g ? g->n_ops : 0;
    b->err = err;
    b->errlen = errlen;
}

int mote_irb_fail(mote_irb *b, const char *fmt, ...)
{
    if (b->err && b->errlen && !b->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err, b->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int grow(void **p, int32_t *cap, int32_t need, size_t elem)
{
    if (need <= *cap) return 0;
    int32_t c = *cap ? *cap * 2 : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return -1;
    memset((char *)q + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
    *p = q;
    *cap = c;
    return 0;
}

int32_t mote_irb_tensor(mote_irb *b, const char *name, mote_dtype type, int rank, const int32_t *dims)
{
    mote_ir_graph *g = b->g;
    void *p = g->tensors;
    if (grow(&p, &b->cap_t, g->n_tensors + 1, sizeof *g->tensors)) return mote_irb_fail(b, "out of memory");
    g->tensors = p;
    if (rank < 0 || rank > MOTE_MAX_DIMS) return mote_irb_fail(b, "tensor '%s': rank %d", name, rank);
    mote_ir_tensor *it = &g->tensors[g->n_tensors];
    memset(it, 0, sizeof *it);
    if (!(it->name = strdup(name))) return mote_irb_fail(b, "out of memory");
    g->n_tensors++;
    it->t.type = (uint8_t)type;
    it->t.rank = (uint8_t)rank;
    size_t n = 1;
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 1) return mote_irb_fail(b, "tensor '%s': dimension %d is %d", name, d, (int)dims[d]);
        n *= (size_t)(it->t.dims[d] = dims[d]);
    }
    it->t.bytes = mote_dtype_bytes(type, (int64_t)n);
    return g->n_tensors - 1;
}

/* Constant t gets a copy of `bytes` bytes of data (its shape's, or a sparse encoding's). */
static int32_t const_data(mote_irb *b, int32_t t, const void *data, size_t bytes)
{
    if (t < 0) return -1;
    mote_ir_tensor *it = &b->g->tensors[t];
    it->t.bytes = bytes;
    it->owned_data = aligned_alloc(16, (it->t.bytes + 15) & ~(size_t)15);
    if (!it->owned_data) return mote_irb_fail(b, "out of memory");
    memcpy(it->owned_data, data, it->t.bytes);
    it->t.data = it->owned_data;
    it->t.flags |= MOTE_TENSOR_CONST;
    return t;
}

int32_t mote_irb_const(mote_irb *b, const char *name, mote_dtype type, int rank, const int32_t *dims,
                       const void *data)
{
    int32_t t = mote_irb_tensor(b, name, type, rank, dims);
    return t < 0 ? -1 : const_data(b, t, data, b->g->tensors[t].t.bytes);
}

int mote_irb_quant(mote_irb *b, int32_t t, int n, int axis, const float *scale, const int32_t *zp)
{
    mote_ir_tensor *it = &b->g->tensors[t];
    free(it->scale);
    free(it->zero_point);
    it->scale = malloc(sizeof(float) * (size_t)n);
    it->zero_point = malloc(sizeof(int32_t) * (size_t)n);
    if (!it->scale || !it->zero_point) return mote_irb_fail(b, "out of memory");
    memcpy(it->scale, scale, sizeof(float) * (size_t)n);
    memcpy(it->zero_point, zp, sizeof(int32_t) * (size_t)n);
    it->t.q = (mote_quant){.scale = it->scale, .zero_point = it->zero_point, .n = n, .axis = axis};
    return 0;
}

int mote_irb_op(mote_irb *b, mote_op op, const int32_t *in, int n_in, const int32_t *out, int n_out,
                const mote_opts *o)
{
    mote_ir_graph *g = b->g;
    void *p = g->ops;
    if (grow(&p, &b->cap_o, g->n_ops + 1, sizeof *g->ops)) return mote_irb_fail(b, "out of memory");
    g->ops = p;
    mote_ir_op *io = &g->ops[g->n_ops];
    memset(io, 0, sizeof *io);
    if (!(io->io = malloc(sizeof(int32_t) * (size_t)(n_in + n_out)))) return mote_irb_fail(b, "out of memory");
    g->n_ops++;
    memcpy(io->io, in, sizeof(int32_t) * (size_t)n_in);
    memcpy(io->io + n_in, out, sizeof(int32_t) * (size_t)n_out);
    io->op = op;
    io->n_in = (uint16_t)n_in;
    io->n_out = (uint16_t)n_out;
    io->opts = *o;
    return 0;
}

int mote_irb_custom_code(mote_irb *b, const char *code)
{
    if (b->g->n_ops < 1) return mote_irb_fail(b, "custom code '%s' before any op", code);
    mote_ir_op *op = &b->g->ops[b->g->n_ops - 1];
    free(op->custom_code);
    if (!(op->custom_code = strdup(code))) return mote_irb_fail(b, "out of memory");
    return 0;
}

static int set_list(mote_irb *b, int32_t **dst, int32_t *n_dst, const int32_t *src, int n)
{
    int32_t *p = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!p) return mote_irb_fail(b, "out of memory");
    if (n > 0) memcpy(p, src, sizeof(int32_t) * (size_t)n);
    free(*dst);
    *dst = p;
    *n_dst = n;
    return 0;
}

int mote_irb_io(mote_irb *b, const int32_t *inputs, int n_inputs, const int32_t *outputs, int n_outputs)
{
    if (set_list(b, &b->g->inputs, &b->g->n_inputs, inputs, n_inputs)) return -1;
    return set_list(b, &b->g->outputs, &b->g->n_outputs, outputs, n_outputs);
}

mote_opts mote_irb_opts(void)
{
    mote_opts o;
    memset(&o, 0, sizeof o);
    o.stride_w = o.stride_h = o.dilation_w = o.dilation_h = o.filter_w = o.filter_h = 1;
    o.depth_multiplier = 1;
    o.beta = 1.0f;
    return o;
}

int32_t mote_irb_copy_tensor(mote_irb *b, const mote_ir_tensor *src, const char *prefix)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", prefix, src->name ? src->name : "");
    const mote_tensor *t = &src->t;
    int32_t i = mote_irb_tensor(b, name, (mote_dtype)t->type, t->rank, t->dims);
    if (i >= 0 && (t->flags & MOTE_TENSOR_CONST) && t->data) i = const_data(b, i, t->data, t->bytes);
    if (i < 0) return -1;
    b->g->tensors[i].t.flags |= (uint8_t)(t->flags & MOTE_TENSOR_VARIABLE);
    if (t->q.n > 0 && mote_irb_quant(b, i, t->q.n, t->q.axis, t->q.scale, t->q.zero_point)) return -1;
    return i;
}

int mote_irb_append(mote_irb *b, const mote_ir_graph *g, int32_t *map, const char *prefix)
{
    for (int32_t k = 0; k < g->n_tensors; k++)
        if (map[k] < 0 && (map[k] = mote_irb_copy_tensor(b, &g->tensors[k], prefix)) < 0) return -1;
    for (int32_t o = 0; o < g->n_ops; o++) {
        const mote_ir_op *op = &g->ops[o];
        int32_t io[64];
        if (op->n_in + op->n_out > 64) return mote_irb_fail(b, "op %d has too many tensors to copy", (int)o);
        for (int i = 0; i < op->n_in + op->n_out; i++) io[i] = op->io[i] < 0 ? -1 : map[op->io[i]];
        if (mote_irb_op(b, op->op, io, op->n_in, io + op->n_in, op->n_out, &op->opts)) return -1;
        if (op->custom_code && mote_irb_custom_code(b, op->custom_code)) return -1;
    }
    return 0;
}

mote_ir_graph *mote_ir_clone(const mote_ir_graph *g, char *err, size_t errlen)
{
    mote_irb b;
    mote_ir_graph *c = mote_irb_begin(&b, err, errlen);
    int32_t *map = malloc(sizeof(int32_t) * (size_t)(g->n_tensors > 0 ? g->n_tensors : 1));
    int ok = c && map;
    if (!ok) mote_irb_fail(&b, "out of memory");
    for (int32_t k = 0; ok && k < g->n_tensors; k++) map[k] = -1;
    ok = ok && !mote_irb_append(&b, g, map, "");
    int32_t *in = ok ? malloc(sizeof(int32_t) * (size_t)(g->n_inputs + g->n_outputs + 1)) : NULL;
    if (ok && !in) ok = mote_irb_fail(&b, "out of memory") == 0;
    if (ok) {
        for (int i = 0; i < g->n_inputs; i++) in[i] = map[g->inputs[i]];
        for (int i = 0; i < g->n_outputs; i++) in[g->n_inputs + i] = map[g->outputs[i]];
        ok = !mote_irb_io(&b, in, g->n_inputs, in + g->n_inputs, g->n_outputs);
    }
    if (ok && g->description && !(c->description = strdup(g->description))) ok = mote_irb_fail(&b, "out of memory") == 0;
    free(in);
    free(map);
    if (!ok) {
        mote_ir_free(c);
        return NULL;
    }
    return c;
}
