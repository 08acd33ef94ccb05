/* Builtin operator options of a TFLite Operator table -> mote_opts. */
#ifndef MOTE_TFLITE_OPTIONS_H
#define MOTE_TFLITE_OPTIONS_H

#include "fb.h"
#include "mote/mote.h"

/* The BuiltinOperator code of custom ops (schema.fbs); the codes of the ops
 * mote maps are in the op registry, mote/ops.def. */
enum { TFL_CUSTOM = 32 };

/* mote op for a builtin code, or -1 when mote has no such op. */
int mote_tflite_builtin_op(int32_t code);
/* mote op for a custom op name, or -1. */
int mote_tflite_custom_op(const char *name, uint32_t len);
/* TFLite's name of a builtin code, for messages ("BUILTIN_123" if unknown). */
const char *mote_tflite_builtin_name(int32_t code, char *tmp, size_t tmplen);

/* Decode the options table of a builtin op with the parser the registry
 * names for op. 0 on success; on failure -1 with the field at fault in *why. */
int mote_tflite_options(fb_reader *r, fb_table opts, mote_op op, mote_opts *o, const char **why);

#endif
