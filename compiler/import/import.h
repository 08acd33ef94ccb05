/* The compiler's front door: a model file in, the graph IR out, whatever the
 * file's format. The reader is picked by the file's content (a TFLite
 * FlatBuffer says "TFL3" at byte 4; an ONNX ModelProto parses as protobuf with a
 * graph and an opset, or the file is named .onnx), then the passes stage (passes/passes.h)
 * rewrites the graph, so every later stage sees one kind of graph. A new
 * format is a reader folder beside import/tflite/ and a line in import.c. */
#ifndef MOTE_IMPORT_H
#define MOTE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

typedef enum { MOTE_FORMAT_UNKNOWN = 0, MOTE_FORMAT_TFLITE, MOTE_FORMAT_ONNX } mote_model_format;

/* The format of a model file's bytes. */
mote_model_format mote_detect_format(const uint8_t *bytes, size_t len);
const char *mote_format_name(mote_model_format f);

/* Import from memory and run the passes. Takes ownership of buf (malloc'd;
 * 16-byte aligned lets constants be read in place) in every case. NULL on
 * failure with a one-line reason naming `name` and what is at fault. */
mote_ir_graph *mote_import(uint8_t *buf, size_t len, const char *name, char *err, size_t errlen);
/* The same from a copy of data. */
mote_ir_graph *mote_import_bytes(const uint8_t *data, size_t len, const char *name, char *err, size_t errlen);
/* The same from a file. */
mote_ir_graph *mote_import_file(const char *path, char *err, size_t errlen);

#endif
