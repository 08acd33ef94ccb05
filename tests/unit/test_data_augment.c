/* train/data augmentation: the PRNG is the standard xoshiro256** (seeded by splitmix64), every
 * augmentation keeps the example's shape, gives the same result for the same seed, and does what it says:
 * a shift moves samples, gain scales energy by gain^2, noise adds volume x a stretch of the noise clip,
 * masks blank whole bands, jitter has the asked deviation, scaling is one factor per axis, rotation keeps
 * lengths and angles. */
#define _XOPEN_SOURCE 700
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "data_fixtures.h"

static void rng_is_xoshiro256starstar(void **state)
{
    (void)state;
    ds_rng r;
    ds_rng_seed(&r, 0);   /* reference values from an independent implementation of the published algorithms */
    assert_true(ds_rng_next(&r) == 0x99ec5f36cb75f2b4ull);
    assert_true(ds_rng_next(&r) == 0xbf6e1f784956452aull);
    assert_true(ds_rng_next(&r) == 0x1a5f849d4933e6e0ull);
    ds_rng_seed(&r, 42);
    assert_true(ds_rng_next(&r) == 0x15780b2e0c2ec716ull);
    /* below(n) covers [0, n) evenly; uniform in [0, 1); normal has mean 0, variance 1. */
    int hist[7] = {0};
    double sum = 0, sq = 0;
    for (int k = 0; k < 70000; k++) {
        uint32_t v = ds_rng_below(&r, 7);
        assert_true(v < 7);
        hist[v]++;
        float u = ds_rng_uniform(&r);
        assert_true(u >= 0.0f && u < 1.0f);
        double z = ds_rng_normal(&r);
        sum += z, sq += z * z;
    }
    for (int v = 0; v < 7; v++) assert_true(hist[v] > 9500 && hist[v] < 10500);
    assert_true(fabs(sum / 70000) < 0.02 && fabs(sq / 70000 - 1) < 0.03);
}

static double energy(const float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) e += (double)x[i] * x[i];
    return e;
}

/* A real FSDD clip as a [8000, 1] audio example, with guard values after it. */
static float *fsdd_clip(ds_dataset **out)
{
    ds_options o = {.kind = DS_AUDIO};
    char err[512];
    if (ds_load(FSDD, &o, out, err, sizeof err)) fail_msg("%s", err);
    float *x = malloc((8000 + 16) * sizeof *x);
    assert_non_null(x);
    memcpy(x, (*out)->x + 7 * 8000, 8000 * sizeof *x);
    for (int k = 0; k < 16; k++) x[8000 + k] = 12345.0f;
    return x;
}

static void audio_shift_gain_noise(void **state)
{
    (void)state;
    ds_dataset *ds;
    float *x = fsdd_clip(&ds), *y = malloc((8000 + 16) * sizeof *y);
    assert_non_null(y);
    /* Time shift: sample k moves to k + 100; the first 100 are silence. And back the other way. */
    memcpy(y, x, (8000 + 16) * sizeof *y);
    ds_aug_time_shift(y, 8000, 1, 100);
    for (int k = 0; k < 100; k++) assert_true(y[k] == 0.0f);
    for (int k = 100; k < 8000; k++) assert_true(y[k] == x[k - 100]);
    memcpy(y, x, 8000 * sizeof *y);
    ds_aug_time_shift(y, 8000, 1, -250);
    for (int k = 0; k < 7750; k++) assert_true(y[k] == x[k + 250]);
    for (int k = 7750; k < 8000; k++) assert_true(y[k] == 0.0f);
    /* Gain 0.5 (exact in binary): energy x 0.25. Gain 4 clips to the PCM range. */
    memcpy(y, x, 8000 * sizeof *y);
    ds_aug_gain(y, 8000, 0.5f);
    assert_true(energy(y, 8000) == 0.25 * energy(x, 8000));
    ds_aug_gain(y, 8000, 64.0f);
    for (int k = 0; k < 8000; k++) assert_true(y[k] >= -1.0f && y[k] <= 32767.0f / 32768.0f);
    /* Noise: y - x is volume x noise read from one offset, wrapping round the clip. */
    float noise[997];
    ds_rng r;
    ds_rng_seed(&r, 5);
    for (int k = 0; k < 997; k++) noise[k] = ds_rng_uniform(&r) - 0.5f;
    memcpy(y, x, 8000 * sizeof *y);
    ds_aug_mix_noise(y, 8000, noise, 997, 0.01f, &r);
    int offset = -1;
    for (int o = 0; o < 997 && offset < 0; o++)
        if (y[0] == x[0] + 0.01f * noise[o] && y[1] == x[1] + 0.01f * noise[(o + 1) % 997]) offset = o;
    assert_true(offset >= 0);
    for (int k = 0; k < 8000; k++) assert_true(y[k] == x[k] + 0.01f * noise[(offset + k) % 997]);
    for (int k = 0; k < 16; k++) assert_true(x[8000 + k] == 12345.0f && y[8000 + k] == 12345.0f);

    /* ds_augment with a config: shape kept, same seed same result, different seeds differ. */
    const float *clips[1] = {noise};
    const size_t lens[1] = {997};
    ds_aug_config cfg = {.max_shift = 800, .gain_db_min = -6, .gain_db_max = 6, .noise = clips, .noise_n = lens,
                         .n_noise = 1, .noise_prob = 1.0f, .noise_max_volume = 0.1f};
    float *a = malloc((8000 + 16) * sizeof *a);
    assert_non_null(a);
    memcpy(a, x, (8000 + 16) * sizeof *a);
    memcpy(y, x, (8000 + 16) * sizeof *y);
    ds_rng r1, r2;
    ds_rng_seed(&r1, 99);
    ds_rng_seed(&r2, 99);
    ds_augment(ds, a, &cfg, &r1);
    ds_augment(ds, y, &cfg, &r2);
    assert_memory_equal(a, y, (8000 + 16) * sizeof *a);
    assert_true(memcmp(a, x, 8000 * sizeof *a) != 0);
    for (int k = 0; k < 16; k++) assert_true(a[8000 + k] == 12345.0f);
    ds_rng_seed(&r2, 100);
    memcpy(y, x, 8000 * sizeof *y);
    ds_augment(ds, y, &cfg, &r2);
    assert_true(memcmp(a, y, 8000 * sizeof *a) != 0);
    /* Gain alone at exactly -6.0206 dB halves the amplitude. */
    ds_aug_config half = {.gain_db_min = -6.0206f, .gain_db_max = -6.0206f};
    memcpy(y, x, 8000 * sizeof *y);
    ds_augment(ds, y, &half, &r2);
    assert_true(fabs(energy(y, 8000) / energy(x, 8000) - 0.25) < 1e-4);
    free(a);
    free(x);
    free(y);
    ds_free(ds);
}

static void audio_speed(void **state)
{
    (void)state;
    float x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y[8];
    memcpy(y, x, sizeof y);
    ds_aug_speed(y, 8, 1.0f);
    assert_memory_equal(x, y, sizeof y);
    ds_aug_speed(y, 8, 2.0f); /* every other sample, then zeros past the end */
    const float fast[8] = {0, 2, 4, 6, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) assert_float_equal(y[i], fast[i], 1e-6f);
    memcpy(y, x, sizeof y);
    ds_aug_speed(y, 8, 0.5f); /* half speed: interpolated halves, in place */
    const float slow[8] = {0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f};
    for (int i = 0; i < 8; i++) assert_float_equal(y[i], slow[i], 1e-6f);
}

static void spec_masks(void **state)
{
    (void)state;
    enum { T = 49, F = 40 };
    float feat[T * F], copy[T * F];
    for (int k = 0; k < T * F; k++) feat[k] = 1.0f + (float)k;
    memcpy(copy, feat, sizeof feat);
    ds_rng r, r2;
    ds_rng_seed(&r, 1);
    ds_aug_spec_mask(feat, T, F, 2, 10, 2, 8, 0.0f, &r);
    /* Every masked cell lies in a fully masked frame or a fully masked bin; at most 2 x 10 frames and
     * 2 x 8 bins; the rest untouched. */
    int full_t = 0, full_f = 0;
    bool row_full[T], col_full[F];
    for (int t = 0; t < T; t++) {
        row_full[t] = true;
        for (int f = 0; f < F; f++) row_full[t] &= feat[t * F + f] == 0.0f;
        full_t += row_full[t];
    }
    for (int f = 0; f < F; f++) {
        col_full[f] = true;
        for (int t = 0; t < T; t++) col_full[f] &= feat[t * F + f] == 0.0f;
        full_f += col_full[f];
    }
    for (int t = 0; t < T; t++)
        for (int f = 0; f < F; f++)
            assert_true(feat[t * F + f] == (row_full[t] || col_full[f] ? 0.0f : copy[t * F + f]));
    assert_true(full_t <= 20 && full_f <= 16 && full_t + full_f > 0);
    /* Deterministic per seed. */
    float again[T * F];
    memcpy(again, copy, sizeof again);
    ds_rng_seed(&r2, 1);
    ds_aug_spec_mask(again, T, F, 2, 10, 2, 8, 0.0f, &r2);
    assert_memory_equal(again, feat, sizeof feat);
    /* Masks of width 0 change nothing. */
    memcpy(again, copy, sizeof again);
    ds_aug_spec_mask(again, T, F, 3, 0, 3, 0, 0.0f, &r2);
    assert_memory_equal(again, copy, sizeof copy);
}

static void motion_jitter_scale_rotate(void **state)
{
    (void)state;
    ds_dataset *ds;
    char err[512];
    if (ds_load(STHAR, NULL, &ds, err, sizeof err)) fail_msg("%s", err);
    size_t w = (size_t)ds->dims[0];
    float *x = ds->x + 500 * ds->example_size, y[26 * 3], z[26 * 3];
    /* Rotation about z by 90 degrees: (x, y, z) -> (-y, x, z). */
    memcpy(y, x, sizeof y);
    ds_aug_rotate(y, (int)w, (const float[3]){0, 0, 2}, (float)(M_PI / 2));
    for (size_t k = 0; k < w; k++) {
        assert_true(fabsf(y[3 * k] + x[3 * k + 1]) < 1e-2f);
        assert_true(fabsf(y[3 * k + 1] - x[3 * k]) < 1e-2f);
        assert_true(y[3 * k + 2] == x[3 * k + 2]);
    }
    /* Random rotations keep each sample's length and the angle between samples. */
    ds_rng r;
    ds_rng_seed(&r, 3);
    for (int t = 0; t < 20; t++) {
        memcpy(y, x, sizeof y);
        ds_aug_rotate_random(y, (int)w, 3.0f, &r);
        for (size_t k = 0; k + 1 < w; k++) {
            const float *a = x + 3 * k, *b = y + 3 * k;
            double la = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]), lb = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
            assert_true(fabs(la - lb) <= 1e-4 * la + 1e-3);
            double d0 = a[0] * a[3] + a[1] * a[4] + a[2] * a[5], d1 = b[0] * b[3] + b[1] * b[4] + b[2] * b[5];
            double ln = sqrt(a[3] * a[3] + a[4] * a[4] + a[5] * a[5]);
            assert_true(fabs(d0 - d1) <= 1e-5 * la * ln + 1e-3);
        }
        assert_true(memcmp(x, y, sizeof y) != 0);
    }
    /* Scaling: one factor per axis, within [0.8, 1.2]. */
    memcpy(y, x, sizeof y);
    ds_aug_scale(y, (int)w, 3, 0.8f, 1.2f, &r);
    for (int c = 0; c < 3; c++) {
        size_t big = 0;   /* the factor from the largest value of the axis */
        for (size_t k = 0; k < w; k++)
            if (fabsf(x[3 * k + c]) > fabsf(x[3 * big + c])) big = k;
        assert_true(x[3 * big + c] != 0.0f);
        float f = y[3 * big + c] / x[3 * big + c];
        assert_true(f >= 0.8f && f <= 1.2f);
        for (size_t k = 0; k < w; k++) assert_true(fabsf(y[3 * k + c] - f * x[3 * k + c]) <= 1e-3f * fabsf(x[3 * k + c]));
    }
    /* Jitter: deviation sigma, mean 0, over many values. */
    enum { N = 60000 };
    float *zero = calloc(N, sizeof *zero);
    assert_non_null(zero);
    ds_aug_jitter(zero, N, 25.0f, &r);
    double mean = 0, var = 0;
    for (int k = 0; k < N; k++) mean += zero[k];
    mean /= N;
    for (int k = 0; k < N; k++) var += (zero[k] - mean) * (zero[k] - mean);
    assert_true(fabs(mean) < 0.5 && fabs(sqrt(var / N) - 25.0) < 0.5);
    free(zero);
    /* ds_augment on a motion window: same seed same result, guard untouched, all three applied. */
    ds_aug_config cfg = {.jitter_sigma = 5, .scale_min = 0.9f, .scale_max = 1.1f, .rotate_max = 0.5f};
    float g1[26 * 3 + 4], g2[26 * 3 + 4];
    memcpy(g1, x, sizeof y);
    memcpy(g2, x, sizeof y);
    for (int k = 0; k < 4; k++) g1[78 + k] = g2[78 + k] = -7.0f;
    ds_rng a, b;
    ds_rng_seed(&a, 11);
    ds_rng_seed(&b, 11);
    ds_augment(ds, g1, &cfg, &a);
    ds_augment(ds, g2, &cfg, &b);
    assert_memory_equal(g1, g2, sizeof g1);
    for (int k = 0; k < 4; k++) assert_true(g1[78 + k] == -7.0f);
    memcpy(z, x, sizeof z);
    assert_true(memcmp(g1, z, sizeof z) != 0);
    ds_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rng_is_xoshiro256starstar),
        cmocka_unit_test(audio_shift_gain_noise),
        cmocka_unit_test(audio_speed),
        cmocka_unit_test(spec_masks),
        cmocka_unit_test(motion_jitter_scale_rotate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
