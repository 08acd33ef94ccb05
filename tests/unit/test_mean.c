/* MEAN: int8 without requantization (truncating division), int8 with
 * requantization (count folded into the multiplier), float32, axis handling,
 * keep_dims and errors. Expected values worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mote/kernel.h"

static _Alignas(16) uint8_t arena[2048];
static int32_t scratch[64];

/* Tensor 0 input, 1 axes, 2 output. */
typedef struct {
    mote_tensor t[3];
    int32_t io[3];
    mote_node n;
    mote_model m;
    mote_ctx ctx;
} mean_case;

static void mean_init(mean_case *c, int keep)
{
    c->io[0] = 0;
    c->io[1] = 1;
    c->io[2] = 2;
    memset(&c->n, 0, sizeof c->n);
    c->n.op = MOTE_OP_MEAN;
    c->n.n_in = 2;
    c->n.n_out = 1;
    c->n.io = c->io;
    c->n.opts.keep_dims = (uint8_t)keep;
    c->m = (mote_model){.tensors = c->t, .n_tensors = 3, .nodes = &c->n, .n_nodes = 1};
}

static void mean_axes(mean_case *c, const int32_t *axes, int n)
{
    c->t[1] = (mote_tensor){.data = (void *)axes, .bytes = 4u * (size_t)n, .dims = {n}, .rank = 1,
                            .type = MOTE_I32, .flags = MOTE_TENSOR_CONST};
}

/* Prepare, hand the node its scratch as the planner would, run. */
static mote_status mean_run(mean_case *c)
{
    mote_status s = mote_prepare(&c->m, &c->ctx, arena, sizeof arena);
    if (s != MOTE_OK) return s;
    assert_true(c->n.scratch_bytes <= sizeof scratch);
    c->n.scratch = scratch;
    memset(scratch, 0x5a, sizeof scratch); /* the kernel must clear it itself */
    mote_invoke(&c->m);
    return s;
}

#define Q(sc, zp) {.scale = (sc), .zero_point = (zp), .n = 1}
static const float s_half[] = {0.5f}, s_quarter[] = {0.25f};
static const int32_t z0[] = {0}, z2[] = {2}, zm3[] = {-3}, zm128[] = {-128};

/* Same scale and zero point: raw int8 sum / count, truncated toward zero.
 * [1,2,2,2] over axes {1,2}, keep_dims -> [1,1,1,2]:
 * ch0 {1,2,3,5} = 11 / 4 = 2; ch1 {-1,-2,-3,-5} = -11 / 4 = -2 (not -3). */
static void test_mean_s8_same_quant_truncates(void **state)
{
    (void)state;
    int8_t x[8] = {1, -1, 2, -2, 3, -3, 5, -5}, y[2] = {0};
    static const int32_t axes[2] = {1, 2};
    mean_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 8, .dims = {1, 2, 2, 2}, .rank = 4, .type = MOTE_I8, .q = Q(s_half, z2)};
    mean_axes(&c, axes, 2);
    c.t[2] = (mote_tensor){.data = y, .bytes = 2, .dims = {1, 1, 1, 2}, .rank = 4, .type = MOTE_I8, .q = Q(s_half, z2)};
    mean_init(&c, 1);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], -2);

    /* Same without keep_dims: output [1,2]. */
    c.t[2].dims[0] = 1, c.t[2].dims[1] = 2, c.t[2].rank = 2;
    mean_init(&c, 0);
    memset(y, 0, 2);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], -2);

    /* -128s average to -128 exactly, whatever the zero point. */
    memset(x, 0x80, 8);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(y[0], -128);
    assert_int_equal(y[1], -128);
}

/* Requantize: in scale 0.5 zp 2, out scale 0.25 zp -3. Real multiplier 2:
 * q = 2^30, shift 2. Count 3: pre-shift s = floor(log2 3) = 1, so
 * q' = 2^31 / 3 = 715827882 (truncated), shift' = 1.
 * row0 {4,6,9}: sum 19 - 2*3 = 13; 13*2 = 26, 26*q'/2^31 = 8.67 -> 9; -3 = 6.
 *   (real: 0.5*(19/3 - 2) = 2.1667 -> 8.67 - 3 = 5.67 -> 6)
 * row1 {0,-1,-5}: -6 - 6 = -12; -24*q'/2^31 = -8.0 -> -8; -3 = -11.
 * row2 {127,127,127}: 381 - 6 = 375 -> 250 - 3 = 247 -> 127 (saturates). */
static void test_mean_s8_requantize(void **state)
{
    (void)state;
    int8_t x[9] = {4, 6, 9, 0, -1, -5, 127, 127, 127}, y[3] = {0};
    static const int32_t axes[1] = {-1};
    mean_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 9, .dims = {3, 3}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z2)};
    mean_axes(&c, axes, 1);
    c.t[2] = (mote_tensor){.data = y, .bytes = 3, .dims = {3}, .rank = 1, .type = MOTE_I8, .q = Q(s_quarter, zm3)};
    mean_init(&c, 0);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(c.n.scratch_bytes, 3 * sizeof(int32_t));
    assert_int_equal(y[0], 6);
    assert_int_equal(y[1], -11);
    assert_int_equal(y[2], 127);

    /* Scale 0.5 -> 0.5 but zero point 2 -> -3 still requantizes: multiplier 1,
     * count 3 -> s = 1, q' = 2^30*2/3 = 715827882, shift' = 0. */
    c.t[2].q.scale = s_half;
    assert_int_equal(mean_run(&c), MOTE_OK);
    /* row0: 13*q'/2^31 = 4.33 -> 4, -3 = 1; row1: -12/3 = -4, -3 = -7; row2: 125 - 3 = 122. */
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], -7);
    assert_int_equal(y[2], 122);
}

/* Requantize with zero point -128 in and 0 out over axis 0 of [4,2], keep_dims -> [1,2].
 * Multiplier 0.5/0.5 = 1 (q 2^30, shift 1); count 4: s = 2, q' = 2^32/4 = 2^30, shift' = -1.
 * col0 {-128,-128,-127,-126}: sum -509 + 512 = 3; 3 * 0.25 = 0.75 -> 1.
 * col1 {-126,-126,-128,-128}: -508 + 512 = 4 -> 1.0 -> 1; plus zp 0. */
static void test_mean_s8_extreme_zero_point(void **state)
{
    (void)state;
    int8_t x[8] = {-128, -126, -128, -126, -127, -128, -126, -128}, y[2] = {0};
    static const int32_t axes[1] = {0};
    mean_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 8, .dims = {4, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, zm128)};
    mean_axes(&c, axes, 1);
    c.t[2] = (mote_tensor){.data = y, .bytes = 2, .dims = {1, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z0)};
    mean_init(&c, 1);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], 1);
}

/* Axis lists: duplicates and negative aliases count once; all axes of a
 * [2,3] tensor without keep_dims give a scalar (rank 0, or [1]). */
static void test_mean_s8_axes(void **state)
{
    (void)state;
    int8_t x[6] = {1, 2, 3, 4, 5, 7}, y[3] = {0};
    static const int32_t all[3] = {0, 1, -1}, ax0[1] = {0};
    mean_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 6, .dims = {2, 3}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z0)};
    mean_axes(&c, all, 3);
    c.t[2] = (mote_tensor){.data = y, .bytes = 1, .rank = 0, .type = MOTE_I8, .q = Q(s_half, z0)};
    mean_init(&c, 0);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(y[0], 3); /* 22 / 6 = 3.67 -> 3, truncated */
    c.t[2].rank = 1;
    c.t[2].dims[0] = 1;
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(y[0], 3);

    /* Axis 0 of [2,3]: column means 5/2 = 2, 7/2 = 3, 10/2 = 5. */
    mean_axes(&c, ax0, 1);
    c.t[2].dims[0] = 3;
    c.t[2].bytes = 3;
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], 3);
    assert_int_equal(y[2], 5);
}

static void test_mean_f32(void **state)
{
    (void)state;
    float x[6] = {1, 2, 3, 4, 5, 7}, y[3] = {0};
    static const int32_t ax0[1] = {0}, all[2] = {1, 0};
    mean_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 24, .dims = {2, 3}, .rank = 2, .type = MOTE_F32};
    mean_axes(&c, ax0, 1);
    c.t[2] = (mote_tensor){.data = y, .bytes = 12, .dims = {1, 3}, .rank = 2, .type = MOTE_F32};
    mean_init(&c, 1);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_int_equal(c.n.scratch_bytes, 0);
    assert_true(y[0] == 2.5f && y[1] == 3.5f && y[2] == 5.0f);

    mean_axes(&c, all, 2);
    c.t[2].rank = 0;
    mean_init(&c, 0);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_true(y[0] == 22.0f / 6.0f);

    /* 4-D global average [1,2,2,1] over {2,1} with keep_dims (TFLM's special case). */
    float img[8] = {1, 10, 2, 20, 3, 30, 4, 41};
    static const int32_t hw[2] = {2, 1};
    c.t[0] = (mote_tensor){.data = img, .bytes = 32, .dims = {1, 2, 2, 2}, .rank = 4, .type = MOTE_F32};
    mean_axes(&c, hw, 2);
    c.t[2] = (mote_tensor){.data = y, .bytes = 8, .dims = {1, 1, 1, 2}, .rank = 4, .type = MOTE_F32};
    mean_init(&c, 1);
    assert_int_equal(mean_run(&c), MOTE_OK);
    assert_true(y[0] == 2.5f && y[1] == 25.25f);
}

static void test_mean_rejects_bad_models(void **state)
{
    (void)state;
    int8_t x[6] = {0}, y[3] = {0};
    static const int32_t ax[1] = {1}, bad[1] = {2}, badneg[1] = {-3};
    mean_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 6, .dims = {2, 3}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z0)};
    mean_axes(&c, ax, 1);
    c.t[2] = (mote_tensor){.data = y, .bytes = 2, .dims = {2}, .rank = 1, .type = MOTE_I8, .q = Q(s_half, z0)};
    mean_init(&c, 0);
    assert_int_equal(mean_run(&c), MOTE_OK);

    mean_axes(&c, bad, 1);
    assert_int_equal(mean_run(&c), MOTE_ERR_PARAM);
    assert_int_equal(c.ctx.err_tensor, 1);
    mean_axes(&c, badneg, 1);
    assert_int_equal(mean_run(&c), MOTE_ERR_PARAM);

    mean_axes(&c, ax, 1);
    c.t[1].flags = 0; /* axes computed at run time: not supported */
    assert_int_equal(mean_run(&c), MOTE_ERR_UNSUPPORTED);
    mean_axes(&c, ax, 1);
    c.t[1].type = MOTE_I64;
    assert_int_equal(mean_run(&c), MOTE_ERR_TYPE);
    mean_axes(&c, ax, 1);

    c.t[2].dims[0] = 3; /* reducing axis 1 of [2,3] leaves [2] */
    assert_int_equal(mean_run(&c), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 2);
    mean_init(&c, 1); /* keep_dims wants [2,1] */
    c.t[2].dims[0] = 2;
    assert_int_equal(mean_run(&c), MOTE_ERR_SHAPE);

    mean_init(&c, 0);
    c.t[2].type = MOTE_F32;
    assert_int_equal(mean_run(&c), MOTE_ERR_TYPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_s8_same_quant_truncates),
        cmocka_unit_test(test_mean_s8_requantize),
        cmocka_unit_test(test_mean_s8_extreme_zero_point),
        cmocka_unit_test(test_mean_s8_axes),
        cmocka_unit_test(test_mean_f32),
        cmocka_unit_test(test_mean_rejects_bad_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
