/* A small deterministic PRNG and the augmentations: audio (time shift, gain, background noise,
 * SpecAugment-style masks) and motion (jitter, per-axis scaling, 3-D rotation). Each draws only from the
 * ds_rng it is given, in a fixed order, so a seed gives the same result on every run. */
#include <math.h>
#include <string.h>

#include "internal.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void ds_rng_seed(ds_rng *r, uint64_t seed)
{
    for (int k = 0; k < 4; k++) r->s[k] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ds_rng_next(ds_rng *r)   /* xoshiro256** */
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint32_t ds_rng_below(ds_rng *r, uint32_t n)
{
    if (n <= 1) return 0;
    /* Rejection keeps it unbiased: draws below 2^32 mod n are redrawn. */
    uint32_t floor = (uint32_t)(-n) % n;
    for (;;) {
        uint64_t m = (ds_rng_next(r) >> 32) * (uint64_t)n;
        if ((uint32_t)m >= floor) return (uint32_t)(m >> 32);
    }
}

float ds_rng_uniform(ds_rng *r)
{
    return (float)(ds_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

float ds_rng_normal(ds_rng *r)
{
    /* Box-Muller on doubles; u1 in (0, 1]. */
    double u1 = ((double)(ds_rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(ds_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* Uniform in [lo, hi]. */
static float uniform_in(ds_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * ds_rng_uniform(r);
}

void ds_aug_time_shift(float *x, int frames, int channels, int shift)
{
    if (frames <= 0 || channels <= 0) return;
    size_t row = (size_t)channels;
    if (shift >= frames || shift <= -frames) {
        memset(x, 0, (size_t)frames * row * sizeof *x);
    } else if (shift > 0) {
        memmove(x + (size_t)shift * row, x, (size_t)(frames - shift) * row * sizeof *x);
        memset(x, 0, (size_t)shift * row * sizeof *x);
    } else if (shift < 0) {
        size_t s = (size_t)-shift;
        memmove(x, x + s * row, ((size_t)frames - s) * row * sizeof *x);
        memset(x + ((size_t)frames - s) * row, 0, s * row * sizeof *x);
    }
}

void ds_aug_speed(float *x, int frames, float factor)
{
    /* y[i] = x(i * factor), linearly interpolated, 0 past the end. Reads never reach a sample already
     * written: forwards when factor >= 1 (they read at or after i), backwards when it is below. */
    if (!(factor > 0.0f) || factor == 1.0f || frames < 1) return;
    for (int k = 0; k < frames; k++) {
        int i = factor >= 1.0f ? k : frames - 1 - k;
        double pos = (double)i * factor;
        int j = (int)pos;
        float frac = (float)(pos - j);
        float a = j < frames ? x[j] : 0.0f, b = j + 1 < frames ? x[j + 1] : 0.0f;
        x[i] = a + frac * (b - a);
    }
}

void ds_aug_gain(float *x, size_t n, float gain)
{
    const float hi = 32767.0f / 32768.0f;
    for (size_t i = 0; i < n; i++) {
        float v = x[i] * gain;
        x[i] = v < -1.0f ? -1.0f : v > hi ? hi : v;
    }
}

/* One biquad (direct form I, in double) over x. b and a are the RBJ Audio EQ Cookbook's coefficients,
 * a[0] the normaliser. */
static void biquad(float *x, int n, const double b[3], const double a[3])
{
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (int i = 0; i < n; i++) {
        double y = (b[0] * x[i] + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2) / a[0];
        x2 = x1, x1 = x[i], y2 = y1, y1 = y;
        x[i] = (float)y;
    }
}

/* Shelf (kind -1: low, +1: high; slope 1) or peak (kind 0, quality q) of gain db at f0 (fraction of the
 * sample rate), by the Cookbook's formulas. */
static void eq_filter(float *x, int n, int kind, double f0, double db, double q)
{
    double A = pow(10.0, db / 40.0), w = 6.283185307179586 * f0, c = cos(w), sn = sin(w);
    double b[3], a[3];
    if (kind == 0) {
        double al = sn / (2.0 * q);
        b[0] = 1 + al * A, b[1] = -2 * c, b[2] = 1 - al * A;
        a[0] = 1 + al / A, a[1] = -2 * c, a[2] = 1 - al / A;
    } else {
        double k = 2.0 * sqrt(A) * sn / 2.0 * sqrt(2.0), s = (double)kind; /* 2 sqrt(A) alpha at slope 1 */
        b[0] = A * ((A + 1) + s * (A - 1) * c + k);
        b[1] = -s * 2 * A * ((A - 1) + s * (A + 1) * c);
        b[2] = A * ((A + 1) + s * (A - 1) * c - k);
        a[0] = (A + 1) - s * (A - 1) * c + k;
        a[1] = s * 2 * ((A - 1) - s * (A + 1) * c);
        a[2] = (A + 1) - s * (A - 1) * c - k;
    }
    biquad(x, n, b, a);
}

void ds_aug_eq(float *x, int frames, int sample_rate, float max_db, ds_rng *r)
{
    if (frames <= 0 || sample_rate <= 0 || !(max_db > 0)) return;
    const double nyq = 0.5 * sample_rate;
    /* a low shelf at 150..600 Hz, a high shelf at 1..3 kHz, a peak log-uniform in 200 Hz..3 kHz (Q 0.7..2),
     * each of gain uniform in +-max_db, corners kept below 0.45 of the rate */
    double lo = fmin(150.0 * pow(4.0, ds_rng_uniform(r)), 0.45 * nyq);
    double hi = fmin(1000.0 * pow(3.0, ds_rng_uniform(r)), 0.9 * nyq);
    double pk = fmin(200.0 * pow(15.0, ds_rng_uniform(r)), 0.9 * nyq), q = uniform_in(r, 0.7f, 2.0f);
    double g[3];
    for (int k = 0; k < 3; k++) g[k] = uniform_in(r, -max_db, max_db);
    eq_filter(x, frames, -1, lo / sample_rate, g[0], 0);
    eq_filter(x, frames, 1, hi / sample_rate, g[1], 0);
    eq_filter(x, frames, 0, pk / sample_rate, g[2], q);
    ds_aug_gain(x, (size_t)frames, 1.0f); /* clip to the PCM range */
}

void ds_aug_mix_noise(float *x, size_t n, const float *noise, size_t noise_n, float volume, ds_rng *r)
{
    if (!noise || !noise_n) return;
    size_t at = noise_n > 1 ? (size_t)ds_rng_below(r, (uint32_t)(noise_n > UINT32_MAX ? UINT32_MAX : noise_n)) : 0;
    const float hi = 32767.0f / 32768.0f;
    for (size_t i = 0; i < n; i++) {
        float v = x[i] + volume * noise[at];
        x[i] = v < -1.0f ? -1.0f : v > hi ? hi : v;
        if (++at == noise_n) at = 0;
    }
}

void ds_aug_spec_mask(float *feat, int frames, int bins, int time_masks, int max_time, int freq_masks,
                      int max_freq, float fill, ds_rng *r)
{
    if (frames <= 0 || bins <= 0) return;
    for (int m = 0; m < time_masks; m++) {
        int w = (int)ds_rng_below(r, (uint32_t)(max_time < 0 ? 0 : max_time) + 1);
        if (w > frames) w = frames;
        int t0 = (int)ds_rng_below(r, (uint32_t)(frames - w) + 1);
        for (int t = t0; t < t0 + w; t++)
            for (int b = 0; b < bins; b++) feat[(size_t)t * (size_t)bins + (size_t)b] = fill;
    }
    for (int m = 0; m < freq_masks; m++) {
        int w = (int)ds_rng_below(r, (uint32_t)(max_freq < 0 ? 0 : max_freq) + 1);
        if (w > bins) w = bins;
        int b0 = (int)ds_rng_below(r, (uint32_t)(bins - w) + 1);
        for (int t = 0; t < frames; t++)
            for (int b = b0; b < b0 + w; b++) feat[(size_t)t * (size_t)bins + (size_t)b] = fill;
    }
}

void ds_aug_freq_warp(float *feat, int frames, int bins, float factor)
{
    if (frames <= 0 || bins <= 1 || !(factor > 0) || factor == 1.0f) return;
    float row[256];
    if (bins > 256) return;
    for (int t = 0; t < frames; t++) {
        float *f = feat + (size_t)t * (size_t)bins;
        memcpy(row, f, sizeof(float) * (size_t)bins);
        for (int b = 0; b < bins; b++) {
            /* bin b takes what was at b / factor: factor > 1 moves the spectrum up; the top or bottom bin
             * repeats where the source falls outside */
            float src = (float)b / factor;
            if (src > (float)(bins - 1)) src = (float)(bins - 1);
            int i = (int)src;
            float w = src - (float)i;
            f[b] = i + 1 < bins ? row[i] * (1.0f - w) + row[i + 1] * w : row[i];
        }
    }
}

void ds_aug_jitter(float *x, size_t n, float sigma, ds_rng *r)
{
    for (size_t i = 0; i < n; i++) x[i] += sigma * ds_rng_normal(r);
}

void ds_aug_scale(float *x, int frames, int channels, float lo, float hi, ds_rng *r)
{
    for (int k = 0; k < channels; k++) {
        float f = uniform_in(r, lo, hi);
        for (int t = 0; t < frames; t++) x[(size_t)t * (size_t)channels + (size_t)k] *= f;
    }
}

void ds_aug_rotate(float *xyz, int frames, const float axis[3], float angle)
{
    double ax = axis[0], ay = axis[1], az = axis[2], len = sqrt(ax * ax + ay * ay + az * az);
    if (!(len > 0)) return;
    ax /= len, ay /= len, az /= len;
    double c = cos(angle), s = sin(angle), t = 1 - c;
    double m[3][3] = {   /* Rodrigues' rotation matrix */
        {t * ax * ax + c, t * ax * ay - s * az, t * ax * az + s * ay},
        {t * ax * ay + s * az, t * ay * ay + c, t * ay * az - s * ax},
        {t * ax * az - s * ay, t * ay * az + s * ax, t * az * az + c}};
    for (int k = 0; k < frames; k++) {
        float *p = xyz + (size_t)k * 3;
        double v[3] = {p[0], p[1], p[2]};
        for (int i = 0; i < 3; i++) p[i] = (float)(m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2]);
    }
}

void ds_aug_rotate_random(float *xyz, int frames, float max_angle, ds_rng *r)
{
    /* A uniform direction on the sphere: z uniform in [-1, 1], longitude uniform. */
    float z = uniform_in(r, -1.0f, 1.0f), phi = 6.2831853f * ds_rng_uniform(r);
    float rho = sqrtf(fmaxf(0.0f, 1.0f - z * z));
    float axis[3] = {rho * cosf(phi), rho * sinf(phi), z};
    ds_aug_rotate(xyz, frames, axis, uniform_in(r, -max_angle, max_angle));
}

/* One past the last non-zero sample: where a clip's zero padding starts. */
static int sound_end(const float *x, int frames)
{
    while (frames > 0 && x[frames - 1] == 0.0f) frames--;
    return frames;
}

void ds_aug_trim(float *x, int frames, int head, int tail)
{
    if (frames <= 0) return;
    if (head > 0) ds_aug_time_shift(x, frames, 1, -head);
    int end = sound_end(x, frames), from = end - (tail > 0 ? tail : 0);
    if (from < 0) from = 0;
    memset(x + from, 0, (size_t)(end - from) * sizeof *x);
}

void ds_aug_noise_floor(float *x, int frames, float snr_db, ds_rng *r)
{
    int end = sound_end(x, frames);
    if (end <= 0) return;
    double e = 0;
    for (int i = 0; i < end; i++) e += (double)x[i] * x[i];
    float sigma = (float)(sqrt(e / end) * pow(10.0, -snr_db / 20.0));
    ds_aug_jitter(x, (size_t)end, sigma, r);
    ds_aug_gain(x, (size_t)end, 1.0f); /* clip to the PCM range */
}

void ds_augment(const ds_dataset *ds, float *x, const ds_aug_config *cfg, ds_rng *r)
{
    if (ds->kind == DS_AUDIO) {
        int frames = ds->dims[0], ch = ds->rank > 1 ? ds->dims[1] : 1;
        if (cfg->trim_max > 0 && ch == 1) {
            int head = (int)ds_rng_below(r, (uint32_t)cfg->trim_max + 1);
            ds_aug_trim(x, frames, head, (int)ds_rng_below(r, (uint32_t)cfg->trim_max + 1));
        }
        if (cfg->max_shift > 0)
            ds_aug_time_shift(x, frames, ch, (int)ds_rng_below(r, 2u * (uint32_t)cfg->max_shift + 1) - cfg->max_shift);
        if ((cfg->speed_min != 0 || cfg->speed_max != 0) && ch == 1)
            ds_aug_speed(x, frames, uniform_in(r, cfg->speed_min, cfg->speed_max));
        if (cfg->eq_max_db > 0 && ch == 1) ds_aug_eq(x, frames, ds->sample_rate, cfg->eq_max_db, r);
        if (cfg->gain_db_min != 0 || cfg->gain_db_max != 0) {
            float db = uniform_in(r, cfg->gain_db_min, cfg->gain_db_max);
            ds_aug_gain(x, ds->example_size, powf(10.0f, db / 20.0f));
        }
        if (cfg->snr_db_max > 0 && ch == 1)
            ds_aug_noise_floor(x, frames, uniform_in(r, cfg->snr_db_min, cfg->snr_db_max), r);
        if (cfg->n_noise > 0 && cfg->noise && cfg->noise_n && ds_rng_uniform(r) < cfg->noise_prob) {
            int k = (int)ds_rng_below(r, (uint32_t)cfg->n_noise);
            float volume = cfg->noise_max_volume * ds_rng_uniform(r);
            ds_aug_mix_noise(x, ds->example_size, cfg->noise[k], cfg->noise_n[k], volume, r);
        }
    } else if (ds->kind == DS_MOTION) {
        int frames = ds->dims[0], ch = ds->rank > 1 ? ds->dims[1] : 1;
        if (cfg->rotate_max > 0 && ch == 3) ds_aug_rotate_random(x, frames, cfg->rotate_max, r);
        if (cfg->scale_min != 0 || cfg->scale_max != 0) ds_aug_scale(x, frames, ch, cfg->scale_min, cfg->scale_max, r);
        if (cfg->jitter_sigma > 0) ds_aug_jitter(x, ds->example_size, cfg->jitter_sigma, r);
    }
}
