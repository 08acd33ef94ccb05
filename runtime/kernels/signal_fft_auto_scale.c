/* SignalFftAutoScale (TFLM signal library): shift int16 samples left so the
 * largest magnitude uses the full int16 range; second output = the shift.
 *
 * The max-abs scan follows TFLM bit for bit, including its quirk: -32768
 * negates to +32768, which wraps to -32768 when stored as int16, so that
 * value does not count as a maximum (a later value replaces it). A stack of
 * frames [..., frames, n] is scaled frame by frame, with one shift per frame
 * in [..., frames] (see signal.h). */
#include <string.h>

#include "mote/kernel.h"
#include "mote/signal.h"

void mote_signal_fft_auto_scale_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0);
    const mote_tensor *out = mote_out(n, t, 0);
    const int16_t *x = (const int16_t *)in->data;
    int16_t *y = (int16_t *)out->data;
    const int32_t size = mote_sig_len(out), rows = mote_sig_rows(out);
    int32_t *shift = (int32_t *)mote_out(n, t, 1)->data;
    for (int32_t r = 0; r < rows; r++, x += size, y += size) {
        int16_t max = 0;
        for (int32_t i = 0; i < size; i++) {
            int32_t v = x[i];
            if (v > max)
                max = (int16_t)v;
            else if (-v > max)
                max = (int16_t)(uint16_t)(uint32_t)(-v); /* wraps for -32768 like TFLM */
        }
        /* max converts to uint32 as in TFLM (negative -> huge -> msb 32 -> no shift) */
        int32_t bits = 16 - (int32_t)mote_sig_msb32((uint32_t)(int32_t)max) - 1;
        if (bits < 0) bits = 0;
        for (int32_t i = 0; i < size; i++) y[i] = (int16_t)(uint16_t)((uint32_t)(int32_t)x[i] << bits);
        shift[r] = bits;
    }
}

static mote_status fft_auto_scale_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 2) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFftAutoScale needs 1 input and 2 outputs");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0), *sc = mote_out(n, t, 1);
    if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFftAutoScale input missing");
    if (in->type != MOTE_I16 || out->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "SignalFftAutoScale input and output must be int16");
    if (sc->type != MOTE_I32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "SignalFftAutoScale scale output must be int32");
    if (in->rank < 1 || !mote_sig_same_rows(in, out))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SignalFftAutoScale input and output must be vectors or stacks of the same frames");
    if (mote_sig_len(out) != mote_sig_len(in)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalFftAutoScale output length differs from input");
    if (sc->rank != in->rank - 1 || (sc->rank && memcmp(sc->dims, in->dims, sizeof(int32_t) * sc->rank)))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "SignalFftAutoScale scale output must be a scalar (one per frame for a stack)");
    n->eval = mote_signal_fft_auto_scale_eval;
    return MOTE_OK;
}

static const mote_kernel signal_fft_auto_scale_kernels[] = {
    MOTE_KERNEL("signal_fft_auto_scale", mote_signal_fft_auto_scale_eval),
};

const mote_op_def mote_op_signal_fft_auto_scale = {fft_auto_scale_prepare, MOTE_KERNELS(signal_fft_auto_scale_kernels)};
