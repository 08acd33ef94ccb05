/* mote runtime: computing fixed-point multipliers (prepare time only). */
#include <math.h>

#include "mote/mote.h"
#include "mote/quant.h"

void mote_quantize_multiplier(double m, int32_t *q, int *shift)
{
    if (m == 0.0) {
        *q = 0;
        *shift = 0;
        return;
    }
    int e = 0;
    double frac = frexp(m, &e);
    int64_t qf = (int64_t)round(frac * (double)(1LL << 31));
    if (qf == (1LL << 31)) {
        qf /= 2;
        e++;
    }
    if (e < -31) { /* too small to represent: TFLite flushes to zero */
        e = 0;
        qf = 0;
    } else if (e > 30) { /* absurd scales (only corrupt files): saturate so shifts stay defined */
        e = 30;
        qf = INT32_MAX;
    }
    *q = (int32_t)qf;
    *shift = e;
}

void mote_act_range_q(int act, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                      int32_t *lo, int32_t *hi)
{
    /* TFLite quantizes the float bounds with round-half-away and clamps. */
#define QUANT(f) (zero_point + (int32_t)round((double)((f) / scale)))
    int32_t a = qmin, b = qmax;
    if (act == MOTE_ACT_RELU) {
        int32_t z = QUANT(0.0f);
        a = z > qmin ? z : qmin;
    } else if (act == MOTE_ACT_RELU6) {
        int32_t z = QUANT(0.0f), s = QUANT(6.0f);
        a = z > qmin ? z : qmin;
        b = s < qmax ? s : qmax;
    } else if (act == MOTE_ACT_RELU_N1_TO_1) {
        int32_t n = QUANT(-1.0f), p = QUANT(1.0f);
        a = n > qmin ? n : qmin;
        b = p < qmax ? p : qmax;
    }
#undef QUANT
    *lo = a;
    *hi = b;
}

void mote_act_range_f(int act, float *lo, float *hi)
{
    /* TFLite clamps with the largest finite floats, so an infinity becomes FLT_MAX */
    *lo = -3.40282347e+38f;
    *hi = 3.40282347e+38f;
    if (act == MOTE_ACT_RELU) {
        *lo = 0.0f;
    } else if (act == MOTE_ACT_RELU6) {
        *lo = 0.0f;
        *hi = 6.0f;
    } else if (act == MOTE_ACT_RELU_N1_TO_1) {
        *lo = -1.0f;
        *hi = 1.0f;
    }
}
