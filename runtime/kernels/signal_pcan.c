/* SignalPCAN (TFLM signal library): per-channel automatic gain control.
 * gain = WideDynamicFunction(noise_estimate) from an int16 lookup table
 * (3 coefficients of a quadratic per power-of-two interval), then
 * snr = (x * gain) >> snr_shift and a "shrink" curve: snr^2/4 below 2, snr - 1
 * above, with 12 fractional bits in and 6 out. TFLM's int32 intermediates
 * may overflow; they are computed here with explicit two's-complement wrap.
 * Element-wise with its noise estimate, so a stack of frames is just more
 * elements (see signal.h). */
#include "mote/kernel.h"
#include "mote/signal.h"

#define PCAN_SNR_BITS 12
#define PCAN_OUTPUT_BITS 6

typedef struct {
    int32_t snr_shift;
} pcan_data;

static int16_t wide_dynamic(uint32_t x, const int16_t *lut)
{
    if (x <= 2) return lut[x];
    const int32_t interval = (int32_t)mote_sig_msb32(x); /* 2..32 */
    lut += 4 * interval - 6;
    const uint32_t scaled = interval < 11 ? x << (11 - interval) : x >> (interval - 11);
    const int32_t frac = (int32_t)(int16_t)(scaled & 0x3FF);
    int32_t r = ((int32_t)lut[2] * frac) >> 5;
    r = (int32_t)((uint32_t)r + ((uint32_t)(int32_t)lut[1] << 5));
    r = (int32_t)(uint32_t)((int64_t)r * frac);
    r = (int32_t)((uint32_t)r + (1u << 14)) >> 15;
    r = (int32_t)((uint32_t)r + (uint32_t)(int32_t)lut[0]);
    return (int16_t)(uint16_t)(uint32_t)r;
}

static uint32_t pcan_shrink(uint32_t x)
{
    if (x < (2u << PCAN_SNR_BITS)) return (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
    return (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1u << PCAN_OUTPUT_BITS);
}

void mote_signal_pcan_eval(const mote_node *n, const mote_tensor *t)
{
    const pcan_data *d = (const pcan_data *)n->data;
    const mote_tensor *in = mote_in(n, t, 0);
    const uint32_t *x = (const uint32_t *)in->data;
    const uint32_t *noise = (const uint32_t *)mote_in(n, t, 1)->data;
    const int16_t *lut = (const int16_t *)mote_in(n, t, 2)->data;
    uint32_t *y = (uint32_t *)mote_out(n, t, 0)->data;
    const int32_t len = mote_sig_rows(in) * mote_sig_len(in);
    for (int32_t i = 0; i < len; i++) {
        const uint32_t gain = (uint32_t)(int32_t)wide_dynamic(noise[i], lut);
        const uint32_t snr = (uint32_t)(((uint64_t)x[i] * gain) >> d->snr_shift);
        y[i] = pcan_shrink(snr);
    }
}

static mote_status pcan_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 3 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalPCAN needs 3 inputs and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *ne = mote_in(n, t, 1), *lut = mote_in(n, t, 2), *out = mote_out(n, t, 0);
    if (!in || !ne || !lut) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalPCAN input missing");
    if (in->type != MOTE_U32 || ne->type != MOTE_U32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "SignalPCAN input and noise estimate must be uint32");
    if (lut->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "SignalPCAN gain table must be int16");
    if (out->type != MOTE_U32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[3], "SignalPCAN output must be uint32");
    if (in->rank < 1 || !mote_sig_same_rows(in, ne) || !mote_sig_same_rows(in, out) || lut->rank != 1)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SignalPCAN tensors must be vectors (or stacks of the same frames)");
    if (mote_sig_len(in) < 1 || mote_sig_len(ne) != mote_sig_len(in) || mote_sig_len(out) != mote_sig_len(in))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalPCAN input, noise estimate and output lengths differ");
    /* the largest index read is 4 * 32 - 6 + 2 = 124 */
    if (lut->dims[0] < 125) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "SignalPCAN gain table needs 125 entries");
    if (n->opts.n_iparams < MOTE_SIG_PCAN_N) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalPCAN options missing (snr_shift)");
    const int32_t shift = n->opts.iparams[MOTE_SIG_PCAN_SNR_SHIFT];
    if (shift < 0 || shift > 63) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalPCAN snr_shift must be in 0..63");
    pcan_data *d = (pcan_data *)mote_node_data(ctx, n, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    d->snr_shift = shift;
    n->eval = mote_signal_pcan_eval;
    return MOTE_OK;
}

static const mote_kernel signal_pcan_kernels[] = {
    MOTE_KERNEL("signal_pcan", mote_signal_pcan_eval),
};

const mote_op_def mote_op_signal_pcan = {pcan_prepare, MOTE_KERNELS(signal_pcan_kernels)};
