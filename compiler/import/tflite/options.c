/* TFLite builtin options tables (field numbers from schema.fbs). */
#include "options.h"

#include <stdio.h>
#include <string.h>

/* Every TFLite identity below comes from the op registry (mote/ops.def). */
#define BUILTIN_ROW(ID, name, code) {code, MOTE_OP_##ID},
#define CUSTOM_ROW(ID, name, code)
static const struct {
    int32_t code;
    mote_op op;
} builtins[] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) tflite##_ROW(ID, name, code)
#include "mote/ops.def"
#undef MOTE_OP
};
#undef BUILTIN_ROW
#undef CUSTOM_ROW

/* TFLite BuiltinOperator names by code (schema.fbs), for error messages. */
static const char *const builtin_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
    "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
    "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL",
    "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
    "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2",
    "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
    "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL",
    "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL",
    "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT",
    "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT",
    "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
    "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU",
    "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF",
    "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2",
    "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM",
    "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE",
    "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE",
    "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1",
    "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2",
    "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
};

#define BUILTIN_ROW(ID, name, code)
#define CUSTOM_ROW(ID, name, code) {name, MOTE_OP_##ID},
static const struct {
    const char *name;
    mote_op op;
} customs[] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) tflite##_ROW(ID, name, code)
#include "mote/ops.def"
#undef MOTE_OP
};
#undef BUILTIN_ROW
#undef CUSTOM_ROW

int mote_tflite_builtin_op(int32_t code)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (builtins[i].code == code) return (int)builtins[i].op;
    return -1;
}

int mote_tflite_custom_op(const char *name, uint32_t len)
{
    for (size_t i = 0; i < sizeof customs / sizeof customs[0]; i++)
        if (strlen(customs[i].name) == len && memcmp(customs[i].name, name, len) == 0)
            return (int)customs[i].op;
    return -1;
}

const char *mote_tflite_builtin_name(int32_t code, char *tmp, size_t tmplen)
{
    if (code >= 0 && (size_t)code < sizeof builtin_names / sizeof builtin_names[0]) return builtin_names[code];
    snprintf(tmp, tmplen, "BUILTIN_%d", (int)code);
    return tmp;
}

static int activation(fb_reader *r, fb_table t, int field, mote_opts *o, const char **why)
{
    int8_t a = fb_i8(r, t, field, 0);
    if (a < 0 || a > MOTE_ACT_SIGN_BIT) {
        *why = "fused_activation_function out of range";
        return -1;
    }
    o->activation = (uint8_t)a;
    return 0;
}

static int padding(fb_reader *r, fb_table t, int field, mote_opts *o, const char **why)
{
    int8_t p = fb_i8(r, t, field, 0);
    if (p != MOTE_PAD_SAME && p != MOTE_PAD_VALID) {
        *why = "padding is neither SAME nor VALID";
        return -1;
    }
    o->padding = (uint8_t)p;
    return 0;
}

/* A positive int field that fits int16. */
static int small_pos(fb_reader *r, fb_table t, int field, int32_t dflt, int16_t *out,
                     const char *name_err, const char **why)
{
    int32_t v = fb_i32(r, t, field, dflt);
    if (v < 1 || v > INT16_MAX) {
        *why = name_err;
        return -1;
    }
    *out = (int16_t)v;
    return 0;
}

/* Options parsers, one per options table kind; the registry names each op's
 * (mote/ops.def, last column). Fields are numbered as in schema.fbs. */
typedef int (*opts_fn)(fb_reader *r, fb_table t, mote_opts *o, const char **why);

static int opts_none(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{
    (void)r, (void)t, (void)o, (void)why;
    return 0;
}

static int opts_conv_2d(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{ /* padding, stride_w, stride_h, activation, dilation_w, dilation_h */
    int rc = padding(r, t, 0, o, why);
    rc |= small_pos(r, t, 1, 1, &o->stride_w, "stride_w must be >= 1", why);
    rc |= small_pos(r, t, 2, 1, &o->stride_h, "stride_h must be >= 1", why);
    rc |= activation(r, t, 3, o, why);
    rc |= small_pos(r, t, 4, 1, &o->dilation_w, "dilation_w_factor must be >= 1", why);
    rc |= small_pos(r, t, 5, 1, &o->dilation_h, "dilation_h_factor must be >= 1", why);
    return rc;
}

static int opts_depthwise_conv_2d(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{ /* ..., depth_multiplier, activation, dilation_w, dilation_h */
    int rc = padding(r, t, 0, o, why);
    rc |= small_pos(r, t, 1, 1, &o->stride_w, "stride_w must be >= 1", why);
    rc |= small_pos(r, t, 2, 1, &o->stride_h, "stride_h must be >= 1", why);
    /* Old converters wrote 0 here; TFLite then derives it from the shapes. */
    int32_t dm = fb_i32(r, t, 3, 1);
    if (dm < 0 || dm > INT16_MAX) {
        *why = "depth_multiplier out of range";
        rc = -1;
    }
    o->depth_multiplier = (int16_t)dm;
    rc |= activation(r, t, 4, o, why);
    rc |= small_pos(r, t, 5, 1, &o->dilation_w, "dilation_w_factor must be >= 1", why);
    rc |= small_pos(r, t, 6, 1, &o->dilation_h, "dilation_h_factor must be >= 1", why);
    return rc;
}

static int opts_pool(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{ /* padding, stride_w, stride_h, filter_width, filter_height, activation */
    int rc = padding(r, t, 0, o, why);
    rc |= small_pos(r, t, 1, 1, &o->stride_w, "stride_w must be >= 1", why);
    rc |= small_pos(r, t, 2, 1, &o->stride_h, "stride_h must be >= 1", why);
    rc |= small_pos(r, t, 3, 1, &o->filter_w, "filter_width must be >= 1", why);
    rc |= small_pos(r, t, 4, 1, &o->filter_h, "filter_height must be >= 1", why);
    rc |= activation(r, t, 5, o, why);
    return rc;
}

static int opts_fully_connected(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{ /* activation, weights_format, keep_num_dims, asymmetric_quantize_inputs */
    int rc = activation(r, t, 0, o, why);
    if (fb_i8(r, t, 1, 0) != 0) {
        *why = "shuffled FULLY_CONNECTED weights_format is not supported";
        rc = -1;
    }
    o->keep_dims = fb_u8(r, t, 2, 0) != 0;
    o->asymmetric_quantize_inputs = fb_u8(r, t, 3, 0) != 0;
    return rc;
}

static int opts_softmax(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{
    (void)why;
    o->beta = fb_f32(r, t, 0, 0.0f);
    return 0;
}

static int opts_concatenation(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{ /* axis, activation */
    o->axis = fb_i32(r, t, 0, 0);
    return activation(r, t, 1, o, why);
}

static int opts_arith(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{
    return activation(r, t, 0, o, why);
}

static int opts_mean(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{ /* ReducerOptions.keep_dims */
    (void)why;
    o->keep_dims = fb_u8(r, t, 0, 0) != 0;
    return 0;
}

static int opts_strided_slice(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{
    (void)why;
    o->begin_mask = fb_i32(r, t, 0, 0);
    o->end_mask = fb_i32(r, t, 1, 0);
    o->ellipsis_mask = fb_i32(r, t, 2, 0);
    o->new_axis_mask = fb_i32(r, t, 3, 0);
    o->shrink_axis_mask = fb_i32(r, t, 4, 0);
    o->offset = fb_u8(r, t, 5, 0);
    return 0;
}

static int opts_lstm(fb_reader *r, fb_table t, mote_opts *o, const char **why)
{ /* activation, cell_clip, proj_clip, time_major, asymmetric_quantize_inputs */
    int rc = activation(r, t, 0, o, why);
    o->cell_clip = fb_f32(r, t, 1, 0.0f);
    o->proj_clip = fb_f32(r, t, 2, 0.0f);
    o->time_major = fb_u8(r, t, 3, 0) != 0;
    o->asymmetric_quantize_inputs = fb_u8(r, t, 4, 0) != 0;
    return rc;
}

#define BUILTIN_PARSER(ID, options) [MOTE_OP_##ID] = opts_##options,
#define CUSTOM_PARSER(ID, options)
static const opts_fn parsers[MOTE_OP_COUNT] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) tflite##_PARSER(ID, options)
#include "mote/ops.def"
#undef MOTE_OP
};
#undef BUILTIN_PARSER
#undef CUSTOM_PARSER

int mote_tflite_options(fb_reader *r, fb_table t, mote_op op, mote_opts *o, const char **why)
{
    memset(o, 0, sizeof *o);
    o->stride_w = o->stride_h = 1;
    o->dilation_w = o->dilation_h = 1;
    o->filter_w = o->filter_h = 1;
    o->depth_multiplier = 1;
    o->beta = 1.0f;
    *why = NULL;
    int rc = (unsigned)op < MOTE_OP_COUNT && parsers[op] ? parsers[op](r, t, o, why) : 0;
    if (!fb_ok(r)) {
        *why = r->err;
        return -1;
    }
    return rc ? -1 : 0;
}
