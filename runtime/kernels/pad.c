/* PAD / PADV2 (any dtype of 1, 2 or 4 bytes): copies the input into the
 * middle of the output and fills the border. Fill value: input 2 if given
 * (PADV2), else the output zero point for int8 and 0 otherwise, as TFLite.
 * The paddings tensor (input 1, int32 or int64 [rank, 2]) must be constant;
 * it is read once in prepare. */
#include <string.h>

#include "mote/kernel.h"

typedef struct {
    int32_t in_dims[MOTE_MAX_DIMS];  /* right-aligned to 6-D */
    int32_t out_dims[MOTE_MAX_DIMS];
    int32_t before[MOTE_MAX_DIMS];
    int32_t in_rows;                 /* product of the 5 outer input dims */
    int32_t out_elems;
    uint8_t elem_size;
    uint8_t fill[4];                 /* fill value bytes */
} pad_params;

void mote_pad_eval(const mote_node *nd, const mote_tensor *t)
{
    const pad_params *p = (const pad_params *)nd->data;
    const uint8_t *in = (const uint8_t *)mote_in(nd, t, 0)->data;
    uint8_t *out = (uint8_t *)mote_out(nd, t, 0)->data;
    const size_t es = p->elem_size;
    /* fill everything, then copy the input rows (innermost dim) in place */
    for (int32_t i = 0; i < p->out_elems; i++) memcpy(out + (size_t)i * es, p->fill, es);
    const int last = MOTE_MAX_DIMS - 1;
    const size_t row_bytes = (size_t)p->in_dims[last] * es;
    for (int32_t r = 0; r < p->in_rows; r++) {
        int32_t rem = r;
        int64_t off = 0, stride = p->out_dims[last];
        off += p->before[last];
        for (int i = last - 1; i >= 0; i--) {
            const int32_t idx = rem % p->in_dims[i];
            rem /= p->in_dims[i];
            off += (int64_t)(idx + p->before[i]) * stride;
            stride *= p->out_dims[i];
        }
        memcpy(out + (size_t)off * es, in + (size_t)r * row_bytes, row_bytes);
    }
}

static mote_status pad_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if ((n->n_in != 2 && n->n_in != 3) || n->n_out != 1 || !mote_in(n, t, 0) || !mote_in(n, t, 1))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "PAD needs input, paddings and one output");
    const mote_tensor *in = mote_in(n, t, 0), *pads = mote_in(n, t, 1), *cv = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    const int32_t out_idx = n->io[n->n_in];
    const size_t es = mote_dtype_size((mote_dtype)in->type);
    if (in->type != out->type) return mote_fail(ctx, MOTE_ERR_TYPE, out_idx, "PAD output dtype differs from input");
    if (es != 1 && es != 2 && es != 4) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "PAD supports 1, 2 and 4 byte dtypes");
    if (!(pads->flags & MOTE_TENSOR_CONST) || !pads->data)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[1], "PAD paddings must be a constant tensor");
    if ((pads->type != MOTE_I32 && pads->type != MOTE_I64) || pads->rank != 2 || pads->dims[0] != in->rank ||
        pads->dims[1] != 2)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "PAD paddings must be int32/int64 [rank, 2]");
    if (in->rank > MOTE_MAX_DIMS || out->rank != in->rank)
        return mote_fail(ctx, MOTE_ERR_SHAPE, out_idx, "PAD output rank differs from input");
    if (cv && (cv->type != in->type || mote_tensor_elems(cv) != 1 || !cv->data))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[2], "PAD constant value must be one element of the input dtype");
    pad_params *p = (pad_params *)mote_node_data(ctx, n, sizeof(pad_params));
    if (!p) return MOTE_ERR_ARENA;
    const int off = MOTE_MAX_DIMS - in->rank;
    for (int i = 0; i < MOTE_MAX_DIMS; i++) {
        p->in_dims[i] = p->out_dims[i] = 1;
        p->before[i] = 0;
    }
    for (int i = 0; i < in->rank; i++) {
        int64_t b, a;
        if (pads->type == MOTE_I32) {
            b = ((const int32_t *)pads->data)[2 * i];
            a = ((const int32_t *)pads->data)[2 * i + 1];
        } else {
            b = ((const int64_t *)pads->data)[2 * i];
            a = ((const int64_t *)pads->data)[2 * i + 1];
        }
        if (b < 0 || a < 0) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "PAD paddings must be non-negative");
        if ((int64_t)in->dims[i] + b + a != out->dims[i])
            return mote_fail(ctx, MOTE_ERR_SHAPE, out_idx, "PAD output shape is not input plus paddings");
        p->in_dims[off + i] = in->dims[i];
        p->out_dims[off + i] = out->dims[i];
        p->before[off + i] = (int32_t)b;
    }
    p->in_rows = 1;
    for (int i = 0; i < MOTE_MAX_DIMS - 1; i++) p->in_rows *= p->in_dims[i];
    if (p->in_dims[MOTE_MAX_DIMS - 1] == 0) p->in_rows = 0;
    p->out_elems = (int32_t)mote_tensor_elems(out);
    p->elem_size = (uint8_t)es;
    memset(p->fill, 0, sizeof p->fill);
    if (cv) {
        memcpy(p->fill, cv->data, es);
    } else if (in->type == MOTE_I8 || in->type == MOTE_U8) {
        if (out->q.n < 1) return mote_fail(ctx, MOTE_ERR_PARAM, out_idx, "PAD int8 output needs a zero point");
        p->fill[0] = (uint8_t)out->q.zero_point[0];
    }
    n->eval = mote_pad_eval;
    return MOTE_OK;
}

static const mote_kernel pad_kernels[] = {
    MOTE_KERNEL("pad", mote_pad_eval),
};

const mote_op_def mote_op_pad = {pad_prepare, MOTE_KERNELS(pad_kernels)};
