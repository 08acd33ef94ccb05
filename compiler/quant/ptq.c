/* The int8 rewrite of a calibrated float graph.
 *
 * 1. Ties: tensors whose int8 parameters must be equal (the two sides of a pooling, RESHAPE, PAD,
 *    STRIDED_SLICE, every input and the output of CONCATENATION; int8 kernels of these move bytes, they
 *    do not rescale) form groups, and outputs with fixed parameters (SOFTMAX and LOGISTIC 1/256, -128;
 *    TANH 1/128, 0; the float side of a QUANTIZE or DEQUANTIZE) fix their group's.
 * 2. Each group's range is the union of its members' chosen ranges (range.c), which sets its parameters.
 * 3. The graph is rebuilt op by op: float activations become int8, filters per-channel int8, biases int32
 *    at input scale x filter scale (after bias correction), other float constants int8 over their own
 *    range. Integer tensors and ops pass through; QUANTIZE / DEQUANTIZE at a float boundary vanish. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/build.h"
#include "quant/quant.h"

typedef struct {
    const mote_ir_graph *g;
    const mote_calib *c;
    const mote_ptq_opts *o;
    mote_irb b;
    int32_t *map;          /* float-graph tensor -> new tensor, -1 until made */
    int32_t *parent;       /* union-find over float-graph tensors */
    uint8_t *fixed;        /* per root */
    float *scale;          /* per root: the group's parameters */
    int32_t *zp;
    double *lo, *hi;       /* per root: union of chosen ranges; lo > hi while empty */
    mote_ptq_report *rep;
    char *err;
    size_t errlen;
} ptq;

static int fail(ptq *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int fail(ptq *p, const char *fmt, ...)
{
    if (p->err && p->errlen && !p->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int is_act(const ptq *p, int32_t t)
{
    return t >= 0 && p->g->tensors[t].t.type == MOTE_F32 && !(p->g->tensors[t].t.flags & MOTE_TENSOR_CONST);
}

static const char *tname(const ptq *p, int32_t t, char buf[MOTE_IR_SHORT_NAME])
{
    return mote_ir_short_name(p->g->tensors[t].name, buf);
}

static int32_t root(ptq *p, int32_t t)
{
    while (p->parent[t] != t) t = p->parent[t] = p->parent[p->parent[t]];
    return t;
}

static void unite(ptq *p, int32_t a, int32_t b)
{
    a = root(p, a);
    b = root(p, b);
    if (a != b) p->parent[b] = a;
}

/* Fix t's group to (s, z); a second, different fix is an error. */
static int fix(ptq *p, int32_t t, float s, int32_t z)
{
    t = root(p, t);
    if (p->fixed[t] && (fabsf(p->scale[t] - s) > 1e-6f * s || p->zp[t] != z)) {
        char nb[MOTE_IR_SHORT_NAME];
        return fail(p, "tensor '%s' would need two different int8 parameters (%g, %d and %g, %d)", tname(p, t, nb),
                    (double)p->scale[t], (int)p->zp[t], (double)s, (int)z);
    }
    p->fixed[t] = 1;
    p->scale[t] = s;
    p->zp[t] = z;
    return 0;
}

static int moves_bytes(mote_op op)
{
    return op == MOTE_OP_AVERAGE_POOL_2D || op == MOTE_OP_MAX_POOL_2D || op == MOTE_OP_RESHAPE || op == MOTE_OP_PAD ||
           op == MOTE_OP_STRIDED_SLICE || op == MOTE_OP_CONCATENATION || op == MOTE_OP_MAXIMUM ||
           op == MOTE_OP_MINIMUM;
}

/* Ops whose int8 kernels take any input and output parameters. */
static int rescales(mote_op op)
{
    return op == MOTE_OP_ADD || op == MOTE_OP_MUL || op == MOTE_OP_MEAN || op == MOTE_OP_SOFTMAX ||
           op == MOTE_OP_LOGISTIC || op == MOTE_OP_TANH;
}

static int has_filter(mote_op op)
{
    return op == MOTE_OP_CONV_2D || op == MOTE_OP_DEPTHWISE_CONV_2D || op == MOTE_OP_FULLY_CONNECTED;
}

static int touches_float(const ptq *p, const mote_ir_op *op)
{
    for (int i = 0; i < op->n_in + op->n_out; i++)
        if (is_act(p, op->io[i])) return 1;
    return 0;
}

/* The range method for activation t: min/max where clipping costs most (the graph's inputs and outputs,
 * the logits a SOFTMAX reads), the chosen method elsewhere. */
static mote_range_method method_for(const ptq *p, int32_t t)
{
    const mote_ir_graph *g = p->g;
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] == t) return MOTE_RANGE_MINMAX;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t) return MOTE_RANGE_MINMAX;
    for (int32_t o = 0; o < g->n_ops; o++)
        if (g->ops[o].op == MOTE_OP_SOFTMAX && g->ops[o].io[0] == t) return MOTE_RANGE_MINMAX;
    return p->o->method;
}

static int plan_params(ptq *p)
{
    const mote_ir_graph *g = p->g;
    for (int32_t o = 0; o < g->n_ops; o++) {
        const mote_ir_op *op = &g->ops[o];
        const int32_t out = op->io[op->n_in];
        if (moves_bytes(op->op)) {
            for (int i = 0; i < op->n_in; i++)
                if (is_act(p, op->io[i]) && is_act(p, out)) unite(p, op->io[i], out);
        } else if ((op->op == MOTE_OP_SOFTMAX || op->op == MOTE_OP_LOGISTIC) && is_act(p, out)) {
            if (fix(p, out, 1.0f / 256.0f, -128)) return -1;
        } else if (op->op == MOTE_OP_TANH && is_act(p, out)) {
            if (fix(p, out, 1.0f / 128.0f, 0)) return -1;
        }
    }
    /* boundaries with integer tensors (after the ties, so a fix reaches the whole group) */
    for (int32_t o = 0; o < g->n_ops; o++) {
        const mote_ir_op *op = &g->ops[o];
        const int32_t in = op->io[0], out = op->io[op->n_in];
        const mote_tensor *it = &g->tensors[in].t, *ot = &g->tensors[out].t;
        if (op->op == MOTE_OP_DEQUANTIZE && is_act(p, out) && !(it->flags & MOTE_TENSOR_CONST) && it->type == MOTE_I8 &&
            it->q.n == 1) {
            if (fix(p, out, it->q.scale[0], it->q.zero_point[0])) return -1;
        } else if (op->op == MOTE_OP_QUANTIZE && is_act(p, in) && ot->type == MOTE_I8 && ot->q.n == 1) {
            if (fix(p, in, ot->q.scale[0], ot->q.zero_point[0])) return -1;
        }
    }
    for (int32_t t = 0; t < g->n_tensors; t++) {
        if (!is_act(p, t)) continue;
        const mote_act_stats *s = mote_calib_stats(p->c, t);
        if (!s) continue;
        mote_act_choice ch = mote_range_choose(s, method_for(p, t), p->o->percentile);
        int32_t r = root(p, t);
        if (ch.lo < p->lo[r]) p->lo[r] = ch.lo;
        if (ch.hi > p->hi[r]) p->hi[r] = ch.hi;
        p->rep->acts[p->rep->n_acts++] = ch;
    }
    for (int32_t t = 0; t < g->n_tensors; t++) {
        if (!is_act(p, t) || root(p, t) != t || p->fixed[t]) continue;
        if (p->lo[t] > p->hi[t]) {
            char nb[MOTE_IR_SHORT_NAME];
            return fail(p, "tensor '%s' was never computed during calibration", tname(p, t, nb));
        }
        mote_act_params(p->lo[t], p->hi[t], &p->scale[t], &p->zp[t]);
    }
    for (int32_t i = 0; i < p->rep->n_acts; i++) {
        mote_act_choice *ch = &p->rep->acts[i];
        int32_t r = root(p, ch->tensor);
        ch->scale = p->scale[r];
        ch->zero_point = p->zp[r];
    }
    return 0;
}

/* The new tensor for float-graph tensor t, made on first use. */
static int32_t get(ptq *p, int32_t t)
{
    if (t < 0) return -1;
    if (p->map[t] >= 0) return p->map[t];
    const mote_ir_tensor *src = &p->g->tensors[t];
    const mote_tensor *st = &src->t;
    int32_t n;
    if (is_act(p, t)) {
        int32_t r = root(p, t);
        n = mote_irb_tensor(&p->b, src->name ? src->name : "", MOTE_I8, st->rank, st->dims);
        if (n >= 0 && mote_irb_quant(&p->b, n, 1, 0, &p->scale[r], &p->zp[r])) return -1;
    } else if (st->type == MOTE_F32 && (st->flags & MOTE_TENSOR_CONST) && st->data) {
        /* a float constant operand (ADD, MUL, ...): int8 over its own range */
        size_t k = st->bytes / sizeof(float);
        const float *v = st->data;
        double lo = 0.0, hi = 0.0;
        for (size_t i = 0; i < k; i++) {
            if (v[i] < lo) lo = v[i];
            if (v[i] > hi) hi = v[i];
        }
        float s;
        int32_t z;
        mote_act_params(lo, hi, &s, &z);
        int8_t *q = malloc(k ? k : 1);
        if (!q) return fail(p, "out of memory");
        for (size_t i = 0; i < k; i++) {
            float x = nearbyintf(v[i] / s) + (float)z;
            q[i] = (int8_t)(x < -128.0f ? -128 : x > 127.0f ? 127 : x);
        }
        n = mote_irb_const(&p->b, src->name ? src->name : "", MOTE_I8, st->rank, st->dims, q);
        free(q);
        if (n >= 0 && mote_irb_quant(&p->b, n, 1, 0, &s, &z)) return -1;
    } else {
        n = mote_irb_copy_tensor(&p->b, src, "");
    }
    if (n < 0) return -1;
    return p->map[t] = n;
}

static int32_t out_channels(mote_op op, const mote_tensor *w)
{
    return op == MOTE_OP_DEPTHWISE_CONV_2D ? w->dims[w->rank - 1] : w->dims[0];
}

/* CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED on a float activation. */
static int filter_op(ptq *p, int32_t o)
{
    const mote_ir_op *op = &p->g->ops[o];
    const char *opn = mote_op_name(op->op);
    char nb[MOTE_IR_SHORT_NAME];
    if (op->n_in < 2 || op->io[1] < 0) return fail(p, "op %d (%s) has no filter", (int)o, opn);
    const mote_tensor *wt = &p->g->tensors[op->io[1]].t;
    float *w = (wt->flags & MOTE_TENSOR_CONST) ? mote_quant_weights_float(wt) : NULL;
    if (!w || wt->rank < 2) {
        free(w);
        return fail(p, "op %d (%s): filter '%s' is not a constant float32 or int8 tensor", (int)o, opn,
                    tname(p, op->io[1], nb));
    }
    const int32_t n_out = out_channels(op->op, wt);
    const size_t n = wt->bytes / mote_dtype_size((mote_dtype)wt->type);
    int8_t *q = malloc(n);
    float *ws = NULL, *bias = calloc((size_t)n_out, sizeof(float)), *bs = calloc((size_t)n_out, sizeof(float));
    float *floor_s = calloc((size_t)n_out, sizeof(float));
    int32_t *bq = calloc((size_t)n_out, sizeof(int32_t)), *zeros = calloc((size_t)n_out, sizeof(int32_t));
    int n_ch = 0, axis = 0, rc = -1;
    int32_t in = get(p, op->io[0]), out = get(p, op->io[op->n_in]);
    if (in < 0 || out < 0) goto done;
    if (!q || !bias || !bs || !bq || !zeros || !floor_s) {
        fail(p, "out of memory");
        goto done;
    }
    int has_bias = op->n_in > 2 && op->io[2] >= 0;
    if (has_bias) {
        const mote_tensor *bt = &p->g->tensors[op->io[2]].t;
        if (bt->type != MOTE_F32 || !(bt->flags & MOTE_TENSOR_CONST) || !bt->data ||
            bt->bytes != sizeof(float) * (size_t)n_out) {
            fail(p, "op %d (%s): bias '%s' is not a constant float32 vector of %d", (int)o, opn, tname(p, op->io[2], nb),
                 (int)n_out);
            goto done;
        }
        memcpy(bias, bt->data, sizeof(float) * (size_t)n_out);
    }
    int n_shift = 0;
    const double *shift = mote_calib_bias_shift(p->c, o, &n_shift);
    if (shift && n_shift == n_out) {
        for (int32_t c = 0; c < n_out; c++) bias[c] -= (float)shift[c];
        has_bias = 1;
        p->rep->n_bias_corrected++;
    }
    /* The kernels prove at prepare that terms x 255 x 128 + |bias| fits int32. A channel whose weights are
     * tiny next to its bias gets a coarser weight scale instead, so its int32 bias keeps half the headroom. */
    const float in_s = p->b.g->tensors[in].t.q.scale[0];
    const double terms = (double)n / (op->op == MOTE_OP_DEPTHWISE_CONV_2D ? (double)n_out : (double)wt->dims[0]);
    const double room = (2147483647.0 - terms * 32640.0) / 2.0;
    if (room < 1.0) {
        fail(p, "op %d (%s): %.0f products per output cannot be summed in int32", (int)o, opn, terms);
        goto done;
    }
    int per_ch = op->op != MOTE_OP_FULLY_CONNECTED || p->o->fc_per_channel;
    for (int32_t c = 0; c < n_out; c++) {
        float f = (float)(fabs((double)bias[c]) / ((double)in_s * room));
        if (f > floor_s[per_ch ? c : 0]) floor_s[per_ch ? c : 0] = f;
    }
    if (mote_quant_weights_s8(op->op, wt, w, p->o, floor_s, q, &ws, &n_ch, &axis)) {
        fail(p, "out of memory");
        goto done;
    }
    int32_t wq = mote_irb_const(&p->b, p->g->tensors[op->io[1]].name, MOTE_I8, wt->rank, wt->dims, q);
    if (wq < 0 || mote_irb_quant(&p->b, wq, n_ch, axis, ws, zeros)) goto done;
    int32_t b = -1;
    if (has_bias) {
        for (int32_t c = 0; c < n_out; c++) {
            bs[c] = in_s * ws[n_ch > 1 ? c : 0];
            double v = nearbyint((double)bias[c] / (double)bs[c]);
            bq[c] = v > 2147483647.0 ? INT32_MAX : v < -2147483648.0 ? INT32_MIN : (int32_t)v;
        }
        int32_t dims[1] = {n_out};
        const char *bn = op->io[2] >= 0 ? p->g->tensors[op->io[2]].name : "bias";
        b = mote_irb_const(&p->b, bn ? bn : "bias", MOTE_I32, 1, dims, bq);
        if (b < 0 || mote_irb_quant(&p->b, b, n_ch > 1 ? n_out : 1, 0, bs, zeros)) goto done;
    }
    int32_t ins[3] = {in, wq, b};
    if (mote_irb_op(&p->b, op->op, ins, 3, &out, 1, &op->opts)) goto done;
    p->rep->n_weights++;
    rc = 0;
done:
    free(w);
    free(q);
    free(ws);
    free(bias);
    free(bs);
    free(floor_s);
    free(bq);
    free(zeros);
    return rc;
}

/* Any other op: its tensors mapped (int8 where they were float activations). */
static int plain_op(ptq *p, int32_t o)
{
    const mote_ir_op *op = &p->g->ops[o];
    int32_t io[64];
    if (op->n_in + op->n_out > 64) return fail(p, "op %d (%s) has too many tensors", (int)o, mote_op_name(op->op));
    for (int i = 0; i < op->n_in + op->n_out; i++)
        if (op->io[i] >= 0 && (io[i] = get(p, op->io[i])) < 0) return -1;
        else if (op->io[i] < 0) io[i] = -1;
    if (mote_irb_op(&p->b, op->op, io, op->n_in, io + op->n_in, op->n_out, &op->opts)) return -1;
    return op->custom_code ? mote_irb_custom_code(&p->b, op->custom_code) : 0;
}

static int rewrite(ptq *p)
{
    const mote_ir_graph *g = p->g;
    int32_t ins[8], outs[8];
    if (g->n_inputs > 8 || g->n_outputs > 8) return fail(p, "more than 8 inputs or outputs");
    for (int i = 0; i < g->n_inputs; i++) {
        int32_t t = g->inputs[i];
        if ((ins[i] = get(p, t)) < 0) return -1;
        if (p->o->float_io && is_act(p, t)) { /* a float input quantized by the model's first op */
            const mote_tensor *st = &g->tensors[t].t;
            int32_t f = mote_irb_tensor(&p->b, g->tensors[t].name ? g->tensors[t].name : "input", MOTE_F32, st->rank, st->dims);
            mote_opts no = mote_irb_opts();
            if (f < 0 || mote_irb_op(&p->b, MOTE_OP_QUANTIZE, &f, 1, &ins[i], 1, &no)) return -1;
            ins[i] = f;
        }
    }
    for (int32_t o = 0; o < g->n_ops; o++) {
        const mote_ir_op *op = &g->ops[o];
        const int32_t in = op->io[0], out = op->io[op->n_in];
        if (!touches_float(p, op)) {
            if (plain_op(p, o)) return -1;
        } else if (op->op == MOTE_OP_DEQUANTIZE && is_act(p, out) && !is_act(p, in)) {
            if ((p->map[out] = get(p, in)) < 0) return -1; /* the int8 values, already at out's parameters */
        } else if (op->op == MOTE_OP_QUANTIZE && is_act(p, in) && !is_act(p, out)) {
            if ((p->map[out] = get(p, in)) < 0) return -1;
        } else if (has_filter(op->op) && is_act(p, in)) {
            if (filter_op(p, o)) return -1;
        } else if (moves_bytes(op->op) || rescales(op->op)) {
            if (plain_op(p, o)) return -1;
        } else {
            return fail(p, "op %d (%s) works on float tensors and has no int8 form in mote yet", (int)o,
                        mote_op_name(op->op));
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int32_t t = g->outputs[i];
        if ((outs[i] = get(p, t)) < 0) return -1;
        if (p->o->float_io && is_act(p, t)) {
            const mote_tensor *st = &g->tensors[t].t;
            char name[256];
            snprintf(name, sizeof name, "%s_float", g->tensors[t].name ? g->tensors[t].name : "output");
            int32_t f = mote_irb_tensor(&p->b, name, MOTE_F32, st->rank, st->dims);
            mote_opts no = mote_irb_opts();
            if (f < 0 || mote_irb_op(&p->b, MOTE_OP_DEQUANTIZE, &outs[i], 1, &f, 1, &no)) return -1;
            outs[i] = f;
        }
    }
    if (mote_irb_io(&p->b, ins, g->n_inputs, outs, g->n_outputs)) return -1;
    if (g->description && !(p->b.g->description = strdup(g->description))) return fail(p, "out of memory");
    return 0;
}

mote_ir_graph *mote_ptq(const mote_ir_graph *g, const mote_calib *c, const mote_ptq_opts *o, mote_ptq_report *rep,
                        char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    mote_ptq_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    ptq p = {.g = g, .c = c, .o = o, .rep = rep, .err = err, .errlen = errlen};
    size_t n = (size_t)g->n_tensors + 1;
    mote_ir_graph *q = mote_irb_begin(&p.b, err, errlen);
    p.map = malloc(n * sizeof(int32_t));
    p.parent = malloc(n * sizeof(int32_t));
    p.fixed = calloc(n, 1);
    p.scale = calloc(n, sizeof(float));
    p.zp = calloc(n, sizeof(int32_t));
    p.lo = malloc(n * sizeof(double));
    p.hi = malloc(n * sizeof(double));
    rep->acts = calloc(n, sizeof *rep->acts);
    int ok = q && p.map && p.parent && p.fixed && p.scale && p.zp && p.lo && p.hi && rep->acts;
    if (!ok) fail(&p, "out of memory");
    for (int32_t t = 0; ok && t < g->n_tensors; t++) {
        p.map[t] = -1;
        p.parent[t] = t;
        p.lo[t] = INFINITY;
        p.hi[t] = -INFINITY;
    }
    ok = ok && !plan_params(&p) && !rewrite(&p);
    free(p.map);
    free(p.parent);
    free(p.fixed);
    free(p.scale);
    free(p.zp);
    free(p.lo);
    free(p.hi);
    if (rep == &local) mote_ptq_report_free(rep);
    if (!ok) {
        mote_ir_free(q);
        return NULL;
    }
    return q;
}

void mote_ptq_report_free(mote_ptq_report *r)
{
    if (!r) return;
    free(r->acts);
    memset(r, 0, sizeof *r);
}
