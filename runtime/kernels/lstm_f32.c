/* UNIDIRECTIONAL_SEQUENCE_LSTM, float32. Same step structure as TFLM's
 * reference (gate = FC(x) + FC(h), sums in index order). */
#include <math.h>
#include <string.h>

#include "lstm_common.h"

/* out[r][s] = sum_k w[s][k] * x[r][k] (+ bias[s]) */
static void fc_f32(const float *x, const float *w, const float *bias, int32_t rows, int32_t n_in,
                   int32_t n_out, float *out)
{
    for (int32_t r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * (size_t)n_in;
        for (int32_t s = 0; s < n_out; s++) {
            const float *ws = w + (size_t)s * (size_t)n_in;
            float acc = 0.0f;
            for (int32_t k = 0; k < n_in; k++) acc += xr[k] * ws[k];
            out[(size_t)r * (size_t)n_out + s] = bias ? acc + bias[s] : acc;
        }
    }
}

/* TFLite's float logistic: exact limits outside [-9, 16.62]. */
static float sigmoid_f32(float v)
{
    if (v > 16.619047164916992188f) return 1.0f;
    if (v < -9.0f) return expf(v);
    return 1.0f / (1.0f + expf(-v));
}

static void gate(const lstm_data *d, const mote_node *n, const mote_tensor *t, int wx, int wh, int bias,
                 const float *x, const float *h, int is_tanh, float *out, float *tmp)
{
    int32_t cnt = d->rows * d->n_state;
    fc_f32(x, (const float *)mote_in(n, t, wx)->data, (const float *)mote_in(n, t, bias)->data,
           d->rows, d->n_input, d->n_state, out);
    fc_f32(h, (const float *)mote_in(n, t, wh)->data, NULL, d->rows, d->n_state, d->n_state, tmp);
    for (int32_t i = 0; i < cnt; i++) {
        float v = out[i] + tmp[i];
        out[i] = is_tanh ? tanhf(v) : sigmoid_f32(v);
    }
}

static void step(const lstm_data *d, const mote_node *n, const mote_tensor *t, const float *x, float *h,
                 float *c, float *buf)
{
    int32_t cnt = d->rows * d->n_state;
    float *f = buf, *ig = buf + cnt, *g = buf + 2 * cnt, *tmp = buf + 3 * cnt;
    gate(d, n, t, LSTM_IN_W_XF, LSTM_IN_W_HF, LSTM_IN_B_F, x, h, 0, f, tmp);
    gate(d, n, t, LSTM_IN_W_XI, LSTM_IN_W_HI, LSTM_IN_B_I, x, h, 0, ig, tmp);
    gate(d, n, t, LSTM_IN_W_XC, LSTM_IN_W_HC, LSTM_IN_B_C, x, h, 1, g, tmp);
    for (int32_t i = 0; i < cnt; i++) {
        float v = f[i] * c[i];
        v = v + ig[i] * g[i];
        if (d->cell_clip > 0.0f) v = v > d->cell_clip ? d->cell_clip : (v < -d->cell_clip ? -d->cell_clip : v);
        c[i] = v;
    }
    float *o = ig; /* the input gate is no longer needed */
    gate(d, n, t, LSTM_IN_W_XO, LSTM_IN_W_HO, LSTM_IN_B_O, x, h, 0, o, tmp);
    for (int32_t i = 0; i < cnt; i++) h[i] = tanhf(c[i]) * o[i];
}

void mote_lstm_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const lstm_data *d = (const lstm_data *)n->data;
    const float *x = (const float *)mote_in(n, t, LSTM_IN_X)->data;
    float *h = (float *)mote_in(n, t, LSTM_IN_H)->data;
    float *c = (float *)mote_in(n, t, LSTM_IN_C)->data;
    float *out = (float *)mote_out(n, t, 0)->data;
    float *buf = (float *)n->scratch;
    size_t in_step = (size_t)d->rows * (size_t)d->n_input, st = (size_t)d->rows * (size_t)d->n_state;
    int32_t outer = d->time_major ? 1 : d->batch;
    for (int32_t b = 0; b < outer; b++) {
        float *hb = h + (size_t)b * st;
        float *cb = c + (size_t)b * st;
        for (int32_t s = 0; s < d->steps; s++) {
            step(d, n, t, x, hb, cb, buf);
            memcpy(out, hb, st * sizeof(float));
            x += in_step;
            out += st;
        }
    }
}
