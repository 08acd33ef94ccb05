/* Layers: Conv (regular and depthwise), Gemm, MatMul with a constant
 * weight, BatchNormalization (folded into the conv or fully connected op
 * before it, else MUL + ADD), MaxPool, AveragePool, GlobalAveragePool.
 * Images are NHWC here: filters OIHW become OHWI (depthwise 1HWC; grouped:
 * one CONV_2D per group between a channel slice and a concatenation). ONNX's
 * explicit pads become TFLite SAME when they are what SAME computes, else
 * an explicit PAD before a VALID op. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

typedef struct {
    int32_t k[2], stride[2], dil[2];
    int64_t pb[2], pe[2]; /* pads before / after, H then W */
    int ceil;
} window;

/* kernel_shape, strides, dilations, pads, auto_pad, ceil_mode of a 2-D window op. */
static int read_window(onnx_imp *im, const onnx_value *x, window *w, int32_t kh, int32_t kw, int pool)
{
    int64_t v[8];
    int n;
    w->k[0] = kh, w->k[1] = kw;
    if (onnx_attr_ints(im, "kernel_shape", v, 8, &n)) return -1;
    if (n >= 0 && (n != 2 || (!pool && (v[0] != kh || v[1] != kw))))
        return onnx_fail(im, "kernel_shape must be 2 values%s", pool ? "" : " matching the weights");
    if (pool) {
        if (n != 2) return onnx_fail(im, "kernel_shape (2 values) is required");
        if (v[0] < 1 || v[1] < 1 || v[0] > 4096 || v[1] > 4096) return onnx_fail(im, "kernel_shape out of range");
        w->k[0] = (int32_t)v[0], w->k[1] = (int32_t)v[1];
    }
    const char *names[2] = {"strides", "dilations"};
    int32_t *dst[2] = {w->stride, w->dil};
    for (int a = 0; a < 2; a++) {
        if (onnx_attr_ints(im, names[a], v, 8, &n)) return -1;
        if (n < 0) dst[a][0] = dst[a][1] = 1;
        else if (n != 2 || v[0] < 1 || v[1] < 1 || v[0] > 4096 || v[1] > 4096)
            return onnx_fail(im, "attribute '%s' must be 2 values in 1..4096", names[a]);
        else dst[a][0] = (int32_t)v[0], dst[a][1] = (int32_t)v[1];
    }
    int64_t ceil;
    if (onnx_attr_i(im, "ceil_mode", 0, &ceil)) return -1;
    w->ceil = ceil != 0;
    char ap[32];
    if (onnx_attr_s(im, "auto_pad", "NOTSET", ap, sizeof ap)) return -1;
    if (onnx_attr_ints(im, "pads", v, 8, &n)) return -1;
    for (int d = 0; d < 2; d++) {
        int64_t in = x->dims[2 + d], ke = (int64_t)(w->k[d] - 1) * w->dil[d] + 1;
        int64_t out = (in + w->stride[d] - 1) / w->stride[d];
        int64_t total = (out - 1) * w->stride[d] + ke - in;
        if (total < 0) total = 0;
        if (!strcmp(ap, "NOTSET")) {
            if (n >= 0 && n != 4) return onnx_fail(im, "pads must be 4 values");
            w->pb[d] = n < 0 ? 0 : v[d];
            w->pe[d] = n < 0 ? 0 : v[d + 2];
        } else if (!strcmp(ap, "VALID")) {
            w->pb[d] = w->pe[d] = 0;
        } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            w->pb[d] = ap[5] == 'U' ? total / 2 : total - total / 2;
            w->pe[d] = total - w->pb[d];
        } else {
            return onnx_fail(im, "auto_pad '%s' not supported", ap);
        }
        if (w->pb[d] < 0 || w->pe[d] < 0 || w->pb[d] > 4096 || w->pe[d] > 4096)
            return onnx_fail(im, "pads must be 0 to 4096");
    }
    return 0;
}

/* Output size of dim d as ONNX computes it; -1 when the window does not fit. */
static int32_t window_out(const window *w, int32_t in, int d)
{
    int64_t span = in + w->pb[d] + w->pe[d] - ((int64_t)(w->k[d] - 1) * w->dil[d] + 1);
    if (span < 0) return -1;
    int64_t o = span / w->stride[d] + 1;
    if (w->ceil && span % w->stride[d]) {
        /* ceil mode adds a window only when it starts inside the input or left pad */
        if ((o * w->stride[d]) < in + w->pb[d]) o++;
    }
    return (int32_t)o;
}

/* 1 when the pads are what TFLite SAME pads for these sizes. */
static int is_same(const window *w, const onnx_value *x)
{
    for (int d = 0; d < 2; d++) {
        int64_t in = x->dims[2 + d], ke = (int64_t)(w->k[d] - 1) * w->dil[d] + 1;
        int64_t out = (in + w->stride[d] - 1) / w->stride[d];
        int64_t total = (out - 1) * w->stride[d] + ke - in;
        if (total < 0) total = 0;
        if (w->pb[d] != total / 2 || w->pe[d] != total - total / 2) return 0;
    }
    return 1;
}

/* The NHWC input of a window op: the input itself (pad = SAME or VALID), or
 * an explicit PAD with fill when the pads are neither. */
static int32_t window_input(onnx_imp *im, onnx_value *x, const window *w, int allow_same, float fill, uint8_t *padding)
{
    int32_t src = onnx_nhwc(im, x);
    if (src < 0) return -1;
    int zero = !w->pb[0] && !w->pb[1] && !w->pe[0] && !w->pe[1];
    if (zero) {
        *padding = MOTE_PAD_VALID;
        return src;
    }
    if (allow_same && is_same(w, x)) {
        *padding = MOTE_PAD_SAME;
        return src;
    }
    *padding = MOTE_PAD_VALID;
    int32_t p32[8] = {0, 0, (int32_t)w->pb[0], (int32_t)w->pe[0], (int32_t)w->pb[1], (int32_t)w->pe[1], 0, 0};
    int32_t pd[2] = {4, 2}, one = 1;
    int32_t d[4] = {x->dims[0], x->dims[2] + p32[2] + p32[3], x->dims[3] + p32[4] + p32[5], x->dims[1]};
    if (onnx_elems(4, d) > ONNX_MAX_ELEMS) return onnx_fail(im, "padded input too large");
    int32_t ins[3] = {src, mote_irb_const(&im->b, "paddings", MOTE_I32, 2, pd, p32),
                      fill != 0.0f ? onnx_const_f(im, "/pad_fill", 1, &one, &fill) : -1};
    int32_t dst = mote_irb_tensor(&im->b, "padded", MOTE_F32, 4, d);
    if (ins[1] < 0 || dst < 0 || (fill != 0.0f && ins[2] < 0)) return onnx_fail(im, "%s", im->berr);
    mote_opts o = mote_irb_opts();
    return onnx_emit(im, MOTE_OP_PAD, ins, fill != 0.0f ? 3 : 2, dst, &o) < 0 ? -1 : dst;
}

static onnx_value *window_output(onnx_imp *im, const onnx_value *x, const window *w, int32_t channels)
{
    int32_t oh = window_out(w, x->dims[2], 0), ow = window_out(w, x->dims[3], 1);
    if (oh < 1 || ow < 1) {
        onnx_fail(im, "window larger than the padded input");
        return NULL;
    }
    if (w->ceil) {
        window f = *w;
        f.ceil = 0;
        if (window_out(&f, x->dims[2], 0) != oh || window_out(&f, x->dims[3], 1) != ow) {
            onnx_fail(im, "ceil_mode=1 changes the output size here: not supported");
            return NULL;
        }
    }
    int32_t d[4] = {x->dims[0], channels, oh, ow};
    return onnx_out(im, 0, 4, d, MOTE_F32);
}

static onnx_value *float_const(onnx_imp *im, int k, const char *what, int need)
{
    if (!onnx_has_in(im, k)) {
        if (need) onnx_fail(im, "%s (input %d) is missing", what, k);
        return NULL;
    }
    onnx_value *v = onnx_in(im, k);
    if (!v) return NULL;
    if (!v->cdata || v->dtype != MOTE_F32) {
        onnx_fail(im, "%s (input %d) must be a float32 initializer or constant", what, k);
        return NULL;
    }
    return v;
}

/* A grouped convolution (1 < group < channels): per group a STRIDED_SLICE of its input channels
 * and a CONV_2D with its rows of the OHWI filter (contiguous), then one CONCATENATION on channels. */
static int grouped_conv(onnx_imp *im, int32_t src, onnx_value *out, int32_t G, const float *wt, const float *bias,
                        int32_t kh, int32_t kw, const mote_opts *o)
{
    int32_t in_d[4], four = 4;
    memcpy(in_d, im->g->tensors[src].t.dims, sizeof in_d);
    int32_t Cg = in_d[3] / G, Og = out->dims[1] / G;
    int32_t slice_d[4] = {in_d[0], in_d[1], in_d[2], Cg};
    int32_t conv_d[4] = {out->dims[0], out->dims[2], out->dims[3], Og}, fd[4] = {Og, kh, kw, Cg};
    int32_t parts[256];
    mote_opts so = mote_irb_opts();
    for (int32_t g = 0; g < G; g++) {
        int32_t begin[4] = {0, 0, 0, g * Cg}, end[4] = {in_d[0], in_d[1], in_d[2], (g + 1) * Cg}, step[4] = {1, 1, 1, 1};
        int32_t si[4] = {src, mote_irb_const(&im->b, "begin", MOTE_I32, 1, &four, begin),
                         mote_irb_const(&im->b, "end", MOTE_I32, 1, &four, end),
                         mote_irb_const(&im->b, "strides", MOTE_I32, 1, &four, step)};
        int32_t slice = mote_irb_tensor(&im->b, "group_in", MOTE_F32, 4, slice_d);
        int32_t ci[3] = {slice, onnx_const_f(im, "/filter", 4, fd, wt + (size_t)g * Og * kh * kw * Cg),
                         onnx_const_f(im, "/bias", 1, &Og, bias + (size_t)g * Og)};
        parts[g] = mote_irb_tensor(&im->b, "group_out", MOTE_F32, 4, conv_d);
        if (si[1] < 0 || si[2] < 0 || si[3] < 0 || slice < 0 || ci[1] < 0 || ci[2] < 0 || parts[g] < 0)
            return onnx_fail(im, "%s", im->berr);
        if (onnx_emit(im, MOTE_OP_STRIDED_SLICE, si, 4, slice, &so) < 0 ||
            onnx_emit(im, MOTE_OP_CONV_2D, ci, 3, parts[g], o) < 0)
            return -1;
    }
    so.axis = 3;
    int32_t dst = onnx_act(im, out, 1);
    return dst < 0 || onnx_emit(im, MOTE_OP_CONCATENATION, parts, G, dst, &so) < 0 ? -1 : 0;
}

static int op_conv(onnx_imp *im)
{
    onnx_value *x = onnx_in(im, 0);
    if (!x) return -1;
    onnx_value *wv = float_const(im, 1, "weights", 1);
    if (!wv) return -1;
    onnx_value *bv = onnx_has_in(im, 2) ? float_const(im, 2, "bias", 1) : NULL;
    if (onnx_has_in(im, 2) && !bv) return -1;
    if (x->rank != 4 || x->dtype != MOTE_F32 || x->cdata) return onnx_fail(im, "only 2-D convolution of a float32 NCHW activation is supported");
    if (wv->rank != 4) return onnx_fail(im, "weights must be 4-D [O, I/group, kH, kW]");
    int64_t group;
    if (onnx_attr_i(im, "group", 1, &group)) return -1;
    int32_t O = wv->dims[0], I = x->dims[1], kh = wv->dims[2], kw = wv->dims[3];
    if (group < 1 || I % group || O % group || wv->dims[1] != I / group)
        return onnx_fail(im, "weights [%d, %d, %d, %d] do not fit %d input channels in %lld groups", O, wv->dims[1], kh,
                         kw, I, (long long)group);
    int depthwise = group == I && group > 1;
    if (group > 256 && !depthwise) return onnx_fail(im, "more than 256 groups (not depthwise) are not supported");
    if (bv && onnx_elems(bv->rank, bv->dims) != O) return onnx_fail(im, "bias has %lld values for %d output channels", (long long)onnx_elems(bv->rank, bv->dims), O);
    window w;
    if (read_window(im, x, &w, kh, kw, 0)) return -1;
    if (w.ceil) return onnx_fail(im, "ceil_mode is not a Conv attribute");
    mote_opts o = mote_irb_opts();
    int32_t src = window_input(im, x, &w, 1, 0.0f, &o.padding);
    if (src < 0) return -1;
    onnx_value *out = window_output(im, x, &w, O);
    if (!out) return -1;
    /* OIHW -> OHWI (regular) or 1HWO (depthwise: I/group == 1, output channel c*m + j) */
    size_t n = (size_t)onnx_elems(4, wv->dims);
    float *wt = malloc(n * 4 + 4), *bias = calloc((size_t)O, 4);
    if (!wt || !bias) {
        free(wt), free(bias);
        return onnx_fail(im, "out of memory");
    }
    static const int OHWI[4] = {0, 2, 3, 1};
    static const int IHWO[4] = {1, 2, 3, 0};
    onnx_permute(wv->cdata, wt, 4, 4, wv->dims, depthwise ? IHWO : OHWI);
    if (bv) memcpy(bias, bv->cdata, (size_t)O * 4);
    o.stride_h = (int16_t)w.stride[0], o.stride_w = (int16_t)w.stride[1];
    o.dilation_h = (int16_t)w.dil[0], o.dilation_w = (int16_t)w.dil[1];
    if (group > 1 && !depthwise) {
        int rc = grouped_conv(im, src, out, (int32_t)group, wt, bias, kh, kw, &o);
        free(wt), free(bias);
        return rc;
    }
    int32_t wd[4] = {depthwise ? 1 : O, kh, kw, depthwise ? O : I}, bd = O;
    int32_t ins[3] = {src, onnx_const_f(im, "/filter", 4, wd, wt), onnx_const_f(im, "/bias", 1, &bd, bias)};
    free(wt), free(bias);
    if (ins[1] < 0 || ins[2] < 0) return onnx_fail(im, "%s", im->berr);
    if (depthwise) o.depth_multiplier = (int16_t)(O / I);
    int32_t dst = onnx_act(im, out, 1);
    return dst < 0 || onnx_emit(im, depthwise ? MOTE_OP_DEPTHWISE_CONV_2D : MOTE_OP_CONV_2D, ins, 3, dst, &o) < 0 ? -1 : 0;
}

/* FULLY_CONNECTED of a with weights w [N, K] (row-major, taken over) and bias [N]. */
static int fully_connected(onnx_imp *im, onnx_value *a, const float *w, int32_t N, int32_t K, const float *bias)
{
    int32_t d[MOTE_MAX_DIMS];
    memcpy(d, a->dims, sizeof d);
    d[a->rank - 1] = N;
    onnx_value *out = onnx_out(im, 0, a->rank, d, MOTE_F32);
    if (!out) return -1;
    int32_t src;
    float *perm = NULL;
    if (a->plain < 0 && a->nhwc_flat >= 0) {
        /* input flattened in NHWC order: weight column c*H*W + p moves to p*C + c */
        const onnx_value *f = a->flat_of;
        int32_t C = f->dims[1], HW = f->dims[2] * f->dims[3];
        if (!(perm = malloc((size_t)N * (size_t)K * 4 + 4))) return onnx_fail(im, "out of memory");
        for (int32_t n = 0; n < N; n++)
            for (int32_t c = 0; c < C; c++)
                for (int32_t q = 0; q < HW; q++) perm[(size_t)n * K + (size_t)q * C + c] = w[(size_t)n * K + (size_t)c * HW + q];
        w = perm;
        src = a->nhwc_flat;
    } else {
        src = onnx_plain(im, a);
    }
    int32_t wd[2] = {N, K};
    int32_t ins[3] = {src, onnx_const_f(im, "/weights", 2, wd, w), onnx_const_f(im, "/bias", 1, &N, bias)};
    free(perm);
    if (src < 0) return -1;
    if (ins[1] < 0 || ins[2] < 0) return onnx_fail(im, "%s", im->berr);
    mote_opts o = mote_irb_opts();
    o.keep_dims = a->rank > 2;
    int32_t dst = onnx_act(im, out, 0);
    return dst < 0 || onnx_emit(im, MOTE_OP_FULLY_CONNECTED, ins, 3, dst, &o) < 0 ? -1 : 0;
}

static int op_gemm(onnx_imp *im)
{
    onnx_value *a = onnx_in(im, 0);
    if (!a) return -1;
    onnx_value *b = float_const(im, 1, "B", 1);
    if (!b) {
        if (onnx_has_in(im, 1) && onnx_find(im, im->node->input[1]))
            return onnx_fail(im, "B must be a constant (a product of two activations is not supported)");
        return -1;
    }
    onnx_value *c = onnx_has_in(im, 2) ? float_const(im, 2, "C", 1) : NULL;
    if (onnx_has_in(im, 2) && !c) return -1;
    int64_t ta, tb;
    float alpha, beta;
    if (onnx_attr_i(im, "transA", 0, &ta) || onnx_attr_i(im, "transB", 0, &tb) || onnx_attr_f(im, "alpha", 1, &alpha) ||
        onnx_attr_f(im, "beta", 1, &beta))
        return -1;
    if (ta) return onnx_fail(im, "transA=1 is not supported");
    if (a->rank != 2 || b->rank != 2 || a->dtype != MOTE_F32 || a->cdata) return onnx_fail(im, "A must be a 2-D float32 activation and B 2-D");
    int32_t K = a->dims[1], N = tb ? b->dims[0] : b->dims[1];
    if ((tb ? b->dims[1] : b->dims[0]) != K) return onnx_fail(im, "A [%d, %d] and B do not multiply", a->dims[0], K);
    float *w = malloc((size_t)N * (size_t)K * 4 + 4), *bias = calloc((size_t)N, 4);
    if (!w || !bias) {
        free(w), free(bias);
        return onnx_fail(im, "out of memory");
    }
    const float *bd = b->cdata;
    for (int32_t n = 0; n < N; n++)
        for (int32_t k = 0; k < K; k++) w[(size_t)n * K + k] = alpha * (tb ? bd[(size_t)n * K + k] : bd[(size_t)k * N + n]);
    int rc = 0;
    if (c) {
        int64_t cn = onnx_elems(c->rank, c->dims);
        int ok = cn == 1 || (cn == N && c->dims[c->rank - 1] == N);
        if (!ok) rc = onnx_fail(im, "C must broadcast along the output rows (shape [N], [1, N] or scalar)");
        for (int32_t n = 0; ok && n < N; n++) bias[n] = beta * onnx_cf(c, cn == 1 ? 0 : n);
    }
    if (!rc) rc = fully_connected(im, a, w, N, K, bias);
    free(w), free(bias);
    return rc;
}

static int op_matmul(onnx_imp *im)
{
    onnx_value *a = onnx_in(im, 0), *b = a ? onnx_in(im, 1) : NULL;
    if (!b) return -1;
    if (!b->cdata || b->rank != 2 || b->dtype != MOTE_F32)
        return onnx_fail(im, "only a product with a constant 2-D float32 B (a linear layer) is supported");
    if (a->cdata || a->rank < 2 || a->dtype != MOTE_F32) return onnx_fail(im, "A must be a float32 activation of rank >= 2");
    int32_t K = b->dims[0], N = b->dims[1];
    if (a->dims[a->rank - 1] != K) return onnx_fail(im, "A's last dimension %d differs from B's first %d", a->dims[a->rank - 1], K);
    float *w = malloc((size_t)N * (size_t)K * 4 + 4), *bias = calloc((size_t)N, 4);
    if (!w || !bias) {
        free(w), free(bias);
        return onnx_fail(im, "out of memory");
    }
    for (int32_t n = 0; n < N; n++)
        for (int32_t k = 0; k < K; k++) w[(size_t)n * K + k] = ((const float *)b->cdata)[(size_t)k * N + n];
    int rc = fully_connected(im, a, w, N, K, bias);
    free(w), free(bias);
    return rc;
}

/* BatchNormalization: y = x * s + t per channel (axis 1), s = gamma / sqrt(var + eps), t = beta - mean * s. */
static int op_batchnorm(onnx_imp *im)
{
    onnx_value *x = onnx_in(im, 0);
    if (!x) return -1;
    onnx_value *p[4];
    const char *what[4] = {"scale", "B", "mean", "var"};
    for (int i = 0; i < 4; i++)
        if (!(p[i] = float_const(im, 1 + i, what[i], 1))) return -1;
    float eps;
    int64_t training;
    if (onnx_attr_f(im, "epsilon", 1e-5f, &eps) || onnx_attr_i(im, "training_mode", 0, &training)) return -1;
    if (training) return onnx_fail(im, "training_mode=1 is not supported");
    if (im->node->n_output > 1) return onnx_fail(im, "the training outputs (running mean, var) are not supported");
    if (x->rank < 2 || x->dtype != MOTE_F32 || x->cdata) return onnx_fail(im, "input must be a float32 activation of rank >= 2");
    int32_t C = x->dims[1];
    for (int i = 0; i < 4; i++)
        if (onnx_elems(p[i]->rank, p[i]->dims) != C) return onnx_fail(im, "%s must have %d values", what[i], C);
    float *s = malloc((size_t)C * 8 + 8);
    if (!s) return onnx_fail(im, "out of memory");
    float *t = s + C;
    for (int32_t c = 0; c < C; c++) {
        float var = onnx_cf(p[3], c);
        if (!(var + eps > 0.0f)) {
            free(s);
            return onnx_fail(im, "var + epsilon must be positive (channel %d)", c);
        }
        s[c] = onnx_cf(p[0], c) / sqrtf(var + eps);
        t[c] = onnx_cf(p[1], c) - onnx_cf(p[2], c) * s[c];
    }
    onnx_value *out = onnx_out(im, 0, x->rank, x->dims, MOTE_F32);
    int rc = out ? 0 : -1;
    int nhwc = 0;
    int32_t src = rc ? -1 : onnx_any(im, x, &nhwc);
    if (src < 0) rc = -1;
    int32_t prod = rc == 0 && (x->nhwc >= 0) + (x->plain >= 0) == 1 ? onnx_producer(im, src) : -1;
    mote_ir_op *po = prod >= 0 ? &im->g->ops[prod] : NULL;
    int chan_last = nhwc || x->rank == 2;
    if (po && chan_last && po->opts.activation == MOTE_ACT_NONE && onnx_uses(im, x->name) == 1 &&
        onnx_tensor_refs(im, src) == 1 &&
        (po->op == MOTE_OP_CONV_2D || po->op == MOTE_OP_DEPTHWISE_CONV_2D || po->op == MOTE_OP_FULLY_CONNECTED) &&
        po->n_in == 3 && po->io[2] >= 0) {
        /* fold: scale the filter's output channels and the bias (both the importer's own copies) */
        mote_tensor *wt = &im->g->tensors[po->io[1]].t, *bt = &im->g->tensors[po->io[2]].t;
        float *wd = (float *)wt->data, *bd = (float *)bt->data;
        int64_t n = mote_tensor_elems(wt);
        int dw = po->op == MOTE_OP_DEPTHWISE_CONV_2D;
        int64_t per = n / C;
        for (int64_t i = 0; i < n; i++) wd[i] *= s[dw ? i % C : i / per];
        for (int32_t c = 0; c < C; c++) bd[c] = bd[c] * s[c] + t[c];
        *(nhwc ? &out->nhwc : &out->plain) = src;
        x->plain = x->nhwc = -1; /* read by this node alone */
        free(s);
        return 0;
    }
    if (rc == 0) { /* standalone: MUL by s, ADD t, broadcast along the channel axis */
        int32_t d[MOTE_MAX_DIMS], r = x->rank;
        for (int i = 0; i < r; i++) d[i] = 1;
        if (nhwc) d[3] = C;
        else d[1] = C;
        int32_t sc = rc ? -1 : onnx_const_f(im, "/bn_scale", r, d, s), sh = rc ? -1 : onnx_const_f(im, "/bn_shift", r, d, t);
        int32_t mid = rc ? -1 : onnx_like(im, src, "bn_scaled");
        int32_t dst = rc ? -1 : onnx_act(im, out, nhwc);
        mote_opts o = mote_irb_opts();
        int32_t i1[2] = {src, sc}, i2[2] = {mid, sh};
        if (!rc && (sc < 0 || sh < 0 || mid < 0)) rc = onnx_fail(im, "%s", im->berr);
        if (!rc && (dst < 0 || onnx_emit(im, MOTE_OP_MUL, i1, 2, mid, &o) < 0 || onnx_emit(im, MOTE_OP_ADD, i2, 2, dst, &o) < 0))
            rc = -1;
    }
    free(s);
    return rc;
}

static int op_pool(onnx_imp *im, int is_max, int global)
{
    onnx_value *x = onnx_in(im, 0);
    if (!x) return -1;
    if (x->rank != 4 || x->dtype != MOTE_F32 || x->cdata) return onnx_fail(im, "only 2-D pooling of a float32 NCHW activation is supported");
    if (im->node->n_output > 1 && im->node->output[1] && im->node->output[1][0]) return onnx_fail(im, "the Indices output is not supported");
    window w;
    memset(&w, 0, sizeof w);
    mote_opts o = mote_irb_opts();
    int32_t src;
    if (global) {
        w.k[0] = x->dims[2], w.k[1] = x->dims[3];
        w.stride[0] = w.stride[1] = w.dil[0] = w.dil[1] = 1;
        o.padding = MOTE_PAD_VALID;
        src = onnx_nhwc(im, x);
    } else {
        if (read_window(im, x, &w, 0, 0, 1)) return -1;
        if (w.dil[0] != 1 || w.dil[1] != 1) return onnx_fail(im, "dilations are not supported for pooling");
        if (w.ceil && is_max) {
            /* ceil mode's extra window at the end is a window over more -inf padding */
            for (int d = 0; d < 2; d++) {
                int32_t oc = window_out(&w, x->dims[2 + d], d);
                int64_t need = (int64_t)(oc - 1) * w.stride[d] + w.k[d] - (x->dims[2 + d] + w.pb[d] + w.pe[d]);
                if (oc > 0 && need > 0) w.pe[d] += need;
            }
            w.ceil = 0;
        }
        int64_t cip = 0;
        if (!is_max && onnx_attr_i(im, "count_include_pad", 0, &cip)) return -1;
        int padded = w.pb[0] || w.pb[1] || w.pe[0] || w.pe[1];
        if (!is_max && !cip && padded && !is_same(&w, x))
            return onnx_fail(im, "count_include_pad=0 with pads other than SAME's is not supported");
        /* max: SAME never picks a pad, as -inf padding; average: SAME leaves pads out of the count,
         * so count_include_pad=1 pads zeros explicitly */
        src = window_input(im, x, &w, is_max || !cip, is_max ? -INFINITY : 0.0f, &o.padding);
    }
    if (src < 0) return -1;
    if (w.k[0] > 32767 || w.k[1] > 32767) return onnx_fail(im, "window too large");
    onnx_value *out = window_output(im, x, &w, x->dims[1]);
    if (!out) return -1;
    o.filter_h = (int16_t)w.k[0], o.filter_w = (int16_t)w.k[1];
    o.stride_h = (int16_t)w.stride[0], o.stride_w = (int16_t)w.stride[1];
    int32_t dst = onnx_act(im, out, 1);
    return dst < 0 || onnx_emit(im, is_max ? MOTE_OP_MAX_POOL_2D : MOTE_OP_AVERAGE_POOL_2D, &src, 1, dst, &o) < 0 ? -1 : 0;
}

int onnx_op_nn(onnx_imp *im, const char *op)
{
    int r;
    if (!strcmp(op, "Conv")) r = op_conv(im);
    else if (!strcmp(op, "Gemm")) r = op_gemm(im);
    else if (!strcmp(op, "MatMul")) r = op_matmul(im);
    else if (!strcmp(op, "BatchNormalization")) r = op_batchnorm(im);
    else if (!strcmp(op, "MaxPool")) r = op_pool(im, 1, 0);
    else if (!strcmp(op, "AveragePool")) r = op_pool(im, 0, 0);
    else if (!strcmp(op, "GlobalAveragePool")) r = op_pool(im, 0, 1);
    else if (!strcmp(op, "GlobalMaxPool")) r = op_pool(im, 1, 1);
    else return 0;
    return r ? -1 : 1;
}
