/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations with an int16 cell state
 * (TFLM's integer LSTM, bit-exact). See lstm_common.h for the formulas. */
#include <string.h>

#include "lstm_common.h"
#include "mote/quant.h"

/* out[r][s] = requant(sum_k (w[s][k] + w_off) * (x[r][k] + in_off) + bias[s])
 * clamped to int16; bias may be NULL (recurrent half of a gate). */
static void fc_s8_s16(const int8_t *x, const int8_t *w, const int32_t *bias, const lstm_fc_q *q,
                      int32_t rows, int32_t n_in, int32_t n_out, int16_t *out)
{
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *xr = x + (size_t)r * (size_t)n_in;
        for (int32_t s = 0; s < n_out; s++) {
            const int8_t *ws = w + (size_t)s * (size_t)n_in;
            /* uint32 wraps where int32 would be undefined; valid models never wrap */
            uint32_t acc = 0;
            for (int32_t k = 0; k < n_in; k++)
                acc += (uint32_t)(((int32_t)ws[k] + q->w_offset) * ((int32_t)xr[k] + q->in_offset));
            int32_t sum = mote_add_sat((int32_t)acc, bias ? bias[s] : 0);
            sum = mote_mul_qm(sum, q->mult, q->shift);
            out[(size_t)r * (size_t)n_out + s] = (int16_t)mote_clamp_i32(sum, INT16_MIN, INT16_MAX);
        }
    }
}

static void add_sat_s16(int16_t *a, const int16_t *b, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        a[i] = (int16_t)mote_clamp_i32((int32_t)a[i] + (int32_t)b[i], INT16_MIN, INT16_MAX);
}

/* Element-wise a * b requantized; out is int16 or int8 (out_bytes). */
static void mul_s16(const int16_t *a, const int16_t *b, const lstm_mul_q *q, int32_t n, void *out,
                    int out_bytes)
{
    for (int32_t i = 0; i < n; i++) {
        int32_t v = mote_add_sat(q->out_zp, mote_mul_qm((int32_t)a[i] * (int32_t)b[i], q->mult, q->shift));
        v = mote_clamp_i32(v, q->lo, q->hi);
        if (out_bytes == 2)
            ((int16_t *)out)[i] = (int16_t)v;
        else
            ((int8_t *)out)[i] = (int8_t)v;
    }
}

/* One gate: FC(x) + FC(h), saturated to int16 (Q3.12), then sigmoid or tanh
 * into Q0.15. tmp receives the recurrent half. */
static void gate(const lstm_data *d, const mote_node *n, const mote_tensor *t, int g, int wx, int wh,
                 int bias, const int8_t *x, const int8_t *h, int is_tanh, int16_t *out, int16_t *tmp)
{
    int32_t cnt = d->rows * d->n_state;
    fc_s8_s16(x, (const int8_t *)mote_in(n, t, wx)->data, (const int32_t *)mote_in(n, t, bias)->data,
              &d->fc_x[g], d->rows, d->n_input, d->n_state, out);
    fc_s8_s16(h, (const int8_t *)mote_in(n, t, wh)->data, NULL, &d->fc_h[g], d->rows, d->n_state,
              d->n_state, tmp);
    add_sat_s16(out, tmp, cnt);
    for (int32_t i = 0; i < cnt; i++)
        out[i] = is_tanh ? lstm_tanh_s16(out[i], 3, 0) : lstm_sigmoid_s16(out[i]);
}

/* One time step for d->rows rows: x is [rows, I], h [rows, S] int8 (updated
 * in place), c [rows, S] int16 (updated in place). */
static void step(const lstm_data *d, const mote_node *n, const mote_tensor *t, const int8_t *x, int8_t *h,
                 int16_t *c, int16_t *buf)
{
    int32_t cnt = d->rows * d->n_state;
    int16_t *b0 = buf, *b1 = buf + cnt, *b2 = buf + 2 * cnt, *b3 = buf + 3 * cnt;
    gate(d, n, t, LSTM_GATE_F, LSTM_IN_W_XF, LSTM_IN_W_HF, LSTM_IN_B_F, x, h, 0, b0, b3);
    gate(d, n, t, LSTM_GATE_I, LSTM_IN_W_XI, LSTM_IN_W_HI, LSTM_IN_B_I, x, h, 0, b1, b3);
    gate(d, n, t, LSTM_GATE_C, LSTM_IN_W_XC, LSTM_IN_W_HC, LSTM_IN_B_C, x, h, 1, b2, b3);
    /* c = clip(f * c + i * g) */
    mul_s16(b0, c, &d->mul_fc, cnt, c, 2);
    mul_s16(b1, b2, &d->mul_ig, cnt, b1, 2);
    add_sat_s16(c, b1, cnt);
    if (d->cell_clip > 0.0f) {
        for (int32_t i = 0; i < cnt; i++)
            c[i] = (int16_t)mote_clamp_i32(c[i], -(int32_t)d->cell_qclip, d->cell_qclip);
    }
    /* h = tanh(c) * o */
    gate(d, n, t, LSTM_GATE_O, LSTM_IN_W_XO, LSTM_IN_W_HO, LSTM_IN_B_O, x, h, 0, b1, b3);
    for (int32_t i = 0; i < cnt; i++) b0[i] = lstm_tanh_s16(c[i], d->cell_tanh_mult, d->cell_tanh_shift);
    mul_s16(b0, b1, &d->mul_oh, cnt, h, 1);
}

void mote_lstm_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const lstm_data *d = (const lstm_data *)n->data;
    const int8_t *x = (const int8_t *)mote_in(n, t, LSTM_IN_X)->data;
    int8_t *h = (int8_t *)mote_in(n, t, LSTM_IN_H)->data;
    int16_t *c = (int16_t *)mote_in(n, t, LSTM_IN_C)->data;
    int8_t *out = (int8_t *)mote_out(n, t, 0)->data;
    int16_t *buf = (int16_t *)n->scratch;
    size_t in_step = (size_t)d->rows * (size_t)d->n_input, st = (size_t)d->rows * (size_t)d->n_state;
    /* Time major: all batches advance together. Batch major: each batch row
     * runs its whole sequence with its own state row. Input and output are
     * both walked in storage order either way. */
    int32_t outer = d->time_major ? 1 : d->batch;
    for (int32_t b = 0; b < outer; b++) {
        int8_t *hb = h + (size_t)b * st;
        int16_t *cb = c + (size_t)b * st;
        for (int32_t s = 0; s < d->steps; s++) {
            step(d, n, t, x, hb, cb, buf);
            memcpy(out, hb, st);
            x += in_step;
            out += st;
        }
    }
}
