/* TFLite importer: walks Model -> SubGraph 0 -> tensors/operators with the
 * bounds-checked reader and builds the graph IR. Every check that needs the
 * file happens here, so later stages can trust the IR's indices and sizes. */
#include "import.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custom_options.h"
#include "fb.h"
#include "options.h"
#include "mote/sparse.h"

/* Table field numbers (schema.fbs). */
enum { MODEL_VERSION = 0, MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESCRIPTION = 3, MODEL_BUFFERS = 4 };
enum { OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM = 1, OPCODE_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3 };
enum { T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4, T_IS_VARIABLE = 5, T_SPARSITY = 6 };
enum { Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DIM = 6 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS = 4, OP_CUSTOM_OPTIONS = 5,
       OP_LARGE_CUSTOM_OFFSET = 9, OP_LARGE_CUSTOM_SIZE = 10 };
enum { BUF_DATA = 0, BUF_OFFSET = 1, BUF_SIZE = 2 };

#define MAX_TENSOR_BYTES ((size_t)1 << 30)

typedef struct {
    fb_reader r;
    const char *name;
    char *err;
    size_t errlen;
    mote_ir_graph *g;
    char tname[MOTE_IR_SHORT_NAME]; /* the tensor being read, for messages */
} importer;

static int fail(importer *im, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(im->err, im->errlen, "%s: %s", im->name, msg);
    return -1;
}

static char *dup_str(const char *s, uint32_t len)
{
    char *d = malloc((size_t)len + 1);
    if (!d) return NULL;
    if (len) memcpy(d, s, len);
    d[len] = 0;
    /* names are for humans and JSON: keep them printable */
    for (uint32_t i = 0; i < len; i++)
        if ((unsigned char)d[i] < 0x20 || d[i] == '"' || d[i] == '\\') d[i] = '?';
    return d;
}

static int map_dtype(int8_t tfl, mote_dtype *out)
{
    switch (tfl) {
    case 0: *out = MOTE_F32; return 0;
    case 2: *out = MOTE_I32; return 0;
    case 3: *out = MOTE_U8; return 0;
    case 4: *out = MOTE_I64; return 0;
    case 6: *out = MOTE_BOOL; return 0;
    case 7: *out = MOTE_I16; return 0;
    case 9: *out = MOTE_I8; return 0;
    case 12: *out = MOTE_U64; return 0;
    case 15: *out = MOTE_U32; return 0;
    case 17: *out = MOTE_I4; return 0;
    case 127: *out = MOTE_I1; return 0; /* mote's binary weights (tflite_write.c) */
    case MOTE_TFL_INT8_SPARSE: *out = MOTE_I8_SPARSE; return 0;
    default: return -1;
    }
}

static const char *tfl_dtype_name(int8_t tfl)
{
    static const char *const names[] = {"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING",
                                        "BOOL", "INT16", "COMPLEX64", "INT8", "FLOAT64",
                                        "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32",
                                        "UINT16", "INT4"};
    if (tfl == MOTE_TFL_INT8_SPARSE) return "mote sparse int8";
    return tfl >= 0 && (size_t)tfl < sizeof names / sizeof names[0] ? names[tfl] : "unknown";
}

/* Where a buffer's bytes are: inline vector, or (large models) offset/size
 * from the start of the file. */
static int buffer_bytes(importer *im, fb_vec buffers, uint32_t idx, const uint8_t **data, size_t *len)
{
    fb_reader *r = &im->r;
    *data = NULL;
    *len = 0;
    if (idx == 0) return 0; /* buffer 0 is the empty sentinel */
    fb_table b = fb_vec_table(r, buffers, idx);
    fb_vec v = fb_vector(r, b, BUF_DATA, 1);
    uint64_t off = fb_u64(r, b, BUF_OFFSET, 0), size = fb_u64(r, b, BUF_SIZE, 0);
    if (!fb_ok(r)) return -1;
    if (v.n) {
        *data = r->buf + v.pos;
        *len = v.n;
    } else if (off > 1) { /* offset 1 marks "no data" in the schema's large-model mode */
        if (off > r->len || size > r->len - off) return -1;
        *data = r->buf + off;
        *len = (size_t)size;
    }
    return 0;
}

/* Scales and zero points of a quantized tensor. Zero points either come one
 * per scale or, as TFLM reads any other count, element 0 serves them all. */
static int import_quant(importer *im, mote_ir_tensor *it, uint32_t idx, const char *label, fb_vec sc, fb_vec zp,
                        int32_t axis)
{
    fb_reader *r = &im->r;
    mote_dtype dt = (mote_dtype)it->t.type;
    it->scale = malloc(sizeof(float) * sc.n);
    it->zero_point = malloc(sizeof(int32_t) * sc.n);
    if (!it->scale || !it->zero_point) return fail(im, "out of memory");
    for (uint32_t i = 0; i < sc.n; i++) {
        float s = fb_vec_f32(r, sc, i);
        int64_t z = fb_vec_i64(r, zp, zp.n == sc.n ? i : 0);
        if (!(s >= 0.0f) || s > 1e30f)
            return fail(im, "tensor %u (%s): quantization scale %u is not a finite non-negative number", idx,
                        label, i);
        /* 8- and 16-bit values must be able to hold their zero point: the
         * kernels' accumulator bounds rest on it. Wider types keep the low
         * 32 bits, as TFLM's int32 zero point does. */
        int64_t zlo = INT64_MIN, zhi = INT64_MAX;
        if (dt == MOTE_I8) zlo = INT8_MIN, zhi = INT8_MAX;
        if (dt == MOTE_U8) zlo = 0, zhi = UINT8_MAX;
        if (dt == MOTE_I16) zlo = INT16_MIN, zhi = INT16_MAX;
        if (dt == MOTE_I4) zlo = -8, zhi = 7;
        if (dt == MOTE_I1) zlo = 0, zhi = 0;
        if (z < zlo || z > zhi)
            return fail(im, "tensor %u (%s): zero_point %lld out of range for %s", idx, label, (long long)z,
                        mote_dtype_name(dt));
        it->scale[i] = s;
        it->zero_point[i] = (int32_t)(uint32_t)(uint64_t)z;
    }
    it->t.q.scale = it->scale;
    it->t.q.zero_point = it->zero_point;
    it->t.q.n = (int32_t)sc.n;
    it->t.q.axis = axis;
    return 0;
}

static int import_tensor(importer *im, fb_table t, uint32_t idx, fb_vec buffers, uint32_t n_buffers)
{
    fb_reader *r = &im->r;
    mote_ir_tensor *it = &im->g->tensors[idx];
    mote_tensor *mt = &it->t;
    uint32_t nlen = 0;
    const char *name = fb_string(r, t, T_NAME, &nlen);
    it->name = dup_str(name ? name : "", name ? nlen : 0);
    if (!it->name) return fail(im, "out of memory");
    const char *label = mote_ir_short_name(it->name, im->tname);

    fb_vec shape = fb_vector(r, t, T_SHAPE, 4);
    int8_t tfl_type = fb_i8(r, t, T_TYPE, 0);
    uint32_t buf_idx = fb_u32(r, t, T_BUFFER, 0);
    if (!fb_ok(r)) return fail(im, "tensor %u (%s): %s", idx, label, r->err);
    if (shape.n > MOTE_MAX_DIMS)
        return fail(im, "tensor %u (%s): rank %u exceeds %d", idx, label, shape.n, MOTE_MAX_DIMS);
    mote_dtype dt;
    if (map_dtype(tfl_type, &dt) != 0)
        return fail(im, "tensor %u (%s): dtype %s not supported", idx, label, tfl_dtype_name(tfl_type));
    mt->type = (uint8_t)dt;
    mt->rank = (uint8_t)shape.n;
    size_t elems = 1;
    for (uint32_t d = 0; d < shape.n; d++) {
        int32_t v = fb_vec_i32(r, shape, d);
        if (v < 0) return fail(im, "tensor %u (%s): dimension %u is %d (dynamic shapes are not supported)", idx, label, d, v);
        mt->dims[d] = v;
        if (v && elems > MAX_TENSOR_BYTES / (size_t)v)
            return fail(im, "tensor %u (%s): too large", idx, label);
        elems *= (size_t)v;
    }
    mt->bytes = mote_dtype_bytes(dt, (int64_t)elems);
    if (mt->bytes > MAX_TENSOR_BYTES) return fail(im, "tensor %u (%s): too large", idx, label);
    if (fb_u8(r, t, T_IS_VARIABLE, 0)) mt->flags |= MOTE_TENSOR_VARIABLE;
    if (fb_has(r, t, T_SPARSITY)) return fail(im, "tensor %u (%s): sparse tensors are not supported", idx, label);

    if (buf_idx >= n_buffers) return fail(im, "tensor %u (%s): buffer index %u out of range (%u buffers)", idx, label, buf_idx, n_buffers);
    const uint8_t *data;
    size_t len;
    if (buffer_bytes(im, buffers, buf_idx, &data, &len) != 0)
        return fail(im, "tensor %u (%s): buffer %u lies outside the file", idx, label, buf_idx);
    if (dt == MOTE_I8_SPARSE) {
        /* the bytes are the encoding's (mote/sparse.h): checked against the shape here, once */
        const size_t rows = shape.n >= 2 ? (size_t)mt->dims[0] : 0, depth = rows ? elems / rows : 0;
        if (!len || depth > MOTE_SPARSE_MAX_DEPTH || len > MAX_TENSOR_BYTES ||
            mote_sparse_s8_check(data, len, (int32_t)rows, (int32_t)depth))
            return fail(im, "tensor %u (%s): sparse int8 weights: buffer %u is not a valid encoding of a %s tensor",
                        idx, label, buf_idx, rows ? "[rows, ...]" : "rank >= 2");
        mt->bytes = len;
    }
    if (len) {
        if (len != mt->bytes)
            return fail(im, "tensor %u (%s): buffer %u holds %zu bytes, shape needs %zu", idx, label, buf_idx, len, mt->bytes);
        size_t align = mote_dtype_size(dt);
        if ((uintptr_t)data % (align < 4 ? 1 : align) != 0) {
            /* kernels read weights as typed arrays: give them an aligned copy */
            it->owned_data = aligned_alloc(16, (len + 15) & ~(size_t)15);
            if (!it->owned_data) return fail(im, "out of memory");
            memcpy(it->owned_data, data, len);
            data = it->owned_data;
        }
        mt->data = (void *)(uintptr_t)data;
        mt->flags |= MOTE_TENSOR_CONST;
    }
    /* mote's int4 is for weights (conv, depthwise, fully connected filters) */
    if (dt == MOTE_I4 && !(mt->flags & MOTE_TENSOR_CONST))
        return fail(im, "tensor %u (%s): int4 tensors must be constant weights", idx, label);
    if (dt == MOTE_I1 && !(mt->flags & MOTE_TENSOR_CONST))
        return fail(im, "tensor %u (%s): binary tensors must be constant weights", idx, label);

    fb_table q = fb_subtable(r, t, T_QUANT);
    if (q.pos) {
        /* As TFLM's allocator: min/max and the details union are not read;
         * quantized_dimension (default 0) is kept unchecked, since only the
         * kernels that quantize per channel use it and they check it. */
        fb_vec sc = fb_vector(r, q, Q_SCALE, 4), zp = fb_vector(r, q, Q_ZERO_POINT, 8);
        int32_t axis = fb_i32(r, q, Q_DIM, 0);
        if (!fb_ok(r)) return fail(im, "tensor %u (%s) quantization: %s", idx, label, r->err);
        /* Quantized only with scales and zero points both (TFLM treats a
         * tensor that lacks either as not quantized). */
        if (sc.n && zp.n && import_quant(im, it, idx, label, sc, zp, axis) != 0) return -1;
    }
    return 0;
}

static int import_index_list(importer *im, fb_vec v, int32_t **out, int allow_absent, const char *what, int32_t op)
{
    fb_reader *r = &im->r;
    *out = malloc(sizeof(int32_t) * (v.n ? v.n : 1));
    if (!*out) return fail(im, "out of memory");
    for (uint32_t i = 0; i < v.n; i++) {
        int32_t t = fb_vec_i32(r, v, i);
        if ((t < 0 && !(allow_absent && t == -1)) || t >= im->g->n_tensors) {
            if (op >= 0) return fail(im, "op %d: %s %u refers to tensor %d, out of range", op, what, i, t);
            return fail(im, "graph %s %u refers to tensor %d, out of range", what, i, t);
        }
        (*out)[i] = t;
    }
    return 0;
}

/* mote's sparse int8 weights are read only as FULLY_CONNECTED's or CONV_2D's weights: anywhere else a kernel
 * would take the encoding for dense data, so such a file is refused here. */
static int check_sparse_readers(importer *im)
{
    const mote_ir_graph *g = im->g;
    for (int32_t i = 0; i < g->n_ops; i++) {
        const mote_ir_op *op = &g->ops[i];
        for (int k = 0; k < op->n_in + op->n_out; k++) {
            const int32_t t = op->io[k];
            if (t < 0 || g->tensors[t].t.type != MOTE_I8_SPARSE) continue;
            if ((op->op != MOTE_OP_FULLY_CONNECTED && op->op != MOTE_OP_CONV_2D) || k != 1)
                return fail(im, "op %d (%s): tensor %d (%s) holds sparse int8 weights, which only FULLY_CONNECTED and "
                                "CONV_2D ops read, as their weights",
                            (int)i, mote_op_name(op->op), (int)t, mote_ir_short_name(g->tensors[t].name, im->tname));
        }
    }
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].t.type == MOTE_I8_SPARSE && (g->tensors[i].t.flags & (MOTE_TENSOR_INPUT | MOTE_TENSOR_OUTPUT)))
            return fail(im, "tensor %d (%s): sparse int8 weights cannot be a graph input or output", (int)i,
                        mote_ir_short_name(g->tensors[i].name, im->tname));
    return 0;
}

static int import_op(importer *im, fb_table o, int32_t idx, fb_vec opcodes)
{
    fb_reader *r = &im->r;
    mote_ir_op *op = &im->g->ops[idx];
    uint32_t code_idx = fb_u32(r, o, OP_OPCODE, 0);
    if (!fb_ok(r)) return fail(im, "op %d: %s", idx, r->err);
    if (code_idx >= opcodes.n) return fail(im, "op %d: opcode_index %u out of range (%u codes)", idx, code_idx, opcodes.n);
    fb_table oc = fb_vec_table(r, opcodes, code_idx);
    int32_t builtin = fb_i8(r, oc, OPCODE_DEPRECATED_BUILTIN, 0);
    int32_t b2 = fb_i32(r, oc, OPCODE_BUILTIN, 0);
    if (b2 > builtin) builtin = b2; /* schema 3a: the larger of the two fields */
    if (!fb_ok(r)) return fail(im, "op %d: operator code: %s", idx, r->err);

    char tmp[32];
    const char *opname = mote_tflite_builtin_name(builtin, tmp, sizeof tmp);
    int mop;
    fb_vec custom_opts = {0, 0};
    if (builtin == TFL_CUSTOM) {
        uint32_t clen = 0;
        const char *cname = fb_string(r, oc, OPCODE_CUSTOM, &clen);
        op->custom_code = dup_str(cname ? cname : "", cname ? clen : 0);
        if (!op->custom_code) return fail(im, "out of memory");
        mop = mote_tflite_custom_op(cname ? cname : "", cname ? clen : 0);
        if (mop < 0) return fail(im, "op %d (CUSTOM:%s): custom operator not supported", idx, op->custom_code);
        opname = op->custom_code;
        custom_opts = fb_vector(r, o, OP_CUSTOM_OPTIONS, 1);
        if (fb_has(r, o, OP_LARGE_CUSTOM_OFFSET))
            return fail(im, "op %d (CUSTOM:%s): large custom options are not supported", idx, opname);
    } else {
        mop = mote_tflite_builtin_op(builtin);
        if (mop < 0) return fail(im, "op %d (%s): operator not supported", idx, opname);
    }
    op->op = (mote_op)mop;

    fb_vec ins = fb_vector(r, o, OP_INPUTS, 4), outs = fb_vector(r, o, OP_OUTPUTS, 4);
    if (!fb_ok(r)) return fail(im, "op %d (%s): %s", idx, opname, r->err);
    if (outs.n == 0) return fail(im, "op %d (%s): no outputs", idx, opname);
    if (ins.n + outs.n > 1024) return fail(im, "op %d (%s): too many inputs/outputs", idx, opname);
    op->n_in = (uint16_t)ins.n;
    op->n_out = (uint16_t)outs.n;
    op->io = malloc(sizeof(int32_t) * (ins.n + outs.n));
    if (!op->io) return fail(im, "out of memory");
    for (uint32_t i = 0; i < ins.n + outs.n; i++) {
        int is_in = i < ins.n;
        int32_t t = is_in ? fb_vec_i32(r, ins, i) : fb_vec_i32(r, outs, i - ins.n);
        if (t >= im->g->n_tensors || t < -1 || (t == -1 && !is_in))
            return fail(im, "op %d (%s): %s %u refers to tensor %d, out of range", idx, opname,
                        is_in ? "input" : "output", is_in ? i : i - ins.n, t);
        op->io[i] = t;
    }
    for (uint32_t i = 0; i < outs.n; i++) {
        mote_tensor *t = &im->g->tensors[op->io[ins.n + i]].t;
        if (t->flags & MOTE_TENSOR_CONST)
            return fail(im, "op %d (%s): output tensor %d is a constant", idx, opname, op->io[ins.n + i]);
    }

    const char *why = NULL;
    if (builtin == TFL_CUSTOM) {
        char cerr[160];
        memset(&op->opts, 0, sizeof op->opts);
        if (mote_tflite_custom_options(op->op, custom_opts.n ? r->buf + custom_opts.pos : NULL,
                                       custom_opts.n, &op->opts, cerr, sizeof cerr) != 0)
            return fail(im, "op %d (CUSTOM:%s): custom_options: %s", idx, opname, cerr);
    } else {
        fb_table opts = fb_subtable(r, o, OP_OPTIONS);
        if (mote_tflite_options(r, opts, op->op, &op->opts, &why) != 0)
            return fail(im, "op %d (%s): options: %s", idx, opname, why ? why : "malformed");
    }
    return 0;
}

mote_ir_graph *mote_tflite_import(uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    importer im = {.r = {buf, len, NULL}, .name = name, .err = err, .errlen = errlen};
    fb_reader *r = &im.r;
    mote_ir_graph *g = calloc(1, sizeof *g);
    if (!g) {
        free(buf);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    g->file = buf;
    g->file_len = len;
    im.g = g;

    if (len < 8 || memcmp(buf + 4, "TFL3", 4) != 0) {
        fail(&im, "not a TFLite model (no TFL3 identifier)");
        goto bad;
    }
    fb_table model = fb_root(r);
    uint32_t version = fb_u32(r, model, MODEL_VERSION, 0);
    fb_vec opcodes = fb_vector(r, model, MODEL_OPCODES, 4);
    fb_vec subgraphs = fb_vector(r, model, MODEL_SUBGRAPHS, 4);
    fb_vec buffers = fb_vector(r, model, MODEL_BUFFERS, 4);
    uint32_t dlen = 0;
    const char *desc = fb_string(r, model, MODEL_DESCRIPTION, &dlen);
    if (!fb_ok(r)) {
        fail(&im, "model table: %s", r->err);
        goto bad;
    }
    if (version != 3) {
        fail(&im, "schema version %u not supported (expected 3)", version);
        goto bad;
    }
    if (subgraphs.n < 1) {
        fail(&im, "model has no subgraph");
        goto bad;
    }
    g->description = dup_str(desc ? desc : "", desc ? dlen : 0);
    fb_table sg = fb_vec_table(r, subgraphs, 0);
    fb_vec tensors = fb_vector(r, sg, SG_TENSORS, 4);
    fb_vec gin = fb_vector(r, sg, SG_INPUTS, 4), gout = fb_vector(r, sg, SG_OUTPUTS, 4);
    fb_vec ops = fb_vector(r, sg, SG_OPERATORS, 4);
    if (!fb_ok(r)) {
        fail(&im, "subgraph 0: %s", r->err);
        goto bad;
    }
    if (tensors.n > INT16_MAX || ops.n > INT16_MAX) {
        fail(&im, "subgraph 0: too many tensors or operators");
        goto bad;
    }
    g->n_tensors = (int32_t)tensors.n;
    g->tensors = calloc(tensors.n ? tensors.n : 1, sizeof *g->tensors);
    g->n_ops = (int32_t)ops.n;
    g->ops = calloc(ops.n ? ops.n : 1, sizeof *g->ops);
    if (!g->description || !g->tensors || !g->ops) {
        fail(&im, "out of memory");
        goto bad;
    }
    for (uint32_t i = 0; i < tensors.n; i++) {
        fb_table t = fb_vec_table(r, tensors, i);
        if (!fb_ok(r)) {
            fail(&im, "tensor %u: %s", i, r->err);
            goto bad;
        }
        if (import_tensor(&im, t, i, buffers, buffers.n) != 0) goto bad;
    }
    if (import_index_list(&im, gin, &g->inputs, 0, "input", -1) != 0) goto bad;
    g->n_inputs = (int32_t)gin.n;
    if (import_index_list(&im, gout, &g->outputs, 0, "output", -1) != 0) goto bad;
    g->n_outputs = (int32_t)gout.n;
    if (g->n_inputs < 1 || g->n_outputs < 1) {
        fail(&im, "graph has no inputs or no outputs");
        goto bad;
    }
    for (int32_t i = 0; i < g->n_inputs; i++) g->tensors[g->inputs[i]].t.flags |= MOTE_TENSOR_INPUT;
    for (int32_t i = 0; i < g->n_outputs; i++) g->tensors[g->outputs[i]].t.flags |= MOTE_TENSOR_OUTPUT;
    for (uint32_t i = 0; i < ops.n; i++) {
        fb_table o = fb_vec_table(r, ops, i);
        if (!fb_ok(r)) {
            fail(&im, "op %u: %s", i, r->err);
            goto bad;
        }
        if (import_op(&im, o, (int32_t)i, opcodes) != 0) goto bad;
    }
    if (check_sparse_readers(&im) != 0) goto bad;
    return g;
bad:
    mote_ir_free(g);
    return NULL;
}
