/* FULLY_CONNECTED: int8 per-tensor and per-channel, float32, shapes, errors.
 * Expected values are worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kernel_isas.h"
#include "mote/kernel.h"

static _Alignas(16) uint8_t arena[1 << 16];
/* Every case runs once per kernel family: the reference kernels, then the
 * optimized ones (which must give the same bytes). */
static uint32_t test_isa = MOTE_ISA_REFERENCE;
static _Alignas(16) uint8_t scratch[1 << 14];

/* Tensor 0 input, 1 weights, 2 bias (optional), 3 output. */
typedef struct {
    mote_tensor t[4];
    int32_t io[4];
    mote_node n;
    mote_model m;
    mote_ctx ctx;
} fc_case;

static void fc_init(fc_case *c, int with_bias, int act, int keep)
{
    c->io[0] = 0;
    c->io[1] = 1;
    c->io[2] = with_bias ? 2 : -1;
    c->io[3] = 3;
    memset(&c->n, 0, sizeof c->n);
    c->n.op = MOTE_OP_FULLY_CONNECTED;
    c->n.n_in = 3;
    c->n.n_out = 1;
    c->n.io = c->io;
    c->n.opts.activation = (uint8_t)act;
    c->n.opts.keep_dims = (uint8_t)keep;
    c->m = (mote_model){.tensors = c->t, .n_tensors = 4, .nodes = &c->n, .n_nodes = 1};
}

static mote_status fc_run(fc_case *c)
{
    /* weights and bias are constants, as in every model (optimized kernels repack only
     * constants); a case without bias leaves t[2] unset, so it is not touched */
    c->t[1].flags |= MOTE_TENSOR_CONST;
    if (c->io[2] >= 0) c->t[2].flags |= MOTE_TENSOR_CONST;
    mote_status s = mote_prepare_isa(&c->m, &c->ctx, arena, sizeof arena, test_isa);
    if (s == MOTE_OK) {
        assert_true(c->n.scratch_bytes <= sizeof scratch);
        c->n.scratch = c->n.scratch_bytes ? scratch : NULL;
        mote_invoke(&c->m);
    }
    return s;
}

#define Q(sc, zp) {.scale = (sc), .zero_point = (zp), .n = 1}

static const float s_half[] = {0.5f}, s_quarter[] = {0.25f}, s_eighth[] = {0.125f}, s_one[] = {1.0f};
static const int32_t z0[] = {0}, zm1[] = {-1}, z3[] = {3}, zm128[] = {-128}, zm10[] = {-10};

/* in scale 0.5 zp -1, w scale 0.25, out scale 0.5 zp 3: M = 0.25.
 * x+1 = {2,4,0,6}; unit0: 2+8+0+24 = 34, +4 = 38, *0.25 = 9.5 -> 10, +3 = 13.
 * unit1: -2+0+0-12 = -14, -8 = -22, *0.25 = -5.5 -> -6 (half away), +3 = -3. */
static void test_fc_s8_per_tensor(void **state)
{
    (void)state;
    int8_t x[4] = {1, 3, -1, 5}, w[8] = {1, 2, 3, 4, -1, 0, 2, -2}, y[2] = {0};
    int32_t bias[2] = {4, -8};
    fc_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 4, .dims = {1, 4}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, zm1)};
    c.t[1] = (mote_tensor){.data = w, .bytes = 8, .dims = {2, 4}, .rank = 2, .type = MOTE_I8,
                           .flags = MOTE_TENSOR_CONST, .q = Q(s_quarter, z0)};
    c.t[2] = (mote_tensor){.data = bias, .bytes = 8, .dims = {2}, .rank = 1, .type = MOTE_I32,
                           .flags = MOTE_TENSOR_CONST, .q = Q(s_eighth, z0)};
    c.t[3] = (mote_tensor){.data = y, .bytes = 2, .dims = {1, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z3)};
    fc_init(&c, 1, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_int_equal(y[0], 13);
    assert_int_equal(y[1], -3);

    /* Without bias: 34*0.25 = 8.5 -> 9, +3 = 12; -14*0.25 = -3.5 -> -4, +3 = -1. */
    fc_init(&c, 0, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_int_equal(y[0], 12);
    assert_int_equal(y[1], -1);
}

/* Extreme zero points and saturation: in zp -128, out zp -128, M = 1.
 * x+128 = {255, 0}: unit0 255*127 = 32385 -> 127; unit1 255*-128 -> -128;
 * unit2 {1,-1}: 255 - 128 = 127; unit3 {0,1}: 0 - 128 = -128. */
static void test_fc_s8_saturation(void **state)
{
    (void)state;
    int8_t x[2] = {127, -128}, w[8] = {127, 127, -128, -128, 1, -1, 0, 1}, y[4] = {0};
    fc_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 2, .dims = {1, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_one, zm128)};
    c.t[1] = (mote_tensor){.data = w, .bytes = 8, .dims = {4, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_one, z0)};
    c.t[3] = (mote_tensor){.data = y, .bytes = 4, .dims = {1, 4}, .rank = 2, .type = MOTE_I8, .q = Q(s_one, zm128)};
    fc_init(&c, 0, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_int_equal(y[0], 127);
    assert_int_equal(y[1], -128);
    assert_int_equal(y[2], 127);
    assert_int_equal(y[3], -128);
}

/* Fused activations on out scale 0.5 zp -10: RELU clamps at -10, RELU6 at
 * [-10, 2]. Inputs scale 1 zp 0, weights scale 0.5: M = 1.
 * x = {3, -4}, units {1,1}: -1; {2,0}: 6; {-4,0}: -12; {0,-1}: 4. Plus -10. */
static void test_fc_s8_activations(void **state)
{
    (void)state;
    int8_t x[2] = {3, -4}, w[8] = {1, 1, 2, 0, -4, 0, 0, -1}, y[4] = {0};
    fc_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 2, .dims = {1, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_one, z0)};
    c.t[1] = (mote_tensor){.data = w, .bytes = 8, .dims = {4, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z0)};
    c.t[3] = (mote_tensor){.data = y, .bytes = 4, .dims = {1, 4}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, zm10)};
    fc_init(&c, 0, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_int_equal(y[0], -11);
    assert_int_equal(y[1], -4);
    assert_int_equal(y[2], -22);
    assert_int_equal(y[3], -6);
    fc_init(&c, 0, MOTE_ACT_RELU, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_int_equal(y[0], -10);
    assert_int_equal(y[1], -4);
    assert_int_equal(y[2], -10);
    assert_int_equal(y[3], -6);
    fc_init(&c, 0, MOTE_ACT_RELU6, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_int_equal(y[0], -10);
    assert_int_equal(y[1], -4);
    fc_init(&c, 0, MOTE_ACT_RELU_N1_TO_1, 0); /* [-10 - 2, -10 + 2] */
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_int_equal(y[0], -11);
    assert_int_equal(y[1], -8);
    assert_int_equal(y[2], -12);
    assert_int_equal(y[3], -8);
}

/* Per-channel weights: scales {0.5, 0.25}, in/out scale 1.
 * x = {2, -3}; unit0 {3, 1}: 3 + bias 1 = 4, *0.5 = 2;
 * unit1 {4, 4}: -4 + bias 2 = -2, *0.25 = -0.5 -> -1. Weight zero points are ignored. */
static void test_fc_s8_per_channel(void **state)
{
    (void)state;
    static const float ws[2] = {0.5f, 0.25f};
    static const int32_t wz[2] = {5, -7};
    int8_t x[2] = {2, -3}, w[4] = {3, 1, 4, 4}, y[2] = {0};
    int32_t bias[2] = {1, 2};
    fc_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 2, .dims = {1, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_one, z0)};
    c.t[1] = (mote_tensor){.data = w, .bytes = 4, .dims = {2, 2}, .rank = 2, .type = MOTE_I8,
                           .q = {.scale = ws, .zero_point = wz, .n = 2, .axis = 0}};
    c.t[2] = (mote_tensor){.data = bias, .bytes = 8, .dims = {2}, .rank = 1, .type = MOTE_I32};
    c.t[3] = (mote_tensor){.data = y, .bytes = 2, .dims = {1, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_one, z0)};
    fc_init(&c, 1, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], -1);

    /* A per-channel scale count that is not the number of units is refused. */
    c.t[1].q.n = 3;
    assert_int_equal(fc_run(&c), MOTE_ERR_PARAM);
    assert_int_equal(c.ctx.err_tensor, 1);
}

/* A rank-4 input [1,2,1,3] is read as 2 batches of 3 features; M = 1.
 * w = {1,0,-1 ; 1,1,1}: batch0 x={1,2,3}: -2, 6; batch1 x={-4,5,6}: -10, 7. */
static void test_fc_s8_batches_and_keep_dims(void **state)
{
    (void)state;
    int8_t x[6] = {1, 2, 3, -4, 5, 6}, w[6] = {1, 0, -1, 1, 1, 1}, y[4] = {0};
    fc_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 6, .dims = {1, 2, 1, 3}, .rank = 4, .type = MOTE_I8, .q = Q(s_one, z0)};
    c.t[1] = (mote_tensor){.data = w, .bytes = 6, .dims = {2, 3}, .rank = 2, .type = MOTE_I8, .q = Q(s_one, z0)};
    c.t[3] = (mote_tensor){.data = y, .bytes = 4, .dims = {2, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_one, z0)};
    fc_init(&c, 0, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    int8_t want[4] = {-2, 6, -10, 7};
    assert_memory_equal(y, want, 4);

    /* keep_num_dims with a [1,2,3] input gives [1,2,2]. */
    c.t[0].dims[0] = 1, c.t[0].dims[1] = 2, c.t[0].dims[2] = 3, c.t[0].rank = 3;
    c.t[3].dims[0] = 1, c.t[3].dims[1] = 2, c.t[3].dims[2] = 2, c.t[3].rank = 3;
    memset(y, 0, 4);
    fc_init(&c, 0, MOTE_ACT_NONE, 1);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_memory_equal(y, want, 4);

    /* Without keep_num_dims the rank-3 output is refused. */
    fc_init(&c, 0, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 3);
}

/* float32: w = {1,0,-1 ; 0.5,0.5,0.5}, x = {1,2,3}: dot = -2, 3; bias {0.5,-10}. */
static void test_fc_f32(void **state)
{
    (void)state;
    float x[3] = {1, 2, 3}, w[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f}, bias[2] = {0.5f, -10}, y[2] = {0};
    fc_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 12, .dims = {1, 3}, .rank = 2, .type = MOTE_F32};
    c.t[1] = (mote_tensor){.data = w, .bytes = 24, .dims = {2, 3}, .rank = 2, .type = MOTE_F32};
    c.t[2] = (mote_tensor){.data = bias, .bytes = 8, .dims = {2}, .rank = 1, .type = MOTE_F32};
    c.t[3] = (mote_tensor){.data = y, .bytes = 8, .dims = {1, 2}, .rank = 2, .type = MOTE_F32};
    fc_init(&c, 0, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_true(y[0] == -2.0f && y[1] == 3.0f);
    fc_init(&c, 1, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_true(y[0] == -1.5f && y[1] == -7.0f);
    fc_init(&c, 1, MOTE_ACT_RELU, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_true(y[0] == 0.0f && y[1] == 0.0f);
    fc_init(&c, 0, MOTE_ACT_RELU_N1_TO_1, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_true(y[0] == -1.0f && y[1] == 1.0f);
    fc_init(&c, 0, MOTE_ACT_RELU6, 0);
    x[2] = -20; /* dot = 21, -8.5 */
    assert_int_equal(fc_run(&c), MOTE_OK);
    assert_true(y[0] == 6.0f && y[1] == 0.0f);
}

static void test_fc_rejects_bad_models(void **state)
{
    (void)state;
    int8_t x[4] = {0}, w[8] = {0}, y[2] = {0};
    int32_t bias[2] = {0};
    fc_case c;
    c.t[0] = (mote_tensor){.data = x, .bytes = 4, .dims = {1, 4}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z0)};
    c.t[1] = (mote_tensor){.data = w, .bytes = 8, .dims = {2, 4}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z0)};
    c.t[2] = (mote_tensor){.data = bias, .bytes = 8, .dims = {2}, .rank = 1, .type = MOTE_I32, .q = Q(s_quarter, z0)};
    c.t[3] = (mote_tensor){.data = y, .bytes = 2, .dims = {1, 2}, .rank = 2, .type = MOTE_I8, .q = Q(s_half, z0)};
    fc_init(&c, 1, MOTE_ACT_NONE, 0);
    assert_int_equal(fc_run(&c), MOTE_OK);

    c.t[3].dims[1] = 3; /* wrong unit count */
    assert_int_equal(fc_run(&c), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 3);
    c.t[3].dims[1] = 2;

    c.t[0].dims[1] = 5; /* 5 is not a multiple of depth 4 */
    assert_int_equal(fc_run(&c), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 0);
    c.t[0].dims[1] = 4;

    c.t[2].q.scale = s_one; /* bias scale far from 0.5*0.5 relative to out scale 0.5 */
    assert_int_equal(fc_run(&c), MOTE_ERR_PARAM);
    assert_int_equal(c.ctx.err_tensor, 2);
    c.t[2].q.scale = s_quarter;

    c.t[2].type = MOTE_I8;
    assert_int_equal(fc_run(&c), MOTE_ERR_TYPE);
    c.t[2].type = MOTE_I32;

    c.t[1].type = MOTE_F32;
    assert_int_equal(fc_run(&c), MOTE_ERR_TYPE);
    assert_int_equal(c.ctx.err_tensor, 1);
    c.t[1].type = MOTE_I8;

    c.t[3].q.n = 0;
    assert_int_equal(fc_run(&c), MOTE_ERR_PARAM);
    c.t[3].q.n = 1;

    fc_init(&c, 1, MOTE_ACT_TANH, 0);
    assert_int_equal(fc_run(&c), MOTE_ERR_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_s8_per_tensor),
        cmocka_unit_test(test_fc_s8_saturation),
        cmocka_unit_test(test_fc_s8_activations),
        cmocka_unit_test(test_fc_s8_per_channel),
        cmocka_unit_test(test_fc_s8_batches_and_keep_dims),
        cmocka_unit_test(test_fc_f32),
        cmocka_unit_test(test_fc_rejects_bad_models),
    };
    int failed = 0;
    for (size_t i = 0; i < N_KERNEL_ISAS; i++) {
        test_isa = kernel_isas[i];
        failed += cmocka_run_group_tests(tests, NULL, NULL);
    }
    return failed;
}
