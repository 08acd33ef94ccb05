/* Test fixture shared by the engine's and the exporter's digits tests: the
 * 1797 sklearn 8x8 digits (shared/data/sklearn-digits, gunzipped by the CTest
 * command) in a seeded order, and the small CNN both train on them. */
#ifndef MOTE_TEST_DIGITS_FIXTURE_H
#define MOTE_TEST_DIGITS_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mote/train.h"

#define N_DIGITS 1797

/* All digits, 64 pixel counts 0..16 scaled to [0, 1] and a label per line,
 * shuffled with a seeded LCG into xs [N_DIGITS * 64] and ys [N_DIGITS]. */
static void digits_load_shuffled(const char *csv_path, float *xs, int32_t *ys)
{
    static float x[N_DIGITS * 64];
    static int32_t y[N_DIGITS];
    FILE *f = fopen(csv_path, "r");
    if (!f) fail_msg("cannot open %s", csv_path);
    for (int i = 0; i < N_DIGITS; i++)
        for (int j = 0; j < 65; j++) {
            int v;
            if (fscanf(f, j ? ",%d" : "%d", &v) != 1)
                fail_msg("%s: line %d, field %d is not a number", csv_path, i + 1, j + 1);
            if (j < 64) x[i * 64 + j] = (float)v / 16.0f;
            else y[i] = v;
        }
    fclose(f);
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
}

/* conv 3x3x16, BN, ReLU, max pool 2, conv 3x3x32, BN, ReLU, flatten, dropout, dense 10. */
static tr_model *digits_cnn_model(void)
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
    if (t < 0) fail_msg("%s", tr_model_error(m));
    return m;
}

#endif
