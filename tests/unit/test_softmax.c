/* SOFTMAX: int8->int8, int8->int16 (TFLite fixed-point softmax) and float32:
 * uniform, saturated and hand-computed rows, beta, parameter checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "mote/kernel.h"
#include "node_harness.h"

static mote_opts beta_opts(float beta)
{
    mote_opts o = no_opts();
    o.beta = beta;
    return o;
}

/* Equal inputs: every class gets 1/depth exactly (64/256 for depth 4). */
static void test_softmax_s8_uniform(void **state)
{
    (void)state;
    const qparam qi = {0.1f, 3}, qo = {1.0f / 256.0f, -128};
    int8_t in[8] = {5, 5, 5, 5, -128, -128, -128, -128}, out[8];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 2, DIMS(2, 4), &qi);
    mk(&t[1], out, MOTE_I8, 2, DIMS(2, 4), &qo);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_OK);
    for (int i = 0; i < 8; i++) assert_int_equal(out[i], -64);
}

/* One dominant class saturates to 127 (probability ~1 -> 256 clamps), the
 * others lie below diff_min and are exactly -128. Depth 1 also gives 127. */
static void test_softmax_s8_saturated(void **state)
{
    (void)state;
    const qparam qi = {1.0f, 0}, qo = {1.0f / 256.0f, -128};
    int8_t in[4] = {127, -128, 0, -128}, out[4];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 2, DIMS(1, 4), &qi);
    mk(&t[1], out, MOTE_I8, 2, DIMS(1, 4), &qo);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_OK);
    const int8_t want[4] = {127, -128, -128, -128};
    assert_memory_equal(out, want, 4);

    int8_t one[3] = {-7, 100, -128}, o1[3];
    mk(&t[0], one, MOTE_I8, 2, DIMS(3, 1), &qi);
    mk(&t[1], o1, MOTE_I8, 2, DIMS(3, 1), &qo);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(o1[i], 127);
}

/* Scale ln2/10: a difference of 10 steps halves exp(), so the classes get
 * 4/7, 2/7, 1/7 -> 146.3, 73.1, 36.6 of 256. Beta 2 doubles the slope:
 * 16/21, 4/21, 1/21. */
static void test_softmax_s8_values(void **state)
{
    (void)state;
    const qparam qi = {0.0693147f, -20}, qo = {1.0f / 256.0f, -128};
    int8_t in[3] = {20, 10, 0}, out[3];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 1, DIMS(3), &qi);
    mk(&t[1], out, MOTE_I8, 1, DIMS(3), &qo);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_OK);
    assert_int_equal(out[0], 146 - 128);
    assert_int_equal(out[1], 73 - 128);
    assert_int_equal(out[2], 37 - 128);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(2.0f)), MOTE_OK);
    assert_int_equal(out[0], 195 - 128); /* 195.05 */
    assert_int_equal(out[1], 49 - 128);  /* 48.76 */
    assert_int_equal(out[2], 12 - 128);  /* 12.19 */
}

static void test_softmax_s8_to_s16(void **state)
{
    (void)state;
    const qparam qi = {0.5f, 0}, qo = {1.0f / 65536.0f, -32768};
    int8_t in[4] = {-3, -3, 100, -128};
    int16_t out[4];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 2, DIMS(2, 2), &qi);
    mk(&t[1], out, MOTE_I16, 2, DIMS(2, 2), &qo);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_OK);
    assert_int_equal(out[0], 0); /* 0.5 * 65536 - 32768 */
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], INT16_MAX);
    assert_int_equal(out[3], INT16_MIN);
}

static void test_softmax_f32(void **state)
{
    (void)state;
    float in[6] = {1.0f, 2.0f, 3.0f, 0.0f, 1.3862944f, -1000.0f}, out[6];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_F32, 2, DIMS(2, 3), NULL);
    mk(&t[1], out, MOTE_F32, 2, DIMS(2, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_OK);
    assert_float_equal(out[0], 0.09003057f, 1e-6f);
    assert_float_equal(out[1], 0.24472847f, 1e-6f);
    assert_float_equal(out[2], 0.66524096f, 1e-6f);
    assert_float_equal(out[3], 0.2f, 1e-6f); /* e^0 : e^ln4 : 0 */
    assert_float_equal(out[4], 0.8f, 1e-6f);
    assert_float_equal(out[5], 0.0f, 0.0f);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(0.5f)), MOTE_OK);
    assert_float_equal(out[3], 1.0f / 3.0f, 1e-6f); /* e^0 : e^ln2 */
    assert_float_equal(out[4], 2.0f / 3.0f, 1e-6f);
}

static void test_softmax_rejects_bad_output_quant(void **state)
{
    (void)state;
    const qparam qi = {0.5f, 0}, bad = {1.0f / 256.0f, 0}, bad_scale = {1.0f / 128.0f, -128};
    int8_t in[4] = {0}, out[4];
    mote_tensor t[2];
    mk(&t[0], in, MOTE_I8, 1, DIMS(4), &qi);
    mk(&t[1], out, MOTE_I8, 1, DIMS(4), &bad);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_ERR_PARAM);
    mk(&t[1], out, MOTE_I8, 1, DIMS(4), &bad_scale);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_ERR_PARAM);
    mk(&t[1], out, MOTE_I8, 1, DIMS(3), &bad_scale);
    assert_int_equal(run_node(MOTE_OP_SOFTMAX, t, 1, beta_opts(1.0f)), MOTE_ERR_SHAPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_s8_uniform),
        cmocka_unit_test(test_softmax_s8_saturated),
        cmocka_unit_test(test_softmax_s8_values),
        cmocka_unit_test(test_softmax_s8_to_s16),
        cmocka_unit_test(test_softmax_f32),
        cmocka_unit_test(test_softmax_rejects_bad_output_quant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
