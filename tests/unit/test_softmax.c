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

static _Alignas(16) uint8_t arena[4096];
static _Alignas(16) uint8_t scratch[4096];

#define DIMS(...) ((const int32_t[]){__VA_ARGS__})
#define NDIMS(...) ((int)(sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t)))

/* A tensor of rank `rank`; q != NULL makes it per-tensor quantized. */
typedef struct {
    float scale;
    int32_t zero_point;
} qparam;

static void mk(mote_tensor *t, void *data, mote_dtype type, int rank, const int32_t *dims, const qparam *q)
{
    memset(t, 0, sizeof *t);
    t->data = data;
    t->type = (uint8_t)type;
    t->rank = (uint8_t)rank;
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        t->dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    t->bytes = n * mote_dtype_size(type);
    if (q) {
        t->q.scale = &q->scale;
        t->q.zero_point = &q->zero_point;
        t->q.n = 1;
    }
}

/* Prepare and (if ok) invoke one node: inputs t[0..n_in-1], output t[n_in]. */
static mote_status run_node(mote_op op, mote_tensor *t, int n_in, mote_opts o)
{
    static int32_t io[8];
    static mote_node node;
    static mote_model model;
    static mote_ctx ctx;
    for (int i = 0; i <= n_in; i++) io[i] = i;
    memset(&node, 0, sizeof node);
    node.op = (uint16_t)op;
    node.n_in = (uint16_t)n_in;
    node.n_out = 1;
    node.io = io;
    node.opts = o;
    memset(&model, 0, sizeof model);
    model.tensors = t;
    model.n_tensors = n_in + 1;
    model.nodes = &node;
    model.n_nodes = 1;
    mote_status s = mote_prepare(&model, &ctx, arena, sizeof arena);
    if (s != MOTE_OK) return s;
    assert_true(node.scratch_bytes <= sizeof scratch);
    node.scratch = scratch;
    mote_invoke(&model);
    return MOTE_OK;
}

static mote_opts no_opts(void)
{
    mote_opts o;
    memset(&o, 0, sizeof o);
    return o;
}

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
