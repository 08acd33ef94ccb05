/* SUB: int8 and int16 (TFLite's rescaling, as TFLM's reference kernel), float32, broadcasting (a per-bin
 * mean subtracted from every frame, as the audio front end's feature normalisation does), fused
 * activations, rounding, saturation and refusals. Expected values worked by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mote/kernel.h"
#include "node_harness.h"

/* 0.5 * (x - y) at output scale 1: halves round away from zero, both ends clamp. */
static void test_sub_s8_same_scale(void **state)
{
    (void)state;
    const qparam qi = {0.5f, 0}, qo = {1.0f, 0};
    int8_t a[6] = {10, -20, 127, -128, 3, -3}, b[6] = {6, 4, -128, 127, 0, 0}, o[6];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 1, DIMS(6), &qi);
    mk(&t[1], b, MOTE_I8, 1, DIMS(6), &qi);
    mk(&t[2], o, MOTE_I8, 1, DIMS(6), &qo);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_OK);
    /* 2, -12, 127.5 -> 127, -127.5 -> -128, 1.5 -> 2, -1.5 -> -2 */
    const int8_t want[6] = {2, -12, 127, -128, 2, -2};
    assert_memory_equal(o, want, 6);
}

/* [2, 3] - [1, 3]: each column's value subtracted from every row, inputs with zero point -128 (reals
 * 0..25.5 in steps of 0.1), output scale 0.2 around 0. */
static void test_sub_s8_broadcast_rows(void **state)
{
    (void)state;
    const qparam qi = {0.1f, -128}, qo = {0.2f, 0};
    int8_t a[6] = {-128, -78, 22, -28, -128, 127}, m[3] = {-28, -118, -128}, o[6];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 2, DIMS(2, 3), &qi);
    mk(&t[1], m, MOTE_I8, 2, DIMS(1, 3), &qi);
    mk(&t[2], o, MOTE_I8, 2, DIMS(2, 3), &qo);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_OK);
    /* reals {0, 5, 15, 10, 0, 25.5} - {10, 1, 0}: {-10, 4, 15, 0, -1, 25.5} / 0.2 (127.5 clamps) */
    const int8_t want[6] = {-50, 20, 75, 0, -5, 127};
    assert_memory_equal(o, want, 6);
}

/* Different input scales, RELU and an output zero point. */
static void test_sub_s8_relu_mixed_scales(void **state)
{
    (void)state;
    const qparam q1 = {0.25f, 0}, q2 = {1.0f, 0}, qo = {0.5f, 3};
    int8_t a[4] = {8, -40, 100, 0}, b[4] = {1, -2, -100, 1}, o[4];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 1, DIMS(4), &q1);
    mk(&t[1], b, MOTE_I8, 1, DIMS(4), &q2);
    mk(&t[2], o, MOTE_I8, 1, DIMS(4), &qo);
    mote_opts op = no_opts();
    op.activation = MOTE_ACT_RELU;
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, op), MOTE_OK);
    /* 2-1 = 1 -> 2+3; -10+2 = -8 -> relu 0 -> 3; 25+100 -> 253 clamps; 0-1 -> relu 0 -> 3 */
    const int8_t want[4] = {5, 3, 127, 3};
    assert_memory_equal(o, want, 4);
}

static void test_sub_s16(void **state)
{
    (void)state;
    const qparam qi = {0.5f, 0}, qo = {1.0f, 0};
    int16_t a[4] = {1000, -32768, 32767, 3}, b[4] = {-1000, 32767, -32768, 0}, o[4];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I16, 1, DIMS(4), &qi);
    mk(&t[1], b, MOTE_I16, 1, DIMS(4), &qi);
    mk(&t[2], o, MOTE_I16, 1, DIMS(4), &qo);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_OK);
    const int16_t want[4] = {1000, -32768, 32767, 2}; /* -32767.5 and 32767.5 clamp; 1.5 -> 2 */
    assert_memory_equal(o, want, sizeof want);

    const qparam qz = {0.5f, 1}; /* TFLite's int16 SUB is symmetric */
    mk(&t[1], b, MOTE_I16, 1, DIMS(4), &qz);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_ERR_PARAM);
}

static void test_sub_f32_broadcast(void **state)
{
    (void)state;
    float a[6] = {1, 2, 3, -4, 5, 6}, b[3] = {0.5f, -1.0f, 4.0f}, o[6];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_F32, 2, DIMS(2, 3), NULL);
    mk(&t[1], b, MOTE_F32, 1, DIMS(3), NULL);
    mk(&t[2], o, MOTE_F32, 2, DIMS(2, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_OK);
    const float want[6] = {0.5f, 3.0f, -1.0f, -4.5f, 6.0f, 2.0f};
    for (int i = 0; i < 6; i++) assert_float_equal(o[i], want[i], 0.0f);
}

static void test_sub_refusals(void **state)
{
    (void)state;
    float a[6] = {0}, b[4] = {0}, o[6];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_F32, 2, DIMS(2, 3), NULL);
    mk(&t[1], b, MOTE_F32, 1, DIMS(4), NULL);
    mk(&t[2], o, MOTE_F32, 2, DIMS(2, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_ERR_SHAPE);
    int8_t c[6];
    mk(&t[1], c, MOTE_I8, 2, DIMS(2, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_ERR_TYPE);
    int32_t i[6] = {0}, j[6];
    mk(&t[0], i, MOTE_I32, 1, DIMS(6), NULL);
    mk(&t[1], i, MOTE_I32, 1, DIMS(6), NULL);
    mk(&t[2], j, MOTE_I32, 1, DIMS(6), NULL);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_ERR_TYPE);
    int8_t x[2] = {0}, y[2]; /* unquantized int8 */
    mk(&t[0], x, MOTE_I8, 1, DIMS(2), NULL);
    mk(&t[1], x, MOTE_I8, 1, DIMS(2), NULL);
    mk(&t[2], y, MOTE_I8, 1, DIMS(2), NULL);
    assert_int_equal(run_node(MOTE_OP_SUB, t, 2, no_opts()), MOTE_ERR_PARAM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sub_s8_same_scale),
        cmocka_unit_test(test_sub_s8_broadcast_rows),
        cmocka_unit_test(test_sub_s8_relu_mixed_scales),
        cmocka_unit_test(test_sub_s16),
        cmocka_unit_test(test_sub_f32_broadcast),
        cmocka_unit_test(test_sub_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
