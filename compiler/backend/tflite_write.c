/* TFLite writer (tflite_write.h). Field ids, enum values and union tags are
 * those of tensorflow/lite/schema/schema.fbs (schema version 3); the options
 * tables mirror what import/tflite/options.c reads, the FlexBuffer maps what
 * import/tflite/custom_options.c reads. */
#include "backend/tflite_write.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/fb_build.h"
#include "mote/motion.h"
#include "mote/signal.h"
#include "mote/sparse.h"

/* Table field ids (schema.fbs). */
enum { MODEL_VERSION = 0, MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESCRIPTION = 3, MODEL_BUFFERS = 4 };
enum { OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM = 1, OPCODE_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4 };
enum { T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4, T_IS_VARIABLE = 5, T_HAS_RANK = 8 };
enum { Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DIM = 6 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3, OP_OPTIONS = 4, OP_CUSTOM_OPTIONS = 5 };
enum { BUF_DATA = 0 };

/* BuiltinOperator codes and BuiltinOptions union tags used here. */
enum { TFL_CUSTOM = 32, TFL_PLACEHOLDER_FOR_GREATER_OP_CODES = 127 };
enum {
    BO_CONV_2D = 1, BO_DEPTHWISE_CONV_2D = 2, BO_POOL_2D = 5, BO_FULLY_CONNECTED = 8, BO_SOFTMAX = 9,
    BO_CONCATENATION = 10, BO_ADD = 11, BO_RESHAPE = 17, BO_MUL = 21, BO_REDUCER = 27, BO_SUB = 28, BO_DIV = 29,
    BO_STRIDED_SLICE = 32, BO_UNIDIRECTIONAL_SEQUENCE_LSTM = 71
};

/* The schema's TensorType of each mote dtype; -1: none. */
static int tfl_type(uint8_t dt)
{
    switch (dt) {
    case MOTE_F32: return 0;
    case MOTE_I32: return 2;
    case MOTE_U8: return 3;
    case MOTE_I64: return 4;
    case MOTE_BOOL: return 6;
    case MOTE_I16: return 7;
    case MOTE_I8: return 9;
    case MOTE_U64: return 12;
    case MOTE_U32: return 15;
    case MOTE_I4: return 17;
    case MOTE_I1: return 127; /* mote's binary weights: not a TFLite type, readers refuse it */
    /* mote's own (mote/sparse.h): outside the schema's TensorType values, so a reader that
     * does not know it refuses the tensor's type instead of misreading its bytes */
    case MOTE_I8_SPARSE: return MOTE_TFL_INT8_SPARSE;
    default: return -1;
    }
}

/* Each op's TFLite identity, from the op registry. name NULL: none. */
#define BUILTIN_ID(name, code) {1, code, name}
#define CUSTOM_ID(name, code) {0, TFL_CUSTOM, name}
static const struct {
    int builtin;
    int32_t code;
    const char *name;
} ident[MOTE_OP_COUNT] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) [MOTE_OP_##ID] = tflite##_ID(name, code),
#include "mote/ops.def"
#undef MOTE_OP
};
#undef BUILTIN_ID
#undef CUSTOM_ID

typedef struct {
    fbb *b;
    const mote_ir_graph *g;
    const mote_ir_op *op;
    int32_t index;
    char *err;
    size_t errlen;
} wctx;

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *op_label(const mote_ir_op *op)
{
    return (unsigned)op->op < MOTE_OP_COUNT && ident[op->op].name ? ident[op->op].name : mote_op_name(op->op);
}

static int op_fail(wctx *w, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail(w->err, w->errlen, "op %d (%s): %s", (int)w->index, op_label(w->op), msg);
}

/* ---- builtin options: one writer per options kind the registry names ---- */

typedef int (*opts_writer)(wctx *w, uint8_t *type, fbb_ref *ref);

static int check_act(wctx *w)
{
    if (w->op->opts.activation > MOTE_ACT_SIGN_BIT)
        return op_fail(w, "fused activation %d is not a TFLite ActivationFunctionType", w->op->opts.activation);
    return 0;
}

static int check_pad(wctx *w)
{
    if (w->op->opts.padding != MOTE_PAD_SAME && w->op->opts.padding != MOTE_PAD_VALID)
        return op_fail(w, "padding %d is neither SAME nor VALID", w->op->opts.padding);
    return 0;
}

/* The importer takes these from 1 to INT16_MAX. */
static int check_pos(wctx *w, int32_t v, const char *what)
{
    if (v < 1) return op_fail(w, "%s %d must be >= 1", what, (int)v);
    return 0;
}

static void field_act(fbb *b, int field, uint8_t act)
{
    if (act != MOTE_ACT_NONE) fbb_field_u8(b, field, act);
}

static int w_none(wctx *w, uint8_t *type, fbb_ref *ref)
{
    /* A RESHAPE with no shape input carries its shape in ReshapeOptions. */
    if (w->op->op == MOTE_OP_RESHAPE && w->op->n_in == 1) {
        const mote_tensor *o = &w->g->tensors[w->op->io[1]].t;
        fbb_ref shape = fbb_vec_i32(w->b, o->dims, o->rank);
        fbb_table_start(w->b);
        fbb_field_ref(w->b, 0, shape); /* new_shape */
        *ref = fbb_table_end(w->b);
        *type = BO_RESHAPE;
    }
    return 0;
}

static int w_arith(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* AddOptions, MulOptions, SubOptions, DivOptions: fused_activation_function */
    switch (w->op->op) {
    case MOTE_OP_ADD: *type = BO_ADD; break;
    case MOTE_OP_MUL: *type = BO_MUL; break;
    case MOTE_OP_SUB: *type = BO_SUB; break;
    case MOTE_OP_DIV: *type = BO_DIV; break;
    default: return op_fail(w, "no arithmetic options table for this op");
    }
    if (check_act(w)) return -1;
    fbb_table_start(w->b);
    field_act(w->b, 0, w->op->opts.activation);
    *ref = fbb_table_end(w->b);
    return 0;
}

static int w_conv_2d(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* Conv2DOptions: padding, stride_w, stride_h, activation, dilation_w, dilation_h */
    const mote_opts *o = &w->op->opts;
    if (check_pad(w) || check_act(w) || check_pos(w, o->stride_w, "stride_w") || check_pos(w, o->stride_h, "stride_h") ||
        check_pos(w, o->dilation_w, "dilation_w_factor") || check_pos(w, o->dilation_h, "dilation_h_factor"))
        return -1;
    fbb_table_start(w->b);
    if (o->padding) fbb_field_u8(w->b, 0, o->padding);
    fbb_field_i32(w->b, 1, o->stride_w);
    fbb_field_i32(w->b, 2, o->stride_h);
    field_act(w->b, 3, o->activation);
    if (o->dilation_w != 1) fbb_field_i32(w->b, 4, o->dilation_w);
    if (o->dilation_h != 1) fbb_field_i32(w->b, 5, o->dilation_h);
    *ref = fbb_table_end(w->b);
    *type = BO_CONV_2D;
    return 0;
}

static int w_depthwise_conv_2d(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* DepthwiseConv2DOptions: ..., depth_multiplier, activation, dilation_w, dilation_h */
    const mote_opts *o = &w->op->opts;
    if (check_pad(w) || check_act(w) || check_pos(w, o->stride_w, "stride_w") || check_pos(w, o->stride_h, "stride_h") ||
        check_pos(w, o->dilation_w, "dilation_w_factor") || check_pos(w, o->dilation_h, "dilation_h_factor"))
        return -1;
    if (o->depth_multiplier < 0) return op_fail(w, "depth_multiplier %d is negative", o->depth_multiplier);
    fbb_table_start(w->b);
    if (o->padding) fbb_field_u8(w->b, 0, o->padding);
    fbb_field_i32(w->b, 1, o->stride_w);
    fbb_field_i32(w->b, 2, o->stride_h);
    if (o->depth_multiplier) fbb_field_i32(w->b, 3, o->depth_multiplier);
    field_act(w->b, 4, o->activation);
    if (o->dilation_w != 1) fbb_field_i32(w->b, 5, o->dilation_w);
    if (o->dilation_h != 1) fbb_field_i32(w->b, 6, o->dilation_h);
    *ref = fbb_table_end(w->b);
    *type = BO_DEPTHWISE_CONV_2D;
    return 0;
}

static int w_pool(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, activation */
    const mote_opts *o = &w->op->opts;
    if (check_pad(w) || check_act(w) || check_pos(w, o->stride_w, "stride_w") || check_pos(w, o->stride_h, "stride_h") ||
        check_pos(w, o->filter_w, "filter_width") || check_pos(w, o->filter_h, "filter_height"))
        return -1;
    fbb_table_start(w->b);
    if (o->padding) fbb_field_u8(w->b, 0, o->padding);
    fbb_field_i32(w->b, 1, o->stride_w);
    fbb_field_i32(w->b, 2, o->stride_h);
    fbb_field_i32(w->b, 3, o->filter_w);
    fbb_field_i32(w->b, 4, o->filter_h);
    field_act(w->b, 5, o->activation);
    *ref = fbb_table_end(w->b);
    *type = BO_POOL_2D;
    return 0;
}

static int w_fully_connected(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* FullyConnectedOptions: activation, weights_format (DEFAULT), keep_num_dims, asymmetric_quantize_inputs */
    const mote_opts *o = &w->op->opts;
    if (check_act(w)) return -1;
    fbb_table_start(w->b);
    field_act(w->b, 0, o->activation);
    if (o->keep_dims) fbb_field_u8(w->b, 2, 1);
    if (o->asymmetric_quantize_inputs) fbb_field_u8(w->b, 3, 1);
    *ref = fbb_table_end(w->b);
    *type = BO_FULLY_CONNECTED;
    return 0;
}

static int w_softmax(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* SoftmaxOptions: beta */
    fbb_table_start(w->b);
    if (w->op->opts.beta != 0.0f) fbb_field_f32(w->b, 0, w->op->opts.beta);
    *ref = fbb_table_end(w->b);
    *type = BO_SOFTMAX;
    return 0;
}

static int w_concatenation(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* ConcatenationOptions: axis, activation */
    if (check_act(w)) return -1;
    fbb_table_start(w->b);
    if (w->op->opts.axis) fbb_field_i32(w->b, 0, w->op->opts.axis);
    field_act(w->b, 1, w->op->opts.activation);
    *ref = fbb_table_end(w->b);
    *type = BO_CONCATENATION;
    return 0;
}

static int w_mean(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* ReducerOptions: keep_dims */
    fbb_table_start(w->b);
    if (w->op->opts.keep_dims) fbb_field_u8(w->b, 0, 1);
    *ref = fbb_table_end(w->b);
    *type = BO_REDUCER;
    return 0;
}

static int w_strided_slice(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* StridedSliceOptions: begin, end, ellipsis, new_axis, shrink_axis masks; offset */
    const mote_opts *o = &w->op->opts;
    const int32_t masks[5] = {o->begin_mask, o->end_mask, o->ellipsis_mask, o->new_axis_mask, o->shrink_axis_mask};
    if (o->offset != 0 && o->offset != 1) return op_fail(w, "offset %d is not a bool", (int)o->offset);
    fbb_table_start(w->b);
    for (int f = 0; f < 5; f++)
        if (masks[f]) fbb_field_i32(w->b, f, masks[f]);
    if (o->offset) fbb_field_u8(w->b, 5, 1);
    *ref = fbb_table_end(w->b);
    *type = BO_STRIDED_SLICE;
    return 0;
}

static int w_lstm(wctx *w, uint8_t *type, fbb_ref *ref)
{ /* UnidirectionalSequenceLSTMOptions: activation, cell_clip, proj_clip, time_major, asymmetric_quantize_inputs */
    const mote_opts *o = &w->op->opts;
    if (check_act(w)) return -1;
    fbb_table_start(w->b);
    field_act(w->b, 0, o->activation);
    if (o->cell_clip != 0.0f) fbb_field_f32(w->b, 1, o->cell_clip);
    if (o->proj_clip != 0.0f) fbb_field_f32(w->b, 2, o->proj_clip);
    if (o->time_major) fbb_field_u8(w->b, 3, 1);
    if (o->asymmetric_quantize_inputs) fbb_field_u8(w->b, 4, 1);
    *ref = fbb_table_end(w->b);
    *type = BO_UNIDIRECTIONAL_SEQUENCE_LSTM;
    return 0;
}

#define BUILTIN_WRITER(ID, options) [MOTE_OP_##ID] = w_##options,
#define CUSTOM_WRITER(ID, options)
static const opts_writer writers[MOTE_OP_COUNT] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) tflite##_WRITER(ID, options)
#include "mote/ops.def"
#undef MOTE_OP
};
#undef BUILTIN_WRITER
#undef CUSTOM_WRITER

/* ---- custom options: FlexBuffer maps of the TFLM signal ops and MoteMotionFeatures ----
 *
 * Keys name mote_opts.iparams entries (mote/signal.h, mote/motion.h). The map is laid out
 * front to back, as FlexBuffers are: the NUL-terminated key strings (sorted,
 * readers look keys up by binary search), the keys vector ([count][offsets
 * back to the keys], kw bytes each), the map ([offset back to the keys
 * vector][kw][count][values][one packed type byte per value], w bytes each
 * but the types), the root (offset back to the map's values, rw bytes), the
 * root's packed type (MAP << 2 | log2 w) and rw. Values are INT, or BOOL
 * where TFLM reads a bool, stored inline at the map's width. */

typedef struct {
    const char *key;
    int index;   /* in mote_opts.iparams */
    int is_bool;
} xfield;

static const xfield x_signal_window[] = {{"shift", MOTE_SIG_WINDOW_SHIFT, 0}};
static const xfield x_signal_rfft[] = {{"fft_length", MOTE_SIG_RFFT_FFT_LENGTH, 0}, {"T", MOTE_SIG_RFFT_T, 0}};
static const xfield x_signal_energy[] = {{"start_index", MOTE_SIG_ENERGY_START, 0}, {"end_index", MOTE_SIG_ENERGY_END, 0}};
static const xfield x_signal_filter_bank[] = {{"num_channels", MOTE_SIG_FB_NUM_CHANNELS, 0}};
static const xfield x_signal_spectral_subtraction[] = {
    {"num_channels", MOTE_SIG_SS_NUM_CHANNELS, 0},
    {"smoothing", MOTE_SIG_SS_SMOOTHING, 0},
    {"one_minus_smoothing", MOTE_SIG_SS_ONE_MINUS_SMOOTHING, 0},
    {"alternate_smoothing", MOTE_SIG_SS_ALT_SMOOTHING, 0},
    {"alternate_one_minus_smoothing", MOTE_SIG_SS_ALT_ONE_MINUS_SMOOTHING, 0},
    {"min_signal_remaining", MOTE_SIG_SS_MIN_SIGNAL_REMAINING, 0},
    {"smoothing_bits", MOTE_SIG_SS_SMOOTHING_BITS, 0},
    {"spectral_subtraction_bits", MOTE_SIG_SS_SPECTRAL_SUBTRACTION_BITS, 0},
    {"clamping", MOTE_SIG_SS_CLAMPING, 1},
};
static const xfield x_signal_pcan[] = {{"snr_shift", MOTE_SIG_PCAN_SNR_SHIFT, 0}};
static const xfield x_signal_filter_bank_log[] = {{"input_correction_bits", MOTE_SIG_LOG_INPUT_CORRECTION_BITS, 0},
                                                  {"output_scale", MOTE_SIG_LOG_OUTPUT_SCALE, 0}};
static const xfield x_motion_features[] = {{"bands", MOTE_MOTION_BANDS, 0}};

#define XF(a) {1, a, (int)(sizeof(a) / sizeof((a)[0]))}
#define xf_none {1, NULL, 0}
#define xf_signal_window XF(x_signal_window)
#define xf_signal_rfft XF(x_signal_rfft)
#define xf_signal_energy XF(x_signal_energy)
#define xf_signal_filter_bank XF(x_signal_filter_bank)
#define xf_signal_spectral_subtraction XF(x_signal_spectral_subtraction)
#define xf_signal_pcan XF(x_signal_pcan)
#define xf_signal_filter_bank_log XF(x_signal_filter_bank_log)
#define xf_motion_features XF(x_motion_features)
#define BUILTIN_FIELDS(ID, options)
#define CUSTOM_FIELDS(ID, options) [MOTE_OP_##ID] = xf_##options,
static const struct {
    int custom;
    const xfield *f;
    int n;
} xfields[MOTE_OP_COUNT] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) tflite##_FIELDS(ID, options)
#include "mote/ops.def"
#undef MOTE_OP
};
#undef BUILTIN_FIELDS
#undef CUSTOM_FIELDS

enum { FXB_INT = 1, FXB_MAP = 9, FXB_BOOL = 26 };
#define FXB_MAX 1024 /* bytes of one map: ample for the signal ops' few keys */

static size_t log2w(size_t w) { return w == 1 ? 0 : w == 2 ? 1 : w == 4 ? 2 : 3; }
static size_t align_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }
static int fits_u(uint64_t v, size_t w) { return w >= 8 || v < ((uint64_t)1 << (8 * w)); }
static int fits_s(int64_t v, size_t w)
{
    return w >= 8 || (v >= -((int64_t)1 << (8 * w - 1)) && v < ((int64_t)1 << (8 * w - 1)));
}

/* Write v in w bytes at *pos (little endian); 0 if it does not fit in out. */
static int put(uint8_t *out, size_t *pos, uint64_t v, size_t w)
{
    if (*pos + w > FXB_MAX) return 0;
    for (size_t i = 0; i < w; i++) out[(*pos)++] = (uint8_t)(v >> (8 * i));
    return 1;
}

static int pad_to(uint8_t *out, size_t *pos, size_t to)
{
    while (*pos < to)
        if (!put(out, pos, 0, 1)) return 0;
    return 1;
}

/* The map {f[i].key: vals[f[i].index]} into out (FXB_MAX bytes); its length, 0 if too big. */
static size_t flexbuffer_map(const xfield *f, int n, const int32_t *vals, uint8_t *out)
{
    int order[16];
    size_t key_at[16], pos = 0;
    if (n > 16) return 0;
    for (int i = 0; i < n; i++) { /* insertion sort by key bytes */
        int j = i;
        while (j > 0 && strcmp(f[order[j - 1]].key, f[i].key) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int k = 0; k < n; k++) {
        const char *key = f[order[k]].key;
        key_at[k] = pos;
        for (size_t c = 0; c <= strlen(key); c++)
            if (!put(out, &pos, (uint8_t)key[c], 1)) return 0;
    }
    /* keys vector: the narrowest width that holds the count and every offset */
    size_t kw = 1, kv = 0;
    for (;; kw *= 2) {
        kv = align_up(pos, kw) + kw;
        int ok = fits_u((uint64_t)n, kw);
        for (int k = 0; k < n; k++) ok = ok && fits_u(kv + (size_t)k * kw - key_at[k], kw);
        if (ok || kw == 8) break;
    }
    if (!pad_to(out, &pos, kv - kw) || !put(out, &pos, (uint64_t)n, kw)) return 0;
    for (int k = 0; k < n; k++)
        if (!put(out, &pos, pos - key_at[k], kw)) return 0;
    /* the map: the narrowest width that holds its header and every value */
    size_t w = 1, hdr = 0;
    for (;; w *= 2) {
        hdr = align_up(pos, w);
        int ok = fits_u(hdr - kv, w) && fits_u(kw, w) && fits_u((uint64_t)n, w);
        for (int k = 0; k < n; k++) ok = ok && fits_s(vals[f[order[k]].index], w);
        if (ok || w == 8) break;
    }
    if (!pad_to(out, &pos, hdr) || !put(out, &pos, hdr - kv, w) || !put(out, &pos, kw, w) ||
        !put(out, &pos, (uint64_t)n, w))
        return 0;
    const size_t values = pos;
    for (int k = 0; k < n; k++)
        if (!put(out, &pos, (uint64_t)(int64_t)vals[f[order[k]].index], w)) return 0;
    for (int k = 0; k < n; k++)
        if (!put(out, &pos, (uint64_t)((f[order[k]].is_bool ? FXB_BOOL : FXB_INT) << 2 | log2w(w)), 1)) return 0;
    /* the root: an offset back to the map's values */
    size_t rw = 1, root = 0;
    for (;; rw *= 2) {
        root = align_up(pos, rw);
        if (fits_u(root - values, rw) || rw == 8) break;
    }
    if (!pad_to(out, &pos, root) || !put(out, &pos, root - values, rw) ||
        !put(out, &pos, (uint64_t)(FXB_MAP << 2 | log2w(w)), 1) || !put(out, &pos, rw, 1))
        return 0;
    return pos;
}

/* The custom_options vector of a custom op (0 with the error set on failure). */
static int custom_options(wctx *w, fbb_ref *ref)
{
    const mote_op op = w->op->op;
    const xfield *f = xfields[op].f;
    const int n = xfields[op].n;
    if (!xfields[op].custom) return op_fail(w, "no custom options layout for this op");
    if (n && w->op->opts.n_iparams != n)
        return op_fail(w, "custom options need %d parameters, the op has %d", n, (int)w->op->opts.n_iparams);
    for (int i = 0; i < n; i++) {
        int32_t v = w->op->opts.iparams[f[i].index];
        if (f[i].is_bool && v != 0 && v != 1) return op_fail(w, "custom option '%s' is %d, not a bool", f[i].key, (int)v);
    }
    uint8_t buf[FXB_MAX];
    size_t len = flexbuffer_map(f, n, w->op->opts.iparams, buf);
    if (!len) return op_fail(w, "custom options do not fit %d bytes", FXB_MAX);
    *ref = fbb_vec_bytes(w->b, buf, len, 1);
    return 0;
}

/* ---- the graph ---- */

static const char *tname(const mote_ir_graph *g, int32_t i)
{
    return g->tensors[i].name ? g->tensors[i].name : "";
}

/* What TFLite (and mote's importer) could not hold, refused before writing. */
static int check_tensor(const mote_ir_graph *g, int32_t i, char *err, size_t errlen)
{
    const mote_tensor *t = &g->tensors[i].t;
    if (tfl_type(t->type) < 0)
        return fail(err, errlen, "tensor %d (%s): dtype %s (%d) has no TFLite TensorType", (int)i, tname(g, i),
                    mote_dtype_name((mote_dtype)t->type), (int)t->type);
    if (t->rank > MOTE_MAX_DIMS) return fail(err, errlen, "tensor %d (%s): rank %d exceeds %d", (int)i, tname(g, i), t->rank, MOTE_MAX_DIMS);
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] < 0)
            return fail(err, errlen, "tensor %d (%s): dimension %d is %d", (int)i, tname(g, i), d, (int)t->dims[d]);
    if (t->type == MOTE_I8_SPARSE) {
        const int64_t rows = t->rank >= 2 ? t->dims[0] : 0, e = mote_tensor_elems(t);
        if (!(t->flags & MOTE_TENSOR_CONST) || rows <= 0 || e / rows > MOTE_SPARSE_MAX_DEPTH ||
            mote_sparse_s8_check(t->data, t->bytes, (int32_t)rows, (int32_t)(e / rows)))
            return fail(err, errlen, "tensor %d (%s): sparse int8 weights whose encoding does not fit their shape",
                        (int)i, tname(g, i));
    } else if (t->flags & MOTE_TENSOR_CONST) {
        size_t want = mote_dtype_bytes((mote_dtype)t->type, mote_tensor_elems(t));
        if (!t->data && t->bytes)
            return fail(err, errlen, "tensor %d (%s): constant without data", (int)i, tname(g, i));
        if (t->bytes != want)
            return fail(err, errlen, "tensor %d (%s): constant holds %zu bytes, its shape needs %zu", (int)i, tname(g, i),
                        t->bytes, want);
    }
    const mote_quant *q = &t->q;
    if (q->n < 0 || (q->n > 0 && !q->scale))
        return fail(err, errlen, "tensor %d (%s): malformed quantization (%d scales)", (int)i, tname(g, i), (int)q->n);
    if (q->n > 1 && (q->axis < 0 || q->axis >= t->rank || t->dims[q->axis] != q->n))
        return fail(err, errlen, "tensor %d (%s): %d per-channel scales do not match quantized_dimension %d", (int)i,
                    tname(g, i), (int)q->n, (int)q->axis);
    return 0;
}

static int check_op(const mote_ir_graph *g, int32_t i, char *err, size_t errlen)
{
    const mote_ir_op *op = &g->ops[i];
    if ((unsigned)op->op >= MOTE_OP_COUNT || !ident[op->op].name)
        return fail(err, errlen, "op %d (%s, id %d): the op registry gives it no TFLite identity (builtin code or custom name)",
                    (int)i, mote_op_name(op->op), (int)op->op);
    if (op->n_out < 1) return fail(err, errlen, "op %d (%s): no outputs", (int)i, op_label(op));
    if (!op->io) return fail(err, errlen, "op %d (%s): no input/output list", (int)i, op_label(op));
    for (int k = 0; k < op->n_in + op->n_out; k++) {
        int is_in = k < op->n_in;
        int32_t t = op->io[k];
        if (t >= g->n_tensors || t < -1 || (t == -1 && !is_in))
            return fail(err, errlen, "op %d (%s): %s %d refers to tensor %d, out of range", (int)i, op_label(op),
                        is_in ? "input" : "output", is_in ? k : k - op->n_in, (int)t);
    }
    return 0;
}

static int check_graph(const mote_ir_graph *g, char *err, size_t errlen)
{
    if (g->n_tensors < 0 || g->n_ops < 0 || g->n_inputs < 0 || g->n_outputs < 0 || (g->n_tensors && !g->tensors) ||
        (g->n_ops && !g->ops) || (g->n_inputs && !g->inputs) || (g->n_outputs && !g->outputs))
        return fail(err, errlen, "malformed graph (negative counts or missing arrays)");
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (check_tensor(g, i, err, errlen)) return -1;
    for (int32_t i = 0; i < g->n_ops; i++)
        if (check_op(g, i, err, errlen)) return -1;
    for (int32_t i = 0; i < g->n_inputs + g->n_outputs; i++) {
        int is_in = i < g->n_inputs;
        int32_t t = is_in ? g->inputs[i] : g->outputs[i - g->n_inputs];
        if (t < 0 || t >= g->n_tensors)
            return fail(err, errlen, "graph %s %d refers to tensor %d, out of range", is_in ? "input" : "output",
                        (int)(is_in ? i : i - g->n_inputs), (int)t);
    }
    return 0;
}

static fbb_ref write_quant(fbb *b, const mote_quant *q)
{
    fbb_ref scale = fbb_vec_f32(b, q->scale, (size_t)q->n), zp;
    if (q->zero_point) {
        zp = fbb_vec_i64_of_i32(b, q->zero_point, (size_t)q->n);
    } else {
        fbb_vec_start(b, (size_t)q->n, 8, 8);
        for (int32_t k = 0; k < q->n; k++) fbb_push_le(b, 0, 8);
        zp = fbb_vec_end(b, (size_t)q->n);
    }
    fbb_table_start(b);
    fbb_field_ref(b, Q_SCALE, scale);
    fbb_field_ref(b, Q_ZERO_POINT, zp);
    if (q->axis) fbb_field_i32(b, Q_DIM, q->axis);
    return fbb_table_end(b);
}

static fbb_ref write_tensor(fbb *b, const mote_ir_graph *g, int32_t i, uint32_t buffer)
{
    const mote_ir_tensor *it = &g->tensors[i];
    const mote_tensor *t = &it->t;
    fbb_ref shape = fbb_vec_i32(b, t->dims, t->rank);
    fbb_ref name = it->name ? fbb_string(b, it->name) : 0;
    fbb_ref quant = t->q.n > 0 ? write_quant(b, &t->q) : 0;
    fbb_table_start(b);
    fbb_field_ref(b, T_SHAPE, shape);
    if (tfl_type(t->type)) fbb_field_u8(b, T_TYPE, (uint8_t)tfl_type(t->type));
    if (buffer) fbb_field_u32(b, T_BUFFER, buffer);
    if (name) fbb_field_ref(b, T_NAME, name);
    if (quant) fbb_field_ref(b, T_QUANT, quant);
    if (t->flags & MOTE_TENSOR_VARIABLE) fbb_field_u8(b, T_IS_VARIABLE, 1);
    fbb_field_u8(b, T_HAS_RANK, 1); /* shapes are static: the rank is known, also for scalars */
    return fbb_table_end(b);
}

static int write_op(wctx *w, uint32_t opcode_index, fbb_ref *ref)
{
    const mote_ir_op *op = w->op;
    fbb *b = w->b;
    fbb_ref ins = fbb_vec_i32(b, op->io, op->n_in);
    fbb_ref outs = fbb_vec_i32(b, op->io + op->n_in, op->n_out);
    uint8_t type = 0;
    fbb_ref opts = 0, custom = 0;
    if (ident[op->op].builtin) {
        if (writers[op->op] && writers[op->op](w, &type, &opts)) return -1;
    } else if (custom_options(w, &custom)) {
        return -1;
    }
    fbb_table_start(b);
    if (opcode_index) fbb_field_u32(b, OP_OPCODE, opcode_index);
    fbb_field_ref(b, OP_INPUTS, ins);
    fbb_field_ref(b, OP_OUTPUTS, outs);
    if (opts) {
        fbb_field_u8(b, OP_OPTIONS_TYPE, type);
        fbb_field_ref(b, OP_OPTIONS, opts);
    }
    if (custom) fbb_field_ref(b, OP_CUSTOM_OPTIONS, custom); /* custom_options_format: FLEXBUFFERS (default) */
    *ref = fbb_table_end(b);
    return 0;
}

static fbb_ref write_opcode(fbb *b, mote_op op)
{
    const int32_t code = ident[op].code;
    fbb_ref custom = ident[op].builtin ? 0 : fbb_string(b, ident[op].name);
    fbb_table_start(b);
    /* before schema 3a the code was a byte; codes past it read 127 there */
    int32_t old = code < TFL_PLACEHOLDER_FOR_GREATER_OP_CODES ? code : TFL_PLACEHOLDER_FOR_GREATER_OP_CODES;
    if (old) fbb_field_u8(b, OPCODE_DEPRECATED_BUILTIN, (uint8_t)old);
    if (custom) fbb_field_ref(b, OPCODE_CUSTOM, custom);
    if (code) fbb_field_i32(b, OPCODE_BUILTIN, code);
    return fbb_table_end(b);
}

/* Everything but the checks; -1 with err set (the builder's failure, or an op's options). */
static int build(fbb *b, const mote_ir_graph *g, fbb_ref *root, char *err, size_t errlen)
{
    const int32_t nt = g->n_tensors, no = g->n_ops;
    uint32_t *buffer_of = calloc((size_t)nt + 1, sizeof *buffer_of);
    fbb_ref *buffers = malloc(((size_t)nt + 1) * sizeof *buffers);
    fbb_ref *tensors = malloc(((size_t)nt + 1) * sizeof *tensors);
    fbb_ref *ops = malloc(((size_t)no + 1) * sizeof *ops);
    fbb_ref opcodes[MOTE_OP_COUNT];
    int opcode_index[MOTE_OP_COUNT];
    mote_op opcode_op[MOTE_OP_COUNT];
    int n_opcodes = 0, rc = -1;
    if (!buffer_of || !buffers || !tensors || !ops) {
        fail(err, errlen, "out of memory");
        goto out;
    }
    /* Buffers: 0 is the empty sentinel, then one per constant, its data 16-byte
     * aligned. Built first, the data lands at the end of the file. */
    uint32_t nb = 1;
    for (int32_t i = 0; i < nt; i++) {
        const mote_tensor *t = &g->tensors[i].t;
        if (!(t->flags & MOTE_TENSOR_CONST) || !t->bytes) continue;
        fbb_ref data = fbb_vec_bytes(b, t->data, t->bytes, 16);
        fbb_table_start(b);
        fbb_field_ref(b, BUF_DATA, data);
        buffers[nb] = fbb_table_end(b);
        buffer_of[i] = nb++;
    }
    fbb_table_start(b);
    buffers[0] = fbb_table_end(b);
    fbb_ref buffer_vec = fbb_vec_refs(b, buffers, nb);

    for (int32_t i = 0; i < nt; i++) tensors[i] = write_tensor(b, g, i, buffer_of[i]);
    fbb_ref tensor_vec = fbb_vec_refs(b, tensors, (size_t)nt);

    for (int k = 0; k < MOTE_OP_COUNT; k++) opcode_index[k] = -1;
    for (int32_t i = 0; i < no; i++) {
        const mote_op op = g->ops[i].op;
        if (opcode_index[op] < 0) {
            opcode_index[op] = n_opcodes;
            opcode_op[n_opcodes++] = op;
        }
        wctx w = {b, g, &g->ops[i], i, err, errlen};
        if (write_op(&w, (uint32_t)opcode_index[op], &ops[i])) goto out;
    }
    fbb_ref op_vec = fbb_vec_refs(b, ops, (size_t)no);
    fbb_ref in_vec = fbb_vec_i32(b, g->inputs, (size_t)g->n_inputs);
    fbb_ref out_vec = fbb_vec_i32(b, g->outputs, (size_t)g->n_outputs);
    fbb_ref sg_name = fbb_string(b, "main");
    fbb_table_start(b);
    fbb_field_ref(b, SG_TENSORS, tensor_vec);
    fbb_field_ref(b, SG_INPUTS, in_vec);
    fbb_field_ref(b, SG_OUTPUTS, out_vec);
    fbb_field_ref(b, SG_OPERATORS, op_vec);
    fbb_field_ref(b, SG_NAME, sg_name);
    fbb_ref subgraph = fbb_table_end(b);
    fbb_ref subgraph_vec = fbb_vec_refs(b, &subgraph, 1);

    for (int k = 0; k < n_opcodes; k++) opcodes[k] = write_opcode(b, opcode_op[k]);
    fbb_ref opcode_vec = fbb_vec_refs(b, opcodes, (size_t)n_opcodes);
    fbb_ref desc = fbb_string(b, g->description && g->description[0] ? g->description : "Written by mote");

    fbb_table_start(b);
    fbb_field_u32(b, MODEL_VERSION, 3);
    fbb_field_ref(b, MODEL_OPCODES, opcode_vec);
    fbb_field_ref(b, MODEL_SUBGRAPHS, subgraph_vec);
    fbb_field_ref(b, MODEL_DESCRIPTION, desc);
    fbb_field_ref(b, MODEL_BUFFERS, buffer_vec);
    *root = fbb_table_end(b);
    if (b->err) {
        fail(err, errlen, "cannot build the FlatBuffer: %s", b->err);
        goto out;
    }
    rc = 0;
out:
    free(buffer_of);
    free(buffers);
    free(tensors);
    free(ops);
    return rc;
}

int mote_tflite_write(const mote_ir_graph *g, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    if (!g) return fail(err, errlen, "no graph");
    if (check_graph(g, err, errlen)) return -1;
    fbb b;
    fbb_init(&b);
    fbb_ref root = 0;
    int rc = build(&b, g, &root, err, errlen);
    if (rc == 0 && fbb_finish(&b, root, "TFL3", out, len) != 0)
        rc = fail(err, errlen, "cannot build the FlatBuffer: %s", b.err);
    fbb_free(&b);
    return rc;
}
