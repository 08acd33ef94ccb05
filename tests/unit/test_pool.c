/* AVERAGE_POOL_2D and MAX_POOL_2D: padding, strides, border counts, rounding,
 * activations, float32 and int8. Expected values worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mote/kernel.h"

static _Alignas(16) uint8_t arena[2048];

typedef struct {
    mote_tensor t[2];
    int32_t io[2];
    mote_node n;
    mote_model m;
    mote_ctx ctx;
} pool_case;

static const float s_half[] = {0.5f}, s_half2[] = {0.5000001f}, s_one[] = {1.0f};
static const int32_t z0[] = {0}, z5[] = {5};

/* NHWC tensors [1, h, w, c] (or n batches) of dtype dt over the given buffers. */
static void pool_init(pool_case *c, int op, mote_dtype dt, void *in, const int32_t in_dims[4], void *out,
                      const int32_t out_dims[4], int fh, int fw, int sh, int sw, int pad, int act)
{
    size_t es = mote_dtype_size(dt);
    memset(c, 0, sizeof *c);
    for (int k = 0; k < 2; k++) {
        mote_tensor *t = &c->t[k];
        const int32_t *d = k ? out_dims : in_dims;
        t->data = k ? out : in;
        t->rank = 4;
        t->type = (uint8_t)dt;
        memcpy(t->dims, d, 4 * sizeof(int32_t));
        t->bytes = es * (size_t)(d[0] * d[1] * d[2] * d[3]);
        if (dt == MOTE_I8) t->q = (mote_quant){.scale = s_half, .zero_point = z0, .n = 1};
    }
    c->io[0] = 0;
    c->io[1] = 1;
    c->n.op = (uint16_t)op;
    c->n.n_in = 1;
    c->n.n_out = 1;
    c->n.io = c->io;
    c->n.opts.filter_h = (int16_t)fh;
    c->n.opts.filter_w = (int16_t)fw;
    c->n.opts.stride_h = (int16_t)sh;
    c->n.opts.stride_w = (int16_t)sw;
    c->n.opts.padding = (uint8_t)pad;
    c->n.opts.activation = (uint8_t)act;
    c->m = (mote_model){.tensors = c->t, .n_tensors = 2, .nodes = &c->n, .n_nodes = 1};
}

static mote_status pool_run(pool_case *c)
{
    mote_status s = mote_prepare(&c->m, &c->ctx, arena, sizeof arena);
    if (s == MOTE_OK) mote_invoke(&c->m);
    return s;
}

/* 3x3 SAME stride 1 over 1..9: corners average 4 elements, edges 6, centre 9.
 * Sums 12,21,16 / 27,45,33 / 24,39,28; (sum + count/2) / count. */
static void test_avg_s8_same_border_counts(void **state)
{
    (void)state;
    int8_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[9] = {0};
    const int32_t d[4] = {1, 3, 3, 1};
    pool_case c;
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, x, d, y, d, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    int8_t want[9] = {3, 4, 4, 5, 5, 6, 6, 7, 7};
    assert_memory_equal(y, want, 9);

    /* Negated input: rounding is half away from zero, symmetric. */
    for (int i = 0; i < 9; i++) x[i] = (int8_t)-x[i];
    assert_int_equal(pool_run(&c), MOTE_OK);
    for (int i = 0; i < 9; i++) assert_int_equal(y[i], -want[i]);
}

/* 2x2 VALID stride 2 on a 2x6 input. Window sums -3, 2, -2 over 4 elements:
 * (-3-2)/4 = -1; (2+2)/4 = 1; (-2-2)/4 = -1 (-0.5 rounds away from zero). */
static void test_avg_s8_valid_rounding(void **state)
{
    (void)state;
    int8_t x[12] = {-1, -2, 3, 2, -1, -1, 0, 0, 0, -3, 0, 0}, y[3] = {0};
    const int32_t di[4] = {1, 2, 6, 1}, dout[4] = {1, 1, 3, 1};
    pool_case c;
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, x, di, y, dout, 2, 2, 2, 2, MOTE_PAD_VALID, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    assert_int_equal(y[0], -1);
    assert_int_equal(y[1], 1);
    assert_int_equal(y[2], -1);
}

/* SAME with stride 2: width 4, filter 3 -> out 2, pad 0, the last window
 * hangs off the right edge: {10,20,30} = 20, {30,41} = 71/2 -> 36.
 * Width 5 -> out 3, pad 1: {1,2} -> 2, {2,3,4} -> 3, {4,5} -> 5 (4.5 up). */
static void test_avg_s8_same_stride2(void **state)
{
    (void)state;
    int8_t x[5] = {10, 20, 30, 41}, y[3] = {0};
    int32_t di[4] = {1, 1, 4, 1}, dout[4] = {1, 1, 2, 1};
    pool_case c;
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, x, di, y, dout, 1, 3, 2, 2, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    assert_int_equal(y[0], 20);
    assert_int_equal(y[1], 36);

    int8_t x5[5] = {1, 2, 3, 4, 5};
    di[2] = 5;
    dout[2] = 3;
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, x5, di, y, dout, 1, 3, 2, 2, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], 3);
    assert_int_equal(y[2], 5);

    /* The same with VALID: out (5 - 3 + 2) / 2 = 2 windows {1,2,3}, {3,4,5}. */
    dout[2] = 2;
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, x5, di, y, dout, 1, 3, 2, 2, MOTE_PAD_VALID, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], 4);
}

/* 1x1 filter with RELU6 on scale 0.5 zp 5: clamp to [5, 5 + 12]. Extremes pass through clamps. */
static void test_avg_s8_activation_and_extremes(void **state)
{
    (void)state;
    int8_t x[4] = {-128, 4, 10, 127}, y[4] = {0};
    const int32_t d[4] = {1, 1, 1, 4};
    pool_case c;
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, x, d, y, d, 1, 1, 1, 1, MOTE_PAD_VALID, MOTE_ACT_RELU6);
    c.t[0].q.zero_point = z5;
    c.t[1].q.zero_point = z5;
    assert_int_equal(pool_run(&c), MOTE_OK);
    int8_t want[4] = {5, 5, 10, 17};
    assert_memory_equal(y, want, 4);

    /* A 2x2 window of -128s averages to -128 exactly; of 127s to 127. */
    int8_t big[8] = {-128, 127, -128, 127, -128, 127, -128, 127}, out2[2] = {0};
    const int32_t di[4] = {1, 2, 2, 2}, dout[4] = {1, 1, 1, 2};
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, big, di, out2, dout, 2, 2, 2, 2, MOTE_PAD_VALID, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    assert_int_equal(out2[0], -128);
    assert_int_equal(out2[1], 127);
}

/* Max pool, 2 batches x 2 channels, 2x2 VALID stride 2 on 2x4. */
static void test_max_s8_batches_channels(void **state)
{
    (void)state;
    /* batch b, row r, col w, channel ch */
    int8_t x[2 * 2 * 4 * 2] = {
        /* b0 r0 */ 1, -5, 7, -6, -3, 9, 2, 0,
        /* b0 r1 */ 4, -7, 0, -8, 6, 1, -1, 3,
        /* b1 r0 */ -128, -128, -128, -127, 100, 127, -50, 126,
        /* b1 r1 */ -128, -128, -120, -128, 99, -1, 101, 0,
    };
    int8_t y[2 * 1 * 2 * 2] = {0};
    const int32_t di[4] = {2, 2, 4, 2}, dout[4] = {2, 1, 2, 2};
    pool_case c;
    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_I8, x, di, y, dout, 2, 2, 2, 2, MOTE_PAD_VALID, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    int8_t want[8] = {7, -5, 6, 9, -120, -127, 101, 127};
    assert_memory_equal(y, want, 8);

    /* RELU on zp 0 clamps the negatives to 0. */
    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_I8, x, di, y, dout, 2, 2, 2, 2, MOTE_PAD_VALID, MOTE_ACT_RELU);
    assert_int_equal(pool_run(&c), MOTE_OK);
    int8_t want_relu[8] = {7, 0, 6, 9, 0, 0, 101, 127};
    assert_memory_equal(y, want_relu, 8);
}

/* SAME padding is not a zero: a 3x3 window over an all-negative 2x2 input
 * only sees the input. Pad = ((2-1)*1 + 3 - 2) / 2 = 1. */
static void test_max_s8_same_ignores_padding(void **state)
{
    (void)state;
    int8_t x[4] = {-100, -50, -120, -128}, y[4] = {0};
    const int32_t d[4] = {1, 2, 2, 1};
    pool_case c;
    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_I8, x, d, y, d, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    for (int i = 0; i < 4; i++) assert_int_equal(y[i], -50);

    /* 2x2 SAME stride 1 on 2x2: out 2x2, pad 0; windows at the right and
     * bottom edges are cut: (0,0) all four, (0,1) {-50,-128}, (1,0) {-120,-128}, (1,1) {-128}. */
    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_I8, x, d, y, d, 2, 2, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    int8_t want[4] = {-50, -50, -120, -128};
    assert_memory_equal(y, want, 4);
}

static void test_pool_f32(void **state)
{
    (void)state;
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[9] = {0};
    const int32_t d[4] = {1, 3, 3, 1};
    pool_case c;
    /* Averages of the SAME windows: 12/4, 21/6, 16/4, 27/6, 45/9, 33/6, 24/4, 39/6, 28/4. */
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_F32, x, d, y, d, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    float want[9] = {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7};
    for (int i = 0; i < 9; i++) assert_true(y[i] == want[i]);
    /* RELU_N1_TO_1 clamps them all to 1. */
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_F32, x, d, y, d, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_RELU_N1_TO_1);
    assert_int_equal(pool_run(&c), MOTE_OK);
    for (int i = 0; i < 9; i++) assert_true(y[i] == 1.0f);

    /* Max 2x2 stride 1 VALID on 3x3 -> 2x2: 5, 6, 8, 9; RELU6 gives 5, 6, 6, 6. */
    const int32_t dout[4] = {1, 2, 2, 1};
    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_F32, x, d, y, dout, 2, 2, 1, 1, MOTE_PAD_VALID, MOTE_ACT_RELU6);
    assert_int_equal(pool_run(&c), MOTE_OK);
    assert_true(y[0] == 5 && y[1] == 6 && y[2] == 6 && y[3] == 6);

    /* Max over negatives with SAME padding never sees 0. */
    float neg[4] = {-3.5f, -1.25f, -7, -2}, y4[4];
    const int32_t d2[4] = {1, 2, 2, 1};
    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_F32, neg, d2, y4, d2, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_OK);
    for (int i = 0; i < 4; i++) assert_true(y4[i] == -1.25f);
}

static void test_pool_rejects_bad_models(void **state)
{
    (void)state;
    int8_t x[9] = {0}, y[9] = {0};
    const int32_t d[4] = {1, 3, 3, 1}, bad[4] = {1, 2, 3, 1};
    pool_case c;
    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, x, d, y, bad, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 1);

    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_I8, x, d, y, d, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    c.t[1].q.zero_point = z5;
    assert_int_equal(pool_run(&c), MOTE_ERR_PARAM);
    c.t[1].q.zero_point = z0;
    c.t[1].q.scale = s_one;
    assert_int_equal(pool_run(&c), MOTE_ERR_PARAM);
    c.t[1].q.scale = s_half2; /* within 1e-6 of the input scale: accepted */
    assert_int_equal(pool_run(&c), MOTE_OK);

    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_I8, x, d, y, d, 3, 3, 0, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_ERR_PARAM);

    /* VALID with a filter larger than the input has no output. */
    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_I8, x, d, y, d, 4, 4, 1, 1, MOTE_PAD_VALID, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_ERR_SHAPE);

    pool_init(&c, MOTE_OP_MAX_POOL_2D, MOTE_I16, x, d, y, d, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    assert_int_equal(pool_run(&c), MOTE_ERR_TYPE);

    pool_init(&c, MOTE_OP_AVERAGE_POOL_2D, MOTE_I8, x, d, y, d, 3, 3, 1, 1, MOTE_PAD_SAME, MOTE_ACT_NONE);
    c.t[0].rank = 3;
    assert_int_equal(pool_run(&c), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_avg_s8_same_border_counts),
        cmocka_unit_test(test_avg_s8_valid_rounding),
        cmocka_unit_test(test_avg_s8_same_stride2),
        cmocka_unit_test(test_avg_s8_activation_and_extremes),
        cmocka_unit_test(test_max_s8_batches_channels),
        cmocka_unit_test(test_max_s8_same_ignores_padding),
        cmocka_unit_test(test_pool_f32),
        cmocka_unit_test(test_pool_rejects_bad_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
