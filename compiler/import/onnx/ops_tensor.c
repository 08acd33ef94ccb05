/* Shape and data-movement nodes: Constant, Identity, Dropout, Shape, Gather,
 * ConstantOfShape, Cast, Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
 * Concat, Slice, Pad. Ones whose inputs are constants are computed here on
 * the host (the Shape/Gather/Unsqueeze/Concat chains exporters write for
 * Reshape); the others become RESHAPE, TRANSPOSE, CONCATENATION or PAD. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

static const int NHWC_POS[4] = {0, 3, 1, 2}; /* where ONNX axis a sits in an NHWC tensor */

static size_t esize(const onnx_value *v)
{
    return v->dtype == MOTE_I64 ? 8 : 4;
}

/* out = a host constant with v's elements (or data when given). */
static int set_const(onnx_imp *im, onnx_value *out, const void *data)
{
    size_t bytes = (size_t)onnx_elems(out->rank, out->dims) * esize(out);
    if (!(out->cdata = malloc(bytes + 1))) return onnx_fail(im, "out of memory");
    if (bytes) memcpy(out->cdata, data, bytes);
    return 0;
}

/* A same-elements reshape: host copy for constants, else a RESHAPE op. */
static int reshape_to(onnx_imp *im, onnx_value *in, int rank, const int32_t *dims)
{
    onnx_value *out = onnx_out(im, 0, rank, dims, in->dtype);
    if (!out) return -1;
    if (onnx_elems(rank, dims) != onnx_elems(in->rank, in->dims))
        return onnx_fail(im, "new shape has %lld elements, input %lld", (long long)onnx_elems(rank, dims),
                         (long long)onnx_elems(in->rank, in->dims));
    if (in->cdata) return set_const(im, out, in->cdata);
    if (in->dtype != MOTE_F32) return onnx_fail(im, "int64 tensors are supported as constants only");
    mote_opts o = mote_irb_opts();
    if (in->rank == 4 && in->plain < 0 && in->nhwc >= 0 && rank == 2 && dims[0] == in->dims[0] && in->dims[1] > 1 &&
        in->dims[2] * in->dims[3] > 1) {
        /* flatten of an NHWC activation: keep NHWC order, the reader of out decides (onnx_ctx.h) */
        int32_t fd[2] = {dims[0], dims[1]};
        int32_t t = mote_irb_tensor(&im->b, out->name, MOTE_F32, 2, fd);
        if (t < 0) return onnx_fail(im, "%s", im->berr);
        out->flat_of = in;
        out->nhwc_flat = t;
        return onnx_emit(im, MOTE_OP_RESHAPE, &in->nhwc, 1, t, &o) < 0 ? -1 : 0;
    }
    /* an NHWC image whose channel or spatial extent is 1 holds the ONNX order already */
    int same = in->rank == 4 && in->plain < 0 && in->nhwc >= 0 && (in->dims[1] == 1 || in->dims[2] * in->dims[3] == 1);
    int32_t src = same ? in->nhwc : onnx_plain(im, in);
    int32_t dst = src < 0 ? -1 : onnx_act(im, out, 0);
    return dst < 0 || onnx_emit(im, MOTE_OP_RESHAPE, &src, 1, dst, &o) < 0 ? -1 : 0;
}

/* Constant int64 list input k (axes, shape, pads) into out[max]. */
static int const_ints(onnx_imp *im, int k, int64_t *out, int max, int *n, const char *what)
{
    onnx_value *v = onnx_in(im, k);
    if (!v) return -1;
    if (!v->cdata || v->dtype != MOTE_I64)
        return onnx_fail(im, "%s (input %d) must be a constant int64 tensor", what, k);
    int64_t c = onnx_elems(v->rank, v->dims);
    if (v->rank > 1 || c > max) return onnx_fail(im, "%s (input %d) must be a list of at most %d values", what, k, max);
    for (int64_t i = 0; i < c; i++) out[i] = onnx_ci(v, i);
    *n = (int)c;
    return 0;
}

static int op_constant(onnx_imp *im)
{
    const onnx_attr *a = onnx_attr_get(im, "value");
    if (im->node->n_output != 1 || !im->node->output[0]) return onnx_fail(im, "needs one output");
    if (a && a->t) return onnx_tensor_value(im, a->t, im->node->output[0], "value") ? 0 : -1;
    if ((a = onnx_attr_get(im, "value_float")) != NULL) {
        onnx_value *o = onnx_out(im, 0, 0, NULL, MOTE_F32);
        return o ? set_const(im, o, &a->f) : -1;
    }
    if ((a = onnx_attr_get(im, "value_int")) != NULL) {
        onnx_value *o = onnx_out(im, 0, 0, NULL, MOTE_I64);
        return o ? set_const(im, o, &a->i) : -1;
    }
    if ((a = onnx_attr_get(im, "value_ints")) != NULL) {
        int32_t n = (int32_t)a->n_ints;
        if (a->n_ints < 1 || a->n_ints > 4096) return onnx_fail(im, "value_ints must hold 1 to 4096 values");
        onnx_value *o = onnx_out(im, 0, 1, &n, MOTE_I64);
        return o ? set_const(im, o, a->ints) : -1;
    }
    return onnx_fail(im, "needs a tensor 'value' (or value_float, value_int, value_ints)");
}

static int op_identity(onnx_imp *im, int dropout)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    if (dropout && im->node->n_output > 1 && im->node->output[1] && im->node->output[1][0])
        return onnx_fail(im, "the mask output is not supported (inference only)");
    onnx_value *out = onnx_out(im, 0, in->rank, in->dims, in->dtype);
    return out ? onnx_alias(im, out, in) : -1;
}

static int op_shape(onnx_imp *im)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    int64_t start, end;
    if (onnx_attr_i(im, "start", 0, &start) || onnx_attr_i(im, "end", in->rank, &end)) return -1;
    if (start < 0) start += in->rank;
    if (end < 0) end += in->rank;
    start = start < 0 ? 0 : start > in->rank ? in->rank : start;
    end = end < start ? start : end > in->rank ? in->rank : end;
    int64_t d[MOTE_MAX_DIMS];
    int32_t n = (int32_t)(end - start);
    for (int i = 0; i < n; i++) d[i] = in->dims[start + i];
    if (n == 0) return onnx_fail(im, "empty shape slice");
    onnx_value *out = onnx_out(im, 0, 1, &n, MOTE_I64);
    return out ? set_const(im, out, d) : -1;
}

static int op_gather(onnx_imp *im)
{
    onnx_value *data = onnx_in(im, 0), *idx = data ? onnx_in(im, 1) : NULL;
    if (!idx) return -1;
    if (!data->cdata || !idx->cdata || idx->dtype != MOTE_I64)
        return onnx_fail(im, "supported only on constants (shape arithmetic) with int64 indices");
    int64_t ax;
    if (onnx_attr_i(im, "axis", 0, &ax)) return -1;
    int axis = onnx_axis(im, ax, data->rank, "axis");
    if (axis < 0) return -1;
    int rank = data->rank - 1 + idx->rank;
    if (rank > MOTE_MAX_DIMS) return onnx_fail(im, "result rank %d too large", rank);
    int32_t dims[MOTE_MAX_DIMS];
    int r = 0;
    for (int i = 0; i < axis; i++) dims[r++] = data->dims[i];
    for (int i = 0; i < idx->rank; i++) dims[r++] = idx->dims[i];
    for (int i = axis + 1; i < data->rank; i++) dims[r++] = data->dims[i];
    if (onnx_elems(rank, dims) > ONNX_MAX_FOLD) return onnx_fail(im, "constant too large to compute at import");
    int64_t outer = onnx_elems(axis, data->dims), inner = onnx_elems(data->rank - axis - 1, data->dims + axis + 1);
    int64_t ni = onnx_elems(idx->rank, idx->dims), n = data->dims[axis];
    size_t es = esize(data);
    char *buf = malloc((size_t)(outer * ni * inner) * es + 1);
    if (!buf) return onnx_fail(im, "out of memory");
    char *p = buf;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ni; j++) {
            int64_t k = onnx_ci(idx, j);
            if (k < 0) k += n;
            if (k < 0 || k >= n) {
                free(buf);
                return onnx_fail(im, "index %lld out of range for dimension %lld", (long long)onnx_ci(idx, j), (long long)n);
            }
            memcpy(p, (char *)data->cdata + (size_t)((o * n + k) * inner) * es, (size_t)inner * es);
            p += (size_t)inner * es;
        }
    onnx_value *out = onnx_out(im, 0, rank, dims, data->dtype);
    int rc = out ? set_const(im, out, buf) : -1;
    free(buf);
    return rc;
}

static int op_constant_of_shape(onnx_imp *im)
{
    int64_t sh[MOTE_MAX_DIMS];
    int n;
    if (const_ints(im, 0, sh, MOTE_MAX_DIMS, &n, "shape")) return -1;
    int32_t dims[MOTE_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        if (sh[i] < 1 || sh[i] > ONNX_MAX_ELEMS) return onnx_fail(im, "shape value %lld not supported", (long long)sh[i]);
        dims[i] = (int32_t)sh[i];
    }
    const onnx_attr *a = onnx_attr_get(im, "value");
    uint8_t dt = MOTE_F32;
    double val = 0;
    if (a) {
        if (!a->t) return onnx_fail(im, "attribute 'value' must be a tensor");
        onnx_value *c = onnx_tensor_value(im, a->t, "\x01value", "value");
        if (!c) return -1;
        if (onnx_elems(c->rank, c->dims) != 1) return onnx_fail(im, "attribute 'value' must hold one element");
        dt = c->dtype;
        val = dt == MOTE_I64 ? (double)onnx_ci(c, 0) : (double)onnx_cf(c, 0);
        free(c->name); /* a scratch value: drop it again */
        free(c->cdata);
        free(c);
        im->nv--;
    }
    if (onnx_elems(n, dims) > ONNX_MAX_FOLD) return onnx_fail(im, "constant too large to compute at import");
    onnx_value *out = onnx_out(im, 0, n, dims, dt);
    if (!out) return -1;
    int64_t cnt = onnx_elems(n, dims);
    if (!(out->cdata = malloc((size_t)cnt * esize(out) + 1))) return onnx_fail(im, "out of memory");
    for (int64_t i = 0; i < cnt; i++) {
        if (dt == MOTE_I64) ((int64_t *)out->cdata)[i] = (int64_t)val;
        else ((float *)out->cdata)[i] = (float)val;
    }
    return 0;
}

static int op_cast(onnx_imp *im)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    int64_t to;
    if (onnx_attr_i(im, "to", 0, &to)) return -1;
    uint8_t dt = to == 1 ? MOTE_F32 : (to == 7 || to == 6) ? MOTE_I64 : 255;
    if (dt == 255) return onnx_fail(im, "cast to data type %lld not supported", (long long)to);
    onnx_value *out = onnx_out(im, 0, in->rank, in->dims, dt);
    if (!out) return -1;
    if (dt == in->dtype) return onnx_alias(im, out, in);
    if (!in->cdata) return onnx_fail(im, "cast between float32 and int64 supported on constants only");
    int64_t n = onnx_elems(in->rank, in->dims);
    if (!(out->cdata = malloc((size_t)n * esize(out) + 1))) return onnx_fail(im, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        if (dt == MOTE_I64) {
            float f = onnx_cf(in, i);
            if (!(fabsf(f) < 9.2e18f)) return onnx_fail(im, "value %g does not fit int64", (double)f);
            ((int64_t *)out->cdata)[i] = (int64_t)f;
        } else {
            ((float *)out->cdata)[i] = (float)onnx_ci(in, i);
        }
    }
    return 0;
}

static int op_reshape(onnx_imp *im)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    int64_t sh[MOTE_MAX_DIMS + 1];
    int n;
    if (im->opset < 5) {
        if (onnx_attr_ints(im, "shape", sh, MOTE_MAX_DIMS, &n)) return -1;
        if (n < 0) return onnx_fail(im, "attribute 'shape' missing");
    } else if (const_ints(im, 1, sh, MOTE_MAX_DIMS, &n, "shape")) {
        return -1;
    }
    int64_t allowzero;
    if (onnx_attr_i(im, "allowzero", 0, &allowzero)) return -1;
    int32_t dims[MOTE_MAX_DIMS];
    int infer = -1;
    int64_t known = 1, total = onnx_elems(in->rank, in->dims);
    for (int i = 0; i < n; i++) {
        int64_t d = sh[i];
        if (d == 0 && !allowzero) {
            if (i >= in->rank) return onnx_fail(im, "shape value 0 at %d copies a dimension the input lacks", i);
            d = in->dims[i];
        }
        if (d == -1) {
            if (infer >= 0) return onnx_fail(im, "more than one -1 in the shape");
            infer = i;
            continue;
        }
        if (d < 1 || d > ONNX_MAX_ELEMS) return onnx_fail(im, "shape value %lld not supported", (long long)sh[i]);
        dims[i] = (int32_t)d;
        known *= d;
        if (known > ONNX_MAX_ELEMS) return onnx_fail(im, "shape too large");
    }
    if (infer >= 0) {
        if (total % known) return onnx_fail(im, "cannot infer -1: %lld elements by %lld", (long long)total, (long long)known);
        dims[infer] = (int32_t)(total / known);
    }
    return reshape_to(im, in, n, dims);
}

static int op_flatten(onnx_imp *im)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    int64_t ax;
    if (onnx_attr_i(im, "axis", 1, &ax)) return -1;
    if (ax < -in->rank || ax > in->rank) return onnx_fail(im, "axis %lld out of range", (long long)ax);
    if (ax < 0) ax += in->rank;
    int32_t dims[2] = {(int32_t)onnx_elems((int)ax, in->dims), (int32_t)onnx_elems(in->rank - (int)ax, in->dims + ax)};
    return reshape_to(im, in, 2, dims);
}

/* Squeeze / Unsqueeze: axes as attribute (opset < 13) or input 1. */
static int op_squeeze(onnx_imp *im, int un)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    int64_t axes[MOTE_MAX_DIMS];
    int n = -1;
    if (im->opset >= 13) {
        if (onnx_has_in(im, 1) && const_ints(im, 1, axes, MOTE_MAX_DIMS, &n, "axes")) return -1;
    } else if (onnx_attr_ints(im, "axes", axes, MOTE_MAX_DIMS, &n)) {
        return -1;
    }
    int32_t dims[MOTE_MAX_DIMS];
    unsigned mark = 0;
    int rank = un ? in->rank + (n > 0 ? n : 0) : in->rank;
    if (un && n < 1) return onnx_fail(im, "axes missing");
    if (rank > MOTE_MAX_DIMS) return onnx_fail(im, "result rank %d too large", rank);
    for (int i = 0; i < n; i++) {
        int a = onnx_axis(im, axes[i], rank, "axis");
        if (a < 0) return -1;
        if (mark & (1u << a)) return onnx_fail(im, "axis %d repeated", a);
        if (!un && in->dims[a] != 1) return onnx_fail(im, "axis %d has size %d, not 1", a, in->dims[a]);
        mark |= 1u << a;
    }
    int r = 0;
    if (un) {
        for (int i = 0, j = 0; i < rank; i++) dims[r++] = (mark & (1u << i)) ? 1 : in->dims[j++];
    } else {
        for (int i = 0; i < in->rank; i++)
            if (!(n < 0 ? in->dims[i] == 1 : (mark >> i) & 1)) dims[r++] = in->dims[i];
    }
    return reshape_to(im, in, r, dims);
}

static int op_transpose(onnx_imp *im)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    int64_t p64[MOTE_MAX_DIMS];
    int n, perm[MOTE_MAX_DIMS];
    if (onnx_attr_ints(im, "perm", p64, MOTE_MAX_DIMS, &n)) return -1;
    if (n < 0) {
        n = in->rank;
        for (int i = 0; i < n; i++) p64[i] = n - 1 - i;
    }
    if (n != in->rank) return onnx_fail(im, "perm has %d values for rank %d", n, in->rank);
    unsigned seen = 0;
    int32_t dims[MOTE_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        if (p64[i] < 0 || p64[i] >= n || (seen & (1u << p64[i]))) return onnx_fail(im, "perm is not a permutation");
        seen |= 1u << p64[i];
        perm[i] = (int)p64[i];
        dims[i] = in->dims[perm[i]];
    }
    onnx_value *out = onnx_out(im, 0, n, dims, in->dtype);
    if (!out) return -1;
    if (in->cdata) {
        if (!(out->cdata = malloc((size_t)onnx_elems(n, dims) * esize(in) + 1))) return onnx_fail(im, "out of memory");
        onnx_permute(in->cdata, out->cdata, esize(in), n, in->dims, perm);
        return 0;
    }
    if (in->dtype != MOTE_F32) return onnx_fail(im, "int64 tensors are supported as constants only");
    /* from the NHWC copy when there is one: compose the permutations */
    int32_t src = in->plain;
    if (src < 0 && in->nhwc >= 0) {
        src = in->nhwc;
        for (int i = 0; i < n; i++) perm[i] = NHWC_POS[perm[i]];
    }
    if (src < 0 && (src = onnx_plain(im, in)) < 0) return -1;
    int ident = 1;
    for (int i = 0; i < n; i++) ident &= perm[i] == i;
    if (ident) {
        out->plain = src;
        return 0;
    }
    int32_t p32[MOTE_MAX_DIMS], rk = n;
    for (int i = 0; i < n; i++) p32[i] = perm[i];
    int32_t pt = mote_irb_const(&im->b, "perm", MOTE_I32, 1, &rk, p32);
    if (pt < 0) return onnx_fail(im, "%s", im->berr);
    int32_t ins[2] = {src, pt}, dst = onnx_act(im, out, 0);
    mote_opts o = mote_irb_opts();
    return dst < 0 || onnx_emit(im, MOTE_OP_TRANSPOSE, ins, 2, dst, &o) < 0 ? -1 : 0;
}

static int op_concat(onnx_imp *im)
{
    int k = (int)im->node->n_input;
    onnx_value *in[64];
    int all_const = 1, any_nhwc = 0;
    if (k < 1) return onnx_fail(im, "needs inputs");
    for (int i = 0; i < k; i++) {
        if (!(in[i] = onnx_in(im, i))) return -1;
        all_const &= in[i]->cdata != NULL;
        any_nhwc |= in[i]->nhwc >= 0;
    }
    int64_t ax;
    if (onnx_attr_i(im, "axis", 0, &ax)) return -1;
    int axis = onnx_axis(im, ax, in[0]->rank, "axis");
    if (axis < 0) return -1;
    int32_t dims[MOTE_MAX_DIMS];
    memcpy(dims, in[0]->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < k; i++) {
        if (in[i]->rank != in[0]->rank || in[i]->dtype != in[0]->dtype) return onnx_fail(im, "input %d rank or type differs", i);
        for (int d = 0; d < in[0]->rank; d++)
            if (d != axis && in[i]->dims[d] != in[0]->dims[d]) return onnx_fail(im, "input %d shape differs off the axis", i);
        if ((int64_t)dims[axis] + in[i]->dims[axis] > ONNX_MAX_ELEMS) return onnx_fail(im, "too large");
        dims[axis] += in[i]->dims[axis];
    }
    onnx_value *out = onnx_out(im, 0, in[0]->rank, dims, in[0]->dtype);
    if (!out) return -1;
    size_t es = esize(out);
    if (all_const) {
        int64_t outer = onnx_elems(axis, dims), inner = onnx_elems(out->rank - axis - 1, dims + axis + 1);
        if (!(out->cdata = malloc((size_t)onnx_elems(out->rank, dims) * es + 1))) return onnx_fail(im, "out of memory");
        char *p = out->cdata;
        for (int64_t o = 0; o < outer; o++)
            for (int i = 0; i < k; i++) {
                size_t len = (size_t)(in[i]->dims[axis] * inner) * es;
                memcpy(p, (char *)in[i]->cdata + (size_t)o * len, len);
                p += len;
            }
        return 0;
    }
    if (out->dtype != MOTE_F32) return onnx_fail(im, "int64 tensors are supported as constants only");
    int nhwc = out->rank == 4 && any_nhwc;
    int32_t ins[64];
    for (int i = 0; i < k; i++)
        if ((ins[i] = nhwc ? onnx_nhwc(im, in[i]) : onnx_plain(im, in[i])) < 0) return -1;
    mote_opts o = mote_irb_opts();
    o.axis = nhwc ? NHWC_POS[axis] : axis;
    int32_t dst = onnx_act(im, out, nhwc);
    return dst < 0 || onnx_emit(im, MOTE_OP_CONCATENATION, ins, k, dst, &o) < 0 ? -1 : 0;
}

/* Slice on constants (opset >= 10 inputs, or the attributes before). */
static int op_slice(onnx_imp *im)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    if (!in->cdata) return onnx_fail(im, "supported only on constants");
    int64_t st[MOTE_MAX_DIMS], en[MOTE_MAX_DIMS], ax[MOTE_MAX_DIMS], sp[MOTE_MAX_DIMS];
    int ns, ne, na = -1, np = -1;
    if (im->opset < 10) {
        if (onnx_attr_ints(im, "starts", st, MOTE_MAX_DIMS, &ns) || onnx_attr_ints(im, "ends", en, MOTE_MAX_DIMS, &ne) ||
            onnx_attr_ints(im, "axes", ax, MOTE_MAX_DIMS, &na))
            return -1;
    } else {
        if (const_ints(im, 1, st, MOTE_MAX_DIMS, &ns, "starts") || const_ints(im, 2, en, MOTE_MAX_DIMS, &ne, "ends")) return -1;
        if (onnx_has_in(im, 3) && const_ints(im, 3, ax, MOTE_MAX_DIMS, &na, "axes")) return -1;
        if (onnx_has_in(im, 4) && const_ints(im, 4, sp, MOTE_MAX_DIMS, &np, "steps")) return -1;
    }
    if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (np >= 0 && np != ns))
        return onnx_fail(im, "starts, ends, axes and steps differ in length");
    int64_t b[MOTE_MAX_DIMS], step[MOTE_MAX_DIMS];
    int32_t dims[MOTE_MAX_DIMS];
    for (int d = 0; d < in->rank; d++) b[d] = 0, step[d] = 1, dims[d] = in->dims[d];
    for (int i = 0; i < ns; i++) {
        int a = onnx_axis(im, na >= 0 ? ax[i] : i, in->rank, "axis");
        if (a < 0) return -1;
        int64_t s = np >= 0 ? sp[i] : 1, n = in->dims[a], lo = st[i], hi = en[i];
        if (s == 0) return onnx_fail(im, "step 0");
        if (lo < 0) lo += n;
        if (hi < 0) hi += n;
        if (s > 0) {
            lo = lo < 0 ? 0 : lo > n ? n : lo;
            hi = hi < 0 ? 0 : hi > n ? n : hi;
        } else {
            lo = lo < -1 ? -1 : lo > n - 1 ? n - 1 : lo;
            hi = hi < -1 ? -1 : hi > n - 1 ? n - 1 : hi;
        }
        int64_t cnt = s > 0 ? (hi - lo + s - 1) / s : (lo - hi + (-s) - 1) / (-s);
        if (cnt < 1) return onnx_fail(im, "empty slice on axis %d", a);
        b[a] = lo;
        step[a] = s;
        dims[a] = (int32_t)cnt;
    }
    onnx_value *out = onnx_out(im, 0, in->rank, dims, in->dtype);
    if (!out) return -1;
    int64_t n = onnx_elems(in->rank, dims), stride[MOTE_MAX_DIMS], s = 1;
    for (int d = in->rank - 1; d >= 0; d--) stride[d] = s, s *= in->dims[d];
    size_t es = esize(in);
    if (!(out->cdata = malloc((size_t)n * es + 1))) return onnx_fail(im, "out of memory");
    for (int64_t k = 0; k < n; k++) {
        int64_t rem = k, off = 0;
        for (int d = in->rank - 1; d >= 0; d--) {
            off += (b[d] + (rem % dims[d]) * step[d]) * stride[d];
            rem /= dims[d];
        }
        memcpy((char *)out->cdata + k * (int64_t)es, (char *)in->cdata + off * (int64_t)es, es);
    }
    return 0;
}

/* Expand of a constant (the zero initial states exporters build for LSTM): numpy broadcast of
 * the data and the shape input. */
static int op_expand(onnx_imp *im)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    if (!in->cdata) return onnx_fail(im, "supported only on constants");
    int64_t sh[MOTE_MAX_DIMS];
    int n;
    if (const_ints(im, 1, sh, MOTE_MAX_DIMS, &n, "shape")) return -1;
    int r = n > in->rank ? n : in->rank;
    int32_t dims[MOTE_MAX_DIMS];
    for (int i = 0; i < r; i++) {
        int is = i - (r - n), ii = i - (r - in->rank);
        int64_t a = is >= 0 ? sh[is] : 1, b = ii >= 0 ? in->dims[ii] : 1;
        if (a < 1 || a > ONNX_MAX_ELEMS || (a != b && a != 1 && b != 1))
            return onnx_fail(im, "shape does not broadcast with the input");
        dims[i] = (int32_t)(a > b ? a : b);
    }
    if (onnx_elems(r, dims) > ONNX_MAX_FOLD) return onnx_fail(im, "constant too large to compute at import");
    onnx_value *out = onnx_out(im, 0, r, dims, in->dtype);
    if (!out) return -1;
    int64_t total = onnx_elems(r, dims);
    size_t es = esize(in);
    if (!(out->cdata = malloc((size_t)total * es + 1))) return onnx_fail(im, "out of memory");
    for (int64_t k = 0; k < total; k++) {
        int64_t rem = k, off = 0, stride = 1;
        for (int i = r - 1; i >= 0; i--) {
            int64_t idx = rem % dims[i];
            rem /= dims[i];
            int ii = i - (r - in->rank);
            if (ii >= 0) {
                if (in->dims[ii] != 1) off += idx * stride;
                stride *= in->dims[ii];
            }
        }
        memcpy((char *)out->cdata + k * (int64_t)es, (char *)in->cdata + off * (int64_t)es, es);
    }
    return 0;
}

static int op_pad(onnx_imp *im)
{
    onnx_value *in = onnx_in(im, 0);
    if (!in) return -1;
    char mode[32];
    if (onnx_attr_s(im, "mode", "constant", mode, sizeof mode)) return -1;
    if (strcmp(mode, "constant")) return onnx_fail(im, "mode '%s' not supported (constant only)", mode);
    int64_t pads[2 * MOTE_MAX_DIMS];
    int n;
    float value = 0;
    if (im->opset < 11) {
        if (onnx_attr_ints(im, "pads", pads, 2 * MOTE_MAX_DIMS, &n) || onnx_attr_f(im, "value", 0, &value)) return -1;
    } else {
        if (const_ints(im, 1, pads, 2 * MOTE_MAX_DIMS, &n, "pads")) return -1;
        if (onnx_has_in(im, 2)) {
            onnx_value *c = onnx_in(im, 2);
            if (!c) return -1;
            if (!c->cdata || c->dtype != MOTE_F32 || onnx_elems(c->rank, c->dims) != 1)
                return onnx_fail(im, "constant_value must be one constant float");
            value = onnx_cf(c, 0);
        }
        if (onnx_has_in(im, 3)) return onnx_fail(im, "the axes input is not supported");
    }
    if (n != 2 * in->rank) return onnx_fail(im, "pads has %d values for rank %d", n, in->rank);
    int32_t dims[MOTE_MAX_DIMS];
    for (int d = 0; d < in->rank; d++) {
        if (pads[d] < 0 || pads[d + in->rank] < 0 || pads[d] > 65536 || pads[d + in->rank] > 65536)
            return onnx_fail(im, "pads must be 0 to 65536 (cropping is not supported)");
        dims[d] = in->dims[d] + (int32_t)(pads[d] + pads[d + in->rank]);
    }
    if (in->dtype != MOTE_F32) return onnx_fail(im, "only float32 data is padded");
    onnx_value *out = onnx_out(im, 0, in->rank, dims, MOTE_F32);
    if (!out) return -1;
    int nhwc = in->rank == 4 && in->nhwc >= 0 && !in->cdata;
    int32_t p32[2 * MOTE_MAX_DIMS], pd[2] = {in->rank, 2};
    for (int i = 0; i < in->rank; i++) {
        int a = nhwc ? (int)((const int[]){0, 2, 3, 1})[i] : i;
        p32[2 * i] = (int32_t)pads[a];
        p32[2 * i + 1] = (int32_t)pads[a + in->rank];
    }
    int32_t ins[3];
    ins[0] = nhwc ? onnx_nhwc(im, in) : onnx_plain(im, in);
    ins[1] = mote_irb_const(&im->b, "paddings", MOTE_I32, 2, pd, p32);
    int one = 1;
    ins[2] = value != 0.0f ? onnx_const_f(im, "/pad_value", 1, &one, &value) : -1;
    if (ins[0] < 0 || ins[1] < 0 || (value != 0.0f && ins[2] < 0)) return onnx_fail(im, "%s", im->berr);
    mote_opts o = mote_irb_opts();
    int32_t dst = onnx_act(im, out, nhwc);
    return dst < 0 || onnx_emit(im, MOTE_OP_PAD, ins, value != 0.0f ? 3 : 2, dst, &o) < 0 ? -1 : 0;
}

int onnx_op_tensor(onnx_imp *im, const char *op)
{
    if (!strcmp(op, "Constant")) return op_constant(im) ? -1 : 1;
    if (!strcmp(op, "Identity")) return op_identity(im, 0) ? -1 : 1;
    if (!strcmp(op, "Dropout")) return op_identity(im, 1) ? -1 : 1;
    if (!strcmp(op, "Shape")) return op_shape(im) ? -1 : 1;
    if (!strcmp(op, "Gather")) return op_gather(im) ? -1 : 1;
    if (!strcmp(op, "ConstantOfShape")) return op_constant_of_shape(im) ? -1 : 1;
    if (!strcmp(op, "Cast")) return op_cast(im) ? -1 : 1;
    if (!strcmp(op, "Reshape")) return op_reshape(im) ? -1 : 1;
    if (!strcmp(op, "Flatten")) return op_flatten(im) ? -1 : 1;
    if (!strcmp(op, "Squeeze")) return op_squeeze(im, 0) ? -1 : 1;
    if (!strcmp(op, "Unsqueeze")) return op_squeeze(im, 1) ? -1 : 1;
    if (!strcmp(op, "Transpose")) return op_transpose(im) ? -1 : 1;
    if (!strcmp(op, "Concat")) return op_concat(im) ? -1 : 1;
    if (!strcmp(op, "Slice")) return op_slice(im) ? -1 : 1;
    if (!strcmp(op, "Pad")) return op_pad(im) ? -1 : 1;
    if (!strcmp(op, "Expand")) return op_expand(im) ? -1 : 1;
    return 0;
}
