/* Internal to the optimized int8 3x3 depthwise kernel (depthwise_s8_3x3.c)
 * and its chooser (depthwise_s8_opt.c): the layout both agree on.
 *
 * Parameter block: the reference block (mote_conv_data, multipliers,
 * shifts), then at mote_dw3_offset() a mote_dw3_hdr followed by one record
 * of MOTE_DW3_REC words per channel:
 *   [0..5] per filter row r: (2*w[r][0], 2*w[r][1]) and (2*w[r][1], 2*w[r][2])
 *          as int16 pairs (low half first), ready for SMLAD / SMLAxy
 *   [6]    2 * (bias - input_zp * sum(w)): the input zero point folded in
 *   [7]    multiplier m, [8] k = 2^(s-1) + (output_zp << s), [9] s (right shift)
 * Weights and bias are doubled so that the doubling high multiply of the
 * output stage is one rounding most-significant-word multiply-accumulate.
 *
 * Scratch: a ring of 3 input rows, each C channel rows of `row` int16
 * (input column x at index x + pad_w, the rest holding the input zero point),
 * so that one word load gives two horizontally adjacent taps of a channel. */
#ifndef MOTE_DEPTHWISE_S8_3X3_H
#define MOTE_DEPTHWISE_S8_3X3_H

#include "conv_common.h"

#define MOTE_DW3_REC 12

typedef struct mote_dw3_hdr {
    int32_t row;       /* int16 per channel row of the scratch ring (even) */
    int32_t full;      /* 1: activation range is all of int8 (clamp = saturate) */
    int32_t reserved[2];
} mote_dw3_hdr;

static inline size_t mote_dw3_offset(int32_t channels)
{
    return (mote_conv_data_bytes(channels) + 15u) & ~(size_t)15u;
}

static inline size_t mote_dw3_bytes(int32_t channels)
{
    return mote_dw3_offset(channels) + sizeof(mote_dw3_hdr) + (size_t)channels * MOTE_DW3_REC * 4u;
}

/* int16 per channel row of the scratch ring: every column the output
 * loops read (pairs may read one column past the last tap they use). */
static inline int32_t mote_dw3_row(int32_t in_w, int32_t out_w, int32_t stride_w, int32_t pad_w)
{
    int32_t last = stride_w == 1 ? out_w + 3 : 2 * out_w + 3; /* index bound of the reads */
    int32_t n = pad_w + in_w > last ? pad_w + in_w : last;
    return (n + 1) & ~1;
}

#endif
