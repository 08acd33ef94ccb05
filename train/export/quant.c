/* Post-training quantization helpers: calibration ranges from the engine's float forward pass, TFLite's
 * asymmetric activation parameters, symmetric per-channel weights, int32 biases. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CALIB_BATCH 64

void xp_act_params(float lo, float hi, float *scale, int32_t *zp)
{
    if (lo > 0.0f) lo = 0.0f;
    if (hi < 0.0f) hi = 0.0f;
    if (!(hi - lo > 1e-8f)) hi = lo + 1e-8f; /* a constant-zero tensor: any positive scale */
    double s = ((double)hi - (double)lo) / 255.0;
    /* TFLite's nudged zero point: qmin - min / scale, rounded, kept inside [qmin, qmax] */
    double z = -128.0 - (double)lo / s;
    int32_t q = z <= -128.0 ? -128 : z >= 127.0 ? 127 : (int32_t)lround(z);
    *scale = (float)s;
    *zp = q;
}

typedef struct {
    xp *x;
    xp_range *r;
} calib_ctx;

static int observe(int node, const float *out, int n, void *user)
{
    calib_ctx *c = user;
    size_t k = (size_t)n * tr_shape_size(c->x->info[node].shape);
    xp_range *r = &c->r[node];
    for (size_t i = 0; i < k; i++) {
        if (out[i] < r->lo) r->lo = out[i];
        if (out[i] > r->hi) r->hi = out[i];
    }
    return 0;
}

static int same_shape(tr_shape a, tr_shape b)
{
    if (a.rank != b.rank) return 0;
    for (int i = 0; i < a.rank; i++)
        if (a.dims[i] != b.dims[i]) return 0;
    return 1;
}

static void shape_str(tr_shape s, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < s.rank && i < 3 && o + 16 < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%d", i ? "," : "[", s.dims[i]);
    if (o + 2 < len) snprintf(buf + o, len - o, "]");
}

xp_range *xp_calibrate(xp *x, const tr_dataset *calib)
{
    if (!calib || !calib->x || calib->n < 1) {
        xp_fail(x, "calibration: no samples (the set is NULL, has no x or n = %d)", calib ? calib->n : 0);
        return NULL;
    }
    tr_shape want = x->info[tr_model_input(x->m)].shape;
    if (!same_shape(calib->shape, want)) {
        char a[48], b[48];
        shape_str(calib->shape, a, sizeof a);
        shape_str(want, b, sizeof b);
        xp_fail(x, "calibration: sample shape %s does not match the model input '%s' %s", a,
                x->info[tr_model_input(x->m)].name, b);
        return NULL;
    }
    xp_range *r = malloc(sizeof *r * (size_t)x->n);
    if (!r) {
        xp_fail(x, "out of memory");
        return NULL;
    }
    for (int i = 0; i < x->n; i++) r[i] = (xp_range){0.0f, 0.0f};
    calib_ctx c = {x, r};
    size_t per = tr_shape_size(want);
    for (int i = 0; i < calib->n; i += CALIB_BATCH) {
        int b = calib->n - i < CALIB_BATCH ? calib->n - i : CALIB_BATCH;
        if (tr_model_forward_each(x->m, calib->x + (size_t)i * per, b, observe, &c)) {
            xp_fail(x, "calibration: %s", tr_model_error(x->m));
            free(r);
            return NULL;
        }
    }
    return r;
}

int8_t *xp_quant_weights(const float *w, size_t size, int n_ch, int last_axis, float *scales)
{
    int8_t *q = malloc(size ? size : 1);
    if (!q) return NULL;
    size_t block = size / (size_t)n_ch;
    for (int c = 0; c < n_ch; c++) scales[c] = 0.0f;
    for (size_t k = 0; k < size; k++) {
        int c = last_axis ? (int)(k % (size_t)n_ch) : (int)(k / block);
        float a = fabsf(w[k]);
        if (a > scales[c]) scales[c] = a;
    }
    /* A channel whose weights are all zero (pruned away) computes the same with any scale: it takes the
     * largest channel's, so that its requantization is an ordinary one (the optimized kernels' fast
     * requantization accepts it) and its bias stays representable. */
    float widest = 0.0f;
    for (int c = 0; c < n_ch; c++) widest = scales[c] > widest ? scales[c] : widest;
    for (int c = 0; c < n_ch; c++)
        scales[c] = scales[c] > 0.0f ? scales[c] / 127.0f : widest > 0.0f ? widest / 127.0f : 1.0f;
    for (size_t k = 0; k < size; k++) {
        int c = last_axis ? (int)(k % (size_t)n_ch) : (int)(k / block);
        long v = lroundf(w[k] / scales[c]);
        q[k] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
    }
    return q;
}

int32_t *xp_quant_bias(const float *b, size_t size, float in_scale, const float *w_scales, int per_channel)
{
    int32_t *q = malloc(sizeof *q * (size ? size : 1));
    if (!q) return NULL;
    for (size_t k = 0; k < size; k++) {
        double s = (double)in_scale * (double)w_scales[per_channel ? k : 0];
        double v = b ? nearbyint((double)b[k] / s) : 0.0;
        q[k] = v > 2147483647.0 ? INT32_MAX : v < -2147483648.0 ? INT32_MIN : (int32_t)v;
    }
    return q;
}
