/* ADD and MUL: int8 (TFLite rescaling), int16, int32, float32, broadcasting,
 * fused activations, saturation and extreme zero points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "mote/kernel.h"
#include "node_harness.h"

static mote_opts act_opts(int act)
{
    mote_opts o = no_opts();
    o.activation = (uint8_t)act;
    return o;
}

/* 0.5*x + 0.5*y at output scale 1: exact sums, then the clamp at 127/-128. */
static void test_add_s8_same_scale(void **state)
{
    (void)state;
    const qparam qi = {0.5f, 0}, qo = {1.0f, 0};
    int8_t a[5] = {10, -20, 127, -128, 3}, b[5] = {6, 4, 127, -128, 0}, o[5];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 1, DIMS(5), &qi);
    mk(&t[1], b, MOTE_I8, 1, DIMS(5), &qi);
    mk(&t[2], o, MOTE_I8, 1, DIMS(5), &qo);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_OK);
    const int8_t want[5] = {8, -8, 127, -128, 2}; /* 1.5 rounds away from zero */
    assert_memory_equal(o, want, 5);
}

/* Zero points at both extremes: real values 0+0, 10-5, 12.7+(-25.5). */
static void test_add_s8_extreme_zero_points(void **state)
{
    (void)state;
    const qparam q1 = {0.1f, -128}, q2 = {0.1f, 127}, qo = {0.2f, -128};
    int8_t a[3] = {-128, -28, 127}, b[3] = {127, 77, -128}, o[3];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 1, DIMS(3), &q1);
    mk(&t[1], b, MOTE_I8, 1, DIMS(3), &q2);
    mk(&t[2], o, MOTE_I8, 1, DIMS(3), &qo);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_OK);
    const int8_t want[3] = {-128, -103, -128}; /* 0, 5.0 -> 25, -12.8 clamps */
    assert_memory_equal(o, want, 3);
}

/* Different input scales and RELU: negative sums clamp at the zero point. */
static void test_add_s8_relu_mixed_scales(void **state)
{
    (void)state;
    const qparam q1 = {0.25f, 0}, q2 = {1.0f, 0}, qo = {0.5f, 3};
    int8_t a[4] = {8, -40, 100, 0}, b[4] = {1, 2, 100, -1}, o[4];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 1, DIMS(4), &q1);
    mk(&t[1], b, MOTE_I8, 1, DIMS(4), &q2);
    mk(&t[2], o, MOTE_I8, 1, DIMS(4), &qo);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, act_opts(MOTE_ACT_RELU)), MOTE_OK);
    /* 2+1=3 -> 6+3; -10+2=-8 -> relu 0 -> 3; 25+100 -> clamp 127; -1 -> 3 */
    const int8_t want[4] = {9, 3, 127, 3};
    assert_memory_equal(o, want, 4);
}

/* [2,1] + [1,3] -> [2,3] and [2,3] + [3] -> [2,3]. */
static void test_add_s8_broadcast(void **state)
{
    (void)state;
    const qparam q = {1.0f, 0}, qo = {2.0f, 0};
    int8_t a[2] = {10, -10}, b[3] = {2, 4, 6}, o[6];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 2, DIMS(2, 1), &q);
    mk(&t[1], b, MOTE_I8, 2, DIMS(1, 3), &q);
    mk(&t[2], o, MOTE_I8, 2, DIMS(2, 3), &qo);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_OK);
    const int8_t want[6] = {6, 7, 8, -4, -3, -2};
    assert_memory_equal(o, want, 6);

    int8_t c[6] = {0, 1, 2, 3, 4, 5}, d[3] = {10, 20, 30};
    mk(&t[0], c, MOTE_I8, 2, DIMS(2, 3), &q);
    mk(&t[1], d, MOTE_I8, 1, DIMS(3), &q);
    mk(&t[2], o, MOTE_I8, 2, DIMS(2, 3), &q);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_OK);
    const int8_t want2[6] = {10, 21, 32, 13, 24, 35};
    assert_memory_equal(o, want2, 6);
}

static void test_add_f32_broadcast_relu6(void **state)
{
    (void)state;
    float a[6] = {1, 2, 3, -4, 5, 6}, b[3] = {0.5f, -1.0f, 4.0f}, o[6];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_F32, 3, DIMS(2, 1, 3), NULL);
    mk(&t[1], b, MOTE_F32, 1, DIMS(3), NULL);
    mk(&t[2], o, MOTE_F32, 3, DIMS(2, 1, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, act_opts(MOTE_ACT_RELU6)), MOTE_OK);
    const float want[6] = {1.5f, 1.0f, 6.0f, 0.0f, 4.0f, 6.0f};
    for (int i = 0; i < 6; i++) assert_float_equal(o[i], want[i], 0.0f);
}

static void test_add_i32_wraps_and_broadcasts_scalar(void **state)
{
    (void)state;
    int32_t a[3] = {INT32_MAX, -5, 100}, b[1] = {1}, o[3];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I32, 1, DIMS(3), NULL);
    mk(&t[1], b, MOTE_I32, 0, DIMS(1), NULL);
    mk(&t[2], o, MOTE_I32, 1, DIMS(3), NULL);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_OK);
    assert_int_equal(o[0], INT32_MIN);
    assert_int_equal(o[1], -4);
    assert_int_equal(o[2], 101);
}

static void test_add_s16(void **state)
{
    (void)state;
    const qparam q = {1.0f / 32768.0f, 0};
    int16_t a[3] = {1000, 30000, -30000}, b[3] = {2000, 30000, -30000}, o[3];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I16, 1, DIMS(3), &q);
    mk(&t[1], b, MOTE_I16, 1, DIMS(3), &q);
    mk(&t[2], o, MOTE_I16, 1, DIMS(3), &q);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_OK);
    assert_int_equal(o[0], 3000);
    assert_int_equal(o[1], INT16_MAX);
    assert_int_equal(o[2], INT16_MIN);
}

static void test_add_rejects_bad_shapes(void **state)
{
    (void)state;
    float a[6] = {0}, b[4] = {0}, o[6];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_F32, 2, DIMS(2, 3), NULL);
    mk(&t[1], b, MOTE_F32, 1, DIMS(4), NULL);
    mk(&t[2], o, MOTE_F32, 2, DIMS(2, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_ERR_SHAPE);
    mk(&t[1], b, MOTE_F32, 1, DIMS(3), NULL);
    mk(&t[2], o, MOTE_F32, 2, DIMS(3, 2), NULL);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_ERR_SHAPE);
    int8_t c[6];
    mk(&t[1], c, MOTE_I8, 2, DIMS(2, 3), NULL);
    mk(&t[2], o, MOTE_F32, 2, DIMS(2, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_ADD, t, 2, no_opts()), MOTE_ERR_TYPE);
}

/* (0.5x)(0.5y) / 0.25 = x*y: exact, then saturation and a zero point. */
static void test_mul_s8(void **state)
{
    (void)state;
    const qparam qa = {0.5f, 10}, qb = {0.5f, 0}, qo = {0.25f, -1};
    int8_t a[4] = {14, 10, 127, -128}, b[4] = {6, 100, 127, 127}, o[4];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 1, DIMS(4), &qa);
    mk(&t[1], b, MOTE_I8, 1, DIMS(4), &qb);
    mk(&t[2], o, MOTE_I8, 1, DIMS(4), &qo);
    assert_int_equal(run_node(MOTE_OP_MUL, t, 2, no_opts()), MOTE_OK);
    const int8_t want[4] = {23, -1, 127, -128}; /* 4*6-1, 0*100-1, clamp, clamp */
    assert_memory_equal(o, want, 4);
}

/* Multiplier 0.5 is a pure SaturatingRoundingDoublingHighMul (shift 0),
 * which rounds ties up: 1.5 -> 2 but -1.5 -> -1. */
static void test_mul_s8_rounding_broadcast(void **state)
{
    (void)state;
    const qparam q = {1.0f, 0}, qo = {2.0f, 0};
    int8_t a[1] = {3}, b[4] = {1, -1, 3, -3}, o[4];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 1, DIMS(1), &q);
    mk(&t[1], b, MOTE_I8, 2, DIMS(2, 2), &q);
    mk(&t[2], o, MOTE_I8, 2, DIMS(2, 2), &qo);
    assert_int_equal(run_node(MOTE_OP_MUL, t, 2, no_opts()), MOTE_OK);
    const int8_t want[4] = {2, -1, 5, -4}; /* 1.5, -1.5, 4.5, -4.5 */
    assert_memory_equal(o, want, 4);
}

static void test_mul_i32_relu6_and_f32(void **state)
{
    (void)state;
    int32_t a[3] = {2, 4, -1}, b[3] = {3, 5, 3}, o[3];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I32, 1, DIMS(3), NULL);
    mk(&t[1], b, MOTE_I32, 1, DIMS(3), NULL);
    mk(&t[2], o, MOTE_I32, 1, DIMS(3), NULL);
    assert_int_equal(run_node(MOTE_OP_MUL, t, 2, act_opts(MOTE_ACT_RELU6)), MOTE_OK);
    assert_int_equal(o[0], 6);
    assert_int_equal(o[1], 6);
    assert_int_equal(o[2], 0);
    assert_int_equal(run_node(MOTE_OP_MUL, t, 2, no_opts()), MOTE_OK);
    assert_int_equal(o[1], 20);
    assert_int_equal(o[2], -3);

    float x[4] = {1.5f, -2.0f, 3.0f, 0.25f}, y[2] = {2.0f, -0.5f}, z[4];
    mk(&t[0], x, MOTE_F32, 2, DIMS(2, 2), NULL);
    mk(&t[1], y, MOTE_F32, 1, DIMS(2), NULL);
    mk(&t[2], z, MOTE_F32, 2, DIMS(2, 2), NULL);
    assert_int_equal(run_node(MOTE_OP_MUL, t, 2, no_opts()), MOTE_OK);
    const float want[4] = {3.0f, 1.0f, 6.0f, -0.125f};
    for (int i = 0; i < 4; i++) assert_float_equal(z[i], want[i], 0.0f);
}

static void test_mul_s16(void **state)
{
    (void)state;
    const qparam q = {1.0f / 32768.0f, 0}, qz = {1.0f / 32768.0f, 5};
    int16_t a[3] = {16384, -32768, 8192}, b[3] = {16384, -32768, -16384}, o[3];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I16, 1, DIMS(3), &q);
    mk(&t[1], b, MOTE_I16, 1, DIMS(3), &q);
    mk(&t[2], o, MOTE_I16, 1, DIMS(3), &q);
    assert_int_equal(run_node(MOTE_OP_MUL, t, 2, no_opts()), MOTE_OK);
    assert_int_equal(o[0], 8192);      /* 0.5 * 0.5 */
    assert_int_equal(o[1], INT16_MAX); /* (-1)(-1) saturates */
    assert_int_equal(o[2], -4096);     /* 0.25 * -0.5 */
    mk(&t[2], o, MOTE_I16, 1, DIMS(3), &qz);
    assert_int_equal(run_node(MOTE_OP_MUL, t, 2, no_opts()), MOTE_ERR_PARAM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_s8_same_scale),
        cmocka_unit_test(test_add_s8_extreme_zero_points),
        cmocka_unit_test(test_add_s8_relu_mixed_scales),
        cmocka_unit_test(test_add_s8_broadcast),
        cmocka_unit_test(test_add_f32_broadcast_relu6),
        cmocka_unit_test(test_add_i32_wraps_and_broadcasts_scalar),
        cmocka_unit_test(test_add_s16),
        cmocka_unit_test(test_add_rejects_bad_shapes),
        cmocka_unit_test(test_mul_s8),
        cmocka_unit_test(test_mul_s8_rounding_broadcast),
        cmocka_unit_test(test_mul_i32_relu6_and_f32),
        cmocka_unit_test(test_mul_s16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
