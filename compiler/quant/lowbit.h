/* Low-bit weights: re-quantize the filter of one CONV_2D, DEPTHWISE_CONV_2D
 * or FULLY_CONNECTED op of an int8 graph to int4 (MOTE_I4) or binary
 * (MOTE_I1), in place on the IR. Activations stay int8; the output stage keeps TFLite's arithmetic.
 * docs/arithmetic.md ("Low-bit weights") states the choices. */
#ifndef MOTE_QUANT_LOWBIT_H
#define MOTE_QUANT_LOWBIT_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

/* op_index: an op of g whose input and output are int8 and whose filter is a
 * constant int8 (per channel or per tensor) or float32 tensor used by this op
 * alone. bits: 4 (int4, per-channel symmetric scale, values -7..7) or 1
 * (binary: +-1, the channel's scale alpha = mean |w|).
 * The filter becomes int4 or binary with one scale per output channel (zero point 0);
 * an int32 bias is rescaled to input_scale * new weight scale, a float32 bias
 * quantized to it. Returns 0, or -1 with a one-line message in err naming the
 * op and tensor (the graph is then unchanged). */
int mote_lowbit_weights(mote_ir_graph *g, int32_t op_index, int bits, char *err, size_t errlen);

/* Every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED op that qualifies;
 * the others are left as they are. *converted (may be NULL) counts them. */
int mote_lowbit_all(mote_ir_graph *g, int bits, int32_t *converted, char *err, size_t errlen);

/* mote_lowbit_all, but with keep_ends the first and the last of those ops
 * (in op order) stay as they are: binary networks usually keep the layer
 * that reads the raw input and the classifier at 8 bits. */
int mote_lowbit_all_keep(mote_ir_graph *g, int bits, int keep_ends, int32_t *converted, char *err, size_t errlen);

#endif
