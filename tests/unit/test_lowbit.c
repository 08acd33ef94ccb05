/* compiler/quant/lowbit.c on the int8 MLPerf Tiny KWS and ResNet-8 models:
 * every conv / depthwise / fully connected filter to int4, written as
 * .tflite and read back; the constant bytes drop, each filter is int4 with
 * per-channel scales and zero point 0 within -7..7, each bias keeps its real
 * value (to half its new step) on scale input * weight; the reference
 * kernels, the portable optimized ones (SMLAD paths on Cortex-M) and the
 * x86 choice give the same bytes on every golden input. Plus the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/tflite_write.h"
#include "host_model.h"
#include "mote/kernel.h"
#include "import/import.h"
#include "ir/build.h"
#include "quant/lowbit.h"
#include "s4.h"

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

/* The converted graph against the original, op by op. */
static void check_graph(const mote_ir_graph *a, const mote_ir_graph *b)
{
    assert_int_equal(a->n_ops, b->n_ops);
    for (int32_t i = 0; i < a->n_ops; i++) {
        if (!is_wop(a->ops[i].op)) continue;
        const mote_tensor *in = &a->tensors[a->ops[i].io[0]].t;
        const mote_tensor *f0 = &a->tensors[a->ops[i].io[1]].t, *f = &b->tensors[b->ops[i].io[1]].t;
        const int axis = a->ops[i].op == MOTE_OP_DEPTHWISE_CONV_2D ? 3 : 0;
        const int32_t oc = f->dims[axis];
        const int64_t n = mote_tensor_elems(f), inner = n / oc;
        assert_int_equal(f->type, MOTE_I4);
        assert_int_equal(f->bytes, (size_t)(n + 1) / 2);
        assert_int_equal(f->q.n, oc);
        assert_int_equal(f->q.axis, axis);
        double err4 = 0, err8 = 0;
        for (int64_t e = 0; e < n; e++) {
            const int32_t c = (int32_t)(axis == 0 ? e / inner : e % oc), v = mote_s4_at(f->data, (size_t)e);
            assert_true(v >= -7 && v <= 7);
            const double w = (double)f0->q.scale[f0->q.n > 1 ? c : 0] * ((const int8_t *)f0->data)[e];
            const double d = w - (double)f->q.scale[c] * v;
            err4 += d * d;
            err8 += w * w;
        }
        assert_true(err4 < 0.05 * err8); /* int4 keeps most of the weights' energy */
        for (int32_t c = 0; c < oc; c++) assert_int_equal(f->q.zero_point[c], 0);
        if (a->ops[i].n_in < 3 || a->ops[i].io[2] < 0) continue;
        const mote_tensor *b0 = &a->tensors[a->ops[i].io[2]].t, *b1 = &b->tensors[b->ops[i].io[2]].t;
        for (int32_t c = 0; c < oc; c++) {
            const double s1 = (double)in->q.scale[0] * (double)f->q.scale[c];
            assert_float_equal(b1->q.scale[c], s1, s1 * 1e-6);
            const double real0 = ((const int32_t *)b0->data)[c] * (double)b0->q.scale[b0->q.n > 1 ? c : 0];
            const double real1 = ((const int32_t *)b1->data)[c] * (double)b1->q.scale[c];
            assert_true(fabs(real0 - real1) <= 0.5 * s1 + 1e-9 * fabs(real0));
        }
    }
}

static void run_model(const char *model)
{
    char err[512] = "";
    mote_ir_graph *g = load(model), *orig = load(model);
    const size_t before = const_bytes(g);
    int32_t done = 0;
    assert_int_equal(mote_lowbit_all(g, 4, &done, err, sizeof err), 0);
    assert_int_equal(done, 10);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(mote_tflite_write(g, &buf, &len, err, sizeof err), 0);
    mote_ir_free(g);
    /* read back, three times: one host model per kernel choice */
    static const uint32_t isas[3] = {MOTE_ISA_REFERENCE, MOTE_ISA_PORTABLE, MOTE_ISA_X86};
    mote_host_model *hm[3];
    for (int k = 0; k < 3; k++) {
        mote_ir_graph *r = mote_import_bytes(buf, len, model, err, sizeof err);
        if (!r) fail_msg("%s", err);
        if (k == 0) {
            check_graph(orig, r);
            assert_true(const_bytes(r) < before * 6 / 10);
        }
        hm[k] = mote_host_model_new_isa(r, model, isas[k], err, sizeof err);
        if (!hm[k]) fail_msg("%s", err);
    }
    free(buf);
    mote_ir_free(orig);
    /* the reference model runs the int4 reference kernels, the others not */
    int ref4 = 0, opt4 = 0;
    for (int32_t i = 0; i < hm[0]->m.n_nodes; i++) {
        const char *k0 = mote_op_lookup(hm[0]->m.nodes[i].op)->kernels[hm[0]->m.nodes[i].kernel].name;
        const char *k1 = mote_op_lookup(hm[1]->m.nodes[i].op)->kernels[hm[1]->m.nodes[i].kernel].name;
        ref4 += !strcmp(k0, "conv_s8_s4") || !strcmp(k0, "depthwise_s8_s4") || !strcmp(k0, "fc_s8_s4");
        opt4 += !strcmp(k1, "conv_s8_s4_opt") || !strcmp(k1, "depthwise_s8_3x3") || !strcmp(k1, "fc_s8_s4_opt");
    }
    assert_int_equal(ref4, 10);
    assert_int_equal(opt4, 10);
    const size_t ib = mote_host_input_bytes(hm[0]), ob = mote_host_output_bytes(hm[0]);
    uint8_t *in = malloc(ib), *out[3] = {malloc(ob), malloc(ob), malloc(ob)};
    int vectors = 0;
    for (int v = 0; v < 100; v++) {
        char path[512];
        snprintf(path, sizeof path, "%s/golden/%s/in_%02d.bin", MOTE_SHARED_DIR, model, v);
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

static void test_kws(void **state)
{
    (void)state;
    run_model("kws_int8");
}

static void test_resnet8(void **state)
{
    (void)state;
    run_model("ic_resnet8_int8");
}

static void test_refusals(void **state)
{
    (void)state;
    char err[512] = "";
    mote_ir_graph *g = load("kws_int8");
    assert_int_equal(mote_lowbit_weights(g, 0, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "op 0 (CONV_2D): 2-bit weights are not supported"));
    assert_int_equal(mote_lowbit_weights(g, 9, 4, err, sizeof err), -1); /* AVERAGE_POOL_2D */
    assert_non_null(strstr(err, "op 9 (AVERAGE_POOL_2D)"));
    assert_int_equal(mote_lowbit_weights(g, 99, 4, err, sizeof err), -1);
    assert_int_equal(mote_lowbit_weights(g, 0, 4, err, sizeof err), 0);
    /* an int4 filter is not converted again */
    assert_int_equal(mote_lowbit_weights(g, 0, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "is int4"));
    /* a filter another op also reads */
    g->ops[2].io[1] = g->ops[4].io[1];
    assert_int_equal(mote_lowbit_weights(g, 2, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "shared with another op"));
    mote_ir_free(g);
}

/* A float32 filter and bias on int8 activations (as a quantizer may leave them): quantized from the
 * float values; the chosen scale is optimal over the grid, weights inside -7..7, the run gives the
 * float layer's outputs to a few output steps. */
static void test_float_filter(void **state)
{
    (void)state;
    char err[512] = "";
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, sizeof err);
    assert_non_null(g);
    const int32_t din[2] = {1, 5}, dw[2] = {3, 5}, db[1] = {3}, dout[2] = {1, 3};
    static const float w[15] = {0.7f, -0.35f, 0.0f, 0.14f, 0.2f, -1.0f, 0.5f, 0.25f, -0.125f, 0.9f,
                                0.01f, 0.02f, -0.03f, 0.04f, 0.05f};
    static const float bias[3] = {0.5f, -0.25f, 0.01f};
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
    assert_int_equal(mote_lowbit_weights(g, 0, 4, err, sizeof err), 0);
    const mote_tensor *f = &g->tensors[wt].t, *bq = &g->tensors[bt].t;
    assert_int_equal(f->type, MOTE_I4);
    assert_int_equal(f->bytes, 8);
    assert_int_equal(bq->type, MOTE_I32);
    for (int c = 0; c < 3; c++) {
        float mx = 0;
        for (int j = 0; j < 5; j++) mx = fmaxf(mx, fabsf(w[5 * c + j]));
        assert_true(f->q.scale[c] >= mx / 14 && f->q.scale[c] <= mx / 7 * 1.0001f);
        for (int j = 0; j < 5; j++) assert_true(fabs(mote_s4_at(f->data, (size_t)(5 * c + j)) * f->q.scale[c] - w[5 * c + j]) <= 0.5 * f->q.scale[c] + 1e-6 || fabsf(w[5 * c + j]) > 7 * f->q.scale[c]);
        assert_true(fabs(((const int32_t *)bq->data)[c] * bq->q.scale[c] - bias[c]) <= 0.5 * bq->q.scale[c] + 1e-7);
    }
    /* the layer as the int4 values and the quantized bias say, in float */
    double want[3], wq[15];
    for (int c = 0; c < 3; c++) {
        want[c] = ((const int32_t *)bq->data)[c] * (double)bq->q.scale[c];
        for (int j = 0; j < 5; j++) wq[5 * c + j] = mote_s4_at(f->data, (size_t)(5 * c + j)) * (double)f->q.scale[c];
    }
    mote_host_model *hm = mote_host_model_new_isa(g, "float_filter", MOTE_ISA_PORTABLE, err, sizeof err);
    if (!hm) fail_msg("%s", err);
    const int8_t xin[5] = {10, -20, 30, 0, 50};
    int8_t yout[3];
    mote_host_run(hm, (const uint8_t *)xin, (uint8_t *)yout);
    for (int c = 0; c < 3; c++) {
        double r = want[c];
        for (int j = 0; j < 5; j++) r += wq[5 * c + j] * s_in * (xin[j] - z_in);
        const double q = r / s_out + z_out;
        if (fabs(yout[c] - q) > 0.5 + 1e-6) fail_msg("channel %d: %d, float %.3f", c, yout[c], q);
    }
    mote_host_model_free(hm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kws),
        cmocka_unit_test(test_resnet8),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_float_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
