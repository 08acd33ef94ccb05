/* LOGISTIC and TANH (int8 fixed point, float32) and the gemmlowp-style
 * primitives of mote/fixedpoint.h: interior values, range ends, zero points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "mote/kernel.h"
#include "node_harness.h"

#include "mote/fixedpoint.h"

/* The gemmlowp primitives against the real functions (gemmlowp's own
 * accuracy: exp about 2e-7, the others better). */
static void test_fixedpoint_primitives(void **state)
{
    (void)state;
    const double q31 = 2147483648.0;
    assert_int_equal(mote_fp_exp_on_negative_values(0, 5), INT32_MAX);
    for (int k = 1; k <= 40; k++) { /* Q5.26 inputs from -0.25 to -10 */
        const int32_t a = -(int32_t)(k * (1 << 24));
        const double got = mote_fp_exp_on_negative_values(a, 5) / q31;
        assert_true(fabs(got - exp(-k / 4.0)) < 3e-7);
    }
    assert_int_equal(mote_fp_exp_on_negative_values(INT32_MIN, 5) < 64, 1); /* exp(-32) */
    assert_true(fabs(mote_fp_one_over_one_plus_x_for_x_in_0_1(1 << 30) / q31 - 2.0 / 3.0) < 1e-8);
    assert_true(fabs(mote_fp_one_minus_x_over_one_plus_x_for_x_in_0_1(1 << 30) / q31 - 1.0 / 3.0) < 1e-8);
    assert_int_equal(mote_fp_logistic(0, 4), 1 << 30);
    assert_int_equal(mote_fp_tanh(0, 4), 0);
    assert_true(fabs(mote_fp_logistic(1 << 27, 4) / q31 - 0.7310585786) < 1e-7);  /* x = 1 */
    assert_true(fabs(mote_fp_logistic(-(1 << 27), 4) / q31 - 0.2689414214) < 1e-7);
    assert_true(fabs(mote_fp_tanh(3 << 26, 4) / q31 - 0.9051482536) < 5e-8);     /* x = 1.5 */
    assert_true(fabs(mote_fp_tanh(-(3 << 26), 4) / q31 + 0.9051482536) < 5e-8);
    assert_true(fabs(mote_fp_tanh(1 << 12, 3) / q31 - tanh(1.0 / 65536.0)) < 2e-7); /* Q3.28 */
    assert_int_equal(mote_fp_mul_pot(1 << 29, 2), INT32_MAX);
    assert_int_equal(mote_fp_mul_pot(-(1 << 29), 2), INT32_MIN);
    assert_int_equal(mote_fp_mul_pot(-5, -1), -3);
    assert_int_equal(mote_clz32(1), 31);
    assert_int_equal(mote_clz32(0), 32);
}

/* Scale 0.1: radius 120, so |x| >= 120 saturates; interior values are
 * logistic(x/10) * 256 - 128 rounded. */
static void test_logistic_s8(void **state)
{
    (void)state;
    const qparam qi = {0.1f, 0}, qo = {1.0f / 256.0f, -128};
    int8_t in[8] = {0, 10, -10, 127, -128, 119, 120, -120}, out[8];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 1, DIMS(8), &qi);
    mk(&t[1], out, MOTE_I8, 1, DIMS(8), &qo);
    assert_int_equal(run_node(MOTE_OP_LOGISTIC, t, 1, no_opts()), MOTE_OK);
    const int8_t want[8] = {0, 59, -59, 127, -128, 127, 127, -128}; /* 187.15, 68.85 */
    assert_memory_equal(out, want, 8);
}

/* Extreme zero point: input -128 is real 0. */
static void test_logistic_s8_zero_point(void **state)
{
    (void)state;
    const qparam qi = {0.05f, -128}, qo = {1.0f / 256.0f, -128};
    int8_t in[3] = {-128, -108, 127}, out[3];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 1, DIMS(3), &qi);
    mk(&t[1], out, MOTE_I8, 1, DIMS(3), &qo);
    assert_int_equal(run_node(MOTE_OP_LOGISTIC, t, 1, no_opts()), MOTE_OK);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 59); /* x = 1.0 */
    assert_int_equal(out[2], 127);
    const qparam bad = {1.0f / 256.0f, 0};
    mk(&t[1], out, MOTE_I8, 1, DIMS(3), &bad);
    assert_int_equal(run_node(MOTE_OP_LOGISTIC, t, 1, no_opts()), MOTE_ERR_PARAM);
}

static void test_tanh_s8(void **state)
{
    (void)state;
    const qparam qi = {0.1f, 0}, qo = {1.0f / 128.0f, 0};
    int8_t in[7] = {0, 5, -5, 20, 127, -128, -119}, out[7];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 1, DIMS(7), &qi);
    mk(&t[1], out, MOTE_I8, 1, DIMS(7), &qo);
    assert_int_equal(run_node(MOTE_OP_TANH, t, 1, no_opts()), MOTE_OK);
    /* 59.15, -59.15, 123.39, saturated, saturated, -127.99 -> -128 */
    const int8_t want[7] = {0, 59, -59, 123, 127, -128, -128};
    assert_memory_equal(out, want, 7);
}

static void test_logistic_tanh_f32(void **state)
{
    (void)state;
    float in[5] = {0.0f, 1.0f, -10.0f, 20.0f, 0.5f}, out[5];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_F32, 1, DIMS(5), NULL);
    mk(&t[1], out, MOTE_F32, 1, DIMS(5), NULL);
    assert_int_equal(run_node(MOTE_OP_LOGISTIC, t, 1, no_opts()), MOTE_OK);
    assert_float_equal(out[0], 0.5f, 0.0f);
    assert_float_equal(out[1], 0.7310586f, 1e-7f);
    assert_float_equal(out[2], 4.539993e-05f, 1e-11f); /* exp(x) below -9 */
    assert_float_equal(out[3], 1.0f, 0.0f);            /* above the upper cut-off */
    assert_int_equal(run_node(MOTE_OP_TANH, t, 1, no_opts()), MOTE_OK);
    assert_float_equal(out[0], 0.0f, 0.0f);
    assert_float_equal(out[4], 0.46211716f, 1e-7f);
    assert_float_equal(out[2], -1.0f, 1e-7f);
}

static void test_activation_type_errors(void **state)
{
    (void)state;
    int16_t in[2] = {0}, out[2];
    const qparam q = {1.0f / 4096.0f, 0};
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I16, 1, DIMS(2), &q);
    mk(&t[1], out, MOTE_I16, 1, DIMS(2), &q);
    assert_int_equal(run_node(MOTE_OP_TANH, t, 1, no_opts()), MOTE_ERR_TYPE);
    assert_int_equal(run_node(MOTE_OP_LOGISTIC, t, 1, no_opts()), MOTE_ERR_TYPE);
    float f[2];
    mk(&t[1], f, MOTE_F32, 1, DIMS(2), NULL);
    assert_int_equal(run_node(MOTE_OP_TANH, t, 1, no_opts()), MOTE_ERR_TYPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixedpoint_primitives),
        cmocka_unit_test(test_logistic_s8),
        cmocka_unit_test(test_logistic_s8_zero_point),
        cmocka_unit_test(test_tanh_s8),
        cmocka_unit_test(test_logistic_tanh_f32),
        cmocka_unit_test(test_activation_type_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
