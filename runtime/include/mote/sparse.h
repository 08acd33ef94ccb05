/* mote's sparse int8 weights (dtype MOTE_I8_SPARSE): the filter of a
 * FULLY_CONNECTED or CONV_2D op whose rows (dim 0: one per unit or output
 * channel; depth = the other dims' product) keep only their non-zero
 * weights. Layout (docs/mote-format.md, "Sparse int8 weights"):
 *
 *   u16 count[rows]                 little-endian: entries in each row
 *   then each row's entries in turn, 2 bytes each: u8 skip, i8 value
 *
 * Walking a row, a column cursor starts at 0; an entry first skips `skip`
 * zero weights, then holds the weight at the cursor and moves it on by one.
 * A run of more than 255 zeros takes a filler entry (skip 255, value 0).
 * A row may use at most `depth` columns. Bytes: 2 * rows + 2 * entries.
 *
 * Why this encoding: a kernel walks each row with one byte pointer and one
 * activation pointer (no bit scanning, no index arithmetic), so a weight
 * costs a few loads and one multiply-accumulate on a Cortex-M; and rows are
 * independent, as the dense kernels' loops are. A bitmap would be smaller
 * below about 85 % zeros but needs a bit scan per weight. It pays off in
 * flash from about 50 % zeros; the compiler stores a layer sparse only when
 * that is smaller than dense (compiler/passes/sparse_weights.c). Weight zero point
 * is 0 (symmetric int8), so a dropped weight is a real zero. */
#ifndef MOTE_SPARSE_H
#define MOTE_SPARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The TensorType a TFLite file gives such a tensor: a value the schema does
 * not define (it ends near 20), so TFLite and older mote readers refuse the
 * type by number rather than misread the bytes. */
#define MOTE_TFL_INT8_SPARSE 100
#define MOTE_SPARSE_MAX_SKIP 255
#define MOTE_SPARSE_MAX_DEPTH 65535 /* a row's entry count fits a u16 */

/* Entries in row r (counts at the start of the encoding). */
static inline uint32_t mote_sparse_count(const uint8_t *enc, int32_t r)
{
    return (uint32_t)enc[2 * r] | (uint32_t)enc[2 * r + 1] << 8;
}

/* 0 if `bytes` bytes at enc are a valid encoding of a [rows, depth] filter:
 * the counts fit, the entries add up to exactly `bytes`, no row runs past
 * depth. -1 otherwise. Kernels and loaders call it before trusting enc. */
int mote_sparse_s8_check(const uint8_t *enc, size_t bytes, int32_t rows, int32_t depth);

#ifdef __cplusplus
}
#endif
#endif
