/* Builtin operator options of a TFLite Operator table -> mote_opts. */
#ifndef MOTE_TFLITE_OPTIONS_H
#define MOTE_TFLITE_OPTIONS_H

#include "fb.h"
#include "mote/mote.h"

/* TFLite BuiltinOperator codes mote maps (schema.fbs). */
enum {
    TFL_ADD = 0, TFL_AVERAGE_POOL_2D = 1, TFL_CONCATENATION = 2, TFL_CONV_2D = 3,
    TFL_DEPTHWISE_CONV_2D = 4, TFL_DEQUANTIZE = 6, TFL_FULLY_CONNECTED = 9, TFL_LOGISTIC = 14,
    TFL_MAX_POOL_2D = 17, TFL_MUL = 18, TFL_RELU = 19, TFL_RELU6 = 21, TFL_RESHAPE = 22,
    TFL_SOFTMAX = 25, TFL_TANH = 28, TFL_CUSTOM = 32, TFL_PAD = 34, TFL_MEAN = 40, TFL_SUB = 41,
    TFL_DIV = 42, TFL_UNIDIRECTIONAL_SEQUENCE_LSTM = 44, TFL_STRIDED_SLICE = 45, TFL_CAST = 53,
    TFL_MAXIMUM = 55, TFL_MINIMUM = 57, TFL_QUANTIZE = 114
};

/* mote op for a builtin code, or -1 when mote has no such op. */
int mote_tflite_builtin_op(int32_t code);
/* mote op for a custom op name, or -1. */
int mote_tflite_custom_op(const char *name, uint32_t len);
/* TFLite's name of a builtin code, for messages ("BUILTIN_123" if unknown). */
const char *mote_tflite_builtin_name(int32_t code, char *tmp, size_t tmplen);

/* Decode the options table of a builtin op. 0 on success; on failure -1 with
 * the field at fault in *why. */
int mote_tflite_options(fb_reader *r, fb_table opts, int32_t builtin, mote_opts *o,
                        const char **why);

#endif
