/* SignalFilterBankLog (TFLM signal library): fixed-point natural log of each
 * uint32 channel, scaled by output_scale, saturated to int16.
 * x is first shifted left by input_correction_bits (wrapping, as TFLM);
 * values <= 1 give 0. log2 = integer part (msb) + a 16-bit fraction from a
 * 129-entry correction table with linear interpolation; ln = log2 * 45426 /
 * 2^16 rounded; then (output_scale * ln + 2^15) >> 16 in uint32. Element-wise,
 * so a stack of frames is just more elements (see signal.h). */
#include "mote/kernel.h"
#include "mote/signal.h"

/* log2(1 + f) - f in 1/65536 units, sampled at f = k / 128 (k = 0..128). */
static const uint16_t log_lut[130] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646,
    2797, 2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460,
    4549, 4633, 4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408,
    5444, 5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633,
    5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249,
    5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341,
    4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981,
    2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224,
    1094, 963,  830,  695,  559,  421,  282,  142,  0,    0,
};

typedef struct {
    uint32_t correction_bits;
    uint32_t output_scale;
} log_data;

static uint32_t log2_fraction(uint32_t x, uint32_t log2x)
{
    /* x - 2^log2x >= 0 and < 2^log2x: normalise it to 16 fractional bits */
    int32_t frac = (int32_t)(x - ((uint32_t)1 << log2x));
    if (log2x < 16)
        frac = (int32_t)((uint32_t)frac << (16 - log2x));
    else
        frac >>= log2x - 16;
    const uint32_t seg = (uint32_t)frac >> 9; /* 128 segments of 512 */
    const int32_t c0 = log_lut[seg], c1 = log_lut[seg + 1];
    const int32_t rel = ((c1 - c0) * (frac - (int32_t)(seg << 9))) >> 16;
    return (uint32_t)(frac + c0 + rel);
}

static uint32_t log32(uint32_t x, uint32_t out_scale)
{
    const uint32_t integer = mote_sig_msb32(x) - 1;
    const uint32_t log2 = (integer << 16) + log2_fraction(x, integer);
    const uint32_t loge = (uint32_t)(((uint64_t)45426 * log2 + 32768) >> 16);
    return (out_scale * loge + 32768u) >> 16;
}

void mote_signal_filter_bank_log_eval(const mote_node *n, const mote_tensor *t)
{
    const log_data *d = (const log_data *)n->data;
    const mote_tensor *in = mote_in(n, t, 0);
    const uint32_t *x = (const uint32_t *)in->data;
    int16_t *y = (int16_t *)mote_out(n, t, 0)->data;
    const int32_t len = mote_sig_rows(in) * mote_sig_len(in);
    for (int32_t i = 0; i < len; i++) {
        const uint32_t scaled = x[i] << d->correction_bits;
        if (scaled > 1) {
            const uint32_t v = log32(scaled, d->output_scale);
            y[i] = (int16_t)(v < INT16_MAX ? v : INT16_MAX);
        } else {
            y[i] = 0;
        }
    }
}

static mote_status fb_log_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankLog needs 1 input and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankLog input missing");
    if (in->type != MOTE_U32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "SignalFilterBankLog input must be uint32");
    if (out->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "SignalFilterBankLog output must be int16");
    if (in->rank < 1 || !mote_sig_same_rows(in, out) || mote_sig_len(out) != mote_sig_len(in))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalFilterBankLog needs equal-length vectors (or stacks of frames)");
    if (n->opts.n_iparams < MOTE_SIG_LOG_N) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankLog options missing");
    const int32_t bits = n->opts.iparams[MOTE_SIG_LOG_INPUT_CORRECTION_BITS];
    if (bits < 0 || bits > 31) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankLog input_correction_bits must be in 0..31");
    log_data *d = (log_data *)mote_node_data(ctx, n, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    d->correction_bits = (uint32_t)bits;
    d->output_scale = (uint32_t)n->opts.iparams[MOTE_SIG_LOG_OUTPUT_SCALE];
    n->eval = mote_signal_filter_bank_log_eval;
    return MOTE_OK;
}

static const mote_kernel signal_filter_bank_log_kernels[] = {
    MOTE_KERNEL("signal_filter_bank_log", mote_signal_filter_bank_log_eval),
};

const mote_op_def mote_op_signal_filter_bank_log = {fb_log_prepare, MOTE_KERNELS(signal_filter_bank_log_kernels)};
