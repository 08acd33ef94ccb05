/* TFLite flatbuffer importer: .tflite bytes -> mote graph IR. */
#ifndef MOTE_TFLITE_IMPORT_H
#define MOTE_TFLITE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

/* Read and import a file. NULL on failure, with a one-line reason in err
 * that names the file and, where it applies, the op or tensor at fault. */
mote_ir_graph *mote_tflite_import_file(const char *path, char *err, size_t errlen);

/* Import from memory. Takes ownership of buf (malloc'd) in every case.
 * `name` is used in error messages. */
mote_ir_graph *mote_tflite_import(uint8_t *buf, size_t len, const char *name, char *err,
                                  size_t errlen);

#endif
