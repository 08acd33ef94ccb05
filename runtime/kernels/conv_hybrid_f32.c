/* CONV_2D hybrid: float32 activations, int8 weights (dynamic-range
 * quantized models such as kws_float32). TFLM refuses these; this follows
 * full TFLite: quantize each batch of the input to int8 on the fly, run an
 * integer convolution, scale the int32 sum back to float, add the float
 * bias, clamp.
 *   per-tensor filter scale: symmetric input quantization (zero point 0);
 *   per-channel scales:      asymmetric input quantization (per batch zp). */
#include <math.h>
#include <string.h>

#include "conv_common.h"
#include "mote/quant.h"

/* scale = max|x| / 127, q = round(x * 127 / max|x|) in [-127, 127]. */
static void quantize_symmetric(const float *x, int64_t count, int8_t *q, float *scale)
{
    float lo = x[0], hi = x[0];
    for (int64_t i = 1; i < count; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    const float range = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
    if (range == 0.0f) {
        memset(q, 0, (size_t)count);
        *scale = 1.0f;
        return;
    }
    *scale = range / 127.0f;
    const float inv = 127.0f / range;
    for (int64_t i = 0; i < count; i++) {
        float r = roundf(x[i] * inv);
        /* clamp before the cast: the float may lie outside int32 for huge x */
        r = r > 127.0f ? 127.0f : (r < -127.0f ? -127.0f : r);
        q[i] = (int8_t)r;
    }
}

/* Affine int8 over [min(0, min x), max(0, max x)], zero point nudged to an
 * integer; the arithmetic mixes double and float exactly as TFLite does. */
static void quantize_asymmetric(const float *x, int64_t count, int8_t *q, float *scale, int32_t *zp)
{
    float lo = x[0], hi = x[0];
    for (int64_t i = 1; i < count; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    const double rmin = fmin(0.0, (double)lo), rmax = fmax(0.0, (double)hi);
    if (rmin == rmax) {
        memset(q, 0, (size_t)count);
        *scale = 1.0f;
        *zp = 0;
        return;
    }
    const double s = (rmax - rmin) / 255.0;
    const double zp_min = -128.0 - rmin / s, zp_max = 127.0 - rmax / s;
    const double err_min = 128.0 + fabs(rmin / s), err_max = 127.0 + fabs(rmax / s);
    const double zpd = err_min < err_max ? zp_min : zp_max;
    int32_t z = zpd <= -128.0 ? -128 : (zpd >= 127.0 ? 127 : (int32_t)round(zpd));
    *scale = (float)s;
    *zp = z;
    const float inv = (float)(1.0 / (double)*scale);
    for (int64_t i = 0; i < count; i++) {
        float r = roundf((float)z + x[i] * inv);
        r = r > 127.0f ? 127.0f : (r < -128.0f ? -128.0f : r);
        q[i] = (int8_t)r;
    }
}

void mote_conv_hybrid_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const float *fscale = mote_in(n, t, 1)->q.scale;
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    const float *x = in->data;
    const int8_t *w = ft->data;
    const float *bias = bt ? (const float *)bt->data : NULL;
    float *y = out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = ft->dims[1], kw = ft->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t sh = n->opts.stride_h, sw = n->opts.stride_w;
    const int32_t dh = n->opts.dilation_h, dw = n->opts.dilation_w;
    const int64_t per_batch = (int64_t)ih * iw * ic;

    /* scratch: [batches] float scales, [batches] int32 zero points, int8 input */
    float *scales = n->scratch;
    int32_t *zps = (int32_t *)(scales + batches);
    int8_t *xq = (int8_t *)(zps + batches);

    for (int32_t b = 0; b < batches; b++) {
        if (d->per_channel_scale) {
            quantize_asymmetric(x + b * per_batch, per_batch, xq + b * per_batch, &scales[b], &zps[b]);
        } else {
            quantize_symmetric(x + b * per_batch, per_batch, xq + b * per_batch, &scales[b]);
            scales[b] *= d->filter_scale0;
            zps[b] = 0;
        }
    }

    for (int32_t b = 0; b < batches; b++) {
        const int32_t zp = zps[b];
        for (int32_t oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * sh - d->pad_h;
            for (int32_t ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * sw - d->pad_w;
                for (int32_t c = 0; c < oc; c++) {
                    int32_t acc = 0;
                    for (int32_t fy = 0; fy < kh; fy++) {
                        const int32_t iy = y0 + dh * fy;
                        if (iy < 0 || iy >= ih) continue;
                        for (int32_t fx = 0; fx < kw; fx++) {
                            const int32_t ix = x0 + dw * fx;
                            if (ix < 0 || ix >= iw) continue;
                            const int8_t *xp = xq + (((size_t)b * ih + iy) * iw + ix) * ic;
                            const int8_t *wp = w + (((size_t)c * kh + fy) * kw + fx) * ic;
                            for (int32_t k = 0; k < ic; k++) acc += (int32_t)wp[k] * ((int32_t)xp[k] - zp);
                        }
                    }
                    /* TFLite's optimized path: one combined float scale per output. */
                    const float scale = d->per_channel_scale ? scales[b] * fscale[c] : scales[b];
                    float v = (float)acc * scale;
                    if (bias) v += bias[c];
                    *y++ = mote_clamp_f(v, d->fact_min, d->fact_max);
                }
            }
        }
    }
}
