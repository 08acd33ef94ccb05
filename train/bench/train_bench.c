/* Training speed of a DS-CNN-sized keyword-spotting model (MLPerf Tiny KWS: 49x10x1 input, conv 10x4/2
 * to 64 channels, four depthwise-separable blocks with batch norm and ReLU, dropout, global average
 * pooling, dense 12; about 23k parameters and 2.7 M multiply-accumulates per sample) on random data.
 * Prints samples/s and seconds per epoch, wall clock, and CPU seconds per epoch (all threads; medians over the
 * epochs after the first).
 * usage: train_bench [--threads N] [--batch B] [--samples N] [--epochs E] [--json] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mote/train.h"

static tr_model *ds_cnn(void)
{
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, (tr_shape){3, {49, 10, 1}}, "mfcc");
    x = tr_model_add_conv2d(m, x, 64, 10, 4, 2, 2, TR_PAD_SAME, "conv0");
    x = tr_model_add_batchnorm(m, x, 0.99f, 1e-3f, "bn0");
    x = tr_model_add_relu(m, x, "relu0");
    x = tr_model_add_dropout(m, x, 0.2f, "drop0");
    for (int b = 1; b <= 4; b++) {
        char n[32];
        snprintf(n, sizeof n, "dw%d", b);
        x = tr_model_add_depthwise_conv2d(m, x, 1, 3, 3, 1, 1, TR_PAD_SAME, n);
        snprintf(n, sizeof n, "dw%d_bn", b);
        x = tr_model_add_batchnorm(m, x, 0.99f, 1e-3f, n);
        snprintf(n, sizeof n, "dw%d_relu", b);
        x = tr_model_add_relu(m, x, n);
        snprintf(n, sizeof n, "pw%d", b);
        x = tr_model_add_conv2d(m, x, 64, 1, 1, 1, 1, TR_PAD_SAME, n);
        snprintf(n, sizeof n, "pw%d_bn", b);
        x = tr_model_add_batchnorm(m, x, 0.99f, 1e-3f, n);
        snprintf(n, sizeof n, "pw%d_relu", b);
        x = tr_model_add_relu(m, x, n);
    }
    x = tr_model_add_dropout(m, x, 0.4f, "drop1");
    x = tr_model_add_global_avg_pool(m, x, "pool");
    x = tr_model_add_dense(m, x, 12, "logits");
    if (x < 0) {
        fprintf(stderr, "train_bench: %s\n", tr_model_error(m));
        exit(1);
    }
    return m;
}

static double secs[1000], cpu[1000], cpu_last;
static int n_secs;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall-clock seconds of the epoch (from the engine) and CPU seconds of all threads since the last one. */
static int on_epoch(const tr_epoch_report *r, void *user)
{
    (void)user;
    double c = cpu_now();
    if (n_secs < 1000) {
        secs[n_secs] = r->seconds;
        cpu[n_secs++] = c - cpu_last;
    }
    cpu_last = c;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int threads = 0, batch = 32, samples = 2048, epochs = 4, json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--batch")) batch = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--samples")) samples = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--epochs")) epochs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--threads N] [--batch B] [--samples N] [--epochs E] [--json]\n", argv[0]);
            return 2;
        }
    }
    if (epochs < 2 || samples < 1 || batch < 1) {
        fprintf(stderr, "train_bench: need --epochs >= 2, --samples >= 1, --batch >= 1\n");
        return 2;
    }
    tr_model *m = ds_cnn();
    size_t per = 49 * 10;
    float *x = malloc((size_t)samples * per * sizeof *x);
    int32_t *y = malloc((size_t)samples * sizeof *y);
    uint64_t s = 1;
    for (size_t i = 0; i < (size_t)samples * per; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)(s >> 40) / 16777216.0f * 2.0f - 1.0f;
    }
    for (int i = 0; i < samples; i++) y[i] = i % 12;
    if (tr_model_set_threads(m, threads) || tr_model_init(m, 1)) {
        fprintf(stderr, "train_bench: %s\n", tr_model_error(m));
        return 1;
    }
    tr_dataset d = {x, y, samples, {3, {49, 10, 1}}};
    tr_train_config c;
    tr_train_config_default(&c);
    c.epochs = epochs;
    c.batch = batch;
    c.on_epoch = on_epoch;
    tr_fit_result r;
    cpu_last = cpu_now();
    if (tr_fit(m, &d, NULL, &c, &r)) {
        fprintf(stderr, "train_bench: %s\n", tr_model_error(m));
        return 1;
    }
    size_t params = 0;
    for (int p = 0; p < tr_model_num_params(m); p++) {
        tr_param_info pi;
        tr_model_param(m, p, &pi);
        params += pi.trainable ? pi.size : 0;
    }
    qsort(secs + 1, (size_t)n_secs - 1, sizeof *secs, cmp);  /* epoch 1 warms up */
    qsort(cpu + 1, (size_t)n_secs - 1, sizeof *cpu, cmp);
    double med = secs[1 + (n_secs - 1) / 2], cpu_med = cpu[1 + (n_secs - 1) / 2];
    if (json)
        printf("{\"model\": \"ds-cnn\", \"params\": %zu, \"threads\": %d, \"batch\": %d, \"samples\": %d, "
               "\"seconds_per_epoch\": %.4f, \"samples_per_second\": %.1f, \"cpu_seconds_per_epoch\": %.4f}\n",
               params, threads, batch, samples, med, samples / med, cpu_med);
    else
        printf("ds-cnn (%zu params)  threads %d  batch %d  %d samples/epoch  %.3f s/epoch  %.0f samples/s  (%.3f CPU s/epoch)\n",
               params, threads, batch, samples, med, samples / med, cpu_med);
    tr_model_free(m);
    free(x);
    free(y);
    return 0;
}
