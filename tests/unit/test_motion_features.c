/* MoteMotionFeatures (runtime/kernels/motion_features.c): the integer features against the same
 * definitions computed in double, exact values of simple windows, the int8 normalisation, prepare's
 * refusals, and the TFLite round trip (writer -> importer: same options, same outputs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/tflite_write.h"
#include "host_model.h"
#include "import/import.h"
#include "import/tflite/custom_options.h"
#include "ir/build.h"
#include "mote/kernel.h"
#include "mote/motion.h"
#include "mote/quant.h"

static _Alignas(16) uint8_t arena[16384];
static mote_ctx ctx;

/* Tensors: 0 input [w, axes] int16, 1 offsets, 2 multipliers, 3 output (int8 or int32, [F]). */
typedef struct {
    mote_tensor t[4];
    int32_t io[4];
    mote_node n;
    float scale;
    int32_t zp;
} rig;

static void rig_init(rig *r, int16_t *x, int32_t w, int32_t axes, int32_t bands, void *out, mote_dtype out_type,
                     const int32_t *offsets, const int32_t *mul)
{
    memset(r, 0, sizeof *r);
    const int32_t f = axes * (MOTE_MOTION_STATS + bands);
    r->t[0] = (mote_tensor){.data = x, .bytes = (size_t)(w * axes) * 2, .dims = {w, axes}, .rank = 2, .type = MOTE_I16};
    r->t[1] = (mote_tensor){.data = (void *)offsets, .bytes = (size_t)f * 4, .dims = {f}, .rank = 1, .type = MOTE_I32,
                            .flags = MOTE_TENSOR_CONST};
    r->t[2] = (mote_tensor){.data = (void *)mul, .bytes = (size_t)f * 8, .dims = {f, 2}, .rank = 2, .type = MOTE_I32,
                            .flags = MOTE_TENSOR_CONST};
    r->t[3] = (mote_tensor){.data = out, .bytes = (size_t)f * mote_dtype_size(out_type), .dims = {f}, .rank = 1,
                            .type = (uint8_t)out_type};
    r->scale = 1.0f / 16;
    if (out_type == MOTE_I8) r->t[3].q = (mote_quant){.scale = &r->scale, .zero_point = &r->zp, .n = 1};
    const int int8 = out_type == MOTE_I8;
    r->io[0] = 0;
    r->io[1] = int8 ? 1 : 3;
    r->io[2] = 2;
    r->io[3] = 3;
    r->n = (mote_node){.op = MOTE_OP_MOTION_FEATURES, .n_in = (uint16_t)(int8 ? 3 : 1), .n_out = 1, .io = r->io};
    r->n.opts.iparams[MOTE_MOTION_BANDS] = bands;
    r->n.opts.n_iparams = MOTE_MOTION_N;
}

static mote_status rig_run(rig *r)
{
    mote_model m = {.tensors = r->t, .n_tensors = 4, .nodes = &r->n, .n_nodes = 1};
    mote_status s = mote_prepare(&m, &ctx, arena, sizeof arena);
    if (s == MOTE_OK) {
        assert_int_equal(r->n.scratch_bytes, 0);
        mote_invoke(&m);
    }
    return s;
}

/* The raw (int32) features of one window. */
static void raw_features(int16_t *x, int32_t w, int32_t axes, int32_t bands, int32_t *out)
{
    rig r;
    rig_init(&r, x, w, axes, bands, out, MOTE_I32, NULL, NULL);
    assert_int_equal(rig_run(&r), MOTE_OK);
}

/* The same definitions (docs/frontends.md) in double: exact twiddles, no intermediate rounding. */
static void reference(const int16_t *x, int32_t w, int32_t axes, int32_t bands, double *f)
{
    const double pi = 3.14159265358979323846;
    const int32_t per = MOTE_MOTION_STATS + bands, bins = w / 2;
    for (int32_t a = 0; a < axes; a++) {
        double sum = 0, sumsq = 0, lo = x[a], hi = x[a];
        for (int32_t n = 0; n < w; n++) {
            double v = x[n * axes + a];
            sum += v;
            sumsq += v * v;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        double mean = sum / w, var = sumsq / w - mean * mean;
        double *o = f + a * per;
        o[0] = 16 * mean;
        o[1] = 16 * sqrt(var > 0 ? var : 0);
        o[2] = 16 * lo;
        o[3] = 16 * hi;
        for (int32_t b = 0; b < bands; b++) {
            double p = 0;
            for (int32_t k = 1 + b * bins / bands; k <= (b + 1) * bins / bands; k++) {
                double re = 0, im = 0;
                for (int32_t n = 0; n < w; n++) {
                    double d = 16 * (x[n * axes + a] - mean);
                    re += d * cos(2 * pi * k * n / w);
                    im += d * sin(2 * pi * k * n / w);
                }
                p += 256 * (re * re + im * im) / ((double)w * w); /* Q16: amplitudes in Q8 */
            }
            o[MOTE_MOTION_STATS + b] = 256 * log2(1 + p);
        }
    }
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void test_against_double(void **state)
{
    (void)state;
    static const int32_t cfg[][4] = {/* window, axes, bands, amplitude */
                                     {26, 3, 4, 2000},  {8, 1, 4, 1000},   {64, 3, 8, 30000}, {5, 2, 2, 500},
                                     {1024, 1, 32, 32767}, {200, 16, 10, 4000}, {4, 3, 0, 100}, {33, 2, 16, 12000}};
    uint64_t seed = 12345;
    double worst_stat = 0, worst_band = 0;
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        const int32_t w = cfg[c][0], axes = cfg[c][1], bands = cfg[c][2], amp = cfg[c][3];
        const int32_t nf = axes * (MOTE_MOTION_STATS + bands);
        int16_t *x = malloc(sizeof(int16_t) * (size_t)(w * axes));
        int32_t *got = malloc(sizeof(int32_t) * (size_t)nf);
        double *want = malloc(sizeof(double) * (size_t)nf);
        for (int trial = 0; trial < 6; trial++) {
            /* a sine per axis on an offset, plus noise; trial 0 at full scale */
            for (int32_t a = 0; a < axes; a++) {
                const double f0 = 1 + (double)(lcg(&seed) % 100) / 10, bias = (double)((int64_t)(lcg(&seed) % 2001) - 1000);
                for (int32_t n = 0; n < w; n++) {
                    double v = bias + amp * 0.6 * sin(2 * 3.14159265358979 * f0 * n / w + a) +
                               amp * 0.3 * ((double)(lcg(&seed) % 20001) / 10000 - 1);
                    if (trial == 0) v = (lcg(&seed) & 1) ? 32767 : -32768;
                    x[n * axes + a] = (int16_t)fmax(-32768, fmin(32767, round(v)));
                }
            }
            raw_features(x, w, axes, bands, got);
            reference(x, w, axes, bands, want);
            for (int32_t i = 0; i < nf; i++) {
                const int32_t j = i % (MOTE_MOTION_STATS + bands);
                const double d = fabs(got[i] - want[i]);
                if (j < MOTE_MOTION_STATS) {
                    /* mean rounds, std truncates: within one Q4 step */
                    if (d > 1.0) fail_msg("w %d axes %d bands %d feature %d: %d vs %.3f", w, axes, bands, i, got[i], want[i]);
                    worst_stat = fmax(worst_stat, d);
                } else {
                    /* Q15 twiddles, Q8 amplitudes, log2 truncated to 1/256 */
                    if (d > 2.0) fail_msg("w %d axes %d bands %d feature %d: %d vs %.3f", w, axes, bands, i, got[i], want[i]);
                    worst_band = fmax(worst_band, d);
                }
            }
        }
        free(x);
        free(got);
        free(want);
    }
    print_message("worst |int - double|: statistics %.3f, bands %.3f (1/256 log2)\n", worst_stat, worst_band);
}

static void test_exact_values(void **state)
{
    (void)state;
    int16_t x[8 * 2];
    int32_t f[2 * 6];
    /* constant axis 0 (100), square wave at the Nyquist bin on axis 1 (+-1000) */
    for (int n = 0; n < 8; n++) {
        x[2 * n] = 100;
        x[2 * n + 1] = (n & 1) ? -1000 : 1000;
    }
    raw_features(x, 8, 2, 2, f);
    const int32_t want[12] = {1600, 0, 1600, 1600, 0, 0,
                              /* bins 1..2 hold nothing; bin 4: A = round(256000 * 32767 / 32768) = 255992
                               * (Q8), floor(256 * log2(255992^2 + 1)) = 9198 */
                              0, 16000, -16000, 16000, 0, 9198};
    for (int i = 0; i < 12; i++) assert_int_equal(f[i], want[i]);
    /* a negative window: mean (-1 -2 -2 -2) * 16 / 4 = -28 */
    int16_t y[4] = {-1, -2, -2, -2};
    int32_t g[4];
    raw_features(y, 4, 1, 0, g);
    assert_int_equal(g[0], -28);
    assert_int_equal(g[1], 6); /* 16 * sqrt(3/16) = 6.93: truncated */
    assert_int_equal(g[2], -32);
    assert_int_equal(g[3], -16);
    /* one full cycle of a cosine at bin 1 of 4 samples (+1000, 0, -1000, 0): bin 1 carries
     * |X/W| = 1000 / 2 samples, A = round(128000 * 32767 / 32768) = 127996 (Q8) and bin 2
     * nothing: floor(256 * log2(127996^2 + 1)) = 8686 */
    int16_t z[4] = {1000, 0, -1000, 0};
    int32_t h[6];
    raw_features(z, 4, 1, 2, h);
    assert_int_equal(h[0], 0);
    assert_int_equal(h[4], 8686);
    assert_int_equal(h[5], 0);
}

static void test_int8_normalisation(void **state)
{
    (void)state;
    int16_t x[4] = {10, 10, 10, 10}; /* mean 160, std 0, min 160, max 160, one band 0 */
    const int32_t off[5] = {100, -5, 0, 160, -1000};
    /* multipliers 0.5, 2 (shift 1 with 2^30), 1/64 (shift -5), 1, 16 */
    const int32_t mul[10] = {1 << 30, 0, 1 << 30, 2, 1 << 30, -5, 1 << 30, 1, 1 << 30, 5};
    int8_t y[5];
    rig r;
    rig_init(&r, x, 4, 1, 1, y, MOTE_I8, off, mul);
    r.zp = 3;
    assert_int_equal(rig_run(&r), MOTE_OK);
    assert_int_equal(y[0], 3 + 30);            /* (160 - 100) * 0.5 */
    assert_int_equal(y[1], 3 + 10);            /* (0 + 5) * 2 */
    assert_int_equal(y[2], 3 + 3);             /* 160 / 64 = 2.5: half rounds up */
    assert_int_equal(y[3], 3 + 0);
    assert_int_equal(y[4], 127);               /* 1000 * 16 saturates */
    const int32_t off2[5] = {1000, 0, 0, 0, 0};
    rig_init(&r, x, 4, 1, 1, y, MOTE_I8, off2, mul);
    r.zp = -128;
    assert_int_equal(rig_run(&r), MOTE_OK);
    assert_int_equal(y[0], -128);              /* (160 - 1000) * 0.5 - 128 saturates low */
    /* a negative half: (155 - 160) / 2 = -2.5 rounds up to -2 */
    const int32_t off3[5] = {165, 0, 0, 0, 0};
    rig_init(&r, x, 4, 1, 1, y, MOTE_I8, off3, mul);
    assert_int_equal(rig_run(&r), MOTE_OK);
    assert_int_equal(y[0], -2);
}

static void expect_fail(rig *r, mote_status s, const char *msg)
{
    assert_int_equal(rig_run(r), s);
    if (!strstr(ctx.err, msg)) fail_msg("error '%s' lacks '%s'", ctx.err, msg);
}

static void test_prepare_errors(void **state)
{
    (void)state;
    static int16_t x[2048];
    static int32_t off[16 * 36], mul[2 * 16 * 36];
    static int32_t y32[16 * 36];
    static int8_t y8[16 * 36];
    rig r;
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    assert_int_equal(rig_run(&r), MOTE_OK);
    r.t[0].type = MOTE_I8;
    expect_fail(&r, MOTE_ERR_TYPE, "input must be int16");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.t[0].rank = 1;
    expect_fail(&r, MOTE_ERR_SHAPE, "[window, axes]");
    rig_init(&r, x, 3, 3, 1, y8, MOTE_I8, off, mul);
    expect_fail(&r, MOTE_ERR_SHAPE, "window must be 4..1024");
    rig_init(&r, x, 1025, 1, 1, y8, MOTE_I8, off, mul);
    expect_fail(&r, MOTE_ERR_SHAPE, "window must be 4..1024");
    rig_init(&r, x, 8, 17, 1, y8, MOTE_I8, off, mul);
    expect_fail(&r, MOTE_ERR_SHAPE, "axes must be 1..16");
    rig_init(&r, x, 8, 1, 5, y8, MOTE_I8, off, mul);
    expect_fail(&r, MOTE_ERR_PARAM, "bands must be 0..32 and at most window / 2");
    rig_init(&r, x, 8, 1, -1, y8, MOTE_I8, off, mul);
    expect_fail(&r, MOTE_ERR_PARAM, "bands must be");
    rig_init(&r, x, 200, 1, 33, y8, MOTE_I8, off, mul);
    expect_fail(&r, MOTE_ERR_PARAM, "bands must be");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.n.opts.n_iparams = 0;
    expect_fail(&r, MOTE_ERR_PARAM, "options missing (bands)");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.t[3].dims[0] = 23;
    expect_fail(&r, MOTE_ERR_SHAPE, "axes * (4 + bands)");
    rig_init(&r, x, 26, 3, 4, y32, MOTE_F32, off, mul);
    expect_fail(&r, MOTE_ERR_TYPE, "int8 (normalised) or int32 (raw)");
    /* int32 output with normalisation inputs; int8 output without them */
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.t[3].type = MOTE_I32;
    r.t[3].bytes *= 4;
    expect_fail(&r, MOTE_ERR_PARAM, "takes no normalisation inputs");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.n.n_in = 1;
    r.io[1] = 3;
    expect_fail(&r, MOTE_ERR_PARAM, "needs offsets (input 1) and multipliers (input 2)");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.t[3].q.n = 0;
    expect_fail(&r, MOTE_ERR_PARAM, "must be quantized");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.zp = 200;
    expect_fail(&r, MOTE_ERR_PARAM, "zero point outside int8");
    /* wrong lengths, types, non-constant parameters */
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.t[1].dims[0] = 23;
    r.t[1].bytes = 23 * 4;
    expect_fail(&r, MOTE_ERR_SHAPE, "offsets need one int32 per feature");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.t[2].dims[0] = 12;
    r.t[2].bytes = 12 * 8;
    expect_fail(&r, MOTE_ERR_SHAPE, "two int32 (m, shift) per feature");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.t[2].type = MOTE_I16;
    expect_fail(&r, MOTE_ERR_TYPE, "must be int32");
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.t[1].flags = 0;
    expect_fail(&r, MOTE_ERR_UNSUPPORTED, "must be constant");
    mul[2 * 5 + 1] = 31;
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    expect_fail(&r, MOTE_ERR_PARAM, "shift outside -31..30");
    mul[2 * 5 + 1] = -32;
    expect_fail(&r, MOTE_ERR_PARAM, "shift outside -31..30");
    mul[2 * 5 + 1] = 0;
    mul[2 * 5] = -1;
    expect_fail(&r, MOTE_ERR_PARAM, "multiplier negative");
    mul[2 * 5] = 0;
    rig_init(&r, x, 26, 3, 4, y8, MOTE_I8, off, mul);
    r.n.n_in = 2;
    expect_fail(&r, MOTE_ERR_PARAM, "needs 1 input (int32 output) or 3");
}

/* ---- the TFLite round trip ---- */

static mote_ir_graph *motion_graph(int32_t w, int32_t axes, int32_t bands, int int8)
{
    char err[256] = "";
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, sizeof err);
    assert_non_null(g);
    const int32_t nf = axes * (MOTE_MOTION_STATS + bands), dims[2] = {w, axes};
    int32_t io[3];
    io[0] = mote_irb_tensor(&b, "raw", MOTE_I16, 2, dims);
    const int32_t fd[1] = {nf}, md[2] = {nf, 2};
    int32_t *off = malloc(sizeof(int32_t) * (size_t)nf), *mul = malloc(sizeof(int32_t) * 2 * (size_t)nf);
    for (int32_t i = 0; i < nf; i++) {
        off[i] = (i * 37) % 200 - 100;
        int sh;
        mote_quantize_multiplier(16.0 / (50 + 7 * i), &mul[2 * i], &sh);
        mul[2 * i + 1] = sh;
    }
    int n_in = 1;
    if (int8) {
        io[1] = mote_irb_const(&b, "offsets", MOTE_I32, 1, fd, off);
        io[2] = mote_irb_const(&b, "multipliers", MOTE_I32, 2, md, mul);
        n_in = 3;
    }
    free(off);
    free(mul);
    int32_t out = mote_irb_tensor(&b, "features", int8 ? MOTE_I8 : MOTE_I32, 1, fd);
    if (int8) mote_irb_quant(&b, out, 1, 0, (const float[]){1.0f / 16}, (const int32_t[]){-3});
    mote_opts o = mote_irb_opts();
    o.iparams[MOTE_MOTION_BANDS] = bands;
    o.n_iparams = MOTE_MOTION_N;
    mote_irb_op(&b, MOTE_OP_MOTION_FEATURES, io, n_in, &out, 1, &o);
    mote_irb_custom_code(&b, "MoteMotionFeatures");
    mote_irb_io(&b, io, 1, &out, 1);
    if (err[0]) fail_msg("%s", err);
    return g;
}

static void test_tflite_round_trip(void **state)
{
    (void)state;
    for (int int8 = 0; int8 <= 1; int8++) {
        const int32_t w = 26, axes = 3, bands = 5, nf = axes * (MOTE_MOTION_STATS + bands);
        char err[256] = "";
        uint8_t *bytes = NULL;
        size_t len = 0;
        mote_ir_graph *g = motion_graph(w, axes, bands, int8);
        if (mote_tflite_write(g, &bytes, &len, err, sizeof err)) fail_msg("%s", err);
        mote_ir_graph *back = mote_import_bytes(bytes, len, "motion", err, sizeof err);
        free(bytes);
        if (!back) fail_msg("%s", err);
        assert_int_equal(back->n_ops, 1);
        assert_int_equal(back->ops[0].op, MOTE_OP_MOTION_FEATURES);
        assert_string_equal(back->ops[0].custom_code, "MoteMotionFeatures");
        assert_int_equal(back->ops[0].opts.n_iparams, MOTE_MOTION_N);
        assert_int_equal(back->ops[0].opts.iparams[MOTE_MOTION_BANDS], bands);
        assert_int_equal(back->ops[0].n_in, int8 ? 3 : 1);
        mote_host_model *h1 = mote_host_model_new(g, "motion", err, sizeof err);
        if (!h1) fail_msg("%s", err);
        mote_host_model *h2 = mote_host_model_new(back, "motion", err, sizeof err);
        if (!h2) fail_msg("%s", err);
        const size_t ob = (size_t)nf * (int8 ? 1 : 4);
        assert_int_equal(mote_host_input_bytes(h2), (size_t)(w * axes) * 2);
        assert_int_equal(mote_host_output_bytes(h2), ob);
        int16_t x[26 * 3];
        uint8_t o1[4 * 27], o2[4 * 27];
        uint64_t seed = 99;
        for (int trial = 0; trial < 20; trial++) {
            for (int i = 0; i < w * axes; i++) x[i] = (int16_t)((int64_t)(lcg(&seed) % 4001) - 2000);
            mote_host_run(h1, (const uint8_t *)x, o1);
            mote_host_run(h2, (const uint8_t *)x, o2);
            assert_memory_equal(o1, o2, ob);
            if (!int8) { /* the host model's output is the kernel's */
                int32_t f[27];
                raw_features(x, w, axes, bands, f);
                assert_memory_equal(o2, f, ob);
            }
        }
        mote_host_model_free(h1);
        mote_host_model_free(h2);
    }
}

static void test_custom_options(void **state)
{
    (void)state;
    /* the writer's map for bands = 3, read back; a map without "bands" is refused naming it */
    mote_ir_graph *g = motion_graph(8, 1, 3, 0);
    char err[256] = "";
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(mote_tflite_write(g, &bytes, &len, err, sizeof err), 0);
    mote_ir_graph *back = mote_import_bytes(bytes, len, "motion", err, sizeof err);
    assert_non_null(back);
    assert_int_equal(back->ops[0].opts.iparams[MOTE_MOTION_BANDS], 3);
    free(bytes);
    mote_ir_free(g);
    mote_ir_free(back);
    /* {"shift": 12}: a SignalWindow map */
    static const uint8_t window_map[] = {0x73, 0x68, 0x69, 0x66, 0x74, 0x00, 0x01, 0x07, 0x01, 0x01,
                                         0x01, 0x0c, 0x04, 0x02, 0x24, 0x01};
    mote_opts o;
    memset(&o, 0, sizeof o);
    assert_int_equal(mote_tflite_custom_options(MOTE_OP_MOTION_FEATURES, window_map, sizeof window_map, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "bands"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_double),    cmocka_unit_test(test_exact_values),
        cmocka_unit_test(test_int8_normalisation), cmocka_unit_test(test_prepare_errors),
        cmocka_unit_test(test_tflite_round_trip),  cmocka_unit_test(test_custom_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
