/* SignalEnergy (TFLM signal library): |X[i]|^2 of an int16 complex spectrum
 * (interleaved re, im) for start_index <= i < end_index, as uint32.
 * TFLM leaves the other outputs untouched (zero in a fresh arena); mote writes
 * zeros there so the result does not depend on arena contents. A stack of
 * frames [..., frames, 2n] gives [..., frames, n'] (see signal.h). */
#include <string.h>

#include "mote/kernel.h"
#include "mote/signal.h"

typedef struct {
    int32_t start, end;
} energy_data;

void mote_signal_energy_eval(const mote_node *n, const mote_tensor *t)
{
    const energy_data *d = (const energy_data *)n->data;
    const int16_t *x = (const int16_t *)mote_in(n, t, 0)->data;
    const mote_tensor *out = mote_out(n, t, 0);
    uint32_t *y = (uint32_t *)out->data;
    const int32_t rows = mote_sig_rows(out), in_len = mote_sig_len(mote_in(n, t, 0)), out_len = mote_sig_len(out);
    memset(y, 0, out->bytes);
    for (int32_t r = 0; r < rows; r++, x += in_len, y += out_len)
        for (int32_t i = d->start; i < d->end; i++) {
            int32_t re = x[2 * i], im = x[2 * i + 1];
            /* each square <= 2^30, the sum fits uint32 */
            y[i] = (uint32_t)(re * re) + (uint32_t)(im * im);
        }
}

static mote_status energy_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalEnergy needs 1 input and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalEnergy input missing");
    if (in->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "SignalEnergy input must be int16");
    if (out->type != MOTE_U32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "SignalEnergy output must be uint32");
    if (in->rank < 1 || !mote_sig_same_rows(in, out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SignalEnergy input and output must be vectors or stacks of the same frames");
    if (n->opts.n_iparams < MOTE_SIG_ENERGY_N) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalEnergy options missing (start_index, end_index)");
    const int32_t start = n->opts.iparams[MOTE_SIG_ENERGY_START], end = n->opts.iparams[MOTE_SIG_ENERGY_END];
    if (start < 0 || end < start) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalEnergy needs 0 <= start_index <= end_index");
    if (end > mote_sig_len(out)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalEnergy end_index exceeds the output length");
    if ((int64_t)end * 2 > mote_sig_len(in)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SignalEnergy end_index exceeds the complex input length");
    energy_data *d = (energy_data *)mote_node_data(ctx, n, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    d->start = start;
    d->end = end;
    n->eval = mote_signal_energy_eval;
    return MOTE_OK;
}

static const mote_kernel signal_energy_kernels[] = {
    MOTE_KERNEL("signal_energy", mote_signal_energy_eval),
};

const mote_op_def mote_op_signal_energy = {energy_prepare, MOTE_KERNELS(signal_energy_kernels)};
