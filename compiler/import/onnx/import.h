/* ONNX importer: a ModelProto (protobuf, read with protobuf-c from the
 * messages of onnx_subset.proto) into the float graph IR. Activations of
 * rank 4 become NHWC once here; docs/onnx.md has the rules. */
#ifndef MOTE_ONNX_IMPORT_H
#define MOTE_ONNX_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

/* 1 when the bytes parse as an ONNX ModelProto with a graph and an opset. */
int mote_onnx_probe(const uint8_t *buf, size_t len);

/* Takes ownership of buf (malloc'd) in every case; NULL with a one-line
 * reason naming `name` and the node (index, name, op_type) at fault. */
mote_ir_graph *mote_onnx_import(uint8_t *buf, size_t len, const char *name, char *err, size_t errlen);

#endif
