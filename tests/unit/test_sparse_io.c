/* Sparse int8 weights through the compiler: a FULLY_CONNECTED layer with
 * mostly-zero weights is stored sparse by the import passes (and a dense
 * one stays dense), written to TFLite and read back with the same bytes,
 * written to .mote and loaded, and every one of them computes the dense
 * model's output bits. A damaged encoding is refused by the TFLite reader
 * (by name) and by the .mote loader (MOTE_FILE_ERR_CORRUPT, naming the
 * tensor), and so is a file that gives them to any other reader. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "backend/compiled.h"
#include "backend/tflite_write.h"
#include "host_model.h"
#include "import/import.h"
#include "ir/build.h"
#include "mote/mote_file.h"
#include "mote/sparse.h"
#include "passes/passes.h"

enum { DEPTH = 300, UNITS = 12 };

static uint32_t rng = 12345u;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng = rng * 1664525u + 1013904223u;
    return lo + (int32_t)((rng >> 8) % (uint32_t)(hi - lo + 1));
}

/* input [1, DEPTH] -> FC (weights with zero_pm per mille zeros) -> [1, UNITS], all int8. */
static mote_ir_graph *fc_graph(int zero_pm, int per_channel)
{
    char err[256];
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, sizeof err);
    assert_non_null(g);
    static int8_t w[UNITS * DEPTH];
    static int32_t bias[UNITS];
    for (int i = 0; i < UNITS * DEPTH; i++) w[i] = (int8_t)(rnd(0, 999) < zero_pm ? 0 : rnd(-127, 127));
    for (int i = 0; i < UNITS; i++) bias[i] = rnd(-5000, 5000);
    const int32_t din[2] = {1, DEPTH}, dw[2] = {UNITS, DEPTH}, db[1] = {UNITS}, dout[2] = {1, UNITS};
    int32_t in = mote_irb_tensor(&b, "in", MOTE_I8, 2, din);
    int32_t wt = mote_irb_const(&b, "dense/weights", MOTE_I8, 2, dw, w);
    int32_t bt = mote_irb_const(&b, "dense/bias", MOTE_I32, 1, db, bias);
    int32_t out = mote_irb_tensor(&b, "out", MOTE_I8, 2, dout);
    float s_in = 0.05f, s_out = 0.2f, s_w[UNITS], s_b[UNITS];
    int32_t z_in = 3, z_out = -7, zeros[UNITS] = {0};
    for (int i = 0; i < UNITS; i++) s_w[i] = 0.004f + 0.0005f * (float)i, s_b[i] = s_in * s_w[per_channel ? i : 0];
    const int nq = per_channel ? UNITS : 1;
    mote_irb_quant(&b, in, 1, 0, &s_in, &z_in);
    mote_irb_quant(&b, wt, nq, 0, s_w, zeros);
    mote_irb_quant(&b, bt, nq, 0, s_b, zeros);
    mote_irb_quant(&b, out, 1, 0, &s_out, &z_out);
    mote_opts o = mote_irb_opts();
    o.activation = MOTE_ACT_RELU;
    const int32_t ins[3] = {in, wt, bt};
    mote_irb_op(&b, MOTE_OP_FULLY_CONNECTED, ins, 3, &out, 1, &o);
    if (mote_irb_io(&b, &in, 1, &out, 1) < 0) fail_msg("%s", err);
    return g;
}

static uint8_t *to_tflite(const mote_ir_graph *g, size_t *len)
{
    char err[256];
    uint8_t *bytes = NULL;
    if (mote_tflite_write(g, &bytes, len, err, sizeof err)) fail_msg("write: %s", err);
    return bytes;
}

static void run_host(mote_ir_graph *g, const int8_t *x, int8_t *y)
{
    char err[256];
    mote_host_model *hm = mote_host_model_new(g, "sparse", err, sizeof err);
    if (!hm) fail_msg("%s", err);
    mote_host_run(hm, (const uint8_t *)x, (uint8_t *)y);
    mote_host_model_free(hm);
}

/* Weights tensor "dense/weights" of g. */
static const mote_tensor *weights(const mote_ir_graph *g)
{
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (strstr(g->tensors[i].name, "dense/weights")) return &g->tensors[i].t;
    fail_msg("no weights tensor");
    return NULL;
}

static void round_trip(int zero_pm, int per_channel)
{
    char err[256];
    int8_t x[DEPTH], y_dense[UNITS], y[UNITS];
    for (int i = 0; i < DEPTH; i++) x[i] = (int8_t)rnd(-128, 127);
    mote_ir_graph *g = fc_graph(zero_pm, per_channel);
    size_t len, len2;
    uint8_t *dense_file = to_tflite(g, &len); /* as built: dense */
    run_host(g, x, y_dense);                  /* (takes g) */

    /* the import passes choose the storage */
    mote_ir_graph *s = mote_import_bytes(dense_file, len, "fc", err, sizeof err);
    if (!s) fail_msg("%s", err);
    const mote_tensor *w = weights(s);
    const size_t dense_bytes = (size_t)UNITS * DEPTH;
    if (zero_pm < 500) {
        assert_int_equal(w->type, MOTE_I8);
    } else {
        assert_int_equal(w->type, MOTE_I8_SPARSE);
        assert_true(w->bytes < dense_bytes);
    }
    /* TFLite: written and read back, the same encoding */
    uint8_t *sparse_file = to_tflite(s, &len2);
    mote_ir_graph *s2 = mote_import_bytes(sparse_file, len2, "fc2", err, sizeof err);
    if (!s2) fail_msg("%s", err);
    assert_int_equal(weights(s2)->type, w->type);
    assert_int_equal(weights(s2)->bytes, w->bytes);
    assert_memory_equal(weights(s2)->data, w->data, w->bytes);
    if (w->type == MOTE_I8_SPARSE) assert_true(len2 + dense_bytes - w->bytes <= len + 16);

    /* .mote: written from the host model, loaded and run in place */
    mote_host_model *hm = mote_host_model_new(s2, "fc2", err, sizeof err);
    if (!hm) fail_msg("%s", err);
    mote_host_run(hm, (const uint8_t *)x, (uint8_t *)y);
    assert_memory_equal(y, y_dense, UNITS);
    uint8_t *mf = NULL;
    size_t mlen = 0, arena_bytes = 0;
    if (mote_write_mote(hm, &mf, &mlen, err, sizeof err)) fail_msg("%s", err);
    void *f = NULL, *arena = NULL;
    assert_int_equal(posix_memalign(&f, 16, mlen), 0);
    memcpy(f, mf, mlen);
    assert_int_equal(mote_file_arena_bytes(f, mlen, &arena_bytes), MOTE_FILE_OK);
    assert_int_equal(posix_memalign(&arena, 16, arena_bytes), 0);
    mote_model m;
    int32_t ei = -2;
    assert_int_equal(mote_file_load(f, mlen, arena, arena_bytes, &m, &ei), MOTE_FILE_OK);
    memcpy(m.tensors[m.inputs[0]].data, x, DEPTH);
    mote_invoke(&m);
    assert_memory_equal(m.tensors[m.outputs[0]].data, y_dense, UNITS);

    if (w->type == MOTE_I8_SPARSE) {
        /* find the encoding in the .mote file, push one row past depth: refused, naming the tensor */
        uint8_t *p = f;
        size_t at = 0;
        for (size_t i = 0; i + w->bytes <= mlen && !at; i += 16)
            if (!memcmp(p + i, w->data, w->bytes)) at = i;
        assert_true(at > 0);
        p[at + 2 * UNITS] = 255; /* row 0's first skip */
        p[at + 2 * UNITS + 2] = 255;
        uint32_t crc = mote_crc32(0, p + 16, mlen - 16);
        for (int k = 0; k < 4; k++) p[12 + k] = (uint8_t)(crc >> (8 * k));
        int32_t ti = -2;
        assert_int_equal(mote_file_load(f, mlen, arena, arena_bytes, &m, &ti), MOTE_FILE_ERR_CORRUPT);
        assert_true(ti >= 0); /* the weights tensor */

        /* the same damage in the TFLite file: the reader names the tensor and the encoding */
        uint8_t *q = sparse_file;
        size_t qat = 0;
        for (size_t i = 0; i + w->bytes <= len2 && !qat; i++)
            if (!memcmp(q + i, w->data, w->bytes)) qat = i;
        assert_true(qat > 0);
        q[qat + 2 * UNITS] = 255, q[qat + 2 * UNITS + 2] = 255;
        err[0] = 0;
        assert_null(mote_import_bytes(sparse_file, len2, "bad", err, sizeof err));
        assert_non_null(strstr(err, "sparse int8 weights"));
        assert_non_null(strstr(err, "dense/weights"));
    }
    if (w->type == MOTE_I8_SPARSE) {
        /* sparse weights anywhere but a FULLY_CONNECTED's weights input: refused on reading, by name */
        mote_ir_op *op = &s->ops[0];
        int32_t t = op->io[0];
        op->io[0] = op->io[1], op->io[1] = t;
        size_t len3;
        uint8_t *swapped = to_tflite(s, &len3);
        err[0] = 0;
        assert_null(mote_import_bytes(swapped, len3, "swapped", err, sizeof err));
        assert_non_null(strstr(err, "holds sparse int8 weights, which only FULLY_CONNECTED and CONV_2D ops read"));
        free(swapped);
    }
    free(f), free(arena), free(mf), free(dense_file), free(sparse_file);
    mote_host_model_free(hm);
    mote_ir_free(s);
}

static void test_sparse_layers(void **state)
{
    (void)state;
    round_trip(900, 0);
    round_trip(800, 1);
    round_trip(600, 0);
}

static void test_dense_stays(void **state)
{
    (void)state;
    round_trip(300, 1); /* 30 % zeros: the encoding would be larger */
}

/* The encoder: filler entries for runs past 255 zeros, counts little-endian. */
static void test_encode(void **state)
{
    (void)state;
    static int8_t w[2 * 600];
    memset(w, 0, sizeof w);
    w[599] = 5;   /* row 0: 599 zeros then 5 */
    w[600] = -1;  /* row 1: -1 first */
    uint8_t enc[64];
    size_t n = mote_sparse_encode_s8(w, 2, 600, enc);
    /* row 0: fillers at columns 255, 511 (skip 255 each), then skip 87 -> column 599 */
    const uint8_t want[] = {3, 0, 1, 0, 255, 0, 255, 0, 87, 5, 0, 0xFF};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(enc, want, sizeof want);
    assert_int_equal(mote_sparse_s8_check(enc, n, 2, 600), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_sparse_layers),
        cmocka_unit_test(test_dense_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
