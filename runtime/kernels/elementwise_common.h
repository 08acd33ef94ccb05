/* Internal helpers for element-wise kernels (ADD, MUL, ...): numpy-style
 * broadcasting of two inputs up to 6-D, checked once in prepare. */
#ifndef MOTE_ELEMENTWISE_COMMON_H
#define MOTE_ELEMENTWISE_COMMON_H

#include <stdint.h>

#include "mote/kernel.h"

/* Output dims right-aligned to 6-D and, per input, the element stride of
 * each dim (0 where that input is broadcast). rows = product of the 5
 * outer dims; each row is dims[5] elements long. */
typedef struct {
    int32_t dims[MOTE_MAX_DIMS];
    int32_t stride1[MOTE_MAX_DIMS];
    int32_t stride2[MOTE_MAX_DIMS];
    int32_t rows;
    uint8_t needed; /* 0: same shapes, walk the flat arrays */
} mote_bcast;

/* Fill b for inputs a, c and output o. Returns 0 when the shapes do not
 * broadcast or o's shape is not the broadcast shape. */
static inline int mote_bcast_init(mote_bcast *b, const mote_tensor *a, const mote_tensor *c,
                                  const mote_tensor *o)
{
    int32_t da[MOTE_MAX_DIMS], dc[MOTE_MAX_DIMS], dout[MOTE_MAX_DIMS];
    if (a->rank > MOTE_MAX_DIMS || c->rank > MOTE_MAX_DIMS || o->rank > MOTE_MAX_DIMS) return 0;
    for (int i = 0; i < MOTE_MAX_DIMS; i++) {
        int ia = i - (MOTE_MAX_DIMS - a->rank), ic = i - (MOTE_MAX_DIMS - c->rank);
        int io = i - (MOTE_MAX_DIMS - o->rank);
        da[i] = ia >= 0 ? a->dims[ia] : 1;
        dc[i] = ic >= 0 ? c->dims[ic] : 1;
        dout[i] = io >= 0 ? o->dims[io] : 1;
    }
    int32_t sa = 1, sc = 1;
    b->needed = !mote_same_shape(a, c);
    for (int i = MOTE_MAX_DIMS - 1; i >= 0; i--) {
        int32_t d = da[i] == 1 ? dc[i] : da[i];
        if ((da[i] != d && da[i] != 1) || (dc[i] != d && dc[i] != 1)) return 0;
        if (dout[i] != d) return 0;
        b->dims[i] = d;
        b->stride1[i] = da[i] == 1 ? 0 : sa;
        b->stride2[i] = dc[i] == 1 ? 0 : sc;
        sa *= da[i];
        sc *= dc[i];
    }
    b->rows = 1;
    for (int i = 0; i < MOTE_MAX_DIMS - 1; i++) b->rows *= b->dims[i];
    return 1;
}

/* Element offsets of row r (0 <= r < rows) in the two inputs. */
static inline void mote_bcast_row(const mote_bcast *b, int32_t r, int32_t *off1, int32_t *off2)
{
    int32_t o1 = 0, o2 = 0;
    for (int i = MOTE_MAX_DIMS - 2; i >= 0; i--) {
        int32_t idx = r % b->dims[i];
        r /= b->dims[i];
        o1 += idx * b->stride1[i];
        o2 += idx * b->stride2[i];
    }
    *off1 = o1;
    *off2 = o2;
}

/* Loop skeleton: for every output element k (flat, row-major) with input
 * offsets i1, i2, run BODY. Expands to nested loops in the caller so the
 * element operation is inlined. */
#define MOTE_BCAST_FOR(b, total, BODY)                                         \
    do {                                                                       \
        if (!(b)->needed) {                                                    \
            for (int32_t k = 0; k < (total); k++) {                            \
                const int32_t i1 = k, i2 = k;                                  \
                (void)i1; (void)i2;                                            \
                BODY;                                                          \
            }                                                                  \
        } else {                                                               \
            const int32_t inner_ = (b)->dims[MOTE_MAX_DIMS - 1];               \
            const int32_t st1_ = (b)->stride1[MOTE_MAX_DIMS - 1];              \
            const int32_t st2_ = (b)->stride2[MOTE_MAX_DIMS - 1];              \
            for (int32_t r_ = 0; r_ < (b)->rows; r_++) {                       \
                int32_t b1_, b2_;                                              \
                mote_bcast_row((b), r_, &b1_, &b2_);                           \
                for (int32_t c_ = 0; c_ < inner_; c_++) {                      \
                    const int32_t k = r_ * inner_ + c_;                        \
                    const int32_t i1 = b1_ + c_ * st1_, i2 = b2_ + c_ * st2_;  \
                    (void)i1; (void)i2;                                        \
                    BODY;                                                      \
                }                                                              \
            }                                                                  \
        }                                                                      \
    } while (0)

/* ADD's parameter block (add.c). */
typedef struct {
    mote_bcast bc;
    int32_t total;
    /* quantized: both inputs are shifted left, scaled to a common scale
     * (twice the larger input scale), summed, then scaled to the output */
    int32_t in1_offset, in2_offset, out_offset;
    int32_t left_shift;
    int32_t in1_mult, in2_mult, out_mult;
    int in1_shift, in2_shift, out_shift;
    int32_t act_min, act_max;
    float act_min_f, act_max_f;
} mote_add_params;

/* int8 ADD without broadcasting, exact fast arithmetic (add_s8_fast.c). */
void mote_add_s8_fast_eval(const mote_node *n, const mote_tensor *t);

#endif
