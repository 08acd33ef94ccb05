/* The motion front end (mote/frontend.h): one MoteMotionFeatures op (runtime/kernels/motion_features.c)
 * from a window of int16 samples [window, axes] to int8 features [axes * (4 + bands)], normalised per
 * feature with an offset and a multiplier fitted to the training windows: the same op with an int32 output
 * gives the raw features of every training window, and each feature is then mapped to
 * (f - mean) / std in steps of 1/16 (the features' int8 scale; +-7.9 std fit, the rest saturates).
 * docs/frontends.md, "Motion", has the features and their units. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/tflite_write.h"
#include "import/import.h"
#include "internal.h"
#include "mote/motion.h"
#include "mote/quant.h"

#define MOTION_SCALE (1.0f / 16) /* int8 features: real = (q - 0) / 16, in units of the feature's std */
/* Without training windows (n == 0) offsets are 0 and each feature's "std" is fixed so that its whole
 * range fits: statistics (Q4 sample units) 4096 samples (+-32768 spans +-8), bands (1/256 log2) 8
 * doublings (0..64 doublings span 0..8). */
#define DEFAULT_STAT_STD (16.0 * 4096)
#define DEFAULT_BAND_STD (256.0 * 8)

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void fe_motion_defaults(fe_motion_params *p)
{
    p->window = 26;
    p->axes = 3;
    p->bands = 4;
}

static int check_params(const fe_motion_params *p, char *err, size_t errlen)
{
    if (p->window < 4 || p->window > MOTE_MOTION_MAX_WINDOW)
        return fail(err, errlen, "motion front end: window is %d, must be 4..%d samples", p->window, MOTE_MOTION_MAX_WINDOW);
    if (p->axes < 1 || p->axes > MOTE_MOTION_MAX_AXES)
        return fail(err, errlen, "motion front end: axes is %d, must be 1..%d", p->axes, MOTE_MOTION_MAX_AXES);
    const int most = p->window / 2 < MOTE_MOTION_MAX_BANDS ? p->window / 2 : MOTE_MOTION_MAX_BANDS;
    if (p->bands < 0 || p->bands > most)
        return fail(err, errlen, "motion front end: bands is %d, must be 0..%d (at most window / 2 and 32)", p->bands, most);
    return 0;
}

/* raw int16 [window, axes] -> features [F]: int32 raw features when offsets is NULL, else int8
 * normalised by offsets [F] and multipliers [F, 2] (m, shift). */
static mote_ir_graph *motion_graph(const fe_motion_params *p, const int32_t *offsets, const int32_t *mul, char *err,
                                   size_t errlen)
{
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, errlen);
    if (!g) return NULL;
    const int32_t nf = p->axes * (MOTE_MOTION_STATS + p->bands);
    const int32_t raw_dims[2] = {p->window, p->axes}, feat_dims[1] = {nf}, mul_dims[2] = {nf, 2};
    int32_t in[3], out;
    int n_in = 1;
    in[0] = mote_irb_tensor(&b, "motion_raw", MOTE_I16, 2, raw_dims);
    if (offsets) {
        in[1] = mote_irb_const(&b, "motion_offsets", MOTE_I32, 1, feat_dims, offsets);
        in[2] = mote_irb_const(&b, "motion_multipliers", MOTE_I32, 2, mul_dims, mul);
        n_in = 3;
        out = mote_irb_tensor(&b, "motion_features", MOTE_I8, 1, feat_dims);
        const float scale = MOTION_SCALE;
        const int32_t zp = 0;
        mote_irb_quant(&b, out, 1, 0, &scale, &zp);
    } else {
        out = mote_irb_tensor(&b, "motion_features_raw", MOTE_I32, 1, feat_dims);
    }
    mote_opts o = mote_irb_opts();
    o.iparams[MOTE_MOTION_BANDS] = p->bands;
    o.n_iparams = MOTE_MOTION_N;
    int bad = mote_irb_op(&b, MOTE_OP_MOTION_FEATURES, in, n_in, &out, 1, &o) ||
              mote_irb_custom_code(&b, "MoteMotionFeatures") || mote_irb_io(&b, in, 1, &out, 1);
    if (bad || in[0] < 0 || out < 0 || (offsets && (in[1] < 0 || in[2] < 0))) {
        mote_ir_free(g);
        return NULL;
    }
    return g;
}

/* The raw-feature graph prepared on the host from its TFLite bytes, as fe_finish prepares the final one. */
static mote_host_model *raw_model(const fe_motion_params *p, char *err, size_t errlen)
{
    char e[256] = "";
    mote_ir_graph *g = motion_graph(p, NULL, NULL, e, sizeof e);
    uint8_t *bytes = NULL;
    size_t len = 0;
    mote_ir_graph *back = NULL;
    if (g && !mote_tflite_write(g, &bytes, &len, e, sizeof e)) back = mote_import_bytes(bytes, len, "motion front end", e, sizeof e);
    mote_ir_free(g);
    free(bytes);
    mote_host_model *hm = back ? mote_host_model_new(back, "motion front end", e, sizeof e) : NULL;
    if (!hm && err && errlen) snprintf(err, errlen, "motion front end: its raw-feature graph: %s", e);
    return hm;
}

/* Each feature's mean and std over the n training windows (std at least one unit: a constant feature
 * keeps a finite multiplier). */
static int fit(fe_frontend *fe, const fe_motion_params *p, const float *x, size_t n, int32_t nf, double *mean,
               double *sd, char *err, size_t errlen)
{
    mote_host_model *hm = raw_model(p, err, errlen);
    int32_t *f = malloc(sizeof(int32_t) * (size_t)nf * n);
    int16_t *raw = malloc(sizeof(int16_t) * fe->raw);
    int rc = hm && f && raw ? 0 : -1;
    if (rc && hm) fail(err, errlen, "motion front end: out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        const float *ex = x + i * fe->raw;
        for (size_t k = 0; k < fe->raw; k++)
            if (!isfinite(ex[k])) rc = fail(err, errlen, "motion front end: training window %zu has a NaN or infinite sample", i);
        if (rc) break;
        fe_to_int16(fe, ex, raw);
        mote_host_run(hm, (const uint8_t *)raw, (uint8_t *)(f + i * (size_t)nf));
    }
    for (int32_t j = 0; !rc && j < nf; j++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < n; i++) s += f[i * (size_t)nf + (size_t)j];
        mean[j] = s / (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = f[i * (size_t)nf + (size_t)j] - mean[j];
            ss += d * d;
        }
        sd[j] = sqrt(ss / (double)n);
        if (sd[j] < 1.0) sd[j] = 1.0;
    }
    mote_host_model_free(hm);
    free(f);
    free(raw);
    return rc;
}

fe_frontend *fe_motion_new(const fe_motion_params *params, const float *x, size_t n, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    fe_motion_params p;
    fe_motion_defaults(&p);
    if (params) p = *params;
    if (check_params(&p, err, errlen)) return NULL;
    if (n > 0 && !x) {
        fail(err, errlen, "motion front end: %zu training windows given without their samples", n);
        return NULL;
    }
    fe_frontend *fe = fe_alloc(FE_MOTION);
    const int32_t per = MOTE_MOTION_STATS + p.bands, nf = p.axes * per;
    int32_t *offsets = malloc(sizeof(int32_t) * (size_t)nf), *mul = malloc(sizeof(int32_t) * 2 * (size_t)nf);
    double *mean = malloc(sizeof(double) * (size_t)nf), *sd = malloc(sizeof(double) * (size_t)nf);
    int rc = fe && offsets && mul && mean && sd ? 0 : fail(err, errlen, "motion front end: out of memory");
    if (!rc) {
        fe->raw = (size_t)p.window * (size_t)p.axes;
        fe->raw_scale = 1.0f; /* the loader gives sensor units (times value_scale): one unit, one LSB */
        fe->feat = (tr_shape){1, {nf, 0, 0}};
        fe->scale = MOTION_SCALE;
        fe->zp = 0;
        if (n > 0) rc = fit(fe, &p, x, n, nf, mean, sd, err, errlen);
        else
            for (int32_t j = 0; j < nf; j++) {
                mean[j] = 0;
                sd[j] = j % per < MOTE_MOTION_STATS ? DEFAULT_STAT_STD : DEFAULT_BAND_STD;
            }
    }
    for (int32_t j = 0; !rc && j < nf; j++) {
        int shift = 0;
        offsets[j] = (int32_t)lrint(mean[j]); /* |mean| < 2^21: the features' range */
        mote_quantize_multiplier(1.0 / (sd[j] * MOTION_SCALE), &mul[2 * j], &shift);
        if (shift < -31) mul[2 * j] = 0, shift = 0; /* below 2^-31 per unit: nothing reaches the output */
        mul[2 * j + 1] = shift;                     /* <= 5: the multiplier is at most 16 (std >= 1) */
    }
    if (!rc) {
        char e[256] = "";
        fe->graph = motion_graph(&p, offsets, mul, e, sizeof e);
        if (!fe->graph) rc = fail(err, errlen, "motion front end: building its graph: %s", e);
    }
    if (!rc) rc = fe_finish(fe, err, errlen);
    free(offsets);
    free(mul);
    free(mean);
    free(sd);
    if (rc) {
        fe_free(fe);
        return NULL;
    }
    return fe;
}
