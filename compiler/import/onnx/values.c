/* The ONNX importer's value table and layout bookkeeping. An ONNX value is
 * known by its logical (ONNX, NCHW) shape; the mote tensors that carry it
 * are made on demand: plain (ONNX element order) or, for rank 4, NHWC.
 * Converting between the two costs a TRANSPOSE, or a RESHAPE when channel
 * or spatial extent is 1 (the element order is then the same). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

static const int TO_NHWC[4] = {0, 2, 3, 1};
static const int TO_NCHW[4] = {0, 3, 1, 2};

int64_t onnx_elems(int rank, const int32_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

onnx_value *onnx_find(onnx_imp *im, const char *name)
{
    for (int32_t i = im->nv - 1; i >= 0; i--)
        if (!strcmp(im->v[i]->name, name)) return im->v[i];
    return NULL;
}

onnx_value *onnx_define(onnx_imp *im, const char *name, int rank, const int32_t *dims, uint8_t dtype)
{
    if (rank < 0 || rank > MOTE_MAX_DIMS) {
        onnx_fail(im, "value '%s': rank %d (at most %d supported)", name, rank, MOTE_MAX_DIMS);
        return NULL;
    }
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 1) {
            onnx_fail(im, "value '%s': dimension %d is %d", name, i, (int)dims[i]);
            return NULL;
        }
        n *= dims[i];
        if (n > ONNX_MAX_ELEMS) {
            onnx_fail(im, "value '%s': too large", name);
            return NULL;
        }
    }
    if (onnx_find(im, name)) {
        onnx_fail(im, "value '%s' is defined twice", name);
        return NULL;
    }
    if (im->nv == im->capv) {
        int32_t c = im->capv ? im->capv * 2 : 64;
        onnx_value **nvv = realloc(im->v, sizeof *nvv * (size_t)c);
        if (!nvv) {
            onnx_fail(im, "out of memory");
            return NULL;
        }
        im->v = nvv;
        im->capv = c;
    }
    onnx_value *v = calloc(1, sizeof *v);
    if (!v || !(v->name = strdup(name))) {
        free(v);
        onnx_fail(im, "out of memory");
        return NULL;
    }
    im->v[im->nv++] = v;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    v->dtype = dtype;
    v->plain = v->nhwc = v->nhwc_flat = -1;
    return v;
}

int onnx_has_in(onnx_imp *im, int k)
{
    return k >= 0 && (size_t)k < im->node->n_input && im->node->input[k] && im->node->input[k][0];
}

onnx_value *onnx_in(onnx_imp *im, int k)
{
    if (!onnx_has_in(im, k)) {
        onnx_fail(im, "input %d is missing", k);
        return NULL;
    }
    onnx_value *v = onnx_find(im, im->node->input[k]);
    if (!v) onnx_fail(im, "input %d '%s' is not defined by an earlier node, initializer or graph input", k,
                      im->node->input[k]);
    return v;
}

onnx_value *onnx_out(onnx_imp *im, int k, int rank, const int32_t *dims, uint8_t dtype)
{
    if (k < 0 || (size_t)k >= im->node->n_output || !im->node->output[k] || !im->node->output[k][0]) {
        onnx_fail(im, "output %d is missing", k);
        return NULL;
    }
    return onnx_define(im, im->node->output[k], rank, dims, dtype);
}

int onnx_alias(onnx_imp *im, onnx_value *out, const onnx_value *v)
{
    out->plain = v->plain;
    out->nhwc = v->nhwc;
    out->flat_of = v->flat_of;
    out->nhwc_flat = v->nhwc_flat;
    if (v->cdata) {
        size_t bytes = (size_t)onnx_elems(v->rank, v->dims) * (v->dtype == MOTE_I64 ? 8 : 4);
        if (!(out->cdata = malloc(bytes ? bytes : 1))) return onnx_fail(im, "out of memory");
        memcpy(out->cdata, v->cdata, bytes);
    }
    return 0;
}

float onnx_cf(const onnx_value *v, int64_t i)
{
    return v->dtype == MOTE_I64 ? (float)((const int64_t *)v->cdata)[i] : ((const float *)v->cdata)[i];
}

int64_t onnx_ci(const onnx_value *v, int64_t i)
{
    return v->dtype == MOTE_I64 ? ((const int64_t *)v->cdata)[i] : (int64_t)((const float *)v->cdata)[i];
}

void onnx_permute(const void *src, void *dst, size_t esize, int rank, const int32_t *dims, const int *perm)
{
    int64_t in_stride[MOTE_MAX_DIMS], n = 1;
    for (int i = rank - 1; i >= 0; i--) {
        in_stride[i] = n;
        n *= dims[i];
    }
    int32_t idx[MOTE_MAX_DIMS] = {0};
    for (int64_t k = 0; k < n; k++) {
        int64_t off = 0;
        for (int i = 0; i < rank; i++) off += idx[i] * in_stride[perm[i]];
        memcpy((char *)dst + k * (int64_t)esize, (const char *)src + off * (int64_t)esize, esize);
        for (int i = rank - 1; i >= 0; i--) {
            if (++idx[i] < dims[perm[i]]) break;
            idx[i] = 0;
        }
    }
}

int32_t onnx_producer(onnx_imp *im, int32_t t)
{
    for (int32_t i = im->g->n_ops - 1; i >= 0; i--) {
        const mote_ir_op *o = &im->g->ops[i];
        for (int k = 0; k < o->n_out; k++)
            if (o->io[o->n_in + k] == t) return i;
    }
    return -1;
}

int32_t onnx_emit(onnx_imp *im, mote_op op, const int32_t *in, int n_in, int32_t out, const mote_opts *o)
{
    for (int i = 0; i < n_in; i++)
        if (in[i] < -1) return -1;
    if (out < 0) return -1;
    if (mote_irb_op(&im->b, op, in, n_in, &out, 1, o) != 0) return onnx_fail(im, "%s", im->berr);
    return im->g->n_ops - 1;
}

static int32_t new_tensor(onnx_imp *im, const char *base, const char *suffix, mote_dtype dt, int rank,
                          const int32_t *dims, const void *data)
{
    char nm[256];
    snprintf(nm, sizeof nm, "%s%s", base, suffix);
    int32_t t = data ? mote_irb_const(&im->b, nm, dt, rank, dims, data) : mote_irb_tensor(&im->b, nm, dt, rank, dims);
    if (t < 0) onnx_fail(im, "%s", im->berr);
    return t;
}

int32_t onnx_act(onnx_imp *im, onnx_value *v, int nhwc)
{
    int32_t d[MOTE_MAX_DIMS] = {0};
    if (nhwc && v->rank != 4) return onnx_fail(im, "value '%s' has rank %d, not 4 (internal)", v->name, v->rank);
    for (int i = 0; i < v->rank; i++) d[i] = nhwc ? v->dims[TO_NHWC[i]] : v->dims[i];
    int32_t t = new_tensor(im, v->name, "", (mote_dtype)v->dtype, v->rank, d, NULL);
    if (t >= 0) *(nhwc ? &v->nhwc : &v->plain) = t;
    return t;
}

int32_t onnx_const_f(onnx_imp *im, const char *suffix, int rank, const int32_t *dims, const float *data)
{
    const char *base = im->node && im->node->n_output > 0 && im->node->output[0] ? im->node->output[0] : "const";
    return new_tensor(im, base, suffix, MOTE_F32, rank, dims, data);
}

/* One layout to the other: a RESHAPE when the element order does not change, else a TRANSPOSE. */
static int32_t relayout(onnx_imp *im, onnx_value *v, int to_nhwc)
{
    int32_t src = to_nhwc ? v->plain : v->nhwc;
    int32_t dst = onnx_act(im, v, to_nhwc);
    if (dst < 0) return -1;
    if (v->dims[1] == 1 || v->dims[2] * v->dims[3] == 1) {
        mote_opts o = mote_irb_opts();
        return onnx_emit(im, MOTE_OP_RESHAPE, &src, 1, dst, &o) < 0 ? -1 : dst;
    }
    const int *perm = to_nhwc ? TO_NHWC : TO_NCHW;
    int32_t p32[4] = {perm[0], perm[1], perm[2], perm[3]}, four = 4;
    int32_t pt = new_tensor(im, v->name, to_nhwc ? "/to_nhwc_perm" : "/to_nchw_perm", MOTE_I32, 1, &four, p32);
    if (pt < 0) return -1;
    int32_t in[2] = {src, pt};
    mote_opts o = mote_irb_opts();
    return onnx_emit(im, MOTE_OP_TRANSPOSE, in, 2, dst, &o) < 0 ? -1 : dst;
}

static int32_t const_tensor(onnx_imp *im, onnx_value *v, int nhwc)
{
    size_t es = v->dtype == MOTE_I64 ? 8 : 4;
    int64_t n = onnx_elems(v->rank, v->dims);
    if (!nhwc) return (v->plain = new_tensor(im, v->name, "", (mote_dtype)v->dtype, v->rank, v->dims, v->cdata));
    void *tmp = malloc((size_t)n * es + 1);
    if (!tmp) return onnx_fail(im, "out of memory");
    onnx_permute(v->cdata, tmp, es, 4, v->dims, TO_NHWC);
    int32_t d[4] = {v->dims[0], v->dims[2], v->dims[3], v->dims[1]};
    v->nhwc = new_tensor(im, v->name, "/nhwc", (mote_dtype)v->dtype, 4, d, tmp);
    free(tmp);
    return v->nhwc;
}

int32_t onnx_plain(onnx_imp *im, onnx_value *v)
{
    if (v->plain >= 0) return v->plain;
    if (v->cdata) return const_tensor(im, v, 0);
    if (v->nhwc >= 0) return relayout(im, v, 0);
    if (v->flat_of) { /* the NCHW flatten after all: from the source's plain layout */
        int32_t src = onnx_plain(im, v->flat_of);
        int32_t dst = src < 0 ? -1 : onnx_act(im, v, 0);
        mote_opts o = mote_irb_opts();
        return dst < 0 || onnx_emit(im, MOTE_OP_RESHAPE, &src, 1, dst, &o) < 0 ? -1 : dst;
    }
    return onnx_fail(im, "value '%s' has no data (internal)", v->name);
}

int32_t onnx_any(onnx_imp *im, onnx_value *v, int *nhwc)
{
    *nhwc = v->nhwc >= 0 && !v->cdata;
    return *nhwc ? v->nhwc : onnx_plain(im, v);
}

int32_t onnx_nhwc(onnx_imp *im, onnx_value *v)
{
    if (v->rank != 4) return onnx_fail(im, "value '%s' has rank %d, expected 4 (NCHW)", v->name, v->rank);
    if (v->nhwc >= 0) return v->nhwc;
    if (v->cdata) return const_tensor(im, v, 1);
    if (v->plain >= 0) return relayout(im, v, 1);
    return onnx_fail(im, "value '%s' has no data (internal)", v->name);
}

int32_t onnx_tensor_refs(onnx_imp *im, int32_t t)
{
    int32_t n = 0;
    for (int32_t i = 0; i < im->nv; i++) n += (im->v[i]->plain == t) + (im->v[i]->nhwc == t);
    return n;
}

int32_t onnx_like(onnx_imp *im, int32_t t, const char *name)
{
    /* copy the shape first: a new tensor may move the tensor array */
    int32_t d[MOTE_MAX_DIMS];
    const mote_tensor *src = &im->g->tensors[t].t;
    int rank = src->rank;
    memcpy(d, src->dims, sizeof d);
    int32_t n = mote_irb_tensor(&im->b, name, MOTE_F32, rank, d);
    if (n < 0) onnx_fail(im, "%s", im->berr);
    return n;
}
