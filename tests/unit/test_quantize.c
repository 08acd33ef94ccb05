/* QUANTIZE (float32 -> int8/int16, integer requantization) and DEQUANTIZE:
 * TFLite rounding, ties, saturation, extreme zero points, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "mote/kernel.h"
#include "node_harness.h"

/* scale 0.5, zero point -1: x/0.5 rounded half away from zero, + zp. */
static void test_quantize_f32_s8(void **state)
{
    (void)state;
    const qparam qo = {0.5f, -1};
    float in[7] = {1.0f, 0.25f, -0.25f, 0.75f, 1000.0f, -1000.0f, -64.0f};
    int8_t out[7];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_F32, 2, DIMS(1, 7), NULL);
    mk(&t[1], out, MOTE_I8, 2, DIMS(1, 7), &qo);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_OK);
    const int8_t want[7] = {1, 0, -2, 1, 127, -128, -128}; /* 0.5 -> 1, -0.5 -> -1, 1.5 -> 2 */
    assert_memory_equal(out, want, 7);
}

static void test_quantize_f32_s16(void **state)
{
    (void)state;
    const qparam qo = {1.0f / 32768.0f, 0};
    float in[4] = {0.5f, 1.0f, -1.0f, -2.0f};
    int16_t out[4];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_F32, 1, DIMS(4), NULL);
    mk(&t[1], out, MOTE_I16, 1, DIMS(4), &qo);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_OK);
    assert_int_equal(out[0], 16384);
    assert_int_equal(out[1], INT16_MAX);
    assert_int_equal(out[2], INT16_MIN);
    assert_int_equal(out[3], INT16_MIN);
}

/* int8 -> int8: in scale 1, out scale 0.5 zp 10 (x2 + 10), then saturation. */
static void test_requantize_s8(void **state)
{
    (void)state;
    const qparam qi = {1.0f, 0}, qo = {0.5f, 10}, qh = {2.0f, -128};
    int8_t in[4] = {3, 100, -100, -3}, out[4];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 1, DIMS(4), &qi);
    mk(&t[1], out, MOTE_I8, 1, DIMS(4), &qo);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_OK);
    const int8_t want[4] = {16, 127, -128, 4};
    assert_memory_equal(out, want, 4);
    /* halving: 3/2 = 1.5 -> 2, -3/2 -> -1 (the high-mul rounds ties up) */
    mk(&t[1], out, MOTE_I8, 1, DIMS(4), &qh);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_OK);
    assert_int_equal(out[0], -126);
    assert_int_equal(out[1], -78);
    assert_int_equal(out[2], -128); /* -178 clamps */
    assert_int_equal(out[3], -128); /* -1 - 128 clamps */
}

static void test_requantize_widening(void **state)
{
    (void)state;
    const qparam qi = {1.0f, -128}, qo = {1.0f, 0};
    int8_t in[3] = {-128, 127, 0};
    int16_t out16[3];
    int32_t out32[3];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 1, DIMS(3), &qi);
    mk(&t[1], out16, MOTE_I16, 1, DIMS(3), &qo);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_OK);
    assert_int_equal(out16[0], 0);
    assert_int_equal(out16[1], 255);
    assert_int_equal(out16[2], 128);
    mk(&t[1], out32, MOTE_I32, 1, DIMS(3), &qo);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_OK);
    assert_int_equal(out32[1], 255);
    /* int16 -> int8 narrowing with a scale change of 256 */
    const qparam q16 = {1.0f / 256.0f, 0}, q8 = {1.0f, 0};
    int16_t w[3] = {256 * 5, -256 * 7 - 128, 32767};
    int8_t n8[3];
    mk(&t[0], w, MOTE_I16, 1, DIMS(3), &q16);
    mk(&t[1], n8, MOTE_I8, 1, DIMS(3), &q8);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_OK);
    assert_int_equal(n8[0], 5);
    assert_int_equal(n8[1], -8); /* -7.5: the rounding shift goes away from zero */
    assert_int_equal(n8[2], 127); /* 127.996 rounds to 128, clamps */
}

static void test_quantize_errors(void **state)
{
    (void)state;
    float in[2] = {0};
    int8_t out[2];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_F32, 1, DIMS(2), NULL);
    mk(&t[1], out, MOTE_I8, 1, DIMS(2), NULL);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_ERR_PARAM);
    float f[2];
    mk(&t[1], f, MOTE_F32, 1, DIMS(2), NULL);
    assert_int_equal(run_node(MOTE_OP_QUANTIZE, t, 1, no_opts()), MOTE_ERR_TYPE);
}

static void test_dequantize(void **state)
{
    (void)state;
    const qparam q8 = {0.5f, -128}, q16 = {0.25f, 0};
    int8_t in[3] = {-128, 127, 0};
    int16_t in16[2] = {-4, 32767};
    float out[3];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 1, DIMS(3), &q8);
    mk(&t[1], out, MOTE_F32, 1, DIMS(3), NULL);
    assert_int_equal(run_node(MOTE_OP_DEQUANTIZE, t, 1, no_opts()), MOTE_OK);
    assert_float_equal(out[0], 0.0f, 0.0f);
    assert_float_equal(out[1], 127.5f, 0.0f);
    assert_float_equal(out[2], 64.0f, 0.0f);
    mk(&t[0], in16, MOTE_I16, 1, DIMS(2), &q16);
    mk(&t[1], out, MOTE_F32, 1, DIMS(2), NULL);
    assert_int_equal(run_node(MOTE_OP_DEQUANTIZE, t, 1, no_opts()), MOTE_OK);
    assert_float_equal(out[0], -1.0f, 0.0f);
    assert_float_equal(out[1], 8191.75f, 0.0f);
    mk(&t[0], in16, MOTE_I16, 1, DIMS(2), NULL);
    assert_int_equal(run_node(MOTE_OP_DEQUANTIZE, t, 1, no_opts()), MOTE_ERR_PARAM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_f32_s8),
        cmocka_unit_test(test_quantize_f32_s16),
        cmocka_unit_test(test_requantize_s8),
        cmocka_unit_test(test_requantize_widening),
        cmocka_unit_test(test_quantize_errors),
        cmocka_unit_test(test_dequantize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
