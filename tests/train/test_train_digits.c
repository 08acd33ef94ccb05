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

#include "digits_fixture.h"
#include "mote/train.h"

#define N_TEST 360
#define MIN_ACCURACY 0.95
#define MAX_SECONDS 60.0  /* about 0.3 s on an idle machine, 5 s under ASan: generous for busy CI */

static const char *csv_path;

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
    float *xs = malloc(N_DIGITS * 64 * sizeof *xs);
    int32_t *ys = malloc(N_DIGITS * sizeof *ys);
    digits_load_shuffled(csv_path, xs, ys);
    tr_shape shape = {3, {8, 8, 1}};
    tr_dataset train = {xs, ys, N_DIGITS - N_TEST, shape};
    tr_dataset test = {xs + (N_DIGITS - N_TEST) * 64, ys + N_DIGITS - N_TEST, N_TEST, shape};

    tr_model *m = digits_cnn_model();
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
    free(xs), free(ys);
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
