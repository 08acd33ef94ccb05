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

void ds_augment(const ds_dataset *ds, float *x, const ds_aug_config *cfg, ds_rng *r)
{
    if (ds->kind == DS_AUDIO) {
        int frames = ds->dims[0], ch = ds->rank > 1 ? ds->dims[1] : 1;
        if (cfg->max_shift > 0)
            ds_aug_time_shift(x, frames, ch, (int)ds_rng_below(r, 2u * (uint32_t)cfg->max_shift + 1) - cfg->max_shift);
        if ((cfg->speed_min != 0 || cfg->speed_max != 0) && ch == 1)
            ds_aug_speed(x, frames, uniform_in(r, cfg->speed_min, cfg->speed_max));
        if (cfg->gain_db_min != 0 || cfg->gain_db_max != 0) {
            float db = uniform_in(r, cfg->gain_db_min, cfg->gain_db_max);
            ds_aug_gain(x, ds->example_size, powf(10.0f, db / 20.0f));
        }
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
