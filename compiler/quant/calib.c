/* Calibration: run the float graph on the host with every float activation kept as an output, and
 * gather each one's range, moments and histogram. For bias correction, each float CONV_2D / DEPTHWISE /
 * FULLY_CONNECTED gets a twin in the observing graph that reads the same input through (quantized -
 * float) weights and no bias or activation: the mean of the twin's output per channel is the shift that
 * quantizing the weights adds to the layer's outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_model.h"
#include "ir/build.h"
#include "quant/quant.h"

typedef struct {
    int32_t op;           /* float graph op */
    int32_t out;          /* its twin's output in the observing graph */
    int n_ch;
    double *sum;          /* per channel; the means once calibration has run */
    uint64_t count;       /* values per channel */
} bias_twin;

struct mote_calib {
    const mote_ir_graph *g;
    mote_host_model *hm;
    int32_t *obs;         /* observed float-graph tensors */
    int32_t n_obs;
    mote_act_stats *stats;  /* per observed tensor */
    int32_t *stat_of;     /* per float-graph tensor: index in stats, or -1 */
    bias_twin *twins;
    int32_t n_twins;
    uint8_t *in, *out;
    size_t in_bytes, out_bytes;
};

static int is_float_act(const mote_ir_graph *g, int32_t t)
{
    return t >= 0 && g->tensors[t].t.type == MOTE_F32 && !(g->tensors[t].t.flags & MOTE_TENSOR_CONST);
}

static int has_weights(mote_op op)
{
    return op == MOTE_OP_CONV_2D || op == MOTE_OP_DEPTHWISE_CONV_2D || op == MOTE_OP_FULLY_CONNECTED;
}

/* Adds the twin of float op o to the observing graph (b); 1 if added, 0 if o has none, -1 on error. */
static int add_twin(mote_irb *b, const mote_ir_graph *g, int32_t o, const mote_ptq_opts *opts, bias_twin *tw)
{
    const mote_ir_op *op = &g->ops[o];
    if (!has_weights(op->op) || op->n_in < 2 || op->n_out != 1 || !is_float_act(g, op->io[0]) ||
        !is_float_act(g, op->io[op->n_in]) || op->io[1] < 0)
        return 0;
    const mote_tensor *wt = &g->tensors[op->io[1]].t;
    float *w = (wt->flags & MOTE_TENSOR_CONST) ? mote_quant_weights_float(wt) : NULL;
    if (!w) return 0;
    size_t n = wt->bytes / mote_dtype_size((mote_dtype)wt->type);
    int8_t *q = malloc(n ? n : 1);
    float *s = NULL;
    int n_ch = 0, axis = 0;
    if (!q || mote_quant_weights_s8(op->op, wt, w, opts, NULL, q, &s, &n_ch, &axis)) {
        free(w);
        free(q);
        return mote_irb_fail(b, "out of memory");
    }
    /* channel of element k: as mote_quant_weights_s8 laid them out */
    size_t inner = 1;
    for (int d = axis + 1; d < wt->rank; d++) inner *= (size_t)wt->dims[d];
    for (size_t k = 0; k < n; k++) {
        size_t c = n_ch > 1 ? (k / inner) % (size_t)n_ch : 0;
        w[k] = s[c] * (float)q[k] - w[k];
    }
    free(q);
    free(s);
    const mote_tensor *ot = &g->tensors[op->io[op->n_in]].t;
    char name[64];
    snprintf(name, sizeof name, "bias_twin_%d_delta", (int)o);
    int32_t d = mote_irb_const(b, name, MOTE_F32, wt->rank, wt->dims, w);
    free(w);
    snprintf(name, sizeof name, "bias_twin_%d_out", (int)o);
    int32_t out = mote_irb_tensor(b, name, MOTE_F32, ot->rank, ot->dims);
    if (d < 0 || out < 0) return -1;
    mote_opts oo = op->opts;
    oo.activation = MOTE_ACT_NONE;
    int32_t in[3] = {op->io[0], d, -1};
    if (mote_irb_op(b, op->op, in, 3, &out, 1, &oo)) return -1;
    tw->op = o;
    tw->out = out;
    tw->n_ch = ot->rank ? ot->dims[ot->rank - 1] : 1;
    tw->sum = calloc((size_t)tw->n_ch, sizeof(double));
    if (!tw->sum) return mote_irb_fail(b, "out of memory");
    return 1;
}

mote_calib *mote_calib_new(const mote_ir_graph *g, const mote_ptq_opts *o, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    if (g->n_inputs != 1) {
        snprintf(err, errlen, "calibration needs a model with one input (this one has %d)", (int)g->n_inputs);
        return NULL;
    }
    mote_calib *c = calloc(1, sizeof *c);
    mote_irb b;
    mote_ir_graph *og = mote_irb_begin(&b, err, errlen);
    int32_t *map = malloc(sizeof(int32_t) * (size_t)(g->n_tensors + 1));
    int32_t *outs = malloc(sizeof(int32_t) * (size_t)(g->n_tensors + g->n_ops + 1));
    if (!c || !og || !map || !outs) goto oom;
    c->g = g;
    c->stat_of = malloc(sizeof(int32_t) * (size_t)(g->n_tensors + 1));
    c->stats = calloc((size_t)g->n_tensors + 1, sizeof *c->stats);
    c->obs = malloc(sizeof(int32_t) * (size_t)(g->n_tensors + 1));
    c->twins = calloc((size_t)g->n_ops + 1, sizeof *c->twins);
    if (!c->stat_of || !c->stats || !c->obs || !c->twins) goto oom;
    for (int32_t k = 0; k < g->n_tensors; k++) map[k] = c->stat_of[k] = -1;
    if (mote_irb_append(&b, g, map, "")) goto fail;
    int n_out = 0;
    for (int32_t k = 0; k < g->n_tensors; k++) {
        if (!is_float_act(g, k)) continue;
        c->stat_of[k] = c->n_obs;
        c->stats[c->n_obs] = (mote_act_stats){.tensor = k, .lo = INFINITY, .hi = -INFINITY};
        c->obs[c->n_obs++] = k;
        if (k != g->inputs[0]) outs[n_out++] = map[k];
    }
    if (!c->n_obs) {
        snprintf(err, errlen, "the model has no float activations to quantize (it is integer already)");
        goto fail;
    }
    for (int32_t op = 0; o->bias_correction && op < g->n_ops; op++) {
        int r = add_twin(&b, g, op, o, &c->twins[c->n_twins]);
        if (r < 0) goto fail;
        if (r) outs[n_out++] = c->twins[c->n_twins++].out;
    }
    int32_t in = map[g->inputs[0]];
    if (mote_irb_io(&b, &in, 1, outs, n_out)) goto fail;
    free(map);
    free(outs);
    map = outs = NULL;
    c->hm = mote_host_model_new(og, "calibration", err, errlen);
    og = NULL; /* owned by hm, or freed */
    if (!c->hm) goto fail;
    c->in_bytes = mote_host_input_bytes(c->hm);
    c->out_bytes = mote_host_output_bytes(c->hm);
    c->in = malloc(c->in_bytes + 1);
    c->out = malloc(c->out_bytes + 1);
    if (!c->in || !c->out) goto oom;
    return c;
oom:
    if (err && errlen && !err[0]) snprintf(err, errlen, "calibration: out of memory");
fail:
    mote_ir_free(og);
    free(map);
    free(outs);
    mote_calib_free(c);
    return NULL;
}

size_t mote_calib_input_bytes(const mote_calib *c) { return c->in_bytes; }

static void observe(mote_act_stats *s, const float *v, size_t n, int pass)
{
    if (pass == 0) {
        for (size_t i = 0; i < n; i++) {
            double x = v[i];
            if (!isfinite(x)) continue;
            if (x < s->lo) s->lo = x;
            if (x > s->hi) s->hi = x;
            s->sum += x;
            s->sumsq += x * x;
            s->count++;
        }
        return;
    }
    const double w = s->hi > s->lo ? (s->hi - s->lo) / MOTE_CALIB_BINS : 1.0;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x)) continue;
        long b = (long)((x - s->lo) / w);
        s->hist[b < 0 ? 0 : b >= MOTE_CALIB_BINS ? MOTE_CALIB_BINS - 1 : b]++;
    }
}

static void observe_twin(bias_twin *tw, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) tw->sum[i % (size_t)tw->n_ch] += v[i];
    tw->count += n / (size_t)tw->n_ch;
}

int mote_calib_run(mote_calib *c, long n, mote_calib_fetch fetch, mote_calib_progress progress, void *user,
                   char *err, size_t errlen)
{
    if (n < 1) {
        snprintf(err, errlen, "calibration needs at least one sample");
        return -1;
    }
    const mote_model *m = &c->hm->m;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            for (int32_t i = 0; i < c->n_obs; i++)
                if (!(c->stats[i].hist = calloc(MOTE_CALIB_BINS, sizeof(uint64_t)))) {
                    snprintf(err, errlen, "calibration: out of memory");
                    return -1;
                }
        for (long i = 0; i < n; i++) {
            if (fetch(user, i, c->in, err, errlen)) return -1;
            mote_host_run(c->hm, c->in, c->out);
            for (int32_t k = 0; k < c->n_obs; k++) {
                int32_t t = c->obs[k];
                /* the observing graph keeps the float graph's tensor indices (appended to an empty one) */
                const mote_tensor *mt = &m->tensors[t];
                const float *v = t == c->g->inputs[0] ? (const float *)c->in : (const float *)mt->data;
                observe(&c->stats[k], v, mt->bytes / sizeof(float), pass);
            }
            for (int32_t k = 0; pass == 0 && k < c->n_twins; k++) {
                const mote_tensor *mt = &m->tensors[c->twins[k].out];
                observe_twin(&c->twins[k], (const float *)mt->data, mt->bytes / sizeof(float));
            }
            if (progress) progress(user, pass, i + 1, n);
        }
    }
    for (int32_t k = 0; k < c->n_obs; k++)
        if (!c->stats[k].count) c->stats[k].lo = c->stats[k].hi = 0.0; /* never finite: [0, 0] */
    for (int32_t k = 0; k < c->n_twins; k++) /* sums become means */
        for (int i = 0; c->twins[k].count && i < c->twins[k].n_ch; i++) c->twins[k].sum[i] /= (double)c->twins[k].count;
    return 0;
}

const mote_act_stats *mote_calib_stats(const mote_calib *c, int32_t t)
{
    if (t < 0 || t >= c->g->n_tensors || c->stat_of[t] < 0) return NULL;
    return &c->stats[c->stat_of[t]];
}

const double *mote_calib_bias_shift(const mote_calib *c, int32_t op, int *n)
{
    for (int32_t k = 0; k < c->n_twins; k++) {
        bias_twin *tw = &c->twins[k];
        if (tw->op != op || !tw->count) continue;
        *n = tw->n_ch;
        return tw->sum;
    }
    return NULL;
}

void mote_calib_free(mote_calib *c)
{
    if (!c) return;
    mote_host_model_free(c->hm);
    for (int32_t i = 0; c->stats && i < c->n_obs; i++) free(c->stats[i].hist);
    for (int32_t i = 0; c->twins && i < c->n_twins; i++) free(c->twins[i].sum);
    free(c->stats);
    free(c->stat_of);
    free(c->obs);
    free(c->twins);
    free(c->in);
    free(c->out);
    free(c);
}
