/* Finite-difference checks of every layer's backward pass and of the softmax cross-entropy loss:
 * gradients w.r.t. the inputs and every trainable parameter, from tr_model_gradients(), against central
 * differences of the (double) mean loss. Each case is a layer between a small random input and a dense
 * layer mixing its output into 3 classes; inputs keep away from the kinks of ReLU, ReLU6 and max pooling.
 * Tolerance: |analytic - numeric| <= 5e-4 * max(1, |numeric|) per element, step h = 3e-3 (float32 model,
 * double loss; the worst case seen is about 10x below the tolerance). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mote/train.h"

#define H 3e-3
#define TOL 5e-4
#define MAX_CHECKS 60  /* elements per tensor (spread evenly when there are more) */

static uint64_t rng_state;
static double urand(void)  /* [0, 1) */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

static double worst;

static double loss_at(tr_model *m, const float *x, const int32_t *y, int n)
{
    double l = 0.0;
    assert_int_equal(tr_model_gradients(m, x, y, n, &l, NULL), 0);
    return l;
}

static void compare(const char *what, size_t i, double a, double num)
{
    double err = fabs(a - num), lim = TOL * fmax(1.0, fabs(num));
    double rel = err / lim;
    if (rel > worst) worst = rel;
    if (err > lim) fail_msg("%s[%zu]: analytic %.6g, numeric %.6g (|diff| %.3g > %.3g)", what, i, a, num, err, lim);
}

/* Checks d loss / d x and d loss / d every trainable parameter of m on n samples (x random in [-1, 1]
 * unless given). */
static void check(tr_model *m, int n, const float *given_x)
{
    assert_int_equal(tr_model_set_threads(m, 2), 0);
    tr_node_info in, out;
    assert_int_equal(tr_model_node(m, tr_model_input(m), &in), 0);
    assert_int_equal(tr_model_node(m, tr_model_output(m), &out), 0);
    size_t per = tr_shape_size(in.shape), classes = tr_shape_size(out.shape);
    float *x = malloc((size_t)n * per * sizeof *x), *dx = malloc((size_t)n * per * sizeof *dx);
    int32_t *y = malloc((size_t)n * sizeof *y);
    for (size_t i = 0; i < (size_t)n * per; i++) x[i] = given_x ? given_x[i] : (float)(2.0 * urand() - 1.0);
    for (int i = 0; i < n; i++) y[i] = (int32_t)(urand() * (double)classes);
    double loss;
    assert_int_equal(tr_model_gradients(m, x, y, n, &loss, dx), 0);
    assert_true(isfinite(loss) && loss > 0.0);
    int np = tr_model_num_params(m);
    float **g = calloc((size_t)np, sizeof *g);
    for (int p = 0; p < np; p++) {
        tr_param_info pi;
        assert_int_equal(tr_model_param(m, p, &pi), 0);
        assert_non_null(pi.grad);
        g[p] = malloc(pi.size * sizeof(float));
        memcpy(g[p], pi.grad, pi.size * sizeof(float));
    }
    size_t total = (size_t)n * per, step = total > MAX_CHECKS ? total / MAX_CHECKS : 1;
    for (size_t i = 0; i < total; i += step) {
        float keep = x[i];
        x[i] = (float)(keep + H);
        double up = loss_at(m, x, y, n);
        x[i] = (float)(keep - H);
        double down = loss_at(m, x, y, n);
        x[i] = keep;
        compare("d loss / d x", i, dx[i], (up - down) / (2 * H));
    }
    for (int p = 0; p < np; p++) {
        tr_param_info pi;
        tr_model_param(m, p, &pi);
        if (!pi.trainable) {
            free(g[p]);
            continue;
        }
        size_t pstep = pi.size > MAX_CHECKS ? pi.size / MAX_CHECKS : 1;
        for (size_t i = 0; i < pi.size; i += pstep) {
            float keep = pi.data[i];
            pi.data[i] = (float)(keep + H);
            double up = loss_at(m, x, y, n);
            pi.data[i] = (float)(keep - H);
            double down = loss_at(m, x, y, n);
            pi.data[i] = keep;
            compare(pi.name, i, g[p][i], (up - down) / (2 * H));
        }
        free(g[p]);
    }
    free(g);
    free(x);
    free(dx);
    free(y);
}

static tr_shape s1(int c) { return (tr_shape){1, {c, 0, 0}}; }
static tr_shape s2(int w, int c) { return (tr_shape){2, {w, c, 0}}; }
static tr_shape s3(int h, int w, int c) { return (tr_shape){3, {h, w, c}}; }

/* input -> layer(s) built by the caller -> flatten -> dense(3); initialised with seed 7. */
static tr_model *finish(tr_model *m, int last)
{
    int f = tr_model_add_flatten(m, last, "flat");
    int d = tr_model_add_dense(m, f, 3, "logits");
    if (d < 0) fail_msg("%s", tr_model_error(m));
    assert_int_equal(tr_model_init(m, 7), 0);
    /* non-zero biases and batch norm offsets, so the checks see them act */
    for (int p = 0; p < tr_model_num_params(m); p++) {
        tr_param_info pi;
        tr_model_param(m, p, &pi);
        if (pi.role == TR_PARAM_BIAS || pi.role == TR_PARAM_BETA)
            for (size_t i = 0; i < pi.size; i++) pi.data[i] = (float)(0.2 * urand() - 0.1);
        if (pi.role == TR_PARAM_GAMMA)
            for (size_t i = 0; i < pi.size; i++) pi.data[i] = (float)(0.5 + urand());
    }
    return m;
}

static void run(tr_model *m, int n, const float *x)
{
    worst = 0.0;
    check(m, n, x);
    print_message("worst |diff| / tolerance: %.3f\n", worst);
    tr_model_free(m);
}

static void conv_same(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(5, 5, 2), "x");
    run(finish(m, tr_model_add_conv2d(m, in, 3, 3, 3, 1, 1, TR_PAD_SAME, "conv")), 2, NULL);
}

static void conv_valid_stride(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(6, 5, 3), "x");
    run(finish(m, tr_model_add_conv2d(m, in, 4, 3, 2, 2, 2, TR_PAD_VALID, "conv")), 2, NULL);
}

static void conv_same_stride2(void **st)  /* odd total padding: more after than before */
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(6, 7, 2), "x");
    run(finish(m, tr_model_add_conv2d(m, in, 3, 3, 3, 2, 2, TR_PAD_SAME, "conv")), 3, NULL);
}

/* More than 32 window inputs (kh*kw*in): im2col and GEMM; 32 or fewer take the direct loops (the cases
 * above), here with 27 filters: a block of 16, one of 8 and 3 left over. */
static void conv_im2col(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(5, 6, 4), "x");
    run(finish(m, tr_model_add_conv2d(m, in, 5, 3, 3, 1, 1, TR_PAD_SAME, "conv")), 2, NULL);
}

static void conv_im2col_stride(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(7, 6, 4), "x");
    run(finish(m, tr_model_add_conv2d(m, in, 3, 3, 3, 2, 2, TR_PAD_VALID, "conv")), 2, NULL);
}

static void conv_direct_wide(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(5, 4, 2), "x");
    run(finish(m, tr_model_add_conv2d(m, in, 27, 3, 3, 1, 1, TR_PAD_SAME, "conv")), 2, NULL);
}

static void conv_pointwise(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(4, 4, 3), "x");
    run(finish(m, tr_model_add_conv2d(m, in, 5, 1, 1, 1, 1, TR_PAD_SAME, "pw")), 2, NULL);
}

static void conv1d(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s2(9, 3), "x");
    run(finish(m, tr_model_add_conv1d(m, in, 4, 3, 2, TR_PAD_SAME, "conv1d")), 2, NULL);
}

static void depthwise(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(5, 5, 3), "x");
    run(finish(m, tr_model_add_depthwise_conv2d(m, in, 1, 3, 3, 1, 1, TR_PAD_SAME, "dw")), 2, NULL);
}

static void depthwise_mult2(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(6, 6, 2), "x");
    run(finish(m, tr_model_add_depthwise_conv2d(m, in, 2, 3, 3, 2, 2, TR_PAD_VALID, "dw")), 2, NULL);
}

static void dense_loss(void **st)  /* dense + softmax cross-entropy alone, more samples than a shard */
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s1(7), "x");
    int d = tr_model_add_dense(m, in, 5, "hidden");
    run(finish(m, d), 11, NULL);
}

static void avg_pool(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(5, 5, 2), "x");
    int a = tr_model_add_avg_pool(m, in, 3, 3, 2, 2, TR_PAD_SAME, "avg_same");
    run(finish(m, tr_model_add_avg_pool(m, a, 2, 2, 1, 1, TR_PAD_VALID, "avg_valid")), 2, NULL);
}

/* Distinct values at least 0.05 apart, so a step of h never changes which cell is the maximum. */
static float *spread(size_t n)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(0.05 * (double)i - 0.025 * (double)n);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(urand() * (double)(i + 1));
        float t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
    return x;
}

static void max_pool(void **st)
{
    (void)st;
    float *x = spread(2 * 6 * 5 * 2);
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(6, 5, 2), "x");
    int a = tr_model_add_max_pool(m, in, 3, 3, 2, 2, TR_PAD_SAME, "max_same");
    run(finish(m, tr_model_add_max_pool(m, a, 2, 2, 1, 1, TR_PAD_VALID, "max_valid")), 2, x);
    free(x);
}

static void max_pool_stride2(void **st)
{
    (void)st;
    float *x = spread(2 * 6 * 6 * 2);
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(6, 6, 2), "x");
    run(finish(m, tr_model_add_max_pool(m, in, 2, 2, 2, 2, TR_PAD_VALID, "max")), 2, x);
    free(x);
}

static void max_pool_wide(void **st)  /* more channels than one block of the argmax loop (64) */
{
    (void)st;
    float x[2 * 12 * 70];  /* in [-1, 1); the 12 cells of a channel 0.05 or more apart */
    for (int s = 0; s < 2; s++)
        for (int cell = 0; cell < 12; cell++)
            for (int ch = 0; ch < 70; ch++)
                x[(s * 12 + cell) * 70 + ch] = (float)(0.05 * ((cell * 7 + ch * 13 + s * 3) % 40) - 1.0);
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(3, 4, 70), "x");
    run(finish(m, tr_model_add_max_pool(m, in, 2, 2, 2, 2, TR_PAD_SAME, "max")), 2, x);
}

static void global_avg_pool(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(4, 3, 5), "x");
    run(finish(m, tr_model_add_global_avg_pool(m, in, "gap")), 2, NULL);
}

static void batchnorm_spatial(void **st)  /* batch statistics over 2 shards */
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(3, 3, 4), "x");
    run(finish(m, tr_model_add_batchnorm(m, in, 0.9f, 1e-3f, "bn")), 10, NULL);
}

static void batchnorm_dense(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s1(6), "x");
    int d = tr_model_add_dense(m, in, 4, "d");
    run(finish(m, tr_model_add_batchnorm(m, d, 0.99f, 1e-3f, "bn")), 5, NULL);
}

/* Values in [0.1, 1] in magnitude, and for ReLU6 also around 6 (5.2..5.9 and 6.1..6.8). */
static float *away_from_kinks(size_t n, int six)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double v = 0.1 + 0.9 * urand();
        int k = (int)(urand() * (six ? 4 : 2));
        x[i] = (float)(k == 0 ? v : k == 1 ? -v : k == 2 ? 6.0 - 0.8 * v : 6.0 + 0.8 * v);
    }
    return x;
}

static void relu(void **st)
{
    (void)st;
    float *x = away_from_kinks(2 * 24, 0);
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(2, 3, 4), "x");
    run(finish(m, tr_model_add_relu(m, in, "relu")), 2, x);
    free(x);
}

static void relu6(void **st)
{
    (void)st;
    float *x = away_from_kinks(2 * 24, 1);
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(2, 3, 4), "x");
    run(finish(m, tr_model_add_relu6(m, in, "relu6")), 2, x);
    free(x);
}

static void dropout(void **st)  /* training mode: the mask is fixed for a given step */
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s1(20), "x");
    run(finish(m, tr_model_add_dropout(m, in, 0.5f, "drop")), 3, NULL);
}

static void reshape(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(2, 3, 4), "x");
    int r = tr_model_add_reshape(m, in, s2(6, -1), "to_1d");
    run(finish(m, tr_model_add_conv1d(m, r, 2, 3, 1, TR_PAD_VALID, "c")), 2, NULL);
}

static void residual_add(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(4, 4, 3), "x");
    int c = tr_model_add_conv2d(m, in, 3, 3, 3, 1, 1, TR_PAD_SAME, "conv");
    run(finish(m, tr_model_add_add(m, in, c, "res")), 2, NULL);
}

static void small_network(void **st)  /* a DS-CNN-like chain: conv, bn, dw, bn, pw, pooling */
{
    (void)st;
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, s3(7, 5, 1), "x");
    x = tr_model_add_conv2d(m, x, 4, 3, 3, 2, 1, TR_PAD_SAME, "c1");
    x = tr_model_add_batchnorm(m, x, 0.9f, 1e-3f, "bn1");
    x = tr_model_add_depthwise_conv2d(m, x, 1, 3, 3, 1, 1, TR_PAD_SAME, "dw");
    x = tr_model_add_batchnorm(m, x, 0.9f, 1e-3f, "bn2");
    x = tr_model_add_conv2d(m, x, 4, 1, 1, 1, 1, TR_PAD_SAME, "pw");
    x = tr_model_add_avg_pool(m, x, 2, 2, 2, 2, TR_PAD_SAME, "pool");
    run(finish(m, x), 9, NULL);
}

int main(void)
{
    rng_state = 12345;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_same),       cmocka_unit_test(conv_valid_stride), cmocka_unit_test(conv_same_stride2),
        cmocka_unit_test(conv_pointwise),  cmocka_unit_test(conv1d),            cmocka_unit_test(depthwise),
        cmocka_unit_test(depthwise_mult2), cmocka_unit_test(dense_loss),        cmocka_unit_test(avg_pool),
        cmocka_unit_test(max_pool),        cmocka_unit_test(max_pool_stride2),   cmocka_unit_test(global_avg_pool),
        cmocka_unit_test(batchnorm_spatial), cmocka_unit_test(batchnorm_dense), cmocka_unit_test(relu),
        cmocka_unit_test(relu6),           cmocka_unit_test(dropout),           cmocka_unit_test(reshape),
        cmocka_unit_test(residual_add),    cmocka_unit_test(small_network),     cmocka_unit_test(conv_im2col),
        cmocka_unit_test(conv_im2col_stride), cmocka_unit_test(conv_direct_wide), cmocka_unit_test(max_pool_wide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
