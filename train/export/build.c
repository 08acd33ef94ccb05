/* Graph IR builder for the exporter: tensors, constants (aligned copies the graph owns), quantization,
 * ops, growing the graph's arrays as needed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int xp_fail(xp *x, const char *fmt, ...)
{
    if (x->err && x->errlen && !x->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
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

int32_t xp_tensor(xp *x, const char *name, mote_dtype type, int rank, const int32_t *dims)
{
    mote_ir_graph *g = x->g;
    void *p = g->tensors;
    if (grow(&p, &x->cap_t, g->n_tensors + 1, sizeof *g->tensors)) return xp_fail(x, "out of memory");
    g->tensors = p;
    if (rank < 1 || rank > MOTE_MAX_DIMS) return xp_fail(x, "tensor '%s': rank %d", name, rank);
    mote_ir_tensor *it = &g->tensors[g->n_tensors];
    memset(it, 0, sizeof *it);
    if (!(it->name = strdup(name))) return xp_fail(x, "out of memory");
    g->n_tensors++;
    it->t.type = (uint8_t)type;
    it->t.rank = (uint8_t)rank;
    size_t n = 1;
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 1) return xp_fail(x, "tensor '%s': dimension %d is %d", name, d, (int)dims[d]);
        n *= (size_t)(it->t.dims[d] = dims[d]);
    }
    it->t.bytes = n * mote_dtype_size(type);
    return g->n_tensors - 1;
}

int32_t xp_const(xp *x, const char *name, mote_dtype type, int rank, const int32_t *dims, const void *data)
{
    int32_t t = xp_tensor(x, name, type, rank, dims);
    if (t < 0) return -1;
    mote_ir_tensor *it = &x->g->tensors[t];
    it->owned_data = aligned_alloc(16, (it->t.bytes + 15) & ~(size_t)15);
    if (!it->owned_data) return xp_fail(x, "out of memory");
    memcpy(it->owned_data, data, it->t.bytes);
    it->t.data = it->owned_data;
    it->t.flags |= MOTE_TENSOR_CONST;
    return t;
}

int xp_quant(xp *x, int32_t t, int n, int axis, const float *scale, const int32_t *zp)
{
    mote_ir_tensor *it = &x->g->tensors[t];
    free(it->scale);
    free(it->zero_point);
    it->scale = malloc(sizeof(float) * (size_t)n);
    it->zero_point = malloc(sizeof(int32_t) * (size_t)n);
    if (!it->scale || !it->zero_point) return xp_fail(x, "out of memory");
    memcpy(it->scale, scale, sizeof(float) * (size_t)n);
    memcpy(it->zero_point, zp, sizeof(int32_t) * (size_t)n);
    it->t.q = (mote_quant){.scale = it->scale, .zero_point = it->zero_point, .n = n, .axis = axis};
    return 0;
}

int xp_op(xp *x, mote_op op, const int32_t *in, int n_in, int32_t out, const mote_opts *o)
{
    mote_ir_graph *g = x->g;
    void *p = g->ops;
    if (grow(&p, &x->cap_o, g->n_ops + 1, sizeof *g->ops)) return xp_fail(x, "out of memory");
    g->ops = p;
    mote_ir_op *io = &g->ops[g->n_ops];
    memset(io, 0, sizeof *io);
    if (!(io->io = malloc(sizeof(int32_t) * (size_t)(n_in + 1)))) return xp_fail(x, "out of memory");
    g->n_ops++;
    memcpy(io->io, in, sizeof(int32_t) * (size_t)n_in);
    io->io[n_in] = out;
    io->op = op;
    io->n_in = (uint16_t)n_in;
    io->n_out = 1;
    io->opts = *o;
    return 0;
}

mote_opts xp_opts(void)
{
    mote_opts o;
    memset(&o, 0, sizeof o);
    o.stride_w = o.stride_h = o.dilation_w = o.dilation_h = o.filter_w = o.filter_h = 1;
    o.depth_multiplier = 1;
    o.beta = 1.0f;
    return o;
}
