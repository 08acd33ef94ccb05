/* SignalFilterBankSpectralSubtraction (TFLM signal library): per channel
 * noise estimate (a one-pole low-pass, state kept across invokes) subtracted
 * from the signal, never below min_signal_remaining * signal.
 * Outputs: the cleaned signal and a copy of the updated noise estimate.
 * Even channels use smoothing, odd ones alternate_smoothing. The estimate is
 * node state: zeroed at prepare (as TFLM does) and by mote_reset. A stack of
 * frames is cleaned row by row, the estimate carried from each row to the
 * next, and the second output holds the estimate after each row. */
#include <string.h>

#include "mote/kernel.h"
#include "mote/signal.h"

typedef struct {
    int32_t channels;
    uint32_t smoothing[2], one_minus[2]; /* [channel parity] */
    uint32_t min_remaining;
    uint32_t smoothing_bits, ss_bits;
    int32_t clamping;
} ss_data;

void mote_signal_spectral_subtraction_eval(const mote_node *n, const mote_tensor *t)
{
    const ss_data *d = (const ss_data *)n->data;
    const uint32_t *x = (const uint32_t *)mote_in(n, t, 0)->data;
    uint32_t *y = (uint32_t *)mote_out(n, t, 0)->data;
    uint32_t *noise_out = (uint32_t *)mote_out(n, t, 1)->data;
    uint32_t *noise = (uint32_t *)n->state; /* channels */
    const int32_t rows = mote_sig_rows(mote_in(n, t, 0));
    for (int32_t r = 0; r < rows; r++, x += d->channels, y += d->channels, noise_out += d->channels) {
        for (int32_t i = 0; i < d->channels; i++) {
            const uint32_t sm = d->smoothing[i & 1], oms = d->one_minus[i & 1];
            const uint32_t up = x[i] << d->smoothing_bits; /* wraps as in TFLM */
            noise[i] = (uint32_t)(((uint64_t)up * sm + (uint64_t)noise[i] * oms) >> d->ss_bits);
            uint32_t est = noise[i];
            if (est > up) {
                est = up;
                if (d->clamping) noise[i] = est;
            }
            const uint32_t floor_v = (uint32_t)(((uint64_t)x[i] * d->min_remaining) >> d->ss_bits);
            const uint32_t sub = (up - est) >> d->smoothing_bits;
            y[i] = sub > floor_v ? sub : floor_v;
        }
        memcpy(noise_out, noise, (size_t)d->channels * sizeof(uint32_t));
    }
}

static mote_status ss_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 2)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankSpectralSubtraction needs 1 input and 2 outputs");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0), *ne = mote_out(n, t, 1);
    if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankSpectralSubtraction input missing");
    if (in->type != MOTE_U32 || out->type != MOTE_U32 || ne->type != MOTE_U32)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "SignalFilterBankSpectralSubtraction tensors must be uint32");
    if (in->rank < 1 || !mote_sig_same_rows(in, out) || !mote_sig_same_rows(in, ne))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SignalFilterBankSpectralSubtraction tensors must be vectors or stacks of the same frames");
    if (n->opts.n_iparams < MOTE_SIG_SS_N)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankSpectralSubtraction options missing");
    const int32_t *p = n->opts.iparams;
    const int32_t ch = p[MOTE_SIG_SS_NUM_CHANNELS];
    if (ch < 1 || mote_sig_len(in) != ch || mote_sig_len(out) != ch || mote_sig_len(ne) != ch)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalFilterBankSpectralSubtraction lengths differ from num_channels");
    if (p[MOTE_SIG_SS_SMOOTHING_BITS] < 0 || p[MOTE_SIG_SS_SMOOTHING_BITS] > 31 ||
        p[MOTE_SIG_SS_SPECTRAL_SUBTRACTION_BITS] < 0 || p[MOTE_SIG_SS_SPECTRAL_SUBTRACTION_BITS] > 63)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankSpectralSubtraction shift out of range");
    ss_data *d = (ss_data *)mote_node_data(ctx, n, sizeof *d);
    if (!d || !mote_node_state(ctx, n, (size_t)ch * sizeof(uint32_t))) return MOTE_ERR_ARENA;
    d->channels = ch;
    d->smoothing[0] = (uint32_t)p[MOTE_SIG_SS_SMOOTHING];
    d->one_minus[0] = (uint32_t)p[MOTE_SIG_SS_ONE_MINUS_SMOOTHING];
    d->smoothing[1] = (uint32_t)p[MOTE_SIG_SS_ALT_SMOOTHING];
    d->one_minus[1] = (uint32_t)p[MOTE_SIG_SS_ALT_ONE_MINUS_SMOOTHING];
    d->min_remaining = (uint32_t)p[MOTE_SIG_SS_MIN_SIGNAL_REMAINING];
    d->smoothing_bits = (uint32_t)p[MOTE_SIG_SS_SMOOTHING_BITS];
    d->ss_bits = (uint32_t)p[MOTE_SIG_SS_SPECTRAL_SUBTRACTION_BITS];
    d->clamping = p[MOTE_SIG_SS_CLAMPING] != 0;
    n->eval = mote_signal_spectral_subtraction_eval;
    return MOTE_OK;
}

static const mote_kernel signal_filter_bank_spectral_subtraction_kernels[] = {
    MOTE_KERNEL("signal_spectral_subtraction", mote_signal_spectral_subtraction_eval),
};

const mote_op_def mote_op_signal_filter_bank_spectral_subtraction = {ss_prepare, MOTE_KERNELS(signal_filter_bank_spectral_subtraction_kernels)};
