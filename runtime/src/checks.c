/* Prepare-time proofs shared by kernels. */
#include "mote/kernel.h"

mote_status mote_check_acc_s8(mote_ctx *ctx, int32_t err_tensor, int64_t terms, const mote_tensor *bias)
{
    /* |x - zp| <= 255 and |w| <= 128, so each product is at most 32640 in size. */
    int64_t bound = terms * 32640;
    if (bias && (!(bias->flags & MOTE_TENSOR_CONST) || !bias->data))
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, err_tensor, "int8 bias must be a constant tensor");
    if (bias && bias->type == MOTE_I32) {
        const int32_t *b = (const int32_t *)bias->data;
        int64_t n = mote_tensor_elems(bias), worst = 0;
        for (int64_t i = 0; i < n; i++) {
            int64_t v = b[i] < 0 ? -(int64_t)b[i] : b[i];
            if (v > worst) worst = v;
        }
        bound += worst;
    }
    if (terms < 0 || bound > INT32_MAX)
        return mote_fail(ctx, MOTE_ERR_PARAM, err_tensor, "int32 accumulator could overflow (bias or reduction too large)");
    return MOTE_OK;
}

int mote_quant_per_channel(const mote_tensor *t, int32_t channels)
{
    int32_t a = t->q.axis;
    return t->q.n == channels && a >= 0 && a < t->rank && t->dims[a] == channels;
}
