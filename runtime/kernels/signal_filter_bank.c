/* SignalFilterBank (TFLM signal library): triangular mel filters over a
 * uint32 energy spectrum, accumulated in uint64.
 *
 * Inputs: spectrum (uint32), weights, unweights (int16, 1 - weight),
 * channel_frequency_starts, channel_weight_starts, channel_widths (int16,
 * num_channels + 1 each). Channel c collects weight * x over its band plus
 * unweight * x over the band of channel c - 1; an extra leading channel only
 * feeds channel 0 and is dropped. Products and sums wrap modulo 2^64 as in
 * TFLM (int16 weights are sign-extended to uint64). The spectrum may be a
 * stack of frames [..., frames, bins] (see signal.h). */
#include "mote/kernel.h"
#include "mote/signal.h"

void mote_signal_filter_bank_eval(const mote_node *n, const mote_tensor *t)
{
    const uint32_t *x = (const uint32_t *)mote_in(n, t, 0)->data;
    const int16_t *w = (const int16_t *)mote_in(n, t, 1)->data;
    const int16_t *uw = (const int16_t *)mote_in(n, t, 2)->data;
    const int16_t *fstart = (const int16_t *)mote_in(n, t, 3)->data;
    const int16_t *wstart = (const int16_t *)mote_in(n, t, 4)->data;
    const int16_t *width = (const int16_t *)mote_in(n, t, 5)->data;
    const mote_tensor *out = mote_out(n, t, 0);
    uint64_t *y = (uint64_t *)out->data;
    const int32_t channels = mote_sig_len(out), rows = mote_sig_rows(out), bins = mote_sig_len(mote_in(n, t, 0));
    for (int32_t r = 0; r < rows; r++, x += bins, y += channels) {
        uint64_t acc = 0, unacc = 0;
        for (int32_t c = 0; c <= channels; c++) {
            for (int32_t j = 0; j < width[c]; j++) {
                uint64_t v = x[fstart[c] + j];
                acc += (uint64_t)(int64_t)w[wstart[c] + j] * v;
                unacc += (uint64_t)(int64_t)uw[wstart[c] + j] * v;
            }
            if (c > 0) y[c - 1] = acc;
            acc = unacc;
            unacc = 0;
        }
    }
}

static mote_status filter_bank_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 6 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBank needs 6 inputs and 1 output");
    const mote_tensor *out = mote_out(n, t, 0);
    for (int i = 0; i < 6; i++) {
        const mote_tensor *a = mote_in(n, t, i);
        if (!a) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBank input missing");
        if (a->type != (i == 0 ? MOTE_U32 : MOTE_I16))
            return mote_fail(ctx, MOTE_ERR_TYPE, n->io[i], i == 0 ? "SignalFilterBank spectrum must be uint32" : "SignalFilterBank tables must be int16");
        if (i > 0 && a->rank != 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[i], "SignalFilterBank tables must be vectors");
    }
    if (out->type != MOTE_U64) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[6], "SignalFilterBank output must be uint64");
    if (out->rank < 1 || !mote_sig_same_rows(mote_in(n, t, 0), out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[6], "SignalFilterBank spectrum and output must be vectors or stacks of the same frames");
    if (n->opts.n_iparams < MOTE_SIG_FB_N) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBank options missing (num_channels)");
    const int32_t ch = n->opts.iparams[MOTE_SIG_FB_NUM_CHANNELS];
    if (ch < 1 || mote_sig_len(out) != ch) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[6], "SignalFilterBank output length differs from num_channels");
    for (int i = 3; i < 6; i++)
        if (mote_in(n, t, i)->dims[0] < ch + 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[i], "SignalFilterBank channel tables need num_channels + 1 entries");
    if (mote_in(n, t, 1)->dims[0] != mote_in(n, t, 2)->dims[0])
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "SignalFilterBank weights and unweights differ in length");
    /* The bands index the spectrum and weights, so they are checked here once:
     * that needs them constant (they always are: the filter bank is designed
     * offline). A fuzz find: computed tables used to go unchecked. */
    const mote_tensor *fs = mote_in(n, t, 3), *ws = mote_in(n, t, 4), *wd = mote_in(n, t, 5);
    if (!(fs->flags & ws->flags & wd->flags & MOTE_TENSOR_CONST) || !fs->data || !ws->data || !wd->data)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[3], "SignalFilterBank channel tables must be constant");
    const int16_t *f = (const int16_t *)fs->data, *s = (const int16_t *)ws->data, *w = (const int16_t *)wd->data;
    for (int32_t c = 0; c <= ch; c++) {
        if (w[c] < 0 || f[c] < 0 || s[c] < 0 || f[c] + w[c] > mote_sig_len(mote_in(n, t, 0)) ||
            s[c] + w[c] > mote_in(n, t, 1)->dims[0])
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[3], "SignalFilterBank channel band outside the spectrum or weights");
    }
    n->eval = mote_signal_filter_bank_eval;
    return MOTE_OK;
}

static const mote_kernel signal_filter_bank_kernels[] = {
    MOTE_KERNEL("signal_filter_bank", mote_signal_filter_bank_eval),
};

const mote_op_def mote_op_signal_filter_bank = {filter_bank_prepare, MOTE_KERNELS(signal_filter_bank_kernels)};
