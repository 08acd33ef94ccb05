/* Choosing an activation's int8 range from its calibration histogram.
 *
 * The error of a range is estimated per histogram bin: a bin inside the range costs the rounding noise of
 * a uniform quantizer (step^2 / 12 per value), a bin outside costs its distance to the nearer end,
 * squared. Clipping rare outliers trades a little of the second for a finer step for everyone else. */
#include <math.h>
#include <string.h>

#include "quant/quant.h"

static const char *const names[] = {"minmax", "percentile", "mse", "auto"};

const char *mote_range_method_name(mote_range_method m)
{
    return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "?";
}

int mote_range_method_parse(const char *s, mote_range_method *m)
{
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i])) {
            *m = (mote_range_method)i;
            return 0;
        }
    return -1;
}

mote_ptq_opts mote_ptq_defaults(void)
{
    return (mote_ptq_opts){.method = MOTE_RANGE_PERCENTILE, .percentile = 99.99, .bias_correction = 1};
}

void mote_act_params(double lo, double hi, float *scale, int32_t *zero_point)
{
    if (lo > 0.0) lo = 0.0;
    if (hi < 0.0) hi = 0.0;
    if (!(hi - lo > 1e-8)) hi = lo + 1e-8; /* a constant-zero tensor: any positive scale */
    double s = (hi - lo) / 255.0;
    /* TFLite's nudged zero point: qmin - lo / scale, rounded, inside [qmin, qmax] */
    double z = -128.0 - lo / s;
    *zero_point = z <= -128.0 ? -128 : z >= 127.0 ? 127 : (int32_t)lround(z);
    *scale = (float)s;
}

/* Expected squared error per value of quantizing s's values to the int8 grid of [lo, hi]. */
static double range_mse(const mote_act_stats *s, double lo, double hi)
{
    float scale;
    int32_t zp;
    mote_act_params(lo, hi, &scale, &zp);
    const double step = scale;
    const double qlo = step * (-128 - zp), qhi = step * (127 - zp); /* the grid's real ends */
    const double w = (s->hi - s->lo) / MOTE_CALIB_BINS;
    double err = 0.0, total = 0.0;
    for (int b = 0; b < MOTE_CALIB_BINS; b++) {
        uint64_t n = s->hist[b];
        if (!n) continue;
        double x = s->lo + (b + 0.5) * w;
        double e = x < qlo ? (qlo - x) * (qlo - x) : x > qhi ? (x - qhi) * (x - qhi) : step * step / 12.0;
        err += (double)n * e;
        total += (double)n;
    }
    return total > 0.0 ? err / total : 0.0;
}

/* The value below which `frac` of the histogram's mass lies. */
static double quantile(const mote_act_stats *s, double frac)
{
    uint64_t total = 0;
    for (int b = 0; b < MOTE_CALIB_BINS; b++) total += s->hist[b];
    const double w = (s->hi - s->lo) / MOTE_CALIB_BINS;
    double want = frac * (double)total, acc = 0.0;
    for (int b = 0; b < MOTE_CALIB_BINS; b++) {
        double n = (double)s->hist[b];
        if (acc + n >= want && n > 0.0) return s->lo + w * (b + (want - acc) / n);
        acc += n;
    }
    return s->hi;
}

static mote_act_choice choice(const mote_act_stats *s, mote_range_method m, double lo, double hi)
{
    if (lo > 0.0) lo = 0.0;
    if (hi < 0.0) hi = 0.0;
    mote_act_choice c = {.tensor = s->tensor, .method = m, .lo = lo, .hi = hi};
    c.mse = s->hist ? range_mse(s, lo, hi) : 0.0;
    mote_act_params(lo, hi, &c.scale, &c.zero_point);
    return c;
}

/* Shrink factors tried for each end: geometric from 1 down to about 0.05. */
#define MSE_STEPS 40
#define MSE_RATIO 0.93

static mote_act_choice best_mse(const mote_act_stats *s)
{
    mote_act_choice best = choice(s, MOTE_RANGE_MSE, s->lo, s->hi);
    const int lo_steps = s->lo < 0.0 ? MSE_STEPS : 1, hi_steps = s->hi > 0.0 ? MSE_STEPS : 1;
    double flo = 1.0;
    for (int i = 0; i < lo_steps; i++, flo *= MSE_RATIO) {
        double fhi = 1.0;
        for (int j = 0; j < hi_steps; j++, fhi *= MSE_RATIO) {
            double e = range_mse(s, s->lo * flo, s->hi * fhi);
            if (e < best.mse) best = choice(s, MOTE_RANGE_MSE, s->lo * flo, s->hi * fhi);
        }
    }
    return best;
}

mote_act_choice mote_range_choose(const mote_act_stats *s, mote_range_method m, double percentile)
{
    if (!s->hist || !(s->hi > s->lo)) m = MOTE_RANGE_MINMAX;
    mote_act_choice mm = choice(s, MOTE_RANGE_MINMAX, s->lo, s->hi);
    if (m == MOTE_RANGE_MINMAX) return mm;
    const double tail = (100.0 - percentile) / 100.0;
    mote_act_choice pc = choice(s, MOTE_RANGE_PERCENTILE, s->lo < 0.0 ? quantile(s, tail) : 0.0,
                                s->hi > 0.0 ? quantile(s, 1.0 - tail) : 0.0);
    if (m == MOTE_RANGE_PERCENTILE) return pc;
    mote_act_choice ms = best_mse(s);
    if (m == MOTE_RANGE_MSE) return ms;
    /* AUTO: the least error; ties go to the widest (min/max first) */
    mote_act_choice best = mm;
    if (pc.mse < best.mse) best = pc;
    if (ms.mse < best.mse) best = ms;
    return best;
}
