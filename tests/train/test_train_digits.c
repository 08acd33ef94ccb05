/* Real data: the 1797 sklearn 8x8 digits (shared/data/sklearn-digits, gunzipped by the CTest command).
 * A seeded random 20 % (360 images) is held out; a small CNN trains on the rest (10 % of it for early
 * stopping) and must classify the held-out images with >= 95 % accuracy, also after batch-norm folding,
 * training in under MAX_SECONDS. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mote/train.h"

#define N_DIGITS 1797
#define N_TEST 360
#define MIN_ACCURACY 0.95
#define MAX_SECONDS 60.0  /* about 0.3 s on an idle machine, 5 s under ASan: generous for busy CI */

static const char *csv_path;

/* 64 pixel counts 0..16 and a label per line; pixels scaled to [0, 1]. */
static void load(float *x, int32_t *y)
{
    FILE *f = fopen(csv_path, "r");
    if (!f) fail_msg("cannot open %s", csv_path);
    for (int i = 0; i < N_DIGITS; i++) {
        for (int j = 0; j < 65; j++) {
            int v;
            if (fscanf(f, j ? ",%d" : "%d", &v) != 1) fail_msg("%s: line %d, field %d is not a number", csv_path, i + 1, j + 1);
            if (j < 64) x[i * 64 + j] = (float)v / 16.0f;
            else y[i] = v;
        }
    }
    fclose(f);
}

static int report(const tr_epoch_report *r, void *user)
{
    (void)user;
    print_message("epoch %2d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.5f  %.2fs\n", r->epoch,
                  r->epochs, r->train_loss, r->train_accuracy, r->val_loss, r->val_accuracy, (double)r->lr, r->seconds);
    return 0;
}

static void digits_cnn(void **st)
{
    (void)st;
    float *x = malloc(N_DIGITS * 64 * sizeof *x), *xs = malloc(N_DIGITS * 64 * sizeof *xs);
    int32_t *y = malloc(N_DIGITS * sizeof *y), *ys = malloc(N_DIGITS * sizeof *ys);
    load(x, y);
    /* seeded shuffle (own LCG), then the last N_TEST are the held-out test set */
    int order[N_DIGITS];
    uint64_t s = 2024;
    for (int i = 0; i < N_DIGITS; i++) order[i] = i;
    for (int i = N_DIGITS - 1; i > 0; i--) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int j = (int)((s >> 33) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    for (int i = 0; i < N_DIGITS; i++) {
        memcpy(xs + i * 64, x + order[i] * 64, 64 * sizeof *x);
        ys[i] = y[order[i]];
    }
    tr_shape shape = {3, {8, 8, 1}};
    tr_dataset train = {xs, ys, N_DIGITS - N_TEST, shape};
    tr_dataset test = {xs + (N_DIGITS - N_TEST) * 64, ys + N_DIGITS - N_TEST, N_TEST, shape};

    tr_model *m = tr_model_new();
    int t = tr_model_add_input(m, shape, "image");
    t = tr_model_add_conv2d(m, t, 16, 3, 3, 1, 1, TR_PAD_SAME, "conv1");
    t = tr_model_add_batchnorm(m, t, 0.9f, 1e-3f, "bn1");
    t = tr_model_add_relu(m, t, "relu1");
    t = tr_model_add_max_pool(m, t, 2, 2, 2, 2, TR_PAD_VALID, "pool1");
    t = tr_model_add_conv2d(m, t, 32, 3, 3, 1, 1, TR_PAD_SAME, "conv2");
    t = tr_model_add_batchnorm(m, t, 0.9f, 1e-3f, "bn2");
    t = tr_model_add_relu(m, t, "relu2");
    t = tr_model_add_flatten(m, t, "flat");
    t = tr_model_add_dropout(m, t, 0.25f, "drop");
    t = tr_model_add_dense(m, t, 10, "logits");
    if (t < 0) fail_msg("%s", tr_model_error(m));
    assert_int_equal(tr_model_init(m, 1), 0);
    tr_train_config c;
    tr_train_config_default(&c);
    c.epochs = 15;
    c.batch = 32;
    c.seed = 1;
    c.lr = 3e-3f;
    c.schedule = TR_LR_COSINE;
    c.weight_decay = 1e-4f;
    c.val_split = 0.1f;
    c.patience = 5;
    c.on_epoch = report;
    tr_fit_result r;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (tr_fit(m, &train, NULL, &c, &r)) fail_msg("%s", tr_model_error(m));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double loss, acc, acc_folded;
    assert_int_equal(tr_evaluate(m, &test, 64, &loss, &acc), 0);
    assert_int_equal(tr_fold_batchnorm(m), 2);
    assert_int_equal(tr_evaluate(m, &test, 64, NULL, &acc_folded), 0);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    print_message("digits: %d epochs (best %d) in %.2f s; held-out accuracy %.4f (loss %.4f), after folding %.4f\n",
                  r.epochs_run, r.best_epoch, secs, acc, loss, acc_folded);
    assert_true(acc >= MIN_ACCURACY);
    assert_true(secs < MAX_SECONDS);
    assert_true(fabs(acc_folded - acc) <= 1.0 / N_TEST);
    tr_model_free(m);
    free(x), free(xs), free(y), free(ys);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIGITS.csv\n", argv[0]);
        return 2;
    }
    csv_path = argv[1];
    const struct CMUnitTest tests[] = {cmocka_unit_test(digits_cnn)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
