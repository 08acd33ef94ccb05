/* Element-wise nodes: Add, Sub, Mul, Div (numpy broadcasting; on constants
 * computed on the host), Relu, Clip, LeakyRelu, Sigmoid, Tanh, Softmax.
 * Activations fold into the op that made their input when that op takes a
 * fused activation and nothing else reads the value (as TFLite converters
 * do); otherwise they become MAXIMUM/MINIMUM with constants. Sub is ADD of
 * the negation and LeakyRelu max(x,0) + alpha*min(x,0): both exact in IEEE
 * float, and on kernels the runtime has. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

static const int TO_NHWC[4] = {0, 2, 3, 1};

/* Right-aligned broadcast of two shapes into out; 0 when they do not broadcast. */
static int bcast_shape(const onnx_value *a, const onnx_value *b, int *rank, int32_t *out)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int32_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) return 0;
        out[i] = da == 1 ? db : da;
    }
    *rank = r;
    return 1;
}

/* Element offset in v of output index k of a broadcast over rank r, dims d. */
static int64_t bcast_off(const onnx_value *v, int r, const int32_t *d, int64_t k)
{
    int64_t off = 0, stride = 1;
    for (int i = r - 1; i >= 0; i--) {
        int64_t idx = k % d[i];
        k /= d[i];
        int iv = i - (r - v->rank);
        if (iv >= 0) {
            if (v->dims[iv] != 1) off += idx * stride;
            stride *= v->dims[iv];
        }
    }
    return off;
}

static int fold_binary(onnx_imp *im, char op, onnx_value *a, onnx_value *b, onnx_value *out)
{
    int64_t n = onnx_elems(out->rank, out->dims);
    if (n > ONNX_MAX_FOLD) return onnx_fail(im, "constant too large to compute at import");
    int f = out->dtype == MOTE_F32;
    if (!(out->cdata = malloc((size_t)n * (f ? 4 : 8) + 1))) return onnx_fail(im, "out of memory");
    for (int64_t k = 0; k < n; k++) {
        int64_t ia = bcast_off(a, out->rank, out->dims, k), ib = bcast_off(b, out->rank, out->dims, k);
        if (f) {
            float x = onnx_cf(a, ia), y = onnx_cf(b, ib);
            ((float *)out->cdata)[k] = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
        } else {
            int64_t x = onnx_ci(a, ia), y = onnx_ci(b, ib);
            if (op == '/' && (y == 0 || (x == INT64_MIN && y == -1))) return onnx_fail(im, "integer division by zero");
            uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
            ((int64_t *)out->cdata)[k] = op == '+' ? (int64_t)(ux + uy) : op == '-' ? (int64_t)(ux - uy)
                                         : op == '*' ? (int64_t)(ux * uy) : x / y;
        }
    }
    return 0;
}

/* A constant operand as a tensor for a broadcast of rank r, in NHWC when nhwc (r == 4). */
static int32_t bcast_const(onnx_imp *im, const onnx_value *c, int r, int nhwc, float scale, const char *suffix)
{
    int32_t d[MOTE_MAX_DIMS], dn[MOTE_MAX_DIMS];
    int64_t n = onnx_elems(c->rank, c->dims);
    float *tmp = malloc((size_t)n * 4 * 2 + 4);
    if (!tmp) return onnx_fail(im, "out of memory");
    for (int i = 0; i < r; i++) {
        int ic = i - (r - c->rank);
        d[i] = ic >= 0 ? c->dims[ic] : 1;
    }
    for (int64_t i = 0; i < n; i++) tmp[i] = onnx_cf(c, i) * scale;
    float *data = tmp;
    if (nhwc) {
        onnx_permute(tmp, tmp + n, 4, 4, d, TO_NHWC);
        for (int i = 0; i < 4; i++) dn[i] = d[TO_NHWC[i]];
        memcpy(d, dn, sizeof dn[0] * 4);
        data = tmp + n;
    }
    int32_t t = onnx_const_f(im, suffix, r, d, data);
    free(tmp);
    return t < 0 ? onnx_fail(im, "%s", im->berr) : t;
}

/* A runtime operand for a broadcast of rank r in the given layout. */
static int32_t bcast_act(onnx_imp *im, onnx_value *v, int r, int nhwc)
{
    if (!nhwc) return onnx_plain(im, v);
    if (v->rank == 4) return onnx_nhwc(im, v);
    /* lower rank: right-align to 4-D as ONNX broadcasts, then to NHWC */
    int32_t d[4];
    for (int i = 0; i < 4; i++) d[i] = i - (r - v->rank) >= 0 ? v->dims[i - (r - v->rank)] : 1;
    char nm[300];
    snprintf(nm, sizeof nm, "%s/as4d", v->name);
    onnx_value *t = onnx_find(im, nm);
    if (!t) {
        int32_t src = onnx_plain(im, v);
        if (src < 0) return -1;
        if (!(t = onnx_define(im, nm, 4, d, MOTE_F32))) return -1;
        int32_t dst = onnx_act(im, t, 0);
        mote_opts o = mote_irb_opts();
        if (dst < 0 || onnx_emit(im, MOTE_OP_RESHAPE, &src, 1, dst, &o) < 0) return -1;
    }
    return onnx_nhwc(im, t);
}

/* x + c where x is a fully connected op's output read by nothing else and c a constant along x's
 * last dimension (MatMul + Add, as exporters write a linear layer on 3-D input): c joins the bias. */
static int fold_bias(onnx_imp *im, onnx_value *x, const onnx_value *c, onnx_value *out)
{
    if (!c->cdata || x->cdata || x->plain < 0 || x->nhwc >= 0 || x->rank < 1) return 0;
    int32_t units = x->dims[x->rank - 1];
    if (c->rank > x->rank || onnx_elems(c->rank, c->dims) != units || (c->rank && c->dims[c->rank - 1] != units))
        return 0;
    int32_t p = onnx_producer(im, x->plain);
    if (p < 0 || onnx_uses(im, x->name) != 1 || onnx_tensor_refs(im, x->plain) != 1) return 0;
    mote_ir_op *po = &im->g->ops[p];
    if (po->op != MOTE_OP_FULLY_CONNECTED || po->opts.activation != MOTE_ACT_NONE || po->n_in != 3 || po->io[2] < 0)
        return 0;
    float *bias = (float *)im->g->tensors[po->io[2]].t.data; /* the importer's own copy */
    for (int32_t n = 0; n < units; n++) bias[n] += onnx_cf(c, n);
    out->plain = x->plain;
    x->plain = -1;
    return 1;
}

static int op_binary(onnx_imp *im, char op)
{
    onnx_value *a = onnx_in(im, 0), *b = a ? onnx_in(im, 1) : NULL;
    if (!b) return -1;
    if (a->dtype != b->dtype) return onnx_fail(im, "input dtypes differ");
    int r;
    int32_t dims[MOTE_MAX_DIMS];
    if (!bcast_shape(a, b, &r, dims)) return onnx_fail(im, "input shapes do not broadcast");
    onnx_value *out = onnx_out(im, 0, r, dims, a->dtype);
    if (!out) return -1;
    if (a->cdata && b->cdata) return fold_binary(im, op, a, b, out);
    if (a->dtype != MOTE_F32) return onnx_fail(im, "int64 arithmetic is supported on constants only");
    if (op == '+' && fold_bias(im, a->cdata ? b : a, a->cdata ? a : b, out)) return 0;
    /* NHWC when an activation operand already is (an image), else ONNX order */
    int nhwc = r == 4 && ((!a->cdata && a->nhwc >= 0) || (!b->cdata && b->nhwc >= 0));
    int32_t x, y;
    mote_opts o = mote_irb_opts();
    if (a->cdata) x = bcast_const(im, a, r, nhwc, 1.0f, "/a");
    else x = bcast_act(im, a, r, nhwc);
    if (b->cdata) y = bcast_const(im, b, r, nhwc, op == '-' ? -1.0f : 1.0f, "/b");
    else {
        y = bcast_act(im, b, r, nhwc);
        if (y >= 0 && op == '-') { /* a - b == a + (-b) exactly: negate b */
            int one = 1;
            float m1 = -1.0f;
            int32_t c = onnx_const_f(im, "/minus_one", 1, &one, &m1);
            int32_t neg = c < 0 ? -1 : onnx_like(im, y, "neg");
            int32_t in2[2] = {y, c};
            if (c < 0 || neg < 0 || onnx_emit(im, MOTE_OP_MUL, in2, 2, neg, &o) < 0) return onnx_fail(im, "%s", im->berr);
            y = neg;
        }
    }
    if (x < 0 || y < 0) return -1;
    int32_t dst = onnx_act(im, out, nhwc);
    int32_t in2[2] = {x, y};
    mote_op mop = op == '*' ? MOTE_OP_MUL : op == '/' ? MOTE_OP_DIV : MOTE_OP_ADD;
    return dst < 0 || onnx_emit(im, mop, in2, 2, dst, &o) < 0 ? -1 : 0;
}

static int takes_activation(mote_op op)
{
    return op == MOTE_OP_CONV_2D || op == MOTE_OP_DEPTHWISE_CONV_2D || op == MOTE_OP_FULLY_CONNECTED ||
           op == MOTE_OP_ADD || op == MOTE_OP_AVERAGE_POOL_2D || op == MOTE_OP_MAX_POOL_2D;
}

/* Clamp of x to [lo, hi] (either may be +-inf). Fused into the producer when it maps to
 * RELU / RELU6 / RELU_N1_TO_1 and the producer's output has no other reader. */
static int clamp(onnx_imp *im, onnx_value *x, float lo, float hi)
{
    onnx_value *out = onnx_out(im, 0, x->rank, x->dims, MOTE_F32);
    if (!out) return -1;
    if (x->dtype != MOTE_F32) return onnx_fail(im, "input must be float32");
    if (x->cdata) {
        int64_t n = onnx_elems(x->rank, x->dims);
        if (!(out->cdata = malloc((size_t)n * 4 + 1))) return onnx_fail(im, "out of memory");
        for (int64_t i = 0; i < n; i++) {
            float v = onnx_cf(x, i);
            ((float *)out->cdata)[i] = v < lo ? lo : v > hi ? hi : v;
        }
        return 0;
    }
    int nhwc = 0;
    int32_t src = onnx_any(im, x, &nhwc);
    if (src < 0) return -1;
    int32_t p = (x->nhwc >= 0) + (x->plain >= 0) == 1 ? onnx_producer(im, src) : -1;
    if (p >= 0 && onnx_uses(im, x->name) == 1 && onnx_tensor_refs(im, src) == 1) {
        mote_ir_op *po = &im->g->ops[p];
        int act = po->opts.activation;
        /* clamp of a clamp: the tighter bounds */
        float plo = act == MOTE_ACT_RELU || act == MOTE_ACT_RELU6 ? 0.0f : act == MOTE_ACT_RELU_N1_TO_1 ? -1.0f : -INFINITY;
        float phi = act == MOTE_ACT_RELU6 ? 6.0f : act == MOTE_ACT_RELU_N1_TO_1 ? 1.0f : INFINITY;
        float nlo = lo > plo ? lo : plo, nhi = hi < phi ? hi : phi;
        int nact = -1;
        if (nlo == 0.0f && nhi == INFINITY) nact = MOTE_ACT_RELU;
        if (nlo == 0.0f && nhi == 6.0f) nact = MOTE_ACT_RELU6;
        if (nlo == -1.0f && nhi == 1.0f) nact = MOTE_ACT_RELU_N1_TO_1;
        if (nact >= 0 && takes_activation(po->op) && act != MOTE_ACT_TANH && act != MOTE_ACT_SIGN_BIT) {
            po->opts.activation = (uint8_t)nact;
            *(nhwc ? &out->nhwc : &out->plain) = src; /* the producer now writes the clamped value */
            x->plain = x->nhwc = -1;                 /* which this node alone read */
            return 0;
        }
    }
    mote_opts o = mote_irb_opts();
    int one = 1;
    int32_t cur = src;
    for (int pass = 0; pass < 2; pass++) {
        float bound = pass == 0 ? lo : hi;
        if (isinf(bound)) continue;
        int32_t c = onnx_const_f(im, pass == 0 ? "/min" : "/max", 1, &one, &bound);
        int last = pass == 1 || isinf(hi);
        int32_t dst = last ? onnx_act(im, out, nhwc)
                           : onnx_like(im, src, "clamp_lo");
        int32_t in2[2] = {cur, c};
        if (c < 0 || dst < 0 || onnx_emit(im, pass == 0 ? MOTE_OP_MAXIMUM : MOTE_OP_MINIMUM, in2, 2, dst, &o) < 0)
            return onnx_fail(im, "%s", im->berr);
        cur = dst;
    }
    if (isinf(lo) && isinf(hi)) return onnx_alias(im, out, x);
    return 0;
}

static float clip_bound(onnx_imp *im, int k, float def, int *err)
{
    if (!onnx_has_in(im, k)) return def;
    onnx_value *c = onnx_in(im, k);
    if (!c || !c->cdata || c->dtype != MOTE_F32 || onnx_elems(c->rank, c->dims) != 1) {
        *err = 1;
        if (c) onnx_fail(im, "min and max must be constant float scalars");
        return def;
    }
    return onnx_cf(c, 0);
}

static int op_clip(onnx_imp *im)
{
    onnx_value *x = onnx_in(im, 0);
    if (!x) return -1;
    float lo = -INFINITY, hi = INFINITY;
    int err = 0;
    if (im->opset < 11) {
        if (onnx_attr_f(im, "min", -INFINITY, &lo) || onnx_attr_f(im, "max", INFINITY, &hi)) return -1;
    } else {
        lo = clip_bound(im, 1, -INFINITY, &err);
        hi = clip_bound(im, 2, INFINITY, &err);
        if (err) return -1;
    }
    if (lo > hi) return onnx_fail(im, "min %g exceeds max %g", (double)lo, (double)hi);
    return clamp(im, x, lo, hi);
}

/* A unary op with a kernel of its own (LOGISTIC, TANH), same layout out as in. */
static int unary(onnx_imp *im, mote_op op)
{
    onnx_value *x = onnx_in(im, 0);
    if (!x) return -1;
    if (x->dtype != MOTE_F32) return onnx_fail(im, "input must be float32");
    onnx_value *out = onnx_out(im, 0, x->rank, x->dims, MOTE_F32);
    if (!out) return -1;
    int nhwc = 0;
    int32_t src = onnx_any(im, x, &nhwc);
    int32_t dst = src < 0 ? -1 : onnx_act(im, out, nhwc);
    mote_opts o = mote_irb_opts();
    return dst < 0 || onnx_emit(im, op, &src, 1, dst, &o) < 0 ? -1 : 0;
}

/* LeakyRelu(x) = max(x, 0) + alpha * min(x, 0), exact for every x. */
static int op_leaky_relu(onnx_imp *im)
{
    onnx_value *x = onnx_in(im, 0);
    if (!x) return -1;
    float alpha;
    if (onnx_attr_f(im, "alpha", 0.01f, &alpha)) return -1;
    if (x->dtype != MOTE_F32 || x->cdata) return onnx_fail(im, "input must be a float32 activation");
    onnx_value *out = onnx_out(im, 0, x->rank, x->dims, MOTE_F32);
    if (!out) return -1;
    int nhwc = 0;
    int32_t src = onnx_any(im, x, &nhwc);
    if (src < 0) return -1;
    int one = 1;
    float zero = 0.0f;
    int32_t z = onnx_const_f(im, "/zero", 1, &one, &zero), a = onnx_const_f(im, "/alpha", 1, &one, &alpha);
    int32_t pos = onnx_like(im, src, "leaky_pos");
    int32_t neg = onnx_like(im, src, "leaky_neg");
    int32_t sneg = onnx_like(im, src, "leaky_scaled");
    int32_t dst = onnx_act(im, out, nhwc);
    if (z < 0 || a < 0 || pos < 0 || neg < 0 || sneg < 0 || dst < 0) return onnx_fail(im, "%s", im->berr);
    mote_opts o = mote_irb_opts();
    int32_t i1[2] = {src, z}, i2[2] = {neg, a}, i3[2] = {pos, sneg};
    if (onnx_emit(im, MOTE_OP_MAXIMUM, i1, 2, pos, &o) < 0 || onnx_emit(im, MOTE_OP_MINIMUM, i1, 2, neg, &o) < 0 ||
        onnx_emit(im, MOTE_OP_MUL, i2, 2, sneg, &o) < 0 || onnx_emit(im, MOTE_OP_ADD, i3, 2, dst, &o) < 0)
        return -1;
    return 0;
}

/* Softmax over the trailing `inner` elements of x in ONNX order: SOFTMAX normalizes the last
 * dimension, so other shapes go through a 2-D RESHAPE and back. */
static int softmax_rows(onnx_imp *im, onnx_value *x, onnx_value *out, int32_t inner)
{
    mote_opts o = mote_irb_opts();
    int32_t src = onnx_plain(im, x);
    if (src < 0) return -1;
    if (x->dims[x->rank - 1] == inner) {
        int32_t dst = onnx_act(im, out, 0);
        return dst < 0 || onnx_emit(im, MOTE_OP_SOFTMAX, &src, 1, dst, &o) < 0 ? -1 : 0;
    }
    int32_t d2[2] = {(int32_t)(onnx_elems(x->rank, x->dims) / inner), inner};
    int32_t a = mote_irb_tensor(&im->b, "softmax_in", MOTE_F32, 2, d2);
    int32_t c = a < 0 ? -1 : mote_irb_tensor(&im->b, "softmax_out", MOTE_F32, 2, d2);
    if (a < 0 || c < 0) return onnx_fail(im, "%s", im->berr);
    int32_t dst = onnx_act(im, out, 0);
    return dst < 0 || onnx_emit(im, MOTE_OP_RESHAPE, &src, 1, a, &o) < 0 || onnx_emit(im, MOTE_OP_SOFTMAX, &a, 1, c, &o) < 0 ||
                   onnx_emit(im, MOTE_OP_RESHAPE, &c, 1, dst, &o) < 0
               ? -1
               : 0;
}

static int op_softmax(onnx_imp *im)
{
    onnx_value *x = onnx_in(im, 0);
    if (!x) return -1;
    int64_t ax;
    if (onnx_attr_i(im, "axis", im->opset >= 13 ? -1 : 1, &ax)) return -1;
    int axis = onnx_axis(im, ax, x->rank, "axis");
    if (axis < 0) return -1;
    if (x->dtype != MOTE_F32 || x->cdata) return onnx_fail(im, "input must be a float32 activation");
    onnx_value *out = onnx_out(im, 0, x->rank, x->dims, MOTE_F32);
    if (!out) return -1;
    if (im->opset >= 13 && x->rank == 4 && axis == 1 && x->nhwc >= 0) { /* channels: last in NHWC */
        mote_opts o = mote_irb_opts();
        int32_t dst = onnx_act(im, out, 1);
        return dst < 0 || onnx_emit(im, MOTE_OP_SOFTMAX, &x->nhwc, 1, dst, &o) < 0 ? -1 : 0;
    }
    /* before opset 13 the input is read as 2-D [before axis, from axis]; from 13 the axis alone,
     * which is the same rows when every later dimension is 1 */
    int64_t inner = onnx_elems(x->rank - axis, x->dims + axis);
    if (im->opset >= 13 && inner != x->dims[axis])
        return onnx_fail(im, "softmax over axis %d of shape with later dimensions > 1 is not supported", axis);
    return softmax_rows(im, x, out, (int32_t)inner);
}

int onnx_op_elem(onnx_imp *im, const char *op)
{
    int r = 0;
    if (!strcmp(op, "Add")) r = op_binary(im, '+');
    else if (!strcmp(op, "Sub")) r = op_binary(im, '-');
    else if (!strcmp(op, "Mul")) r = op_binary(im, '*');
    else if (!strcmp(op, "Div")) r = op_binary(im, '/');
    else if (!strcmp(op, "Relu")) {
        onnx_value *x = onnx_in(im, 0);
        r = x ? clamp(im, x, 0.0f, INFINITY) : -1;
    } else if (!strcmp(op, "Clip")) r = op_clip(im);
    else if (!strcmp(op, "LeakyRelu")) r = op_leaky_relu(im);
    else if (!strcmp(op, "Sigmoid")) r = unary(im, MOTE_OP_LOGISTIC);
    else if (!strcmp(op, "Tanh")) r = unary(im, MOTE_OP_TANH);
    else if (!strcmp(op, "Softmax")) r = op_softmax(im);
    else return 0;
    return r ? -1 : 1;
}
