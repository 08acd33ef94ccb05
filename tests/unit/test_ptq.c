/* Post-training quantization (compiler/quant): TFLite's activation parameters, the range each method
 * picks from a histogram, and a small float graph calibrated, rewritten to int8 and run: outputs close
 * to the float ones, ties and fixed outputs as the int8 kernels need, bias correction equal to the mean
 * output error it is meant to remove, and a clear error for an op with no int8 form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host_model.h"
#include "ir/build.h"
#include "quant/quant.h"

static void test_act_params(void **state)
{
    (void)state;
    float s;
    int32_t z;
    mote_act_params(0.0, 6.0, &s, &z); /* a ReLU6 output */
    assert_true(fabsf(s - 6.0f / 255.0f) < 1e-7f);
    assert_int_equal(z, -128);
    mote_act_params(-1.0, 1.0, &s, &z); /* -128 + 127.5, rounded half away from zero as TFLite nudges */
    assert_int_equal(z, -1);
    mote_act_params(2.0, 5.0, &s, &z); /* 0 must be representable: the range grows to [0, 5] */
    assert_true(fabsf(s - 5.0f / 255.0f) < 1e-7f);
    assert_int_equal(z, -128);
    mote_act_params(0.0, 0.0, &s, &z); /* a constant zero: any positive scale */
    assert_true(s > 0.0f);
}

/* 10 million values spread evenly over [-1, 1] and one outlier at 10. */
static mote_act_stats outlier_stats(void)
{
    mote_act_stats s = {.tensor = 0, .lo = -1.0, .hi = 10.0, .count = 10000001};
    s.hist = calloc(MOTE_CALIB_BINS, sizeof(uint64_t));
    const double w = (s.hi - s.lo) / MOTE_CALIB_BINS;
    for (int i = 0; i < 10000; i++) s.hist[(int)((-1.0 + 2.0 * (i + 0.5) / 10000.0 - s.lo) / w)] += 1000;
    s.hist[MOTE_CALIB_BINS - 1]++;
    return s;
}

static void test_range_methods(void **state)
{
    (void)state;
    mote_act_stats s = outlier_stats();
    mote_act_choice mm = mote_range_choose(&s, MOTE_RANGE_MINMAX, 99.99);
    mote_act_choice pc = mote_range_choose(&s, MOTE_RANGE_PERCENTILE, 99.9);
    mote_act_choice ms = mote_range_choose(&s, MOTE_RANGE_MSE, 99.99);
    mote_act_choice au = mote_range_choose(&s, MOTE_RANGE_AUTO, 99.9);
    assert_true(mm.lo == -1.0 && mm.hi == 10.0 && mm.method == MOTE_RANGE_MINMAX);
    /* the outlier is the top 0.00001 %: the 99.9th percentile ends near the bulk's edge */
    assert_true(pc.hi > 0.9 && pc.hi < 1.1);
    /* clipping one value in ten million for a 5x finer step is worth it (not one in ten thousand: its
     * squared distance would outweigh the gain); auto takes the least error */
    assert_true(ms.hi < 3.0 && ms.mse < mm.mse);
    assert_true(au.mse <= ms.mse && au.mse <= pc.mse && au.mse <= mm.mse);
    assert_true(au.method == MOTE_RANGE_MSE || au.method == MOTE_RANGE_PERCENTILE);
    mote_range_method m;
    assert_int_equal(mote_range_method_parse("mse", &m), 0);
    assert_int_equal(m, MOTE_RANGE_MSE);
    assert_int_equal(mote_range_method_parse("max", &m), -1);
    free(s.hist);
}

/* in [1,4,4,2] -> CONV_2D 3x3 (ReLU) [1,4,4,3] -> MAX_POOL 2x2 -> RESHAPE [1,12] -> FULLY_CONNECTED 5 ->
 * SOFTMAX; op_last replaces the SOFTMAX when given (an op without an int8 form). */
static mote_ir_graph *small_net(mote_op op_last)
{
    char err[256] = "";
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, sizeof err);
    srand(7);
    float cw[3 * 3 * 3 * 2], cb[3], fw[5 * 12], fb[5];
    for (size_t i = 0; i < sizeof cw / sizeof cw[0]; i++) cw[i] = (float)((double)rand() / RAND_MAX) - 0.5f;
    for (size_t i = 0; i < sizeof fw / sizeof fw[0]; i++) fw[i] = (float)((double)rand() / RAND_MAX) - 0.5f;
    for (int i = 0; i < 3; i++) cb[i] = 0.1f * (float)i;
    for (int i = 0; i < 5; i++) fb[i] = -0.05f * (float)i;
    cw[0] = 0.0f; /* channel 0 gets tiny weights next to its bias: the weight scale floor */
    for (int i = 1; i < 18; i++) cw[i * 3] = 1e-9f;
    const int32_t din[4] = {1, 4, 4, 2}, dcw[4] = {3, 3, 3, 2}, d3[1] = {3}, dc[4] = {1, 4, 4, 3}, dp[4] = {1, 2, 2, 3},
                  df[2] = {1, 12}, dfw[2] = {5, 12}, d5[1] = {5}, dout[2] = {1, 5}, d2[1] = {2}, shape[2] = {1, 12};
    int32_t in = mote_irb_tensor(&b, "in", MOTE_F32, 4, din);
    int32_t w1 = mote_irb_const(&b, "conv_w", MOTE_F32, 4, dcw, cw), b1 = mote_irb_const(&b, "conv_b", MOTE_F32, 1, d3, cb);
    int32_t c = mote_irb_tensor(&b, "conv", MOTE_F32, 4, dc), p = mote_irb_tensor(&b, "pool", MOTE_F32, 4, dp);
    int32_t sh = mote_irb_const(&b, "shape", MOTE_I32, 1, d2, shape), r = mote_irb_tensor(&b, "flat", MOTE_F32, 2, df);
    int32_t w2 = mote_irb_const(&b, "fc_w", MOTE_F32, 2, dfw, fw), b2 = mote_irb_const(&b, "fc_b", MOTE_F32, 1, d5, fb);
    int32_t l = mote_irb_tensor(&b, "logits", MOTE_F32, 2, dout), y = mote_irb_tensor(&b, "y", MOTE_F32, 2, dout);
    mote_opts o = mote_irb_opts();
    o.padding = MOTE_PAD_SAME;
    o.activation = MOTE_ACT_RELU;
    int32_t i1[3] = {in, w1, b1}, i2[2] = {p, sh}, i3[3] = {r, w2, b2};
    mote_irb_op(&b, MOTE_OP_CONV_2D, i1, 3, &c, 1, &o);
    mote_opts po = mote_irb_opts();
    po.padding = MOTE_PAD_VALID;
    po.stride_w = po.stride_h = po.filter_w = po.filter_h = 2;
    mote_irb_op(&b, MOTE_OP_MAX_POOL_2D, &c, 1, &p, 1, &po);
    mote_opts fo = mote_irb_opts();
    mote_irb_op(&b, MOTE_OP_RESHAPE, i2, 2, &r, 1, &fo);
    mote_irb_op(&b, MOTE_OP_FULLY_CONNECTED, i3, 3, &l, 1, &fo);
    if (op_last == MOTE_OP_DIV) {
        int32_t two[2] = {l, l};
        mote_irb_op(&b, MOTE_OP_DIV, two, 2, &y, 1, &fo);
    } else {
        mote_irb_op(&b, MOTE_OP_SOFTMAX, &l, 1, &y, 1, &fo);
    }
    mote_irb_io(&b, &in, 1, &y, 1);
    assert_string_equal(err, "");
    return g;
}

static float sample_value(long i, long k) { return sinf(0.37f * (float)(i * 32 + k)) * (1.0f + 0.5f * (float)(k % 3)); }

static int fetch(void *user, long i, uint8_t *input, char *err, size_t errlen)
{
    (void)user, (void)err, (void)errlen;
    float *x = (float *)(void *)input;
    for (long k = 0; k < 32; k++) x[k] = sample_value(i, k);
    return 0;
}

static int32_t find(const mote_ir_graph *g, const char *name)
{
    for (int32_t t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].name && !strcmp(g->tensors[t].name, name)) return t;
    return -1;
}

static void test_small_net(void **state)
{
    (void)state;
    char err[512] = "";
    mote_ir_graph *g = small_net(MOTE_OP_SOFTMAX);
    mote_ptq_opts o = mote_ptq_defaults();
    mote_calib *c = mote_calib_new(g, &o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(mote_calib_input_bytes(c), 32 * sizeof(float));
    assert_int_equal(mote_calib_run(c, 64, fetch, NULL, NULL, err, sizeof err), 0);
    const mote_act_stats *cs = mote_calib_stats(c, find(g, "conv"));
    assert_non_null(cs);
    assert_true(cs->lo >= 0.0 && cs->hi > 0.0 && cs->count == 64 * 48); /* after the fused ReLU */
    int n = 0;
    const double *shift = mote_calib_bias_shift(c, 0, &n);
    assert_non_null(shift);
    assert_int_equal(n, 3);

    mote_ptq_report rep;
    mote_ir_graph *q = mote_ptq(g, c, &o, &rep, err, sizeof err);
    assert_non_null(q);
    assert_int_equal(rep.n_weights, 2);
    assert_int_equal(rep.n_bias_corrected, 2);
    /* ties: the pool and the reshape move bytes, so they share the conv's parameters */
    const mote_tensor *tc = &q->tensors[find(q, "conv")].t, *tp = &q->tensors[find(q, "pool")].t,
                      *tr = &q->tensors[find(q, "flat")].t, *ty = &q->tensors[find(q, "y")].t;
    assert_int_equal(tc->type, MOTE_I8);
    assert_true(tc->q.scale[0] == tp->q.scale[0] && tp->q.scale[0] == tr->q.scale[0]);
    assert_true(tc->q.zero_point[0] == -128 && tp->q.zero_point[0] == -128);
    assert_true(ty->q.scale[0] == 1.0f / 256.0f && ty->q.zero_point[0] == -128); /* SOFTMAX's fixed output */
    /* per-channel conv weights, and the floor on channel 0 keeps its int32 bias within the headroom */
    const mote_tensor *tw = &q->tensors[find(q, "conv_w")].t, *tb = &q->tensors[find(q, "conv_b")].t;
    assert_int_equal(tw->q.n, 3);
    assert_int_equal(tw->type, MOTE_I8);
    assert_int_equal(tb->type, MOTE_I32);
    assert_true(llabs((long long)((const int32_t *)tb->data)[0]) < INT32_MAX / 2);

    /* run both on fresh inputs: the int8 probabilities within a few steps of the float ones */
    mote_ir_graph *gc = mote_ir_clone(g, err, sizeof err);
    mote_host_model *fm = mote_host_model_new(gc, "float", err, sizeof err);
    mote_host_model *qm = mote_host_model_new(q, "int8", err, sizeof err);
    assert_non_null(fm);
    assert_non_null(qm);
    const mote_tensor *qi = &qm->m.tensors[qm->m.inputs[0]];
    float worst = 0.0f;
    for (long i = 100; i < 120; i++) {
        float x[32], yf[5];
        int8_t xq[32], yq[5];
        fetch(NULL, i, (uint8_t *)x, NULL, 0);
        for (int k = 0; k < 32; k++) {
            float v = nearbyintf(x[k] / qi->q.scale[0]) + (float)qi->q.zero_point[0];
            xq[k] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
        }
        mote_host_run(fm, (const uint8_t *)x, (uint8_t *)yf);
        mote_host_run(qm, (const uint8_t *)xq, (uint8_t *)yq);
        for (int k = 0; k < 5; k++) {
            float d = fabsf(yf[k] - ((float)yq[k] + 128.0f) / 256.0f);
            if (d > worst) worst = d;
        }
    }
    assert_true(worst < 0.03f);
    mote_host_model_free(fm);
    mote_host_model_free(qm);
    mote_ptq_report_free(&rep);
    mote_calib_free(c);
    mote_ir_free(g);
}

static void test_no_int8_form(void **state)
{
    (void)state;
    char err[512] = "";
    mote_ir_graph *g = small_net(MOTE_OP_DIV);
    mote_ptq_opts o = mote_ptq_defaults();
    mote_calib *c = mote_calib_new(g, &o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(mote_calib_run(c, 8, fetch, NULL, NULL, err, sizeof err), 0);
    assert_null(mote_ptq(g, c, &o, NULL, err, sizeof err));
    assert_non_null(strstr(err, "op 4 (DIV)"));
    assert_non_null(strstr(err, "no int8 form"));
    mote_calib_free(c);
    mote_ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_act_params),
        cmocka_unit_test(test_range_methods),
        cmocka_unit_test(test_small_net),
        cmocka_unit_test(test_no_int8_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
