/* Weights: float values of a filter (float or hybrid int8), and their symmetric int8 quantization. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

static size_t elems(const mote_tensor *t)
{
    size_t n = 1;
    for (int d = 0; d < t->rank; d++) n *= (size_t)t->dims[d];
    return n;
}

/* Channel of flat element k when channels run along axis (row-major). */
static size_t channel_of(const mote_tensor *t, int axis, size_t k)
{
    size_t inner = 1;
    for (int d = axis + 1; d < t->rank; d++) inner *= (size_t)t->dims[d];
    return (k / inner) % (size_t)t->dims[axis];
}

float *mote_quant_weights_float(const mote_tensor *t)
{
    size_t n = elems(t);
    if (!t->data || (t->type != MOTE_F32 && !(t->type == MOTE_I8 && t->q.n >= 1))) return NULL;
    float *w = malloc(sizeof(float) * (n ? n : 1));
    if (!w) return NULL;
    if (t->type == MOTE_F32) {
        memcpy(w, t->data, sizeof(float) * n);
        return w;
    }
    const int8_t *q = t->data;
    const int per_ch = t->q.n > 1 && t->q.axis >= 0 && t->q.axis < t->rank && t->dims[t->q.axis] == t->q.n;
    for (size_t k = 0; k < n; k++) {
        size_t c = per_ch ? channel_of(t, t->q.axis, k) : 0;
        w[k] = t->q.scale[c] * (float)((int32_t)q[k] - t->q.zero_point[c]);
    }
    return w;
}

int mote_quant_weights_s8(mote_op op, const mote_tensor *t, const float *w, const mote_ptq_opts *o,
                          const float *min_scales, int8_t *q, float **scales, int *n_ch, int *axis)
{
    /* TFLite's layouts: CONV_2D [O,H,W,I] per O; DEPTHWISE [1,H,W,C] per C; FULLY_CONNECTED [U,I] */
    int ax = op == MOTE_OP_DEPTHWISE_CONV_2D ? t->rank - 1 : 0;
    int per_ch = op != MOTE_OP_FULLY_CONNECTED || o->fc_per_channel;
    int n = per_ch ? t->dims[ax] : 1;
    size_t total = elems(t);
    float *s = calloc((size_t)n, sizeof(float));
    if (!s) return -1;
    for (size_t k = 0; k < total; k++) {
        size_t c = per_ch ? channel_of(t, ax, k) : 0;
        float a = fabsf(w[k]);
        if (a > s[c]) s[c] = a;
    }
    /* range [-127, 127], zero point 0 (TFLite's int8 weights); an all-zero channel gets scale 1 */
    for (int c = 0; c < n; c++) {
        s[c] = s[c] > 0.0f ? s[c] / 127.0f : 1.0f;
        if (min_scales && min_scales[c] > s[c]) s[c] = min_scales[c];
    }
    for (size_t k = 0; k < total; k++) {
        size_t c = per_ch ? channel_of(t, ax, k) : 0;
        float v = nearbyintf(w[k] / s[c]);
        q[k] = (int8_t)(v > 127.0f ? 127 : v < -127.0f ? -127 : v);
    }
    *scales = s;
    *n_ch = n;
    *axis = ax;
    return 0;
}
