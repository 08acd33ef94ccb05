/* SignalWindow (TFLM signal library): int16 samples times an int16 window,
 * arithmetic right shift, saturated to int16. The window repeats over the
 * flattened input (one frame per window length). */
#include "mote/kernel.h"
#include "mote/signal.h"

typedef struct {
    int32_t shift;
} window_data;

void mote_signal_window_eval(const mote_node *n, const mote_tensor *t)
{
    const window_data *d = (const window_data *)n->data;
    const mote_tensor *in = mote_in(n, t, 0);
    const mote_tensor *w = mote_in(n, t, 1);
    const int16_t *x = (const int16_t *)in->data;
    const int16_t *win = (const int16_t *)w->data;
    int16_t *y = (int16_t *)mote_out(n, t, 0)->data;
    const int32_t wn = w->dims[0];
    const int64_t total = mote_tensor_elems(in);
    for (int64_t base = 0; base < total; base += wn) {
        for (int32_t i = 0; i < wn; i++) {
            int32_t v = ((int32_t)x[base + i] * win[i]) >> d->shift;
            y[base + i] = (int16_t)(v < INT16_MIN ? INT16_MIN : (v > INT16_MAX ? INT16_MAX : v));
        }
    }
}

static mote_status window_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 2 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalWindow needs 2 inputs and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *w = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    if (!in || !w) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalWindow input missing");
    if (in->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "SignalWindow input must be int16");
    if (w->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "SignalWindow weights must be int16");
    if (out->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "SignalWindow output must be int16");
    if (in->rank < 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SignalWindow input must have rank >= 1");
    if (w->rank != 1 || w->dims[0] < 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalWindow weights must be a non-empty vector");
    if (!mote_same_shape(in, out)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "SignalWindow output shape differs from input");
    if (mote_tensor_elems(in) % w->dims[0] != 0)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalWindow input size is not a multiple of the window length");
    if (n->opts.n_iparams < MOTE_SIG_WINDOW_N) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalWindow options missing (shift)");
    int32_t shift = n->opts.iparams[MOTE_SIG_WINDOW_SHIFT];
    if (shift < 0 || shift > 31) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalWindow shift must be in 0..31");
    window_data *d = (window_data *)mote_node_data(ctx, n, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    d->shift = shift;
    n->eval = mote_signal_window_eval;
    return MOTE_OK;
}

static const mote_kernel signal_window_kernels[] = {
    MOTE_KERNEL("signal_window", mote_signal_window_eval),
};

const mote_op_def mote_op_signal_window = {window_prepare, MOTE_KERNELS(signal_window_kernels)};
