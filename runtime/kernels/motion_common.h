/* Internal to MoteMotionFeatures (motion_features.c: prepare; motion_features_s8.c and
 * motion_features_i32.c: the kernels): the parameter block and the per-axis features both share. */
#ifndef MOTE_MOTION_COMMON_H
#define MOTE_MOTION_COMMON_H

#include "mote/kernel.h"
#include "mote/motion.h"

typedef struct {
    int32_t window, axes, bands, out_zp;
    /* followed by window cosines, then window sines (Q15) */
} mote_motion_data;

static inline const int16_t *tw_cos(const mote_motion_data *d) { return (const int16_t *)(const void *)(d + 1); }
static inline const int16_t *tw_sin(const mote_motion_data *d) { return tw_cos(d) + d->window; }

/* a / b rounded half away from zero, b > 0. */
static inline int64_t div_round(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

static inline uint32_t isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > v) bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)r;
}

/* floor(256 * log2(v)), v >= 1: the integer part from the top bit, each
 * fraction bit from squaring the Q30 mantissa in [1, 2). */
static inline int32_t log2_q8(uint64_t v)
{
    int32_t e = 0;
    while (e < 63 && (v >> (e + 1))) e++;
    uint64_t y = e >= 30 ? v >> (e - 30) : v << (30 - e);
    int32_t frac = 0;
    for (int i = 0; i < 8; i++) {
        y = (y * y) >> 30;
        frac <<= 1;
        if (y >= ((uint64_t)1 << 31)) {
            frac |= 1;
            y >>= 1;
        }
    }
    return e * 256 + frac;
}

static inline void axis_features(const mote_motion_data *d, const int16_t *x, int32_t a, int32_t *f)
{
    const int32_t w = d->window, na = d->axes, bins = w / 2;
    int64_t sum = 0, sumsq = 0;
    int32_t lo = x[a], hi = x[a];
    for (int32_t n = 0; n < w; n++) {
        const int32_t v = x[n * na + a];
        sum += v;
        sumsq += (int64_t)v * v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    /* |sum| <= 2^25 and sumsq <= 2^40 (window <= 2^10): the products stay within 2^58 */
    const int32_t mean = (int32_t)div_round(16 * sum, w);
    const uint64_t spread = (uint64_t)(w * sumsq - sum * sum);
    f[0] = mean;
    f[1] = (int32_t)isqrt64(256 * spread / (uint64_t)((int64_t)w * w));
    f[2] = 16 * lo;
    f[3] = 16 * hi;
    const int16_t *c = tw_cos(d), *s = tw_sin(d);
    for (int32_t b = 0; b < d->bands; b++) {
        const int32_t k0 = 1 + b * bins / d->bands, k1 = (b + 1) * bins / d->bands;
        uint64_t power = 0;
        for (int32_t k = k0; k <= k1; k++) {
            int64_t re = 0, im = 0;
            int32_t m = 0;
            for (int32_t n = 0; n < w; n++) {
                const int32_t dv = 16 * x[n * na + a] - mean; /* |dv| < 2^20 */
                re += (int64_t)dv * c[m];
                im += (int64_t)dv * s[m];
                m += k;
                if (m >= w) m -= w;
            }
            /* amplitudes in Q8: |A| <= 16 max |d| < 2^24, |A|^2 < 2^48 per bin, so a band's
             * sum over at most 512 bins stays below 2^57 */
            const int64_t ar = div_round(re, (int64_t)w << 11), ai = div_round(im, (int64_t)w << 11);
            power += (uint64_t)(ar * ar) + (uint64_t)(ai * ai);
        }
        f[MOTE_MOTION_STATS + b] = log2_q8(power + 1);
    }
}

void mote_motion_features_s8_eval(const mote_node *n, const mote_tensor *t);
void mote_motion_features_i32_eval(const mote_node *n, const mote_tensor *t);

#endif
