/* PAD / PADV2 (zero-point and constant fill, int32/int64 paddings) and
 * CONCATENATION (any axis, negative axis, several inputs, dtypes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "mote/kernel.h"
#include "node_harness.h"

/* [1,2,2,1] padded by one pixel each side -> [1,4,4,1], filled with the
 * output zero point (int8 PAD without a constant). */
static void test_pad_s8_zero_point_fill(void **state)
{
    (void)state;
    const qparam q = {0.5f, -5};
    int8_t in[4] = {1, 2, 3, 4}, out[16];
    const int32_t pads[8] = {0, 0, 1, 1, 1, 1, 0, 0};
    mote_tensor t[3];
    mk(&t[0], in, MOTE_I8, 4, DIMS(1, 2, 2, 1), &q);
    mk(&t[1], (void *)pads, MOTE_I32, 2, DIMS(4, 2), NULL);
    t[1].flags = MOTE_TENSOR_CONST;
    mk(&t[2], out, MOTE_I8, 4, DIMS(1, 4, 4, 1), &q);
    assert_int_equal(run_node(MOTE_OP_PAD, t, 2, no_opts()), MOTE_OK);
    const int8_t want[16] = {-5, -5, -5, -5, -5, 1, 2, -5, -5, 3, 4, -5, -5, -5, -5, -5};
    assert_memory_equal(out, want, 16);
}

/* PADV2 float with a constant, asymmetric paddings [[1,0],[0,2]]. */
static void test_pad_f32_constant(void **state)
{
    (void)state;
    float in[6] = {1, 2, 3, 4, 5, 6}, cv = 9.5f, out[15];
    const int32_t pads[4] = {1, 0, 0, 2};
    mote_tensor t[4];
    mk(&t[0], in, MOTE_F32, 2, DIMS(2, 3), NULL);
    mk(&t[1], (void *)pads, MOTE_I32, 2, DIMS(2, 2), NULL);
    t[1].flags = MOTE_TENSOR_CONST;
    mk(&t[2], &cv, MOTE_F32, 0, DIMS(1), NULL);
    mk(&t[3], out, MOTE_F32, 2, DIMS(3, 5), NULL);
    assert_int_equal(run_node(MOTE_OP_PAD, t, 3, no_opts()), MOTE_OK);
    const float want[15] = {9.5f, 9.5f, 9.5f, 9.5f, 9.5f, 1, 2, 3, 9.5f, 9.5f, 4, 5, 6, 9.5f, 9.5f};
    for (int i = 0; i < 15; i++) assert_float_equal(out[i], want[i], 0.0f);
}

/* int8 PADV2: the constant wins over the zero point; 1-D, int64 paddings. */
static void test_pad_s8_constant_int64_paddings(void **state)
{
    (void)state;
    const qparam q = {1.0f, 0};
    int8_t in[2] = {-128, 127}, cv = 7, out[5];
    const int64_t pads[2] = {2, 1};
    mote_tensor t[4];
    mk(&t[0], in, MOTE_I8, 1, DIMS(2), &q);
    mk(&t[1], (void *)pads, MOTE_I64, 2, DIMS(1, 2), NULL);
    t[1].flags = MOTE_TENSOR_CONST;
    mk(&t[2], &cv, MOTE_I8, 1, DIMS(1), &q);
    mk(&t[3], out, MOTE_I8, 1, DIMS(5), &q);
    assert_int_equal(run_node(MOTE_OP_PAD, t, 3, no_opts()), MOTE_OK);
    const int8_t want[5] = {7, 7, -128, 127, 7};
    assert_memory_equal(out, want, 5);
}

static void test_pad_errors(void **state)
{
    (void)state;
    float in[4] = {0}, out[9];
    const int32_t pads[4] = {1, 0, 0, 1};
    mote_tensor t[3];
    mk(&t[0], in, MOTE_F32, 2, DIMS(2, 2), NULL);
    mk(&t[1], (void *)pads, MOTE_I32, 2, DIMS(2, 2), NULL);
    t[1].flags = MOTE_TENSOR_CONST;
    mk(&t[2], out, MOTE_F32, 2, DIMS(3, 2), NULL); /* should be [3,3] */
    assert_int_equal(run_node(MOTE_OP_PAD, t, 2, no_opts()), MOTE_ERR_SHAPE);
    mk(&t[2], out, MOTE_F32, 2, DIMS(3, 3), NULL);
    t[1].flags = 0;
    assert_int_equal(run_node(MOTE_OP_PAD, t, 2, no_opts()), MOTE_ERR_UNSUPPORTED);
}

static mote_opts axis_opts(int axis)
{
    mote_opts o = no_opts();
    o.axis = axis;
    return o;
}

/* [2,2] ++ [2,1] along axis -1 (= 1) -> [2,3]; int8 bytes are copied even
 * when scales differ, as TFLite Micro does. */
static void test_concat_s8_negative_axis(void **state)
{
    (void)state;
    const qparam qa = {0.5f, 0}, qb = {0.25f, 3};
    int8_t a[4] = {1, 2, 3, 4}, b[2] = {-128, 127}, out[6];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I8, 2, DIMS(2, 2), &qa);
    mk(&t[1], b, MOTE_I8, 2, DIMS(2, 1), &qb);
    mk(&t[2], out, MOTE_I8, 2, DIMS(2, 3), &qa);
    assert_int_equal(run_node(MOTE_OP_CONCATENATION, t, 2, axis_opts(-1)), MOTE_OK);
    const int8_t want[6] = {1, 2, -128, 3, 4, 127};
    assert_memory_equal(out, want, 6);
}

/* Three float inputs along the middle axis of [2,k,2]. */
static void test_concat_f32_three_inputs(void **state)
{
    (void)state;
    float a[4] = {1, 2, 3, 4}, b[8] = {10, 11, 12, 13, 14, 15, 16, 17}, c[4] = {-1, -2, -3, -4}, out[16];
    mote_tensor t[4];
    mk(&t[0], a, MOTE_F32, 3, DIMS(2, 1, 2), NULL);
    mk(&t[1], b, MOTE_F32, 3, DIMS(2, 2, 2), NULL);
    mk(&t[2], c, MOTE_F32, 3, DIMS(2, 1, 2), NULL);
    mk(&t[3], out, MOTE_F32, 3, DIMS(2, 4, 2), NULL);
    assert_int_equal(run_node(MOTE_OP_CONCATENATION, t, 3, axis_opts(1)), MOTE_OK);
    const float want[16] = {1, 2, 10, 11, 12, 13, -1, -2, 3, 4, 14, 15, 16, 17, -3, -4};
    for (int i = 0; i < 16; i++) assert_float_equal(out[i], want[i], 0.0f);
}

static void test_concat_i32_axis0_and_errors(void **state)
{
    (void)state;
    int32_t a[3] = {1, 2, 3}, b[2] = {INT32_MIN, INT32_MAX}, out[5];
    mote_tensor t[3];
    mk(&t[0], a, MOTE_I32, 1, DIMS(3), NULL);
    mk(&t[1], b, MOTE_I32, 1, DIMS(2), NULL);
    mk(&t[2], out, MOTE_I32, 1, DIMS(5), NULL);
    assert_int_equal(run_node(MOTE_OP_CONCATENATION, t, 2, axis_opts(0)), MOTE_OK);
    const int32_t want[5] = {1, 2, 3, INT32_MIN, INT32_MAX};
    assert_memory_equal(out, want, sizeof want);
    mk(&t[2], out, MOTE_I32, 1, DIMS(4), NULL);
    assert_int_equal(run_node(MOTE_OP_CONCATENATION, t, 2, axis_opts(0)), MOTE_ERR_SHAPE);
    mk(&t[2], out, MOTE_I32, 1, DIMS(5), NULL);
    assert_int_equal(run_node(MOTE_OP_CONCATENATION, t, 2, axis_opts(1)), MOTE_ERR_PARAM);
    float f[2];
    mk(&t[1], f, MOTE_F32, 1, DIMS(2), NULL);
    assert_int_equal(run_node(MOTE_OP_CONCATENATION, t, 2, axis_opts(0)), MOTE_ERR_TYPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pad_s8_zero_point_fill),
        cmocka_unit_test(test_pad_f32_constant),
        cmocka_unit_test(test_pad_s8_constant_int64_paddings),
        cmocka_unit_test(test_pad_errors),
        cmocka_unit_test(test_concat_s8_negative_axis),
        cmocka_unit_test(test_concat_f32_three_inputs),
        cmocka_unit_test(test_concat_i32_axis0_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
