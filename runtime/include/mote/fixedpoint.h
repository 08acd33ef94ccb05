/* mote runtime: gemmlowp-style fixed-point math on int32 raw values.
 *
 * A value in format Qm (m integer bits, 31 - m fractional bits) is an int32
 * raw r meaning r / 2^(31-m). The integer-bit count is a run-time argument
 * here instead of a template parameter. Every function reproduces the
 * rounding of gemmlowp's fixedpoint.h bit for bit, which TFLite's softmax,
 * logistic, tanh and LSTM kernels depend on. Header-only, static inline.
 */
#ifndef MOTE_FIXEDPOINT_H
#define MOTE_FIXEDPOINT_H

#include <stdint.h>

#include "mote/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wrapping add/sub/neg: gemmlowp uses plain int arithmetic, which never
 * overflows on valid inputs; wrapping keeps the rare edge case defined. */
static inline int32_t mote_fp_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}
static inline int32_t mote_fp_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}
static inline int32_t mote_fp_neg(int32_t a)
{
    return (int32_t)(0u - (uint32_t)a);
}

/* Fixed-point product: integer bits add up (Qa * Qb -> Q(a+b)). */
static inline int32_t mote_fp_mul(int32_t a, int32_t b)
{
    return mote_srdhm(a, b);
}

/* x * 2^exponent: saturating for exponent > 0, rounding for exponent < 0. */
static inline int32_t mote_fp_mul_pot(int32_t x, int exponent)
{
    if (exponent > 0) {
        const int32_t limit = (int32_t)((1u << (31 - exponent)) - 1u);
        if (x > limit) return INT32_MAX;
        if (x < -limit) return INT32_MIN;
        return (int32_t)((uint32_t)x << exponent);
    }
    if (exponent < 0) return mote_rdivpot(x, -exponent);
    return x;
}

/* Change format Q(src_bits) -> Q(dst_bits). */
static inline int32_t mote_fp_rescale(int32_t x, int src_bits, int dst_bits)
{
    return mote_fp_mul_pot(x, src_bits - dst_bits);
}

/* (a + b) / 2 rounded half away from zero. */
static inline int32_t mote_fp_rounding_half_sum(int32_t a, int32_t b)
{
    int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* The value one in Qm (Q0 saturates to the largest raw value). */
static inline int32_t mote_fp_one(int integer_bits)
{
    return integer_bits == 0 ? INT32_MAX : (int32_t)(1u << (31 - integer_bits));
}

/* Count of leading zero bits; 32 for 0. */
static inline int mote_clz32(uint32_t x)
{
    int n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* exp(a) for a in [-1/4, 0), Q0 in and out: Taylor series around -1/8. */
static inline int32_t mote_fp_exp_neg_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0 */
    const int32_t one_third = 715827883;
    int32_t x = mote_fp_add(a, 1 << 28); /* x = a + 1/8 */
    int32_t x2 = mote_fp_mul(x, x);
    int32_t x3 = mote_fp_mul(x2, x);
    int32_t x4 = mote_fp_mul(x2, x2);
    int32_t x4_over_4 = mote_fp_mul_pot(x4, -2);
    int32_t poly = mote_fp_mul_pot(
        mote_fp_add(mote_fp_mul(mote_fp_add(x4_over_4, x3), one_third), x2), -1);
    return mote_fp_add(exp_minus_one_eighth,
                       mote_fp_mul(exp_minus_one_eighth, mote_fp_add(x, poly)));
}

/* exp(a) for a <= 0; a in Q(integer_bits), result in Q0. The argument is
 * split into a multiple of 1/4 plus a remainder in [-1/4, 0); each set bit
 * of the multiple multiplies in a constant exp(-2^k). */
static inline int32_t mote_fp_exp_on_negative_values(int32_t a, int integer_bits)
{
    static const int32_t exp_neg_pow2[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1) */
        290630308,  /* exp(-2) */
        39332535,   /* exp(-4) */
        720401,     /* exp(-8) */
        242,        /* exp(-16) */
    };
    const int frac_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)(1u << (frac_bits - 2));
    int32_t a_mod_quarter_minus_quarter = mote_fp_sub(a & (one_quarter - 1), one_quarter);
    int32_t result = mote_fp_exp_neg_quarter(
        mote_fp_rescale(a_mod_quarter_minus_quarter, integer_bits, 0));
    int32_t remainder = mote_fp_sub(a_mod_quarter_minus_quarter, a);
    for (int k = -2; k <= 4; k++) {
        if (integer_bits > k && (remainder & (int32_t)(1u << (frac_bits + k))))
            result = mote_fp_mul(result, exp_neg_pow2[k + 2]);
    }
    if (integer_bits > 5) {
        /* below -32 the result is zero */
        const int32_t minus_32 = (int32_t)(0u - (1u << (36 - integer_bits)));
        if (a < minus_32) result = 0;
    }
    if (a == 0) result = INT32_MAX;
    return result;
}

/* Newton-Raphson for 1 / (1 + a) with a in [0, 1) (Q0); returns the Q2
 * iterate x approximating 2 / (1 + a). */
static inline int32_t mote_fp_newton_two_over_one_plus_x(int32_t a)
{
    const int32_t c48_over_17 = 1515870810;      /* Q2 */
    const int32_t c_neg32_over_17 = -1010580540; /* Q2 */
    const int32_t one_q2 = 1 << 29;
    int32_t half_den = mote_fp_rounding_half_sum(a, INT32_MAX);
    int32_t x = mote_fp_add(c48_over_17, mote_fp_mul(half_den, c_neg32_over_17));
    for (int i = 0; i < 3; i++) {
        int32_t err = mote_fp_sub(one_q2, mote_fp_mul(half_den, x));
        x = mote_fp_add(x, mote_fp_rescale(mote_fp_mul(x, err), 4, 2));
    }
    return x;
}

/* 1 / (1 + a) for a in [0, 1), Q0 in and out. */
static inline int32_t mote_fp_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    /* x / 2 read as Q1, then rescaled to Q0 */
    return mote_fp_rescale(mote_fp_newton_two_over_one_plus_x(a), 1, 0);
}

/* (1 - a) / (1 + a) for a in [0, 1), Q0 in and out. */
static inline int32_t mote_fp_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    return mote_fp_rescale(mote_fp_sub(mote_fp_newton_two_over_one_plus_x(a), 1 << 29), 2, 0);
}

/* logistic(a) = 1 / (1 + exp(-a)); a in Q(integer_bits), result in Q0. */
static inline int32_t mote_fp_logistic(int32_t a, int integer_bits)
{
    if (a == 0) return 1 << 30;
    int32_t abs_a = a > 0 ? a : mote_fp_neg(a);
    int32_t pos = mote_fp_one_over_one_plus_x_for_x_in_0_1(
        mote_fp_exp_on_negative_values(mote_fp_neg(abs_a), integer_bits));
    return a > 0 ? pos : mote_fp_sub(INT32_MAX, pos);
}

/* tanh(a); a in Q(integer_bits), result in Q0. Uses
 * tanh(|a|) = (1 - exp(-2|a|)) / (1 + exp(-2|a|)). */
static inline int32_t mote_fp_tanh(int32_t a, int integer_bits)
{
    if (a == 0) return 0;
    int32_t neg_abs = a < 0 ? a : mote_fp_neg(a);
    /* same raw read with one more integer bit = 2 * neg_abs */
    int32_t t = mote_fp_one_minus_x_over_one_plus_x_for_x_in_0_1(
        mote_fp_exp_on_negative_values(neg_abs, integer_bits + 1));
    return a < 0 ? mote_fp_neg(t) : t;
}

#ifdef __cplusplus
}
#endif
#endif
