/* TFLite writer: graph IR -> .tflite bytes (schema version 3, "TFL3").
 *
 * The inverse of import/tflite: one subgraph; each op's identity (builtin
 * code or custom name) from the op registry (mote/ops.def); the builtin
 * options table of each op kind the importer reads, and for the TFLM signal
 * custom ops their options as a FlexBuffer map; tensors with shape, type,
 * name, quantization and is_variable; one buffer per constant (buffer 0 is
 * the empty sentinel), its data 16-byte aligned so mote's importer reads it
 * in place. docs/ir.md says what is written and what is not. */
#ifndef MOTE_TFLITE_WRITE_H
#define MOTE_TFLITE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

/* Serialize g. On success 0, *out a malloc'd, 16-byte aligned buffer of *len
 * bytes (free with free()). On failure -1, *out NULL, and a one-line reason
 * in err naming the op or tensor at fault (an op with no TFLite identity, a
 * dtype TFLite lacks, an index out of range, an option TFLite cannot hold). */
int mote_tflite_write(const mote_ir_graph *g, uint8_t **out, size_t *len, char *err, size_t errlen);

#endif
