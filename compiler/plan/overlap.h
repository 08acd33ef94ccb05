/* In-place rules of the planner: when may an op's output share bytes with an
 * input that dies at that op? The kernel contract they rely on is stated in
 * overlap.c. Exposed for the planner's files and its tests. */
#ifndef MOTE_PLAN_OVERLAP_H
#define MOTE_PLAN_OVERLAP_H

#include <stdint.h>

#include "mote/mote.h"

/* 1 if node's output 0 may overlap its input slot in_slot (when that input
 * is not read after this node), with *shift = D: the output may start at
 * input offset - D or lower (D may be negative). 0 if no rule applies. */
int mote_overlap_rule(const mote_model *m, const mote_node *n, int in_slot, int64_t *shift);

/* 1 if node's scratch may overlap its input 0 (when that input is not read
 * after this node), with *shift = D: the scratch may start at input offset
 * - D or lower. For kernels that expand input 0 into scratch (mote_kernel's
 * `expand`); 0 if no rule applies. */
int mote_overlap_scratch_rule(const mote_model *m, const mote_node *n, int64_t *shift);

/* Geometry of a window op (CONV_2D, DEPTHWISE_CONV_2D, pooling) in NHWC
 * raster order; element sizes in bytes. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
    int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t in_es, out_es;
} mote_window_geom;

/* D of a window op for a kernel writing `block` pixels at a time: the
 * largest (end byte of output pixel p) - (first input byte any pixel
 * >= p - block + 1 still reads). INT64_MIN when the output reads nothing. */
int64_t mote_overlap_window_shift(const mote_window_geom *g, int32_t block);

#endif
