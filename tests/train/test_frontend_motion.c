/* The motion front end (train/frontend/motion.c) on the real ST HAR windows: parameters checked, the
 * documented shape and quantization, normalised training features of roughly zero mean and unit std,
 * the same graph from the same data, and the no-data defaults. The front end's graph, a raw-feature
 * graph of the same op and int16 inputs (real windows) go to OUT_DIR for `mote verify` (host and QEMU
 * Cortex-M4, tests/train/CMakeLists.txt).
 *
 * usage: test_frontend_motion ST_HAR_DIR OUT_DIR */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/tflite_write.h"
#include "dataset.h"
#include "ir/build.h"
#include "mote/frontend.h"
#include "mote/motion.h"

static const char *har_dir, *out_dir;

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_graph(const mote_ir_graph *g, const char *name)
{
    char path[1024], err[256] = "";
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (mote_tflite_write(g, &bytes, &len, err, sizeof err)) fail_msg("%s", err);
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    write_file(path, bytes, len);
    free(bytes);
}

static void params(void **state)
{
    (void)state;
    fe_motion_params p;
    fe_motion_defaults(&p);
    assert_int_equal(p.window, 26);
    assert_int_equal(p.axes, 3);
    assert_int_equal(p.bands, 4);
    char err[256] = "";
    const struct {
        int window, axes, bands;
        const char *what;
    } bad[] = {{3, 3, 1, "window is 3"}, {1025, 3, 4, "window is 1025"}, {26, 0, 4, "axes is 0"},
               {26, 17, 4, "axes is 17"}, {26, 3, 14, "bands is 14, must be 0..13"}, {26, 3, -1, "bands is -1"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fe_motion_params q = {bad[i].window, bad[i].axes, bad[i].bands};
        assert_null(fe_motion_new(&q, NULL, 0, err, sizeof err));
        if (!strstr(err, bad[i].what)) fail_msg("error '%s' lacks '%s'", err, bad[i].what);
    }
    float nan_window[26 * 3] = {0};
    nan_window[40] = NAN;
    assert_null(fe_motion_new(&p, nan_window, 1, err, sizeof err));
    assert_non_null(strstr(err, "training window 0 has a NaN"));
}

/* n == 0: offsets 0, statistics over 4096 samples per std, bands over 8 doublings (docs/frontends.md). */
static void no_data(void **state)
{
    (void)state;
    fe_motion_params p = {8, 2, 2};
    char err[256] = "";
    fe_frontend *fe = fe_motion_new(&p, NULL, 0, err, sizeof err);
    if (!fe) fail_msg("%s", err);
    assert_int_equal(fe_get_kind(fe), FE_MOTION);
    assert_int_equal(fe_raw_samples(fe), 16);
    tr_shape s = fe_feature_shape(fe);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 12);
    float window[16];
    for (int n = 0; n < 8; n++) {
        window[2 * n] = 1024;                       /* constant: mean 1024 samples = 1/4 std -> 4 */
        window[2 * n + 1] = (n & 1) ? -2048 : 2048; /* Nyquist square wave */
    }
    int8_t q[12];
    float f[12];
    assert_int_equal(fe_features(fe, window, q, f, err, sizeof err), 0);
    const int8_t want[12] = {4, 0, 4, 4, 0, 0, /* 16 * 1024 * 16 / 65536 = 4 */
                             0, 8, -8, 8, 0,   /* std, min, max 2048 samples: 8 */
                             /* band 1: floor(256 * log2((2048 * 256 * 32767 / 32768)^2 + 1)) = 9727,
                              * 9727 * 16 / 2048 = 75.99 */
                             76};
    assert_memory_equal(q, want, 12);
    assert_true(fabsf(f[11] - 76.0f / 16) < 1e-6f);
    fe_free(fe);
}

static void har(void **state)
{
    (void)state;
    ds_dataset *ds;
    char err[512] = "";
    if (ds_load(har_dir, NULL, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->dims[0], 26);
    assert_int_equal(ds->dims[1], 3);
    const size_t per = ds->example_size, ntr = ds_count(ds, DS_TRAIN, -1), nte = ds_count(ds, DS_TEST, -1);
    size_t *itr = malloc(sizeof(size_t) * ntr), *ite = malloc(sizeof(size_t) * nte);
    ds_indices(ds, DS_TRAIN, itr);
    ds_indices(ds, DS_TEST, ite);
    float *xtr = malloc(sizeof(float) * per * ntr);
    for (size_t i = 0; i < ntr; i++) memcpy(xtr + i * per, ds->x + itr[i] * per, sizeof(float) * per);

    fe_motion_params p;
    fe_motion_defaults(&p);
    fe_frontend *fe = fe_motion_new(&p, xtr, ntr, err, sizeof err);
    if (!fe) fail_msg("%s", err);
    const int nf = 3 * (4 + 4);
    tr_shape s = fe_feature_shape(fe);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], nf);
    assert_int_equal(fe_raw_samples(fe), 78);
    float scale;
    int32_t zp;
    fe_feature_quant(fe, &scale, &zp);
    assert_true(scale == 1.0f / 16);
    assert_int_equal(zp, 0);
    const mote_ir_graph *g = fe_graph(fe);
    const mote_tensor *gi = &g->tensors[g->inputs[0]].t, *go = &g->tensors[g->outputs[0]].t;
    assert_int_equal(gi->type, MOTE_I16);
    assert_int_equal(gi->rank, 2);
    assert_int_equal(gi->dims[0], 26);
    assert_int_equal(gi->dims[1], 3);
    assert_int_equal(go->type, MOTE_I8);
    assert_int_equal(go->dims[0], nf);
    assert_int_equal(g->n_ops, 1);
    assert_int_equal(g->ops[0].op, MOTE_OP_MOTION_FEATURES);

    /* training features: finite, each roughly zero mean and unit std */
    double *sum = calloc((size_t)nf, sizeof(double)), *sq = calloc((size_t)nf, sizeof(double));
    float *f = malloc(sizeof(float) * (size_t)nf);
    int8_t *q = malloc((size_t)nf), *q2 = malloc((size_t)nf);
    size_t saturated = 0;
    for (size_t i = 0; i < ntr; i++) {
        assert_int_equal(fe_features(fe, xtr + i * per, q, f, err, sizeof err), 0);
        for (int j = 0; j < nf; j++) {
            assert_true(isfinite(f[j]));
            sum[j] += f[j];
            sq[j] += (double)f[j] * f[j];
            saturated += q[j] == 127 || q[j] == -128;
        }
    }
    for (int j = 0; j < nf; j++) {
        double m = sum[j] / (double)ntr, sd = sqrt(sq[j] / (double)ntr - m * m);
        print_message("feature %2d (axis %d, %s): mean %+.3f std %.3f\n", j, j / 8,
                      (const char *[]){"mean", "std", "min", "max", "band 0", "band 1", "band 2", "band 3"}[j % 8], m, sd);
        if (fabs(m) > 0.1 || sd < 0.85 || sd > 1.05) fail_msg("feature %d: mean %.3f, std %.3f", j, m, sd);
    }
    print_message("%zu training windows, %zu of %zu int8 features saturated\n", ntr, saturated, ntr * (size_t)nf);
    assert_true(saturated < ntr * (size_t)nf / 200);

    /* the same data gives the same graph, byte for byte; features are deterministic */
    fe_frontend *fe2 = fe_motion_new(&p, xtr, ntr, err, sizeof err);
    assert_non_null(fe2);
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t l1 = 0, l2 = 0;
    assert_int_equal(mote_tflite_write(fe_graph(fe), &b1, &l1, err, sizeof err), 0);
    assert_int_equal(mote_tflite_write(fe_graph(fe2), &b2, &l2, err, sizeof err), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    free(b1);
    free(b2);
    for (size_t i = 0; i < nte; i += 97) {
        const float *ex = ds->x + ite[i] * per;
        assert_int_equal(fe_features(fe, ex, q, NULL, err, sizeof err), 0);
        assert_int_equal(fe_features(fe2, ex, q2, NULL, err, sizeof err), 0);
        assert_memory_equal(q, q2, (size_t)nf);
    }
    fe_free(fe2);

    /* for mote verify: the front end, the raw-feature graph, and ten real test windows as int16 */
    if (out_dir) {
        write_graph(fe_graph(fe), "motion_frontend_int8.tflite");
        char e[256] = "";
        mote_irb b;
        mote_ir_graph *raw = mote_irb_begin(&b, e, sizeof e);
        const int32_t rd[2] = {26, 3}, fd[1] = {nf};
        int32_t in = mote_irb_tensor(&b, "motion_raw", MOTE_I16, 2, rd), out = mote_irb_tensor(&b, "features", MOTE_I32, 1, fd);
        mote_opts o = mote_irb_opts();
        o.iparams[MOTE_MOTION_BANDS] = 4;
        o.n_iparams = MOTE_MOTION_N;
        mote_irb_op(&b, MOTE_OP_MOTION_FEATURES, &in, 1, &out, 1, &o);
        mote_irb_custom_code(&b, "MoteMotionFeatures");
        mote_irb_io(&b, &in, 1, &out, 1);
        if (e[0]) fail_msg("%s", e);
        write_graph(raw, "motion_frontend_raw.tflite");
        mote_ir_free(raw);
        char dir[1024], path[1100];
        snprintf(dir, sizeof dir, "%s/motion_frontend_inputs", out_dir);
        mkdir(dir, 0755);
        int16_t in16[78];
        for (int k = 0; k < 10; k++) {
            const float *ex = ds->x + ite[(size_t)k * (nte / 10)] * per;
            for (int j = 0; j < 78; j++) in16[j] = (int16_t)lrintf(fmaxf(-32768.0f, fminf(32767.0f, ex[j])));
            snprintf(path, sizeof path, "%s/in_%02d.bin", dir, k);
            write_file(path, in16, sizeof in16);
        }
    }
    fe_free(fe);
    free(sum);
    free(sq);
    free(f);
    free(q);
    free(q2);
    free(xtr);
    free(itr);
    free(ite);
    ds_free(ds);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ST_HAR_DIR [OUT_DIR]\n", argv[0]);
        return 2;
    }
    har_dir = argv[1];
    out_dir = argc > 2 ? argv[2] : NULL;
    const struct CMUnitTest tests[] = {cmocka_unit_test(params), cmocka_unit_test(no_data), cmocka_unit_test(har)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
