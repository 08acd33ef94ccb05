/* mote runtime: TFLite's integer arithmetic.
 *
 * These follow TFLite's reference semantics exactly (see docs/arithmetic.md):
 * a real multiplier M is stored as a Q31 mantissa and a power-of-two shift;
 * products are rounded with SaturatingRoundingDoublingHighMul followed by a
 * round-half-away-from-zero arithmetic right shift. Any deviation shows up as
 * one-LSB differences against TFLM's golden outputs.
 */
#ifndef MOTE_QUANT_H
#define MOTE_QUANT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* M = q * 2^shift, q in [2^30, 2^31) (or 0). Computed in double as TFLite does. */
void mote_quantize_multiplier(double m, int32_t *q, int *shift);
/* round(a * b / 2^31) with the single overflow case saturated. */
static inline int32_t mote_srdhm(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* C99 division truncates toward zero, as gemmlowp relies on. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded half away from zero (gemmlowp RoundingDivideByPOT). */
static inline int32_t mote_rdivpot(int32_t x, int exponent)
{
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier (double rounding, the reference default). */
static inline int32_t mote_mul_qm(int32_t x, int32_t q, int shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    return mote_rdivpot(mote_srdhm((int32_t)((uint32_t)x << left), q), right);
}

/* a + b saturated to int32. For valid models it equals a + b; it keeps corrupt
 * scales from overflowing before the final clamp. */
static inline int32_t mote_add_sat(int32_t a, int32_t b)
{
    int64_t s = (int64_t)a + b;
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

/* Activation clamp for a quantized output, TFLite CalculateActivationRangeQuantized.
 * qmin/qmax are the dtype's limits. */
void mote_act_range_q(int act, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                      int32_t *lo, int32_t *hi);
/* Activation clamp for float outputs. */
void mote_act_range_f(int act, float *lo, float *hi);

static inline int32_t mote_clamp_i32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}
static inline float mote_clamp_f(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

#ifdef __cplusplus
}
#endif
#endif
