/* TRANSPOSE (any dtype of 1, 2, 4 or 8 bytes), up to 6-D: output dim i is
 * input dim perm[i]. The permutation (input 1, int32 or int64 [rank]) must
 * be constant; prepare turns it into per-output-dim input strides. */
#include <string.h>

#include "mote/kernel.h"

typedef struct {
    int32_t dims[MOTE_MAX_DIMS];    /* output dims, left-padded with 1 to 6-D */
    int32_t stride[MOTE_MAX_DIMS];  /* input element stride of each output dim */
    int32_t elems;
    uint8_t elem_size;
} transpose_params;

void mote_transpose_eval(const mote_node *nd, const mote_tensor *t)
{
    const transpose_params *p = (const transpose_params *)nd->data;
    const uint8_t *in = (const uint8_t *)mote_in(nd, t, 0)->data;
    uint8_t *out = (uint8_t *)mote_out(nd, t, 0)->data;
    const size_t es = p->elem_size;
    int32_t idx[MOTE_MAX_DIMS] = {0};
    int64_t off = 0;
    for (int32_t k = 0; k < p->elems; k++) {
        memcpy(out + (size_t)k * es, in + (size_t)off * es, es);
        /* odometer over the output index, keeping the input offset in step */
        for (int d = MOTE_MAX_DIMS - 1; d >= 0; d--) {
            off += p->stride[d];
            if (++idx[d] < p->dims[d]) break;
            off -= (int64_t)p->stride[d] * p->dims[d];
            idx[d] = 0;
        }
    }
}

static mote_status transpose_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 2 || n->n_out != 1 || !mote_in(n, t, 0) || !mote_in(n, t, 1))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "TRANSPOSE needs input, perm and one output");
    const mote_tensor *in = mote_in(n, t, 0), *perm = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    const int32_t out_idx = n->io[n->n_in];
    const size_t es = mote_dtype_size((mote_dtype)in->type);
    if (in->type != out->type) return mote_fail(ctx, MOTE_ERR_TYPE, out_idx, "TRANSPOSE output dtype differs from input");
    if (es != 1 && es != 2 && es != 4 && es != 8)
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "TRANSPOSE supports 1, 2, 4 and 8 byte dtypes");
    const void *pd = mote_const_bytes(perm);
    if (!pd) return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[1], "TRANSPOSE perm must be a constant tensor");
    if ((perm->type != MOTE_I32 && perm->type != MOTE_I64) || perm->rank != 1 || perm->dims[0] != in->rank ||
        out->rank != in->rank || in->rank > MOTE_MAX_DIMS)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "TRANSPOSE perm must be int32/int64 [rank of input]");
    transpose_params *p = (transpose_params *)mote_node_data(ctx, n, sizeof *p);
    if (!p) return MOTE_ERR_ARENA;
    int32_t in_stride[MOTE_MAX_DIMS];
    int64_t s = 1;
    for (int i = in->rank - 1; i >= 0; i--) {
        in_stride[i] = (int32_t)s;
        s *= in->dims[i];
    }
    const int pad = MOTE_MAX_DIMS - in->rank;
    unsigned seen = 0;
    for (int i = 0; i < MOTE_MAX_DIMS; i++) p->dims[i] = 1, p->stride[i] = 0;
    int32_t axes[MOTE_MAX_DIMS];
    for (int i = 0; i < in->rank; i++) {
        const int64_t a = perm->type == MOTE_I32 ? ((const int32_t *)pd)[i] : ((const int64_t *)pd)[i];
        if (a < 0 || a >= in->rank || (seen & (1u << a)))
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "TRANSPOSE perm is not a permutation of the input dims");
        seen |= 1u << a;
        axes[i] = (int32_t)a;
    }
    for (int i = 0; i < in->rank; i++) {
        const int32_t a = axes[i];
        if (out->dims[i] != in->dims[a])
            return mote_fail(ctx, MOTE_ERR_SHAPE, out_idx, "TRANSPOSE output shape is not the permuted input shape");
        p->dims[pad + i] = out->dims[i];
        p->stride[pad + i] = in_stride[a];
    }
    p->elems = (int32_t)mote_tensor_elems(out);
    p->elem_size = (uint8_t)es;
    n->eval = mote_transpose_eval;
    return MOTE_OK;
}

static const mote_kernel transpose_kernels[] = {
    MOTE_KERNEL("transpose", mote_transpose_eval),
};

const mote_op_def mote_op_transpose = {transpose_prepare, MOTE_KERNELS(transpose_kernels)};
