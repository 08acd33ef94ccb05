/* compiler/quant/lowbit.c with bits = 1 on the int8 MLPerf Tiny KWS model:
 * every conv / depthwise / fully connected filter to binary, written as
 * .tflite and read back; each filter is MOTE_I1, one bit per weight, its bit
 * the sign of the int8 weight and its scale the channel's mean |w|, each
 * bias keeps its real value on scale input * alpha; the reference kernels,
 * the multiply-free optimized ones and the x86 choice give the same bytes
 * on every golden input. Also: the .mote loader (binary filters kept in the
 * file by the reference kernels: same bytes as the host; a wrong byte count
 * or a non-constant binary tensor refused), the first and last layers kept
 * (keep_ends), a float32 filter, an int4 or binary filter not converted again. */
#define _POSIX_C_SOURCE 200809L /* posix_memalign */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/compiled.h"
#include "backend/tflite_write.h"
#include "host_model.h"
#include "mote/kernel.h"
#include "mote/mote_file.h"
#include "import/import.h"
#include "ir/build.h"
#include "quant/lowbit.h"
#include "s1.h"

static size_t const_bytes(const mote_ir_graph *g)
{
    size_t s = 0;
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].t.flags & MOTE_TENSOR_CONST) s += g->tensors[i].t.bytes;
    return s;
}

static mote_ir_graph *load(const char *model)
{
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/models/mlperf-tiny/%s.tflite", MOTE_SHARED_DIR, model);
    mote_ir_graph *g = mote_import_file(path, err, sizeof err);
    if (!g) fail_msg("%s", err);
    return g;
}

static int is_wop(mote_op o)
{
    return o == MOTE_OP_CONV_2D || o == MOTE_OP_DEPTHWISE_CONV_2D || o == MOTE_OP_FULLY_CONNECTED;
}

/* Op i of b against the int8 original a: binary filter, signs, alpha, bias. */
static void check_op(const mote_ir_graph *a, const mote_ir_graph *b, int32_t i)
{
    const mote_tensor *in = &a->tensors[a->ops[i].io[0]].t;
    const mote_tensor *f0 = &a->tensors[a->ops[i].io[1]].t, *f = &b->tensors[b->ops[i].io[1]].t;
    const int axis = a->ops[i].op == MOTE_OP_DEPTHWISE_CONV_2D ? 3 : 0;
    const int32_t oc = f->dims[axis];
    const int64_t n = mote_tensor_elems(f), inner = n / oc;
    assert_int_equal(f->type, MOTE_I1);
    assert_int_equal(f->bytes, (size_t)(n + 7) / 8);
    assert_int_equal(f->q.n, oc);
    assert_int_equal(f->q.axis, axis);
    double *sum = calloc((size_t)oc, sizeof(double));
    for (int64_t e = 0; e < n; e++) {
        const int32_t c = (int32_t)(axis == 0 ? e / inner : e % oc);
        const double w = (double)f0->q.scale[f0->q.n > 1 ? c : 0] * ((const int8_t *)f0->data)[e];
        assert_int_equal(mote_s1_at(f->data, (size_t)e), w >= 0 ? 1 : -1);
        sum[c] += fabs(w);
    }
    for (int32_t c = 0; c < oc; c++) {
        assert_int_equal(f->q.zero_point[c], 0);
        if (sum[c] > 0) assert_float_equal(f->q.scale[c], sum[c] / (double)inner, 1e-6 * sum[c] / (double)inner);
    }
    free(sum);
    if (a->ops[i].n_in < 3 || a->ops[i].io[2] < 0) return;
    const mote_tensor *b0 = &a->tensors[a->ops[i].io[2]].t, *b1 = &b->tensors[b->ops[i].io[2]].t;
    for (int32_t c = 0; c < oc; c++) {
        const double s1 = (double)in->q.scale[0] * (double)f->q.scale[c];
        assert_float_equal(b1->q.scale[c], s1, s1 * 1e-6);
        const double real0 = ((const int32_t *)b0->data)[c] * (double)b0->q.scale[b0->q.n > 1 ? c : 0];
        const double real1 = ((const int32_t *)b1->data)[c] * (double)b1->q.scale[c];
        assert_true(fabs(real0 - real1) <= 0.5 * s1 + 1e-9 * fabs(real0));
    }
}

static int kernel_is(const mote_host_model *hm, int32_t i, const char *const *names)
{
    const char *k = mote_op_lookup(hm->m.nodes[i].op)->kernels[hm->m.nodes[i].kernel].name;
    for (; *names; names++)
        if (!strcmp(k, *names)) return 1;
    return 0;
}

static void test_kws(void **state)
{
    (void)state;
    char err[512] = "";
    mote_ir_graph *g = load("kws_int8"), *orig = load("kws_int8");
    const size_t before = const_bytes(g);
    int32_t done = 0;
    assert_int_equal(mote_lowbit_all(g, 1, &done, err, sizeof err), 0);
    assert_int_equal(done, 10);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(mote_tflite_write(g, &buf, &len, err, sizeof err), 0);
    mote_ir_free(g);
    static const uint32_t isas[3] = {MOTE_ISA_REFERENCE, MOTE_ISA_PORTABLE, MOTE_ISA_X86};
    mote_host_model *hm[3];
    for (int k = 0; k < 3; k++) {
        mote_ir_graph *r = mote_import_bytes(buf, len, "kws_int8", err, sizeof err);
        if (!r) fail_msg("%s", err);
        if (k == 0) {
            for (int32_t i = 0; i < orig->n_ops; i++)
                if (is_wop(orig->ops[i].op)) check_op(orig, r, i);
            assert_true(const_bytes(r) < before * 3 / 10); /* the biases stay int32 */
        }
        hm[k] = mote_host_model_new_isa(r, "kws_int8", isas[k], err, sizeof err);
        if (!hm[k]) fail_msg("%s", err);
    }
    free(buf);
    mote_ir_free(orig);
    static const char *const ref[] = {"conv_s8_s1", "depthwise_s8_s1", "fc_s8_s1", NULL};
    static const char *const opt[] = {"conv_s8_s1_opt", "depthwise_s8_s1_opt", "fc_s8_s1_opt", NULL};
    int nref = 0, nopt = 0;
    for (int32_t i = 0; i < hm[0]->m.n_nodes; i++) {
        nref += kernel_is(hm[0], i, ref);
        nopt += kernel_is(hm[1], i, opt);
    }
    assert_int_equal(nref, 10);
    assert_int_equal(nopt, 10);
    const size_t ib = mote_host_input_bytes(hm[0]), ob = mote_host_output_bytes(hm[0]);
    uint8_t *in = malloc(ib), *out[3] = {malloc(ob), malloc(ob), malloc(ob)};
    int vectors = 0;
    for (int v = 0; v < 100; v++) {
        char path[512];
        snprintf(path, sizeof path, "%s/golden/kws_int8/in_%02d.bin", MOTE_SHARED_DIR, v);
        FILE *f = fopen(path, "rb");
        if (!f) break;
        assert_int_equal(fread(in, 1, ib, f), ib);
        fclose(f);
        for (int k = 0; k < 3; k++) mote_host_run(hm[k], in, out[k]);
        assert_memory_equal(out[0], out[1], ob);
        assert_memory_equal(out[0], out[2], ob);
        vectors++;
    }
    assert_true(vectors >= 10);
    free(in);
    for (int k = 0; k < 3; k++) free(out[k]), mote_host_model_free(hm[k]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Load f (len bytes, CRC refreshed) into a fresh arena; the status. */
static mote_file_status load_mote(uint8_t *f, size_t len, uint8_t **arena, mote_model *m)
{
    wr32(f + 12, mote_crc32(0, f + 16, rd32(f + 8) - 16u));
    size_t bytes = 0;
    if (mote_file_arena_bytes(f, len, &bytes) != MOTE_FILE_OK) return MOTE_FILE_ERR_CORRUPT;
    free(*arena);
    *arena = NULL;
    assert_int_equal(posix_memalign((void **)arena, 16, bytes ? bytes : 1), 0);
    int32_t ei = -2;
    return mote_file_load(f, len, *arena, bytes, m, &ei);
}

/* KWS all binary as a .mote file for the reference kernels (the binary
 * filters stored in the file): the interpreter gives the host's bytes on the
 * golden inputs; a binary tensor record whose byte count is not ceil(n/8),
 * or that is not constant, is refused. */
static void test_mote_file(void **state)
{
    (void)state;
    char err[512] = "";
    mote_ir_graph *g = load("kws_int8");
    assert_int_equal(mote_lowbit_all(g, 1, NULL, err, sizeof err), 0);
    mote_host_model *hm = mote_host_model_new_isa(g, "kws_int8", MOTE_ISA_REFERENCE, err, sizeof err);
    if (!hm) fail_msg("%s", err);
    uint8_t *orig = NULL, *f = NULL, *arena = NULL;
    size_t len = 0;
    assert_int_equal(mote_write_mote(hm, &orig, &len, err, sizeof err), 0);
    assert_int_equal(posix_memalign((void **)&f, 16, len), 0);
    memcpy(f, orig, len);
    mote_model m;
    assert_int_equal(load_mote(f, len, &arena, &m), MOTE_FILE_OK);
    int binary = 0;
    for (int32_t i = 0; i < m.n_tensors; i++) binary += m.tensors[i].type == MOTE_I1;
    assert_int_equal(binary, 10);
    const size_t ib = mote_host_input_bytes(hm), ob = mote_host_output_bytes(hm);
    uint8_t *in = malloc(ib), *want = malloc(ob);
    for (int v = 0; v < 5; v++) {
        char path[512];
        snprintf(path, sizeof path, "%s/golden/kws_int8/in_%02d.bin", MOTE_SHARED_DIR, v);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        assert_int_equal(fread(in, 1, ib, fp), ib);
        fclose(fp);
        mote_host_run(hm, in, want);
        mote_tensor *ti = &m.tensors[m.inputs[0]];
        assert_int_equal(ti->bytes, ib);
        memcpy(ti->data, in, ib);
        mote_invoke(&m);
        assert_memory_equal(m.tensors[m.outputs[0]].data, want, ob);
    }
    /* the first binary tensor's record: bytes one more, then flags without const */
    const uint32_t trecs = rd32(f + 40);
    int32_t b = -1;
    for (int32_t i = 0; i < m.n_tensors && b < 0; i++)
        if (m.tensors[i].type == MOTE_I1) b = i;
    uint8_t *r = f + trecs + 40u * (uint32_t)b;
    assert_int_equal(r[0], MOTE_I1);
    wr32(r + 28, rd32(r + 28) + 1);
    assert_int_equal(load_mote(f, len, &arena, &m), MOTE_FILE_ERR_CORRUPT);
    memcpy(f, orig, len);
    r[2] &= (uint8_t)~MOTE_TENSOR_CONST;
    assert_int_equal(load_mote(f, len, &arena, &m), MOTE_FILE_ERR_CORRUPT);
    free(in), free(want), free(orig), free(f), free(arena);
    mote_host_model_free(hm);
}

/* The importer's checks on a binary tensor: a zero point other than 0 is
 * refused by name (the writer writes what the IR holds, so the IR is bent). */
static void test_import_refusals(void **state)
{
    (void)state;
    char err[512] = "";
    mote_ir_graph *g = load("kws_int8");
    assert_int_equal(mote_lowbit_weights(g, 0, 1, err, sizeof err), 0);
    g->tensors[g->ops[0].io[1]].zero_point[0] = 1; /* the IR owns the array q points to */
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(mote_tflite_write(g, &buf, &len, err, sizeof err), 0);
    mote_ir_free(g);
    err[0] = 0;
    assert_null(mote_import_bytes(buf, len, "bent", err, sizeof err));
    assert_non_null(strstr(err, "zero_point 1 out of range for binary"));
    free(buf);
}

/* keep_ends: the first and the last weight layers stay int8, the rest binary;
 * converted layers are not converted again (int4 or binary). */
static void test_keep_ends(void **state)
{
    (void)state;
    char err[512] = "";
    mote_ir_graph *g = load("kws_int8");
    int32_t done = 0, first = -1, mid = -1, last = -1;
    for (int32_t i = 0; i < g->n_ops; i++)
        if (is_wop(g->ops[i].op)) {
            if (first >= 0 && mid < 0) mid = i;
            if (first < 0) first = i;
            last = i;
        }
    assert_int_equal(mote_lowbit_all_keep(g, 1, 1, &done, err, sizeof err), 0);
    assert_int_equal(done, 8);
    for (int32_t i = 0; i < g->n_ops; i++) {
        if (!is_wop(g->ops[i].op)) continue;
        const uint8_t t = g->tensors[g->ops[i].io[1]].t.type;
        assert_int_equal(t, i == first || i == last ? MOTE_I8 : MOTE_I1);
    }
    assert_int_equal(mote_lowbit_all(g, 4, &done, err, sizeof err), 0);
    assert_int_equal(done, 2); /* only the two int8 ends */
    assert_int_equal(mote_lowbit_weights(g, mid, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "is binary"));
    mote_ir_free(g);
}

/* A float32 filter and bias on int8 activations: signs of the floats, alpha
 * = mean |w| per unit (a zero unit gets a small positive scale), and the run
 * gives the binary layer's float outputs to half an output step. */
static void test_float_filter(void **state)
{
    (void)state;
    char err[512] = "";
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, sizeof err);
    assert_non_null(g);
    const int32_t din[2] = {1, 5}, dw[2] = {4, 5}, db[1] = {4}, dout[2] = {1, 4};
    static const float w[20] = {0.7f, -0.35f, 0.0f, 0.14f, 0.2f, -1.0f, 0.5f, 0.25f, -0.125f, 0.9f,
                                0.01f, 0.02f, -0.03f, 0.04f, 0.05f, 0, 0, 0, 0, 0};
    static const float bias[4] = {0.5f, -0.25f, 0.01f, 0.1f};
    const float s_in = 0.05f, s_out = 0.02f;
    const int32_t z_in = 3, z_out = -5;
    int32_t x = mote_irb_tensor(&b, "x", MOTE_I8, 2, din), y = mote_irb_tensor(&b, "y", MOTE_I8, 2, dout);
    int32_t wt = mote_irb_const(&b, "w", MOTE_F32, 2, dw, w), bt = mote_irb_const(&b, "b", MOTE_F32, 1, db, bias);
    mote_irb_quant(&b, x, 1, 0, &s_in, &z_in);
    mote_irb_quant(&b, y, 1, 0, &s_out, &z_out);
    const int32_t in[3] = {x, wt, bt}, out[1] = {y};
    mote_opts o = mote_irb_opts();
    mote_irb_op(&b, MOTE_OP_FULLY_CONNECTED, in, 3, out, 1, &o);
    assert_int_equal(mote_irb_io(&b, &x, 1, &y, 1), 0);
    assert_int_equal(mote_lowbit_weights(g, 0, 1, err, sizeof err), 0);
    const mote_tensor *f = &g->tensors[wt].t, *bq = &g->tensors[bt].t;
    assert_int_equal(f->type, MOTE_I1);
    assert_int_equal(f->bytes, 3);
    assert_int_equal(bq->type, MOTE_I32);
    for (int c = 0; c < 3; c++) {
        float m = 0;
        for (int j = 0; j < 5; j++) m += fabsf(w[5 * c + j]);
        assert_float_equal(f->q.scale[c], m / 5, 1e-6);
        for (int j = 0; j < 5; j++)
            assert_int_equal(mote_s1_at(f->data, (size_t)(5 * c + j)), w[5 * c + j] >= 0 ? 1 : -1);
    }
    assert_true(f->q.scale[3] > 0 && f->q.scale[3] <= f->q.scale[2] / 999); /* the zero unit */
    double want[4], wq[20];
    for (int c = 0; c < 4; c++) {
        want[c] = ((const int32_t *)bq->data)[c] * (double)bq->q.scale[c];
        assert_true(fabs(want[c] - bias[c]) <= 0.5 * bq->q.scale[c] + 1e-7);
        for (int j = 0; j < 5; j++) wq[5 * c + j] = mote_s1_at(f->data, (size_t)(5 * c + j)) * (double)f->q.scale[c];
    }
    mote_host_model *hm = mote_host_model_new_isa(g, "float_filter", MOTE_ISA_PORTABLE, err, sizeof err);
    if (!hm) fail_msg("%s", err);
    const int8_t xin[5] = {10, -20, 30, 0, 50};
    int8_t yout[4];
    mote_host_run(hm, (const uint8_t *)xin, (uint8_t *)yout);
    for (int c = 0; c < 4; c++) {
        double r = want[c];
        for (int j = 0; j < 5; j++) r += wq[5 * c + j] * s_in * (xin[j] - z_in);
        const double q = r / s_out + z_out;
        if (fabs(yout[c] - q) > 0.5 + 1e-6) fail_msg("unit %d: %d, float %.3f", c, yout[c], q);
    }
    mote_host_model_free(hm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kws),
        cmocka_unit_test(test_mote_file),
        cmocka_unit_test(test_import_refusals),
        cmocka_unit_test(test_keep_ends),
        cmocka_unit_test(test_float_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
