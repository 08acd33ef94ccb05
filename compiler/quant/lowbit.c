/* int4 and binary weights for an int8 graph (lowbit.h).
 *
 * int4:
 * Per output channel c the real weights are w = s_old * (q - zp) (or the
 * float32 values). The new scale is s = a * max|w| / 7 with a in
 * {0.50, 0.51, ..., 1.00} picked to minimise sum (w - s * q4)^2, q4 =
 * clamp(round(w / s), -7, 7): clipping a few outliers often buys a finer
 * step for the rest. -7..7, not -8..7: symmetric, as int8's -127..127, so no
 * sign gets a level the other lacks.
 *
 * binary: q = +1 where w >= 0 (a zero weight takes +1), else -1, and
 * s = mean |w| over the channel (XNOR-Net's choice: for fixed signs it
 * minimises sum (w - s q)^2). A channel of zeros gets a scale 1000 times
 * below the layer's smallest other one, so its +-s weights are near 0. */
#include "quant/lowbit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* How many ops read tensor t. */
static int readers(const mote_ir_graph *g, int32_t t)
{
    int k = 0;
    for (int32_t i = 0; i < g->n_ops; i++)
        for (int j = 0; j < g->ops[i].n_in; j++) k += g->ops[i].io[j] == t;
    return k;
}

static int32_t q4(double w, double s)
{
    double v = nearbyint(w / s);
    return (int32_t)(v < -7 ? -7 : v > 7 ? 7 : v);
}

static double channel_scale(const double *w, int64_t n)
{
    double mx = 0;
    for (int64_t i = 0; i < n; i++) mx = fmax(mx, fabs(w[i]));
    if (!(mx > 0)) return 0;
    double best = mx / 7, best_err = INFINITY;
    for (int a = 50; a <= 100; a++) {
        double s = (double)(float)(a * mx / 700.0), e = 0; /* the float32 the file will hold */
        for (int64_t i = 0; i < n; i++) {
            double d = w[i] - s * q4(w[i], s);
            e += d * d;
        }
        if (e < best_err) best_err = e, best = s;
    }
    return best;
}

static double mean_abs(const double *w, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += fabs(w[i]);
    return s / (double)n;
}

/* Scales of all-zero channels (0 so far): 1/1000 of the smallest other, or
 * 1/128000 if every channel is zero. */
static void zero_channels(float *s, int32_t oc)
{
    float lo = 0;
    for (int32_t c = 0; c < oc; c++)
        if (s[c] > 0 && (lo == 0 || s[c] < lo)) lo = s[c];
    for (int32_t c = 0; c < oc; c++)
        if (!(s[c] > 0)) s[c] = lo > 0 ? lo / 1000.0f : 1.0f / 128000.0f;
}

static int32_t round_i32(double v)
{
    v = nearbyint(v);
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

int mote_lowbit_weights(mote_ir_graph *g, int32_t op_index, int bits, char *err, size_t errlen)
{
    if (op_index < 0 || op_index >= g->n_ops) return fail(err, errlen, "op %d: no such op", (int)op_index);
    mote_ir_op *op = &g->ops[op_index];
    const char *name = mote_op_name(op->op);
    int axis;
    switch (op->op) {
    case MOTE_OP_CONV_2D: axis = 0; break;
    case MOTE_OP_FULLY_CONNECTED: axis = 0; break;
    case MOTE_OP_DEPTHWISE_CONV_2D: axis = 3; break;
    default: return fail(err, errlen, "op %d (%s): only CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED take low-bit weights", (int)op_index, name);
    }
    if (bits != 4 && bits != 1)
        return fail(err, errlen, "op %d (%s): %d-bit weights are not supported (4 and 1 are)", (int)op_index, name,
                    bits);
    if (op->n_in < 2 || op->n_out != 1 || op->io[0] < 0 || op->io[1] < 0)
        return fail(err, errlen, "op %d (%s): needs input, filter and one output", (int)op_index, name);
    const int32_t fi = op->io[1], bi = op->n_in > 2 ? op->io[2] : -1;
    const mote_tensor *in = &g->tensors[op->io[0]].t, *out = &g->tensors[op->io[op->n_in]].t;
    mote_ir_tensor *ft = &g->tensors[fi];
    mote_tensor *f = &ft->t;
    if (in->type != MOTE_I8 || out->type != MOTE_I8 || in->q.n < 1)
        return fail(err, errlen, "op %d (%s): input and output must be quantized int8", (int)op_index, name);
    if (!(f->flags & MOTE_TENSOR_CONST) || !f->data)
        return fail(err, errlen, "op %d (%s): filter tensor %d is not constant", (int)op_index, name, (int)fi);
    if (f->type != MOTE_I8 && f->type != MOTE_F32)
        return fail(err, errlen, "op %d (%s): filter tensor %d is %s (int8 or float32 expected)", (int)op_index, name,
                    (int)fi, mote_dtype_name((mote_dtype)f->type));
    if (f->type == MOTE_I8 && f->q.n < 1)
        return fail(err, errlen, "op %d (%s): int8 filter tensor %d is not quantized", (int)op_index, name, (int)fi);
    if (f->rank < 2 || (op->op != MOTE_OP_FULLY_CONNECTED && f->rank != 4))
        return fail(err, errlen, "op %d (%s): filter tensor %d has rank %d", (int)op_index, name, (int)fi, f->rank);
    if (readers(g, fi) != 1 || (bi >= 0 && readers(g, bi) != 1))
        return fail(err, errlen, "op %d (%s): its filter or bias is shared with another op", (int)op_index, name);
    const int32_t oc = f->dims[axis];
    const int64_t n = mote_tensor_elems(f);
    if (oc < 1 || n < 1) return fail(err, errlen, "op %d (%s): filter tensor %d is empty", (int)op_index, name, (int)fi);
    if (f->q.n > 1 && (f->q.n != oc || f->q.axis != axis))
        return fail(err, errlen, "op %d (%s): filter tensor %d: per-channel scales not on the output channels",
                    (int)op_index, name, (int)fi);
    mote_tensor *b = bi >= 0 ? &g->tensors[bi].t : NULL;
    if (b && (!(b->flags & MOTE_TENSOR_CONST) || !b->data || (b->type != MOTE_I32 && b->type != MOTE_F32) ||
              mote_tensor_elems(b) != oc))
        return fail(err, errlen, "op %d (%s): bias tensor %d must be a constant int32 or float32 of %d values",
                    (int)op_index, name, (int)bi, (int)oc);
    if (b && b->type == MOTE_I32 && b->q.n < 1 && f->type == MOTE_F32)
        return fail(err, errlen, "op %d (%s): int32 bias tensor %d has no scale to read it with", (int)op_index, name,
                    (int)bi);
    if (b && b->type == MOTE_I32 && b->q.n > 1 && b->q.n != oc)
        return fail(err, errlen, "op %d (%s): bias tensor %d has %d scales for %d channels", (int)op_index, name,
                    (int)bi, (int)b->q.n, (int)oc);

    /* Channel c holds elements i with (axis 0) i / inner == c or (last axis) i % oc == c. */
    const int64_t inner = n / oc;
    double *w = malloc(sizeof(double) * (size_t)n);
    double *old_s = malloc(sizeof(double) * (size_t)oc);
    float *new_s = malloc(sizeof(float) * (size_t)oc);
    int32_t *zp = calloc((size_t)oc, sizeof(int32_t));
    uint8_t *packed = calloc((size_t)(n + 1) / 2 + 16, 1); /* room for int4, so for binary too */
    double *chan = malloc(sizeof(double) * (size_t)inner);
    int32_t *new_b = b ? malloc(sizeof(int32_t) * (size_t)oc) : NULL;
    float *b_scale = b ? malloc(sizeof(float) * (size_t)oc) : NULL;
    int32_t *b_zp = b ? calloc((size_t)oc, sizeof(int32_t)) : NULL;
    if (!w || !old_s || !new_s || !zp || !packed || !chan || (b && (!new_b || !b_scale || !b_zp))) {
        free(w), free(old_s), free(new_s), free(zp), free(packed), free(chan), free(new_b), free(b_scale), free(b_zp);
        return fail(err, errlen, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t c = (int32_t)(axis == 0 ? i / inner : i % oc);
        if (f->type == MOTE_F32) {
            w[i] = ((const float *)f->data)[i];
        } else {
            int k = f->q.n > 1 ? c : 0;
            w[i] = (double)f->q.scale[k] * (((const int8_t *)f->data)[i] - f->q.zero_point[k]);
        }
    }
    for (int32_t c = 0; c < oc; c++) {
        for (int64_t j = 0; j < inner; j++) chan[j] = w[axis == 0 ? c * inner + j : j * oc + c];
        old_s[c] = f->type == MOTE_I8 ? (double)f->q.scale[f->q.n > 1 ? c : 0] : 0;
        double s = bits == 1 ? mean_abs(chan, inner) : channel_scale(chan, inner);
        /* an all-zero channel keeps a harmless scale: its int4 weights are 0
         * anyway; binary ones cannot be, see zero_channels */
        if (!(s > 0)) s = bits == 1 ? 0 : old_s[c] > 0 ? old_s[c] : 1.0 / 128;
        new_s[c] = (float)s;
    }
    if (bits == 1) zero_channels(new_s, oc);
    for (int64_t i = 0; i < n; i++) {
        int32_t c = (int32_t)(axis == 0 ? i / inner : i % oc);
        if (bits == 1) {
            if (w[i] >= 0) packed[i / 8] |= (uint8_t)(1u << (i % 8)); /* element 8i + j: bit j, set = +1 */
            continue;
        }
        uint32_t v = (uint32_t)q4(w[i], new_s[c]) & 15u;
        packed[i / 2] |= (uint8_t)(v << (4 * (i % 2))); /* element 2i low nibble (TFLite's INT4) */
    }
    if (b) {
        /* TFLite's convention: the bias scale is input_scale * weight_scale. */
        for (int32_t c = 0; c < oc; c++) {
            double real;
            if (b->type == MOTE_F32) {
                real = ((const float *)b->data)[c];
            } else {
                double bs = b->q.n >= 1 ? (double)b->q.scale[b->q.n > 1 ? c : 0] : (double)in->q.scale[0] * old_s[c];
                real = (double)((const int32_t *)b->data)[c] * bs;
            }
            b_scale[c] = (float)((double)in->q.scale[0] * (double)new_s[c]);
            new_b[c] = b_scale[c] > 0 ? round_i32(real / (double)b_scale[c]) : 0;
        }
    }
    free(w), free(old_s), free(chan);

    /* Commit: nothing above failed, so the graph changes only now. */
    free(ft->owned_data);
    ft->owned_data = packed;
    f->data = packed;
    f->type = bits == 1 ? MOTE_I1 : MOTE_I4;
    f->bytes = mote_dtype_bytes((mote_dtype)f->type, n);
    free(ft->scale), free(ft->zero_point);
    ft->scale = new_s, ft->zero_point = zp;
    f->q = (mote_quant){new_s, zp, oc, axis};
    if (b) {
        mote_ir_tensor *bt = &g->tensors[bi];
        free(bt->owned_data);
        bt->owned_data = new_b;
        b->data = new_b;
        b->type = MOTE_I32;
        b->bytes = (size_t)oc * sizeof(int32_t);
        free(bt->scale), free(bt->zero_point);
        bt->scale = b_scale, bt->zero_point = b_zp;
        b->q = (mote_quant){b_scale, b_zp, oc, 0};
    }
    return 0;
}

/* Is op i a candidate of mote_lowbit_all (an int8 weight layer on int8 input)? */
static int candidate(const mote_ir_graph *g, int32_t i)
{
    const mote_ir_op *op = &g->ops[i];
    if (op->op != MOTE_OP_CONV_2D && op->op != MOTE_OP_DEPTHWISE_CONV_2D && op->op != MOTE_OP_FULLY_CONNECTED) return 0;
    if (op->n_in < 2 || op->io[1] < 0 || !(g->tensors[op->io[1]].t.flags & MOTE_TENSOR_CONST)) return 0;
    const uint8_t ft = g->tensors[op->io[1]].t.type;
    return ft != MOTE_I4 && ft != MOTE_I1 && ft != MOTE_I8_SPARSE && op->io[0] >= 0 &&
           g->tensors[op->io[0]].t.type == MOTE_I8;
}

int mote_lowbit_all_keep(mote_ir_graph *g, int bits, int keep_ends, int32_t *converted, char *err, size_t errlen)
{
    int32_t first = -1, last = -1, k = 0;
    for (int32_t i = 0; i < g->n_ops; i++)
        if (candidate(g, i)) {
            if (first < 0) first = i;
            last = i;
        }
    for (int32_t i = 0; i < g->n_ops; i++) {
        if (!candidate(g, i) || (keep_ends && (i == first || i == last))) continue;
        if (mote_lowbit_weights(g, i, bits, err, errlen) != 0) return -1;
        k++;
    }
    if (converted) *converted = k;
    return 0;
}

int mote_lowbit_all(mote_ir_graph *g, int bits, int32_t *converted, char *err, size_t errlen)
{
    return mote_lowbit_all_keep(g, bits, 0, converted, err, errlen);
}
