/* The training loop: bit-identical weights for a seed (whatever the thread count), the optimizers' and
 * weight decay's first steps against their formulas, learning-rate schedules, early stopping restoring
 * the best epoch, callbacks, and batch-norm folding keeping inference outputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mote/train.h"

static uint64_t rs = 99;
static double urand(void)
{
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rs >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct {
    float *x;
    int32_t *y;
    tr_dataset d;
} data;

/* n samples of shape; labels from a fixed random linear rule (learnable) or random (not). */
static data make_data(int n, tr_shape shape, int classes, int learnable)
{
    data r;
    size_t per = tr_shape_size(shape);
    r.x = malloc((size_t)n * per * sizeof *r.x);
    r.y = malloc((size_t)n * sizeof *r.y);
    for (int i = 0; i < n; i++) {
        double best = -1e30;
        int arg = 0;
        for (size_t j = 0; j < per; j++) r.x[(size_t)i * per + j] = (float)(2.0 * urand() - 1.0);
        for (int k = 0; k < classes; k++) {
            double s = 0.0;
            for (size_t j = 0; j < per; j++) s += r.x[(size_t)i * per + j] * sin((double)(k + 1) * (double)(j + 1));
            if (s > best) best = s, arg = k;
        }
        r.y[i] = learnable ? arg : (int32_t)(urand() * classes);
    }
    r.d = (tr_dataset){r.x, r.y, n, shape};
    return r;
}

static void free_data(data *d)
{
    free(d->x);
    free(d->y);
}

static tr_shape s1(int c) { return (tr_shape){1, {c, 0, 0}}; }
static tr_shape s3(int h, int w, int c) { return (tr_shape){3, {h, w, c}}; }

/* conv, batch norm, relu6, depthwise, max pool, residual add, dropout, global pool, dense: every kind. */
static tr_model *cnn(void)
{
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, s3(8, 6, 2), "x");
    x = tr_model_add_conv2d(m, x, 8, 3, 3, 1, 1, TR_PAD_SAME, "c1");
    x = tr_model_add_batchnorm(m, x, 0.9f, 1e-3f, "bn1");
    x = tr_model_add_relu6(m, x, "r1");
    int d = tr_model_add_depthwise_conv2d(m, x, 1, 3, 3, 1, 1, TR_PAD_SAME, "dw");
    d = tr_model_add_batchnorm(m, d, 0.9f, 1e-3f, "bn2");
    d = tr_model_add_relu(m, d, "r2");
    x = tr_model_add_add(m, x, d, "res");
    x = tr_model_add_max_pool(m, x, 2, 2, 2, 2, TR_PAD_VALID, "mp");
    x = tr_model_add_avg_pool(m, x, 2, 2, 1, 1, TR_PAD_SAME, "ap");
    x = tr_model_add_dropout(m, x, 0.3f, "drop");
    x = tr_model_add_global_avg_pool(m, x, "gap");
    x = tr_model_add_dense(m, x, 4, "logits");
    if (x < 0) fail_msg("%s", tr_model_error(m));
    return m;
}

static float *weights_after(int threads, uint64_t seed, size_t *n_out)
{
    rs = 5;
    data d = make_data(150, s3(8, 6, 2), 4, 1);
    tr_model *m = cnn();
    assert_int_equal(tr_model_set_threads(m, threads), 0);
    assert_int_equal(tr_model_init(m, seed), 0);
    tr_train_config c;
    tr_train_config_default(&c);
    c.epochs = 3;
    c.batch = 20;
    c.seed = seed;
    c.val_split = 0.2f;
    c.weight_decay = 1e-2f;
    c.schedule = TR_LR_COSINE;
    tr_fit_result r;
    if (tr_fit(m, &d.d, NULL, &c, &r)) fail_msg("%s", tr_model_error(m));
    size_t n = 0;
    for (int p = 0; p < tr_model_num_params(m); p++) {
        tr_param_info pi;
        tr_model_param(m, p, &pi);
        n += pi.size;
    }
    float *w = malloc(n * sizeof *w), *at = w;
    for (int p = 0; p < tr_model_num_params(m); p++) {
        tr_param_info pi;
        tr_model_param(m, p, &pi);
        memcpy(at, pi.data, pi.size * sizeof *at);
        at += pi.size;
    }
    *n_out = n;
    tr_model_free(m);
    free_data(&d);
    return w;
}

static void determinism(void **st)
{
    (void)st;
    size_t n1, n2, n3, n4;
    float *a = weights_after(1, 42, &n1), *b = weights_after(2, 42, &n2), *c = weights_after(2, 42, &n3);
    float *d = weights_after(2, 43, &n4);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1 * sizeof *a);  /* 1 and 2 threads: bit for bit */
    assert_memory_equal(b, c, n1 * sizeof *a);  /* run to run */
    assert_memory_not_equal(c, d, n1 * sizeof *a);  /* another seed, another model */
    free(a), free(b), free(c), free(d);
}

/* One full-batch step of each optimizer against its formula. */
static void first_step(tr_optimizer opt)
{
    rs = 11;
    data d = make_data(8, s1(3), 2, 1);
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, s1(3), "x");
    tr_model_add_dense(m, x, 2, "d");
    tr_model_init(m, 3);
    double loss;
    assert_int_equal(tr_model_gradients(m, d.x, d.y, d.d.n, &loss, NULL), 0);
    tr_param_info w, b;
    tr_model_param(m, 0, &w);
    tr_model_param(m, 1, &b);
    float w0[6], g[6], b0[2], gb[2];
    memcpy(w0, w.data, sizeof w0);
    memcpy(g, w.grad, sizeof g);
    memcpy(b0, b.data, sizeof b0);
    memcpy(gb, b.grad, sizeof gb);
    tr_train_config c;
    tr_train_config_default(&c);
    c.optimizer = opt;
    c.epochs = 1;
    c.batch = 8;
    c.lr = 0.1f;
    c.weight_decay = 0.05f;
    assert_int_equal(tr_fit(m, &d.d, NULL, &c, NULL), 0);
    for (int i = 0; i < 6; i++) {
        /* SGD (L2): w - lr (g + wd w). Adam (decoupled): w - lr wd w - lr g / (|g| + eps) */
        double want = opt == TR_SGD ? w0[i] - 0.1 * (g[i] + 0.05 * w0[i])
                                    : w0[i] - 0.1 * 0.05 * w0[i] - 0.1 * g[i] / (fabs(g[i]) + 1e-7);
        assert_true(fabs(w.data[i] - want) < 1e-5);
    }
    for (int i = 0; i < 2; i++) {  /* biases: no decay */
        double want = opt == TR_SGD ? b0[i] - 0.1 * gb[i] : b0[i] - 0.1 * gb[i] / (fabs(gb[i]) + 1e-7);
        assert_true(fabs(b.data[i] - want) < 1e-5);
    }
    tr_model_free(m);
    free_data(&d);
}

static void sgd_step(void **st) { (void)st; first_step(TR_SGD); }
static void adam_step(void **st) { (void)st; first_step(TR_ADAM); }

static void schedules(void **st)
{
    (void)st;
    tr_train_config c;
    tr_train_config_default(&c);
    c.lr = 0.1f;
    c.epochs = 10;
    assert_true(tr_learning_rate(&c, 95, 10) == 0.1f);
    c.schedule = TR_LR_STEP;
    c.step_epochs = 3;
    c.step_gamma = 0.5f;
    assert_true(fabsf(tr_learning_rate(&c, 29, 10) - 0.1f) < 1e-7f);
    assert_true(fabsf(tr_learning_rate(&c, 30, 10) - 0.05f) < 1e-7f);
    assert_true(fabsf(tr_learning_rate(&c, 65, 10) - 0.025f) < 1e-7f);
    c.schedule = TR_LR_COSINE;
    c.lr_min = 0.02f;
    assert_true(fabsf(tr_learning_rate(&c, 0, 10) - 0.1f) < 1e-7f);
    assert_true(fabsf(tr_learning_rate(&c, 50, 10) - 0.06f) < 1e-6f);
    assert_true(fabsf(tr_learning_rate(&c, 100, 10) - 0.02f) < 1e-7f);
}

static void weight_decay_shrinks(void **st)
{
    (void)st;
    for (int opt = TR_SGD; opt <= TR_ADAM; opt++) {
        double norm[2];
        for (int k = 0; k < 2; k++) {
            rs = 21;
            data d = make_data(64, s1(10), 3, 1);
            tr_model *m = tr_model_new();
            int x = tr_model_add_input(m, s1(10), "x");
            tr_model_add_dense(m, x, 3, "d");
            tr_model_init(m, 1);
            tr_train_config c;
            tr_train_config_default(&c);
            c.optimizer = (tr_optimizer)opt;
            c.lr = 0.05f;
            c.epochs = 20;
            c.batch = 16;
            c.weight_decay = k ? 0.5f : 0.0f;
            assert_int_equal(tr_fit(m, &d.d, NULL, &c, NULL), 0);
            tr_param_info w;
            tr_model_param(m, 0, &w);
            norm[k] = 0.0;
            for (size_t i = 0; i < w.size; i++) norm[k] += w.data[i] * w.data[i];
            tr_model_free(m);
            free_data(&d);
        }
        assert_true(norm[1] < 0.7 * norm[0]);
    }
}

static int epochs_seen;
static int on_epoch(const tr_epoch_report *r, void *user)
{
    epochs_seen++;
    assert_true(r->epoch == epochs_seen && isfinite(r->train_loss) && r->train_accuracy >= 0.0 && r->seconds >= 0.0);
    assert_true(isfinite(r->val_loss) && r->val_accuracy >= 0.0 && r->val_accuracy <= 1.0 && r->best_epoch >= 1);
    return user && r->epoch == *(int *)user;
}

static int batches_seen;
static int on_batch(int epoch, int batch, int batches, double loss, void *user)
{
    (void)user;
    assert_true(epoch >= 1 && batch >= 1 && batch <= batches && batches == 4 && isfinite(loss));
    batches_seen++;
    return 0;
}

static void early_stopping(void **st)  /* random labels: validation loss soon stops improving */
{
    (void)st;
    rs = 31;
    data tr = make_data(100, s1(12), 3, 0), va = make_data(40, s1(12), 3, 0);
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, s1(12), "x");
    x = tr_model_add_dense(m, x, 32, "h");
    x = tr_model_add_relu(m, x, "r");
    tr_model_add_dense(m, x, 3, "out");
    tr_model_init(m, 2);
    tr_train_config c;
    tr_train_config_default(&c);
    c.epochs = 200;
    c.batch = 25;
    c.lr = 0.01f;
    c.patience = 3;
    c.on_epoch = on_epoch;
    c.on_batch = on_batch;
    epochs_seen = batches_seen = 0;
    tr_fit_result r;
    assert_int_equal(tr_fit(m, &tr.d, &va.d, &c, &r), 0);
    assert_true(r.stopped_early && r.epochs_run < 200 && r.epochs_run == r.best_epoch + 3);
    assert_int_equal(epochs_seen, r.epochs_run);
    assert_int_equal(batches_seen, 4 * r.epochs_run);
    double loss, acc;
    assert_int_equal(tr_evaluate(m, &va.d, c.batch, &loss, &acc), 0);
    assert_true(loss == r.best_val_loss && acc == r.best_val_accuracy);  /* the best epoch's weights are back */
    /* a callback asking to stop */
    int stop_at = 2;
    c.patience = 0;
    c.user = &stop_at;
    epochs_seen = batches_seen = 0;
    assert_int_equal(tr_fit(m, &tr.d, &va.d, &c, &r), 0);
    assert_true(r.epochs_run == 2 && r.stopped_early);
    tr_model_free(m);
    free_data(&tr);
    free_data(&va);
}

static void fold_batchnorm(void **st)
{
    (void)st;
    rs = 41;
    data d = make_data(120, s3(8, 6, 2), 4, 1);
    tr_model *m = cnn();
    tr_model_init(m, 9);
    tr_train_config c;
    tr_train_config_default(&c);
    c.epochs = 3;
    c.batch = 16;
    c.lr = 0.01f;
    assert_int_equal(tr_fit(m, &d.d, NULL, &c, NULL), 0);
    float *before = malloc(120 * 4 * sizeof *before), *after = malloc(120 * 4 * sizeof *after);
    assert_int_equal(tr_model_forward(m, d.x, 120, TR_INFER, before), 0);
    assert_int_equal(tr_fold_batchnorm(m), 2);
    assert_int_equal(tr_model_forward(m, d.x, 120, TR_INFER, after), 0);
    double worst = 0.0, scale = 0.0;
    for (int i = 0; i < 120 * 4; i++) {
        worst = fmax(worst, fabs(before[i] - after[i]));
        scale = fmax(scale, fabs(before[i]));
    }
    print_message("fold: max |before - after| = %.3g (max |logit| %.3g)\n", worst, scale);
    assert_true(worst <= 1e-5 * fmax(1.0, scale));
    int bn = -1;
    for (int i = 0; i < tr_model_num_nodes(m); i++) {
        tr_node_info ni;
        tr_model_node(m, i, &ni);
        assert_true(ni.op != TR_OP_BATCHNORM);
        if (strcmp(ni.name, "bn1") == 0) bn = i, assert_true(ni.op == TR_OP_IDENTITY && ni.n_params == 0);
    }
    assert_true(bn >= 0);
    tr_param_info pi;
    tr_model_param(m, tr_model_find_param(m, "bn1/gamma"), &pi);
    assert_true(pi.unused);
    tr_model_param(m, tr_model_find_param(m, "c1/filters"), &pi);
    assert_true(!pi.unused && pi.rank == 4 && pi.dims[0] == 8 && pi.dims[1] == 3 && pi.dims[2] == 3 && pi.dims[3] == 2);
    tr_model_param(m, tr_model_find_param(m, "dw/filters"), &pi);
    assert_true(pi.dims[0] == 1 && pi.dims[1] == 3 && pi.dims[2] == 3 && pi.dims[3] == 8);
    tr_model_param(m, tr_model_find_param(m, "logits/weights"), &pi);
    assert_true(pi.rank == 2 && pi.dims[0] == 4 && pi.dims[1] == 8);
    free(before);
    free(after);
    tr_model_free(m);
    free_data(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(determinism),    cmocka_unit_test(sgd_step),       cmocka_unit_test(adam_step),
        cmocka_unit_test(schedules),      cmocka_unit_test(weight_decay_shrinks), cmocka_unit_test(early_stopping),
        cmocka_unit_test(fold_batchnorm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
