/* STRIDED_SLICE, any dtype (element or row copies). begin/end/strides must be constant
 * int32 or int64 vectors of the input's rank. Follows TFLite's
 * StridedSliceStartForAxis / EndForAxis: negative indices count from the end,
 * then clamp to [0, n] (stride > 0) or [-1, n-1] (stride < 0); begin_mask /
 * end_mask select the whole axis; offset makes end relative to begin;
 * shrink_axis takes one element and drops the axis. As TFLM, ellipsis and
 * new_axis masks are not supported. */
#include <string.h>

#include "mote/kernel.h"

typedef struct {
    int32_t rank;
    int32_t start[MOTE_MAX_DIMS], step[MOTE_MAX_DIMS], count[MOTE_MAX_DIMS];
    int64_t pitch[MOTE_MAX_DIMS]; /* input elements per index of each axis */
    int32_t esize;
} ss_data;

void mote_strided_slice_eval(const mote_node *n, const mote_tensor *t)
{
    const ss_data *d = (const ss_data *)n->data;
    const uint8_t *x = (const uint8_t *)mote_in(n, t, 0)->data;
    uint8_t *y = (uint8_t *)mote_out(n, t, 0)->data;
    int64_t total = 1;
    for (int32_t k = 0; k < d->rank; k++) total *= d->count[k];
    if (total == 0) return;
    int32_t idx[MOTE_MAX_DIMS] = {0};
    int64_t src = 0;
    for (int32_t k = 0; k < d->rank; k++) src += (int64_t)d->start[k] * d->pitch[k];
    /* A unit step on the last axis makes each of its runs one contiguous copy
     * (framing audio slices long rows; per element it cost ~56 instructions). */
    const int32_t last = d->rank - 1;
    const int64_t run = last >= 0 && d->step[last] == 1 ? d->count[last] : 1;
    const int32_t top = run > 1 ? last - 1 : last;
    for (int64_t o = 0; o < total; o += run) {
        memcpy(y + o * (int64_t)d->esize, x + src * (int64_t)d->esize, (size_t)(run * d->esize));
        for (int32_t k = top; k >= 0; k--) {
            src += (int64_t)d->step[k] * d->pitch[k];
            if (++idx[k] < d->count[k]) break;
            src -= (int64_t)d->step[k] * d->count[k] * d->pitch[k];
            idx[k] = 0;
        }
    }
}

static int32_t clampi(int32_t v, int32_t lo, int32_t hi)
{
    return v > hi ? hi : (v < lo ? lo : v);
}

static int load_index(const mote_tensor *v, int i, int32_t *out)
{
    int64_t x = v->type == MOTE_I32 ? ((const int32_t *)v->data)[i] : ((const int64_t *)v->data)[i];
    if (x < INT32_MIN || x > INT32_MAX) return 0;
    *out = (int32_t)x;
    return 1;
}

static mote_status strided_slice_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 4 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "STRIDED_SLICE needs 4 inputs and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "STRIDED_SLICE input missing");
    if (in->type != out->type) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[4], "STRIDED_SLICE output dtype differs from input");
    const int r = in->rank;
    for (int i = 1; i < 4; i++) {
        const mote_tensor *v = mote_in(n, t, i);
        if (!v) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "STRIDED_SLICE begin/end/strides missing");
        if (v->type != MOTE_I32 && v->type != MOTE_I64) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[i], "STRIDED_SLICE begin/end/strides must be int32 or int64");
        if (!(v->flags & MOTE_TENSOR_CONST) || !v->data) return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[i], "STRIDED_SLICE begin/end/strides must be constant");
        if (v->rank != 1 || v->dims[0] != r) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[i], "STRIDED_SLICE begin/end/strides length must equal the input rank");
    }
    if (n->opts.ellipsis_mask != 0 || n->opts.new_axis_mask != 0)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "STRIDED_SLICE ellipsis_mask/new_axis_mask not supported");
    ss_data *d = (ss_data *)mote_node_data(ctx, n, sizeof *d);
    if (!d) return MOTE_ERR_ARENA;
    d->rank = r;
    d->esize = (int32_t)mote_dtype_size((mote_dtype)in->type);
    if (!d->esize) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "STRIDED_SLICE does not support packed (int4, binary) tensors");
    int64_t pitch = 1;
    for (int k = r - 1; k >= 0; k--) {
        d->pitch[k] = pitch;
        pitch *= in->dims[k];
    }
    int out_axis = 0;
    for (int k = 0; k < r; k++) {
        int32_t b, e, s;
        if (!load_index(mote_in(n, t, 1), k, &b) || !load_index(mote_in(n, t, 2), k, &e) || !load_index(mote_in(n, t, 3), k, &s))
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[1], "STRIDED_SLICE index out of int32 range");
        if (s == 0) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[3], "STRIDED_SLICE stride must be non-zero");
        const int32_t size = in->dims[k];
        const int shrink = (n->opts.shrink_axis_mask >> k) & 1;
        /* start */
        if (b < 0) b += size; /* b >= INT32_MIN and size >= 0: no overflow */
        b = s > 0 ? clampi(b, 0, size) : clampi(b, -1, size - 1);
        if ((n->opts.begin_mask >> k) & 1) b = s > 0 ? 0 : size - 1;
        /* end */
        if (shrink) {
            e = b >= size ? b : b + 1;
        } else {
            int64_t e64 = n->opts.offset ? (int64_t)e + b : e;
            if (e64 < 0) e64 += size;
            e = (int32_t)(s > 0 ? (e64 < 0 ? 0 : (e64 > size ? size : e64)) : (e64 < -1 ? -1 : (e64 > size - 1 ? size - 1 : e64)));
            if ((n->opts.end_mask >> k) & 1) e = s > 0 ? size : -1;
        }
        int64_t cnt = s > 0 ? ((int64_t)e - b + s - 1) / s : ((int64_t)b - e + (-(int64_t)s) - 1) / (-(int64_t)s);
        if (cnt < 0) cnt = 0;
        if (shrink && s < 0) cnt = b < size ? 1 : 0; /* shrink always steps forward by one */
        d->start[k] = b;
        d->step[k] = s;
        d->count[k] = (int32_t)cnt;
        if (!shrink) {
            if (out_axis >= out->rank || out->dims[out_axis] != cnt)
                return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[4], "STRIDED_SLICE output shape differs from the slice");
            out_axis++;
        }
    }
    if (out_axis != out->rank) {
        /* a fully shrunk slice may be stored as [1] instead of a scalar */
        if (!(out_axis == 0 && out->rank == 1 && out->dims[0] == 1))
            return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[4], "STRIDED_SLICE output rank differs from the slice");
    }
    n->eval = mote_strided_slice_eval;
    return MOTE_OK;
}

static const mote_kernel strided_slice_kernels[] = {
    MOTE_KERNEL("strided_slice", mote_strided_slice_eval),
};

const mote_op_def mote_op_strided_slice = {strided_slice_prepare, MOTE_KERNELS(strided_slice_kernels)};
