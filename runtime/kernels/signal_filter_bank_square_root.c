/* SignalFilterBankSquareRoot (TFLM signal library): integer square root of
 * each uint64 channel, rounded, then shifted right by the scalar int32 input
 * (the FFT auto-scale bits). Values below 2^32 take TFLM's 32-bit path,
 * whose result saturates at 0xFFFF; that quirk is kept. A stack of frames [..., frames, n] takes one shift per
 * frame, [..., frames] (see signal.h). */
#include <string.h>

#include "mote/kernel.h"
#include "mote/signal.h"

static uint16_t sqrt32(uint32_t num)
{
    if (num == 0) return 0;
    uint32_t res = 0;
    int32_t top = (32 - (int32_t)mote_sig_msb32(num)) | 1;
    uint32_t bit = (uint32_t)1 << (31 - top);
    for (int32_t it = (31 - top) / 2 + 1; it > 0; it--) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFF) ++res;
    return (uint16_t)res;
}

static uint32_t sqrt64(uint64_t num)
{
    if ((num >> 32) == 0) return sqrt32((uint32_t)num);
    uint64_t res = 0;
    int32_t top = (64 - (int32_t)mote_sig_msb64(num)) | 1;
    uint64_t bit = (uint64_t)1 << (63 - top);
    for (int32_t it = (63 - top) / 2 + 1; it > 0; it--) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFFFFFu) ++res;
    return (uint32_t)res;
}

void mote_signal_filter_bank_square_root_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0);
    const uint64_t *x = (const uint64_t *)in->data;
    const int32_t *shift = (const int32_t *)mote_in(n, t, 1)->data;
    uint32_t *y = (uint32_t *)mote_out(n, t, 0)->data;
    const int32_t rows = mote_sig_rows(in), len = mote_sig_len(in);
    for (int32_t r = 0; r < rows; r++, x += len, y += len) {
        /* the shift comes from FftAutoScale (0..15); clamp so a bad value is not UB */
        const int32_t s = shift[r] < 0 ? 0 : (shift[r] > 31 ? 31 : shift[r]);
        for (int32_t i = 0; i < len; i++) y[i] = sqrt64(x[i]) >> s;
    }
}

static mote_status fb_sqrt_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 2 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankSquareRoot needs 2 inputs and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *sc = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    if (!in || !sc) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalFilterBankSquareRoot input missing");
    if (in->type != MOTE_U64) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "SignalFilterBankSquareRoot input must be uint64");
    if (sc->type != MOTE_I32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[1], "SignalFilterBankSquareRoot scale bits must be int32");
    if (out->type != MOTE_U32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[2], "SignalFilterBankSquareRoot output must be uint32");
    if (in->rank < 1 || !mote_sig_same_rows(in, out) || sc->rank != in->rank - 1 ||
        (sc->rank && memcmp(sc->dims, in->dims, sizeof(int32_t) * sc->rank)))
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SignalFilterBankSquareRoot needs a vector (or a stack of frames) and a scale per frame");
    if (mote_sig_len(out) != mote_sig_len(in)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[2], "SignalFilterBankSquareRoot output length differs from input");
    n->eval = mote_signal_filter_bank_square_root_eval;
    return MOTE_OK;
}

static const mote_kernel signal_filter_bank_square_root_kernels[] = {
    MOTE_KERNEL("signal_filter_bank_square_root", mote_signal_filter_bank_square_root_eval),
};

const mote_op_def mote_op_signal_filter_bank_square_root = {fb_sqrt_prepare, MOTE_KERNELS(signal_filter_bank_square_root_kernels)};
