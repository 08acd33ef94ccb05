/* UNIDIRECTIONAL_SEQUENCE_LSTM: prepare. Checks the plain-LSTM layout that
 * TFLM supports, derives the fixed-point parameters the way TFLM does, and
 * picks the int8 (int16 cell) or float32 evaluator. */
#include <math.h>
#include <stddef.h>

#include "lstm_common.h"
#include "mote/quant.h"

/* TFLM writes these as decimal float literals; they round to exactly 2^-12
 * and to slightly BELOW 2^-15, which changes the multipliers, so keep them. */
#define LSTM_GATE_IN_SCALE 0.00024414062f   /* gate pre-activation, Q3.12 */
#define LSTM_GATE_OUT_SCALE 0.00003051757f  /* gate output, Q0.15 */

static int is_per_tensor_q(const mote_tensor *t)
{
    return t->q.n == 1 && t->q.scale && t->q.zero_point;
}

/* TFLM's CheckedLog2 rounding: log(x) * (1 / log 2) in float, rounded. */
static int lstm_log2_rounded(float x)
{
    float l = logf(x) * (1.0f / logf(2.0f));
    return (int)roundf(l);
}

static void fc_params(lstm_fc_q *p, const mote_tensor *in, const mote_tensor *w)
{
    int shift;
    double m = (double)in->q.scale[0] * (double)w->q.scale[0] / (double)LSTM_GATE_IN_SCALE;
    mote_quantize_multiplier(m, &p->mult, &shift);
    p->shift = shift;
    p->in_offset = -in->q.zero_point[0];
    p->w_offset = -w->q.zero_point[0];
}

static void mul_params(lstm_mul_q *p, float s1, float s2, float s_out, int32_t zp, int32_t lo,
                       int32_t hi)
{
    int shift;
    mote_quantize_multiplier((double)s1 * (double)s2 / (double)s_out, &p->mult, &shift);
    p->shift = shift;
    p->out_zp = zp;
    p->lo = lo;
    p->hi = hi;
}

/* Shapes: input [B,T,I] (or [T,B,I] time major), weights [S,I] / [S,S],
 * biases [S], states B*S elements, output [B,T,S] (same leading dims). */
static mote_status check_shapes(mote_ctx *ctx, const mote_node *n, mote_tensor *t, lstm_data *d)
{
    const mote_tensor *x = mote_in(n, t, LSTM_IN_X), *out = mote_out(n, t, 0);
    if (x->rank != 3) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[LSTM_IN_X], "LSTM input must be rank 3");
    d->time_major = n->opts.time_major ? 1 : 0;
    d->batch = d->time_major ? x->dims[1] : x->dims[0];
    d->steps = d->time_major ? x->dims[0] : x->dims[1];
    d->n_input = x->dims[2];
    d->n_state = mote_dim(mote_in(n, t, LSTM_IN_W_XF), 0);
    d->rows = d->time_major ? d->batch : 1;
    for (int k = LSTM_IN_W_XI; k <= LSTM_IN_W_HO; k++) {
        const mote_tensor *w = mote_in(n, t, k);
        int32_t cols = k <= LSTM_IN_W_XO ? d->n_input : d->n_state;
        if (w->rank != 2 || w->dims[0] != d->n_state || w->dims[1] != cols)
            return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[k], "LSTM weight shape must be [state, input] or [state, state]");
    }
    for (int k = LSTM_IN_B_I; k <= LSTM_IN_B_O; k++) {
        const mote_tensor *b = mote_in(n, t, k);
        if (b->rank != 1 || b->dims[0] != d->n_state)
            return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[k], "LSTM gate bias shape must be [state]");
    }
    for (int k = LSTM_IN_H; k <= LSTM_IN_C; k++) {
        if (mote_tensor_elems(mote_in(n, t, k)) != (int64_t)d->batch * d->n_state)
            return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[k], "LSTM state size must be batch * state");
    }
    if (out->rank != 3 || out->dims[0] != x->dims[0] || out->dims[1] != x->dims[1] ||
        out->dims[2] != d->n_state)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[n->n_in], "LSTM output shape must be [dim0, dim1, state] of the input");
    return MOTE_OK;
}

static mote_status prepare_s8(mote_ctx *ctx, mote_node *n, mote_tensor *t, lstm_data *d)
{
    const mote_tensor *x = mote_in(n, t, LSTM_IN_X), *h = mote_in(n, t, LSTM_IN_H);
    const mote_tensor *c = mote_in(n, t, LSTM_IN_C);
    for (int k = LSTM_IN_W_XI; k <= LSTM_IN_W_HO; k++) {
        const mote_tensor *w = mote_in(n, t, k);
        if (w->type != MOTE_I8) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[k], "int8 LSTM needs int8 weights");
        if (!is_per_tensor_q(w)) return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[k], "LSTM weights must be quantized per tensor");
    }
    for (int k = LSTM_IN_B_I; k <= LSTM_IN_B_O; k++)
        if (mote_in(n, t, k)->type != MOTE_I32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[k], "int8 LSTM needs int32 biases");
    if (c->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[LSTM_IN_C], "int8 LSTM needs an int16 cell state");
    if (!is_per_tensor_q(x)) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[LSTM_IN_X], "LSTM input must be quantized per tensor");
    if (!is_per_tensor_q(h)) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[LSTM_IN_H], "LSTM output state must be quantized per tensor");
    if (!is_per_tensor_q(c) || !(c->q.scale[0] > 0.0f))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[LSTM_IN_C], "LSTM cell state must be quantized per tensor");

    static const int x_w[LSTM_GATES] = {LSTM_IN_W_XI, LSTM_IN_W_XF, LSTM_IN_W_XC, LSTM_IN_W_XO};
    static const int h_w[LSTM_GATES] = {LSTM_IN_W_HI, LSTM_IN_W_HF, LSTM_IN_W_HC, LSTM_IN_W_HO};
    for (int g = 0; g < LSTM_GATES; g++) {
        fc_params(&d->fc_x[g], x, mote_in(n, t, x_w[g]));
        fc_params(&d->fc_h[g], h, mote_in(n, t, h_w[g]));
    }

    /* TFLM takes the cell scale as 2^round(log2(scale)) without insisting
     * that it is a power of two; tanh(c) depends only on that power. */
    float cs = c->q.scale[0];
    int power = lstm_log2_rounded(cs);
    if (power < -24 || power > 0)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[LSTM_IN_C], "LSTM cell state scale out of the supported range");
    lstm_tanh_params(power, &d->cell_tanh_mult, &d->cell_tanh_shift);
    double qclip = (double)d->cell_clip / (double)cs;
    qclip = qclip < -32768.0 ? -32768.0 : (qclip > 32767.0 ? 32767.0 : qclip);
    d->cell_qclip = (int16_t)qclip; /* truncation, as TFLM's cast */

    mul_params(&d->mul_fc, LSTM_GATE_OUT_SCALE, cs, cs, 0, INT16_MIN, INT16_MAX);
    mul_params(&d->mul_ig, LSTM_GATE_OUT_SCALE, LSTM_GATE_OUT_SCALE, cs, 0, INT16_MIN, INT16_MAX);
    mul_params(&d->mul_oh, LSTM_GATE_OUT_SCALE, LSTM_GATE_OUT_SCALE, h->q.scale[0], h->q.zero_point[0],
               INT8_MIN, INT8_MAX);

    n->scratch_bytes = (size_t)4 * (size_t)d->rows * (size_t)d->n_state * sizeof(int16_t);
    n->eval = mote_lstm_s8_eval;
    return MOTE_OK;
}

static mote_status prepare_f32(mote_ctx *ctx, mote_node *n, mote_tensor *t, lstm_data *d)
{
    for (int k = LSTM_IN_W_XI; k <= LSTM_IN_B_O; k++) {
        const mote_tensor *w = mote_in(n, t, k);
        if (w && w->type != MOTE_F32)
            return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[k], "float LSTM needs float32 weights and biases (no hybrid kernel)");
    }
    if (mote_in(n, t, LSTM_IN_C)->type != MOTE_F32)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[LSTM_IN_C], "float LSTM needs a float32 cell state");
    n->scratch_bytes = (size_t)4 * (size_t)d->rows * (size_t)d->n_state * sizeof(float);
    n->eval = mote_lstm_f32_eval;
    return MOTE_OK;
}

static mote_status lstm_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != LSTM_N_IN || n->n_out != 1)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "LSTM needs 24 inputs and one output");
    for (int k = 0; k < LSTM_N_IN; k++) {
        int required = k == LSTM_IN_X || (k >= LSTM_IN_W_XI && k <= LSTM_IN_W_HO) ||
                       (k >= LSTM_IN_B_I && k <= LSTM_IN_B_O) || k == LSTM_IN_H || k == LSTM_IN_C;
        if (required && !mote_in(n, t, k))
            return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "LSTM without input gate (CIFG) or with a missing tensor is not supported");
        if (!required && mote_in(n, t, k))
            return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[k], "LSTM peephole, projection and layer norm are not supported");
    }
    const mote_tensor *x = mote_in(n, t, LSTM_IN_X), *out = mote_out(n, t, 0);
    const mote_tensor *h = mote_in(n, t, LSTM_IN_H), *c = mote_in(n, t, LSTM_IN_C);
    if (!(h->flags & MOTE_TENSOR_VARIABLE)) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[LSTM_IN_H], "LSTM output state must be a variable tensor");
    if (!(c->flags & MOTE_TENSOR_VARIABLE)) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[LSTM_IN_C], "LSTM cell state must be a variable tensor");
    if (h->type != x->type) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[LSTM_IN_H], "LSTM output state dtype differs from input");
    if (out->type != x->type) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[n->n_in], "LSTM output dtype differs from input");
    if (n->opts.activation != MOTE_ACT_TANH)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "LSTM cell activation must be tanh");
    for (int k = LSTM_IN_W_XF; k <= LSTM_IN_W_HO; k++)
        if (mote_in(n, t, k)->type != mote_in(n, t, LSTM_IN_W_XI)->type)
            return mote_fail(ctx, MOTE_ERR_TYPE, n->io[k], "LSTM weights must share one dtype");

    lstm_data *d = mote_node_data(ctx, n, sizeof(lstm_data));
    if (!d) return MOTE_ERR_ARENA;
    mote_status s = check_shapes(ctx, n, t, d);
    if (s != MOTE_OK) return s;
    d->cell_clip = n->opts.cell_clip > 0.0f ? n->opts.cell_clip : 0.0f;
    if (x->type == MOTE_I8) return prepare_s8(ctx, n, t, d);
    if (x->type == MOTE_F32) return prepare_f32(ctx, n, t, d);
    return mote_fail(ctx, MOTE_ERR_TYPE, n->io[LSTM_IN_X], "LSTM supports int8 and float32 inputs");
}

static const mote_kernel unidirectional_sequence_lstm_kernels[] = {
    MOTE_KERNEL("lstm_s8", mote_lstm_s8_eval),
    MOTE_KERNEL("lstm_f32", mote_lstm_f32_eval),
};

const mote_op_def mote_op_unidirectional_sequence_lstm = {lstm_prepare, MOTE_KERNELS(unidirectional_sequence_lstm_kernels)};
