/* LSTM as UNIDIRECTIONAL_SEQUENCE_LSTM, where that is a remap: forward
 * direction, time-major layout (ONNX layout 0), default activations, no
 * clip, no peepholes, zero (or no) initial state, full-length sequences.
 * ONNX packs the gates i, o, f, c in W [1, 4H, I], R [1, 4H, H] and B
 * [1, 8H] (input then recurrent biases); mote takes one [H, I], [H, H] and
 * [H] tensor per gate in the order i, f, c, o, and two variable state
 * tensors that the host runtime zeroes before each input (mote_reset). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

/* 1 when input k is absent or a constant of zeros, 0 when not, -1 when it names nothing. */
static int zero_or_absent(onnx_imp *im, int k)
{
    if (!onnx_has_in(im, k)) return 1;
    onnx_value *v = onnx_in(im, k);
    if (!v) return -1;
    if (!v->cdata) return 0;
    for (int64_t i = 0, n = onnx_elems(v->rank, v->dims); i < n; i++)
        if (onnx_cf(v, i) != 0.0f) return 0;
    return 1;
}

static onnx_value *weight(onnx_imp *im, int k, const char *what, int32_t rows, int32_t cols)
{
    onnx_value *v = onnx_in(im, k);
    if (!v) return NULL;
    if (!v->cdata || v->dtype != MOTE_F32 || v->rank != 3 || v->dims[0] != 1 || v->dims[1] != rows || v->dims[2] != cols) {
        onnx_fail(im, "%s must be a float32 constant [1, %d, %d]", what, rows, cols);
        return NULL;
    }
    return v;
}

static int op_lstm(onnx_imp *im)
{
    onnx_value *x = onnx_in(im, 0);
    if (!x) return -1;
    int64_t hidden, layout, input_forget;
    char dir[32];
    if (onnx_attr_i(im, "hidden_size", 0, &hidden) || onnx_attr_i(im, "layout", 0, &layout) ||
        onnx_attr_i(im, "input_forget", 0, &input_forget) || onnx_attr_s(im, "direction", "forward", dir, sizeof dir))
        return -1;
    if (strcmp(dir, "forward")) return onnx_fail(im, "direction '%s' not supported yet (forward only)", dir);
    if (layout) return onnx_fail(im, "layout=1 (batch first) not supported yet");
    if (input_forget) return onnx_fail(im, "input_forget=1 not supported");
    if (onnx_attr_get(im, "clip")) return onnx_fail(im, "clip not supported yet");
    if (onnx_attr_get(im, "activations")) return onnx_fail(im, "activations other than the defaults are not supported");
    if (x->cdata || x->dtype != MOTE_F32 || x->rank != 3) return onnx_fail(im, "X must be a float32 activation [seq, batch, input]");
    int32_t T = x->dims[0], N = x->dims[1], I = x->dims[2];
    if (hidden < 1 || hidden > 4096) return onnx_fail(im, "hidden_size %lld out of range", (long long)hidden);
    int32_t H = (int32_t)hidden;
    onnx_value *w = weight(im, 1, "W", 4 * H, I), *r = w ? weight(im, 2, "R", 4 * H, H) : NULL;
    if (!r) return -1;
    onnx_value *b = NULL;
    if (onnx_has_in(im, 3)) {
        if (!(b = onnx_in(im, 3))) return -1;
        if (!b->cdata || b->dtype != MOTE_F32 || b->rank != 2 || b->dims[0] != 1 || b->dims[1] != 8 * H)
            return onnx_fail(im, "B must be a float32 constant [1, %d]", 8 * H);
    }
    if (onnx_has_in(im, 4)) {
        onnx_value *sl = onnx_in(im, 4);
        if (!sl) return -1;
        if (!sl->cdata || onnx_elems(sl->rank, sl->dims) != N) return onnx_fail(im, "sequence_lens must be a constant [batch]");
        for (int32_t i = 0; i < N; i++)
            if (onnx_ci(sl, i) != T) return onnx_fail(im, "sequence_lens shorter than the sequence are not supported");
    }
    int zh = zero_or_absent(im, 5), zc = zh < 0 ? -1 : zero_or_absent(im, 6), zp = zc < 0 ? -1 : zero_or_absent(im, 7);
    if (zh < 0 || zc < 0 || zp < 0) return -1;
    if (!zh || !zc) return onnx_fail(im, "initial_h / initial_c must be absent or constant zeros");
    if (!zp) return onnx_fail(im, "peepholes (P) are not supported");
    for (size_t k = 1; k < im->node->n_output && k < 3; k++)
        if (im->node->output[k] && im->node->output[k][0] && onnx_uses(im, im->node->output[k]) > 0)
            return onnx_fail(im, "the %s output is not supported yet (use Y)", k == 1 ? "Y_h" : "Y_c");

    int32_t in[24];
    for (int k = 0; k < 24; k++) in[k] = -1;
    if ((in[0] = onnx_plain(im, x)) < 0) return -1;
    static const int GATE[4] = {0, 2, 3, 1}; /* mote i, f, c, o <- ONNX i, o, f, c */
    float *buf = malloc(((size_t)H * (size_t)(I > H ? I : H) + (size_t)H) * 4);
    if (!buf) return onnx_fail(im, "out of memory");
    const float *wd = w->cdata, *rd = r->cdata, *bd = b ? b->cdata : NULL;
    int32_t dw[2] = {H, I}, dr[2] = {H, H};
    for (int k = 0; k < 4; k++) {
        size_t g = (size_t)GATE[k] * (size_t)H;
        in[1 + k] = onnx_const_f(im, "/w_x", 2, dw, wd + g * (size_t)I);
        in[5 + k] = onnx_const_f(im, "/w_h", 2, dr, rd + g * (size_t)H);
        for (int32_t j = 0; j < H; j++) buf[j] = bd ? bd[g + (size_t)j] + bd[(size_t)4 * H + g + (size_t)j] : 0.0f;
        in[12 + k] = onnx_const_f(im, "/bias", 1, &H, buf);
        if (in[1 + k] < 0 || in[5 + k] < 0 || in[12 + k] < 0) {
            free(buf);
            return onnx_fail(im, "%s", im->berr);
        }
    }
    free(buf);
    int32_t ds[2] = {N, H}, dy[3] = {T, N, H};
    in[18] = mote_irb_tensor(&im->b, "lstm_h", MOTE_F32, 2, ds);
    in[19] = mote_irb_tensor(&im->b, "lstm_c", MOTE_F32, 2, ds);
    int32_t y3 = mote_irb_tensor(&im->b, "lstm_y", MOTE_F32, 3, dy);
    if (in[18] < 0 || in[19] < 0 || y3 < 0) return onnx_fail(im, "%s", im->berr);
    im->g->tensors[in[18]].t.flags |= MOTE_TENSOR_VARIABLE;
    im->g->tensors[in[19]].t.flags |= MOTE_TENSOR_VARIABLE;
    mote_opts o = mote_irb_opts();
    o.activation = MOTE_ACT_TANH;
    o.time_major = 1;
    if (onnx_emit(im, MOTE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, in, 24, y3, &o) < 0) return -1;
    /* Y is [seq, num_directions = 1, batch, hidden] */
    int32_t d4[4] = {T, 1, N, H};
    onnx_value *y = onnx_out(im, 0, 4, d4, MOTE_F32);
    int32_t dst = y ? onnx_act(im, y, 0) : -1;
    return dst < 0 || onnx_emit(im, MOTE_OP_RESHAPE, &y3, 1, dst, &o) < 0 ? -1 : 0;
}

int onnx_op_rnn(onnx_imp *im, const char *op)
{
    if (!strcmp(op, "LSTM")) return op_lstm(im) ? -1 : 1;
    return 0;
}
