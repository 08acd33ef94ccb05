/* The TFLite writer (compiler/backend/tflite_write.h).
 *
 * Every model of ../shared/models: imported, written, imported again, the
 * two graphs are the same (tensors: names, shapes, types, flags,
 * quantization, constant bytes; ops: kind, inputs, outputs, options), and
 * host models of the original and of the written file give the same output
 * bytes on a real input (the golden in_00.bin where there is one). The same
 * for the graph after the passes stage. A hand-built graph holds every op of
 * the registry with options away from their defaults and every dtype. The
 * written bytes are checked with the FlatBuffer reader: identifier, version,
 * operator codes, union tags, the alignment of tables, vectors and scalars,
 * 16-byte aligned constants. Bad graphs give clear errors.
 *
 * With MOTE_TFLITE_WRITE_DIR set, each model's written file is left there
 * under its own name (tests/tflite_write.sh checks them with tflite_info.py
 * and mote verify). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/tflite_write.h"
#include "host_model.h"
#include "import/import.h"
#include "import/tflite/fb.h"
#include "import/tflite/import.h"
#include "import/tflite/options.h"
#include "mote/motion.h"
#include "mote/signal.h"

typedef struct {
    const char *path;   /* under MOTE_SHARED_DIR/models */
    const char *golden; /* folder under MOTE_SHARED_DIR/golden, or NULL */
} model_case;

static const model_case models[] = {
    {"mlperf-tiny/ad_autoencoder_float32.tflite", "ad_autoencoder_float32"},
    {"mlperf-tiny/ad_autoencoder_int8.tflite", "ad_autoencoder_int8"},
    {"mlperf-tiny/ic_resnet8_float32.tflite", "ic_resnet8_float32"},
    {"mlperf-tiny/ic_resnet8_int8.tflite", "ic_resnet8_int8"},
    {"mlperf-tiny/kws_float32.tflite", NULL},
    {"mlperf-tiny/kws_int8.tflite", "kws_int8"},
    {"mlperf-tiny/vww_mobilenet_96_float32.tflite", "vww_mobilenet_96_float32"},
    {"mlperf-tiny/vww_mobilenet_96_int8.tflite", "vww_mobilenet_96_int8"},
    {"tflm/hello_world_float32.tflite", "hello_world_float32"},
    {"tflm/hello_world_int8.tflite", "hello_world_int8"},
    {"tflm/micro_speech_audio_preprocessor_int8.tflite", "micro_speech_audio_preprocessor_int8"},
    {"tflm/micro_speech_int8.tflite", "micro_speech_int8"},
    {"tflm/mnist_lstm_float32.tflite", "mnist_lstm_float32"},
    {"tflm/mnist_lstm_int8.tflite", "mnist_lstm_int8"},
};

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return b;
}

/* Raw import (no passes) of a copy of bytes. */
static mote_ir_graph *import_raw(const uint8_t *bytes, size_t len, const char *name)
{
    char err[512];
    uint8_t *copy = aligned_alloc(16, (len + 15) & ~(size_t)15);
    assert_non_null(copy);
    memcpy(copy, bytes, len);
    mote_ir_graph *g = mote_tflite_import(copy, len, name, err, sizeof err);
    if (!g) fail_msg("%s", err);
    return g;
}

static uint8_t *write_ok(const mote_ir_graph *g, size_t *len)
{
    char err[512] = "";
    uint8_t *out = NULL;
    if (mote_tflite_write(g, &out, len, err, sizeof err) != 0) fail_msg("write: %s", err);
    assert_non_null(out);
    assert_int_equal((uintptr_t)out % 16, 0);
    return out;
}

/* ---- graph comparison ---- */

static void same_opts(const mote_opts *a, const mote_opts *b, int op)
{
#define SAME(f) \
    if (a->f != b->f) fail_msg("op %d: option " #f " differs: %g vs %g", op, (double)a->f, (double)b->f)
    SAME(padding); SAME(activation); SAME(keep_dims); SAME(time_major); SAME(asymmetric_quantize_inputs);
    SAME(stride_w); SAME(stride_h); SAME(dilation_w); SAME(dilation_h); SAME(filter_w); SAME(filter_h);
    SAME(depth_multiplier); SAME(axis); SAME(begin_mask); SAME(end_mask); SAME(ellipsis_mask);
    SAME(new_axis_mask); SAME(shrink_axis_mask); SAME(offset); SAME(beta); SAME(cell_clip); SAME(proj_clip);
    SAME(n_iparams);
    for (int i = 0; i < a->n_iparams; i++) SAME(iparams[i]);
#undef SAME
}

static void same_graph(const mote_ir_graph *a, const mote_ir_graph *b)
{
    assert_int_equal(a->n_tensors, b->n_tensors);
    for (int32_t i = 0; i < a->n_tensors; i++) {
        const mote_tensor *x = &a->tensors[i].t, *y = &b->tensors[i].t;
        assert_string_equal(a->tensors[i].name, b->tensors[i].name);
        if (x->type != y->type || x->rank != y->rank || x->bytes != y->bytes ||
            (x->flags & ~MOTE_TENSOR_PACKED) != (y->flags & ~MOTE_TENSOR_PACKED))
            fail_msg("tensor %d (%s): type/rank/bytes/flags differ", i, a->tensors[i].name);
        assert_memory_equal(x->dims, y->dims, sizeof(int32_t) * x->rank);
        assert_int_equal(x->q.n, y->q.n);
        if (x->q.n) {
            assert_int_equal(x->q.axis, y->q.axis);
            assert_memory_equal(x->q.scale, y->q.scale, sizeof(float) * (size_t)x->q.n);
            assert_memory_equal(x->q.zero_point, y->q.zero_point, sizeof(int32_t) * (size_t)x->q.n);
        }
        if (x->flags & MOTE_TENSOR_CONST) {
            assert_memory_equal(x->data, y->data, x->bytes);
            /* written constants are aligned: the importer reads them in place */
            assert_null(b->tensors[i].owned_data);
            assert_int_equal((uintptr_t)y->data % 16, 0);
        }
    }
    assert_int_equal(a->n_ops, b->n_ops);
    for (int32_t i = 0; i < a->n_ops; i++) {
        const mote_ir_op *x = &a->ops[i], *y = &b->ops[i];
        if (x->op != y->op) fail_msg("op %d: %s became %s", i, mote_op_name(x->op), mote_op_name(y->op));
        assert_int_equal(x->n_in, y->n_in);
        assert_int_equal(x->n_out, y->n_out);
        assert_memory_equal(x->io, y->io, sizeof(int32_t) * (size_t)(x->n_in + x->n_out));
        same_opts(&x->opts, &y->opts, i);
        if (x->custom_code || y->custom_code) assert_string_equal(x->custom_code, y->custom_code);
    }
    assert_int_equal(a->n_inputs, b->n_inputs);
    assert_int_equal(a->n_outputs, b->n_outputs);
    assert_memory_equal(a->inputs, b->inputs, sizeof(int32_t) * (size_t)a->n_inputs);
    assert_memory_equal(a->outputs, b->outputs, sizeof(int32_t) * (size_t)a->n_outputs);
    assert_string_equal(a->description, b->description);
}

/* ---- the written file, read back with the FlatBuffer reader ---- */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* The table is 4-aligned, its vtable 2-aligned, and each field listed as
 * {id, size} sits at a multiple of its size. */
static void check_table(const uint8_t *buf, fb_table t, const int (*fields)[2], int n)
{
    if (!t.pos) return;
    assert_int_equal(t.pos % 4, 0);
    assert_int_equal(t.vtable % 2, 0);
    for (int i = 0; i < n; i++) {
        size_t slot = 4 + 2 * (size_t)fields[i][0];
        if (slot + 2 > t.vtlen) continue;
        uint16_t off = rd16(buf + t.vtable + slot);
        if (off && (t.pos + off) % (size_t)fields[i][1] != 0)
            fail_msg("field %d of the table at %zu is misaligned", fields[i][0], t.pos);
    }
}

/* A vector's length word is 4-aligned, its elements at a multiple of align. */
static void check_vec(fb_vec v, size_t align)
{
    if (!v.pos) return;
    assert_int_equal((v.pos - 4) % 4, 0);
    assert_int_equal(v.pos % align, 0);
}

/* BuiltinOptions union tag written for each op (schema.fbs), 0 for none. */
static uint8_t expected_union(mote_op op, int n_in)
{
    switch (op) {
    case MOTE_OP_CONV_2D: return 1;
    case MOTE_OP_DEPTHWISE_CONV_2D: return 2;
    case MOTE_OP_AVERAGE_POOL_2D: case MOTE_OP_MAX_POOL_2D: return 5;
    case MOTE_OP_FULLY_CONNECTED: return 8;
    case MOTE_OP_SOFTMAX: return 9;
    case MOTE_OP_CONCATENATION: return 10;
    case MOTE_OP_ADD: return 11;
    case MOTE_OP_RESHAPE: return n_in == 1 ? 17 : 0;
    case MOTE_OP_MUL: return 21;
    case MOTE_OP_MEAN: return 27;
    case MOTE_OP_SUB: return 28;
    case MOTE_OP_DIV: return 29;
    case MOTE_OP_STRIDED_SLICE: return 32;
    case MOTE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM: return 71;
    default: return 0;
    }
}

static void check_file(const uint8_t *buf, size_t len, const mote_ir_graph *g)
{
    static const int model_f[][2] = {{0, 4}, {1, 4}, {2, 4}, {3, 4}, {4, 4}};
    static const int opcode_f[][2] = {{0, 1}, {1, 4}, {2, 4}, {3, 4}};
    static const int sg_f[][2] = {{0, 4}, {1, 4}, {2, 4}, {3, 4}, {4, 4}};
    static const int tensor_f[][2] = {{0, 4}, {1, 1}, {2, 4}, {3, 4}, {4, 4}, {5, 1}, {8, 1}};
    static const int quant_f[][2] = {{2, 4}, {3, 4}, {6, 4}};
    static const int op_f[][2] = {{0, 4}, {1, 4}, {2, 4}, {3, 1}, {4, 4}, {5, 4}};
    fb_reader r = {buf, len, NULL};
    assert_int_equal(len % 16, 0);
    assert_memory_equal(buf + 4, "TFL3", 4);
    fb_table model = fb_root(&r);
    check_table(buf, model, model_f, 5);
    assert_int_equal(fb_u32(&r, model, 0, 0), 3);
    fb_vec codes = fb_vector(&r, model, 1, 4), sgs = fb_vector(&r, model, 2, 4), bufs = fb_vector(&r, model, 4, 4);
    check_vec(codes, 4);
    check_vec(bufs, 4);
    assert_int_equal(sgs.n, 1);
    /* buffer 0 empty; every other one's data 16-byte aligned */
    assert_true(bufs.n >= 1);
    for (uint32_t i = 0; i < bufs.n; i++) {
        fb_table b = fb_vec_table(&r, bufs, i);
        check_table(buf, b, model_f, 1);
        fb_vec d = fb_vector(&r, b, 0, 1);
        if (i == 0) assert_int_equal(d.n, 0);
        else check_vec(d, 16);
    }
    fb_table sg = fb_vec_table(&r, sgs, 0);
    check_table(buf, sg, sg_f, 5);
    fb_vec tensors = fb_vector(&r, sg, 0, 4), ops = fb_vector(&r, sg, 3, 4);
    assert_int_equal(tensors.n, (uint32_t)g->n_tensors);
    assert_int_equal(ops.n, (uint32_t)g->n_ops);
    for (uint32_t i = 0; i < tensors.n; i++) {
        fb_table t = fb_vec_table(&r, tensors, i);
        check_table(buf, t, tensor_f, 7);
        check_vec(fb_vector(&r, t, 0, 4), 4);
        fb_table q = fb_subtable(&r, t, 4);
        check_table(buf, q, quant_f, 3);
        if (q.pos) {
            check_vec(fb_vector(&r, q, 2, 4), 4);
            check_vec(fb_vector(&r, q, 3, 8), 8);
        }
    }
    for (uint32_t i = 0; i < ops.n; i++) {
        fb_table o = fb_vec_table(&r, ops, i);
        check_table(buf, o, op_f, 6);
        const mote_ir_op *iop = &g->ops[i];
        assert_int_equal(fb_u8(&r, o, 3, 0), expected_union(iop->op, iop->n_in));
        fb_table oc = fb_vec_table(&r, codes, fb_u32(&r, o, 0, 0));
        check_table(buf, oc, opcode_f, 4);
        /* the op's code, in both fields; the old byte clamped to 127 */
        int32_t code = fb_i32(&r, oc, 3, 0), old = fb_i8(&r, oc, 0, 0);
        assert_int_equal(old, code < 127 ? code : 127);
        if (code == 32) {
            uint32_t n = 0;
            const char *name = fb_string(&r, oc, 1, &n);
            assert_non_null(name);
            assert_int_equal(n, strlen(mote_op_name(iop->op)));
            assert_memory_equal(name, mote_op_name(iop->op), n);
        } else {
            assert_int_equal(mote_tflite_builtin_op(code), iop->op);
        }
    }
    assert_true(fb_ok(&r));
}

/* ---- models ---- */

/* The model's first golden input, else deterministic values (floats in [-1, 1]). */
static uint8_t *model_input(const model_case *mc, const mote_host_model *hm)
{
    size_t n = mote_host_input_bytes(hm), len = 0;
    if (mc->golden) {
        char path[1024];
        snprintf(path, sizeof path, "%s/golden/%s/in_00.bin", MOTE_SHARED_DIR, mc->golden);
        uint8_t *in = read_file(path, &len);
        assert_non_null(in);
        assert_int_equal(len, n);
        return in;
    }
    uint8_t *in = malloc(n);
    uint32_t s = 12345;
    size_t at = 0;
    for (int32_t i = 0; i < hm->m.n_inputs; i++) {
        const mote_tensor *t = &hm->m.tensors[hm->m.inputs[i]];
        for (size_t k = 0; k < t->bytes; k += t->type == MOTE_F32 ? 4 : 1) {
            s = s * 1664525u + 1013904223u;
            if (t->type == MOTE_F32) {
                float f = (float)(s >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
                memcpy(in + at + k, &f, 4);
            } else {
                in[at + k] = (uint8_t)(s >> 24);
            }
        }
        at += t->bytes;
    }
    return in;
}

static uint8_t *run(mote_ir_graph *g, const model_case *mc, size_t *out_len)
{
    char err[512];
    mote_host_model *hm = mote_host_model_new(g, mc->path, err, sizeof err);
    if (!hm) fail_msg("%s", err);
    uint8_t *in = model_input(mc, hm);
    *out_len = mote_host_output_bytes(hm);
    uint8_t *out = malloc(*out_len);
    mote_host_run(hm, in, out);
    free(in);
    mote_host_model_free(hm);
    return out;
}

static mote_ir_graph *import_front(const uint8_t *bytes, size_t len, const char *name)
{
    char err[512];
    mote_ir_graph *g = mote_import_bytes(bytes, len, name, err, sizeof err);
    if (!g) fail_msg("%s", err);
    return g;
}

static void test_model(void **state)
{
    const model_case *mc = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/models/%s", MOTE_SHARED_DIR, mc->path);
    size_t len = 0, wlen = 0, w2len = 0, plen = 0;
    uint8_t *orig = read_file(path, &len);
    assert_non_null(orig);

    /* as imported: write, import again, the same graph; writing is deterministic */
    mote_ir_graph *g1 = import_raw(orig, len, mc->path);
    uint8_t *w = write_ok(g1, &wlen);
    check_file(w, wlen, g1);
    mote_ir_graph *g2 = import_raw(w, wlen, "written");
    same_graph(g1, g2);
    uint8_t *w2 = write_ok(g2, &w2len);
    assert_int_equal(wlen, w2len);
    assert_memory_equal(w, w2, wlen);

    /* after the passes: the same */
    mote_ir_graph *p1 = import_front(orig, len, mc->path);
    uint8_t *pw = write_ok(p1, &plen);
    check_file(pw, plen, p1);
    mote_ir_graph *p2 = import_raw(pw, plen, "written after passes");
    same_graph(p1, p2);

    /* the same output bytes from the original, the written and the written-after-passes model */
    size_t n0, n1, n2;
    uint8_t *o0 = run(p1, mc, &n0);
    uint8_t *o1 = run(import_front(w, wlen, "written"), mc, &n1);
    uint8_t *o2 = run(import_front(pw, plen, "written after passes"), mc, &n2);
    assert_int_equal(n0, n1);
    assert_int_equal(n0, n2);
    assert_memory_equal(o0, o1, n0);
    assert_memory_equal(o0, o2, n0);

    const char *dir = getenv("MOTE_TFLITE_WRITE_DIR");
    if (dir && *dir) {
        const char *base = strrchr(mc->path, '/');
        snprintf(path, sizeof path, "%s/%s", dir, base ? base + 1 : mc->path);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(w, 1, wlen, f), wlen);
        fclose(f);
    }
    free(o0), free(o1), free(o2);
    free(w), free(w2), free(pw), free(orig);
    mote_ir_free(g1), mote_ir_free(g2), mote_ir_free(p2);
}

/* ---- a hand-built graph: every op of the registry, every dtype ---- */

static mote_ir_graph *graph_new(int32_t n_tensors, int32_t n_ops)
{
    mote_ir_graph *g = calloc(1, sizeof *g);
    g->tensors = calloc((size_t)n_tensors, sizeof *g->tensors);
    g->ops = calloc((size_t)(n_ops ? n_ops : 1), sizeof *g->ops);
    g->n_tensors = n_tensors;
    g->n_ops = n_ops;
    g->inputs = malloc(sizeof(int32_t));
    g->outputs = malloc(sizeof(int32_t));
    g->inputs[0] = 0;
    g->outputs[0] = 1;
    g->n_inputs = g->n_outputs = 1;
    g->description = strdup("hand-built");
    return g;
}

static mote_tensor *tensor(mote_ir_graph *g, int32_t i, const char *name, mote_dtype type, int rank, const int32_t *dims)
{
    mote_ir_tensor *it = &g->tensors[i];
    it->name = strdup(name);
    it->t.type = (uint8_t)type;
    it->t.rank = (uint8_t)rank;
    size_t n = 1;
    for (int d = 0; d < rank; d++) n *= (size_t)(it->t.dims[d] = dims[d]);
    it->t.bytes = n * mote_dtype_size(type);
    return &it->t;
}

static void quantize(mote_ir_graph *g, int32_t i, int n, int axis, const float *scale, const int32_t *zp)
{
    mote_ir_tensor *it = &g->tensors[i];
    it->scale = malloc(sizeof(float) * (size_t)n);
    it->zero_point = malloc(sizeof(int32_t) * (size_t)n);
    memcpy(it->scale, scale, sizeof(float) * (size_t)n);
    memcpy(it->zero_point, zp, sizeof(int32_t) * (size_t)n);
    it->t.q = (mote_quant){.scale = it->scale, .zero_point = it->zero_point, .n = n, .axis = axis};
}

/* Constant data: byte k is k * 37 + i. */
static void constant(mote_ir_graph *g, int32_t i)
{
    mote_ir_tensor *it = &g->tensors[i];
    it->owned_data = aligned_alloc(16, (it->t.bytes + 16) & ~(size_t)15);
    for (size_t k = 0; k < it->t.bytes; k++) ((uint8_t *)it->owned_data)[k] = (uint8_t)(k * 37 + (size_t)i);
    it->t.data = it->owned_data;
    it->t.flags |= MOTE_TENSOR_CONST;
}

/* Options as the importer leaves them, then the ones this op kind carries
 * set away from their defaults. */
static void options_for(mote_op op, mote_opts *o, int custom)
{
    memset(o, 0, sizeof *o);
    if (custom) {
        static const int n_fields[MOTE_OP_COUNT] = {
            [MOTE_OP_SIGNAL_WINDOW] = MOTE_SIG_WINDOW_N, [MOTE_OP_SIGNAL_RFFT] = MOTE_SIG_RFFT_N,
            [MOTE_OP_SIGNAL_ENERGY] = MOTE_SIG_ENERGY_N, [MOTE_OP_SIGNAL_FILTER_BANK] = MOTE_SIG_FB_N,
            [MOTE_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION] = MOTE_SIG_SS_N,
            [MOTE_OP_SIGNAL_PCAN] = MOTE_SIG_PCAN_N, [MOTE_OP_SIGNAL_FILTER_BANK_LOG] = MOTE_SIG_LOG_N,
            [MOTE_OP_MOTION_FEATURES] = MOTE_MOTION_N};
        o->n_iparams = n_fields[op];
        /* small, negative, 16-bit and 32-bit values: every FlexBuffer width */
        static const int32_t vals[] = {3, -7, 40000, -2000000000, 255, 128, -129, 70000, 1};
        for (int i = 0; i < o->n_iparams; i++) o->iparams[i] = vals[i];
        if (op == MOTE_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION) o->iparams[MOTE_SIG_SS_CLAMPING] = 1;
        return;
    }
    o->stride_w = o->stride_h = o->dilation_w = o->dilation_h = o->filter_w = o->filter_h = 1;
    o->depth_multiplier = 1;
    o->beta = 1.0f;
    switch (op) {
    case MOTE_OP_ADD: case MOTE_OP_MUL: case MOTE_OP_SUB: case MOTE_OP_DIV: o->activation = MOTE_ACT_RELU6; break;
    case MOTE_OP_AVERAGE_POOL_2D: case MOTE_OP_MAX_POOL_2D:
        o->padding = MOTE_PAD_VALID, o->stride_w = 2, o->stride_h = 3, o->filter_w = 4, o->filter_h = 5;
        o->activation = MOTE_ACT_RELU;
        break;
    case MOTE_OP_CONV_2D: case MOTE_OP_DEPTHWISE_CONV_2D:
        o->padding = MOTE_PAD_VALID, o->stride_w = 2, o->stride_h = 3, o->dilation_w = 2, o->dilation_h = 4;
        o->activation = MOTE_ACT_RELU_N1_TO_1;
        if (op == MOTE_OP_DEPTHWISE_CONV_2D) o->depth_multiplier = 3;
        break;
    case MOTE_OP_FULLY_CONNECTED:
        o->activation = MOTE_ACT_RELU, o->keep_dims = 1, o->asymmetric_quantize_inputs = 1;
        break;
    case MOTE_OP_SOFTMAX: o->beta = 0.25f; break;
    case MOTE_OP_CONCATENATION: o->axis = -1, o->activation = MOTE_ACT_RELU; break;
    case MOTE_OP_MEAN: o->keep_dims = 1; break;
    case MOTE_OP_STRIDED_SLICE:
        o->begin_mask = 1, o->end_mask = 2, o->ellipsis_mask = 4, o->new_axis_mask = 8, o->shrink_axis_mask = 16;
        o->offset = 1;
        break;
    case MOTE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM:
        o->activation = MOTE_ACT_TANH, o->cell_clip = 10.0f, o->proj_clip = 0.5f, o->time_major = 1;
        o->asymmetric_quantize_inputs = 1;
        break;
    default: break;
    }
}

static int is_custom(mote_op op)
{
    return (op >= MOTE_OP_SIGNAL_WINDOW && op <= MOTE_OP_SIGNAL_FILTER_BANK_LOG) || op == MOTE_OP_MOTION_FEATURES;
}

/* Tensors: 0 input, 1 output, 2.. one constant of every dtype (per-channel
 * int8, a scalar, a variable); ops: every registry op, and a RESHAPE
 * without a shape input. */
static mote_ir_graph *every_op_graph(void)
{
    const int32_t d14[] = {1, 4}, d23[] = {2, 3}, d3[] = {3}, d18[] = {1, 8};
    mote_ir_graph *g = graph_new(12, MOTE_OP_COUNT + 1);
    tensor(g, 0, "in", MOTE_F32, 2, d14);
    tensor(g, 1, "out", MOTE_F32, 2, d14);
    tensor(g, 2, "w", MOTE_I8, 2, d23);
    constant(g, 2);
    quantize(g, 2, 3, 1, (const float[]){0.5f, 0.25f, 0.125f}, (const int32_t[]){0, 1, -1});
    tensor(g, 3, "state", MOTE_I16, 2, d18)->flags |= MOTE_TENSOR_VARIABLE;
    quantize(g, 3, 1, 0, (const float[]){1.0f / 3}, (const int32_t[]){-5});
    tensor(g, 4, "scalar", MOTE_I32, 0, NULL);
    constant(g, 4);
    const mote_dtype dts[] = {MOTE_U8, MOTE_I64, MOTE_U64, MOTE_U32, MOTE_BOOL, MOTE_F32, MOTE_I16};
    for (int k = 0; k < 7; k++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", k);
        tensor(g, 5 + k, name, dts[k], 1, d3);
        constant(g, 5 + k);
    }
    g->tensors[0].t.flags |= MOTE_TENSOR_INPUT;
    g->tensors[1].t.flags |= MOTE_TENSOR_OUTPUT;
    for (int32_t i = 0; i <= MOTE_OP_COUNT; i++) {
        mote_ir_op *o = &g->ops[i];
        const mote_op kind = i < MOTE_OP_COUNT ? (mote_op)i : MOTE_OP_RESHAPE;
        o->op = kind;
        o->n_in = i < MOTE_OP_COUNT ? 3 : 1;
        o->n_out = 1;
        o->io = malloc(sizeof(int32_t) * 4);
        const int32_t io[4] = {0, 2, -1, 1};
        memcpy(o->io, io, sizeof io);
        if (o->n_in == 1) o->io[1] = 1;
        options_for(kind, &o->opts, is_custom(kind));
        if (is_custom(kind)) o->custom_code = strdup(mote_op_name(kind));
    }
    return g;
}

static void test_every_op_and_dtype(void **state)
{
    (void)state;
    mote_ir_graph *g = every_op_graph();
    size_t len = 0;
    uint8_t *w = write_ok(g, &len);
    check_file(w, len, g);
    mote_ir_graph *back = import_raw(w, len, "every op");
    same_graph(g, back);
    free(w);
    mote_ir_free(back);
    mote_ir_free(g);
}

/* ---- bad graphs ---- */

static void expect_error(const mote_ir_graph *g, const char *what1, const char *what2)
{
    char err[512] = "";
    uint8_t *out = (uint8_t *)1;
    size_t len = 1;
    assert_int_equal(mote_tflite_write(g, &out, &len, err, sizeof err), -1);
    assert_null(out);
    assert_int_equal(len, 0);
    if (!strstr(err, what1) || !strstr(err, what2)) fail_msg("unexpected error: %s", err);
}

static void test_errors(void **state)
{
    (void)state;
    mote_ir_graph *g = every_op_graph();

    g->ops[3].op = MOTE_OP_COUNT; /* no registry entry: no TFLite identity */
    expect_error(g, "op 3", "no TFLite identity");
    g->ops[3].op = (mote_op)3;

    g->tensors[7].t.type = MOTE_DTYPE_COUNT; /* a dtype TFLite has no TensorType for */
    expect_error(g, "tensor 7 (c2)", "no TFLite TensorType");
    g->tensors[7].t.type = MOTE_U64;

    g->ops[MOTE_OP_CONV_2D].opts.stride_h = 0;
    expect_error(g, "CONV_2D", "stride_h 0");
    g->ops[MOTE_OP_CONV_2D].opts.stride_h = 3;

    g->ops[MOTE_OP_ADD].opts.activation = 9;
    expect_error(g, "op 0 (ADD)", "activation 9");
    g->ops[MOTE_OP_ADD].opts.activation = 0;

    g->ops[MOTE_OP_SIGNAL_RFFT].opts.n_iparams = 0;
    expect_error(g, "SignalRfft", "need 2 parameters");
    g->ops[MOTE_OP_SIGNAL_RFFT].opts.n_iparams = 2;

    g->ops[MOTE_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION].opts.iparams[MOTE_SIG_SS_CLAMPING] = 2;
    expect_error(g, "clamping", "not a bool");
    g->ops[MOTE_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION].opts.iparams[MOTE_SIG_SS_CLAMPING] = 1;

    g->ops[5].io[3] = 99;
    expect_error(g, "op 5", "output 0 refers to tensor 99");
    g->ops[5].io[3] = 1;

    g->ops[5].io[0] = -2;
    expect_error(g, "op 5", "input 0 refers to tensor -2");
    g->ops[5].io[0] = 0;

    g->tensors[2].t.q.axis = 0; /* 3 scales along a dimension of 2 */
    expect_error(g, "tensor 2 (w)", "quantized_dimension 0");
    g->tensors[2].t.q.axis = 1;

    g->tensors[2].t.bytes = 5;
    expect_error(g, "tensor 2 (w)", "needs 6");
    g->tensors[2].t.bytes = 6;

    g->outputs[0] = 12;
    expect_error(g, "graph output 0", "tensor 12");
    g->outputs[0] = 1;

    /* and after every fix, it writes */
    size_t len = 0;
    uint8_t *w = write_ok(g, &len);
    free(w);
    expect_error(NULL, "no graph", "");
    mote_ir_free(g);
}

int main(void)
{
    enum { N = sizeof models / sizeof models[0] };
    struct CMUnitTest tests[N + 2];
    for (int i = 0; i < N; i++) {
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_model, (void *)&models[i]);
        tests[i].name = models[i].path;
    }
    tests[N] = (struct CMUnitTest)cmocka_unit_test(test_every_op_and_dtype);
    tests[N + 1] = (struct CMUnitTest)cmocka_unit_test(test_errors);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
