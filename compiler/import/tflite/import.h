/* TFLite flatbuffer importer: .tflite bytes -> mote graph IR. */
#ifndef MOTE_TFLITE_IMPORT_H
#define MOTE_TFLITE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

/* Import from memory (the compiler's front door, import/import.h, calls it).
 * Takes ownership of buf (malloc'd) in every case. NULL on failure, with a
 * one-line reason in err that names `name` and, where it applies, the op or
 * tensor at fault. */
mote_ir_graph *mote_tflite_import(uint8_t *buf, size_t len, const char *name, char *err,
                                  size_t errlen);

#endif
