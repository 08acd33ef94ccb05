/* TRANSPOSE: NCHW <-> NHWC and a 3-D permutation, worked by hand; bad
 * permutations and shapes refused at prepare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "node_harness.h"

static void perm_tensor(mote_tensor *t, int32_t *p, int rank)
{
    mk(t, p, MOTE_I32, 1, DIMS(rank), NULL);
    t->dims[0] = rank;
    t->bytes = (size_t)rank * 4;
    t->flags = MOTE_TENSOR_CONST;
}

static void test_nchw_to_nhwc(void **state)
{
    (void)state;
    /* [1, 2, 2, 3]: channel c, row h, column w holds 100c + 10h + w */
    float in[12], out[12] = {0};
    for (int c = 0; c < 2; c++)
        for (int h = 0; h < 2; h++)
            for (int w = 0; w < 3; w++) in[c * 6 + h * 3 + w] = (float)(100 * c + 10 * h + w);
    int32_t perm[4] = {0, 2, 3, 1};
    mote_tensor t[3];
    mk(&t[0], in, MOTE_F32, 4, DIMS(1, 2, 2, 3), NULL);
    perm_tensor(&t[1], perm, 4);
    mk(&t[2], out, MOTE_F32, 4, DIMS(1, 2, 3, 2), NULL);
    assert_int_equal(run_node(MOTE_OP_TRANSPOSE, t, 2, no_opts()), MOTE_OK);
    const float want[12] = {0, 100, 1, 101, 2, 102, 10, 110, 11, 111, 12, 112};
    assert_memory_equal(out, want, sizeof want);
    /* and back */
    float back[12] = {0};
    int32_t inv[4] = {0, 3, 1, 2};
    mk(&t[0], out, MOTE_F32, 4, DIMS(1, 2, 3, 2), NULL);
    perm_tensor(&t[1], inv, 4);
    mk(&t[2], back, MOTE_F32, 4, DIMS(1, 2, 2, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_TRANSPOSE, t, 2, no_opts()), MOTE_OK);
    assert_memory_equal(back, in, sizeof in);
}

static void test_3d_int8(void **state)
{
    (void)state;
    int8_t in[24], out[24];
    for (int i = 0; i < 24; i++) in[i] = (int8_t)i;
    int32_t perm[3] = {2, 0, 1}; /* [2, 3, 4] -> [4, 2, 3] */
    mote_tensor t[3];
    mk(&t[0], in, MOTE_I8, 3, DIMS(2, 3, 4), NULL);
    perm_tensor(&t[1], perm, 3);
    mk(&t[2], out, MOTE_I8, 3, DIMS(4, 2, 3), NULL);
    assert_int_equal(run_node(MOTE_OP_TRANSPOSE, t, 2, no_opts()), MOTE_OK);
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) assert_int_equal(out[k * 6 + i * 3 + j], in[i * 12 + j * 4 + k]);
}

static void test_rejects(void **state)
{
    (void)state;
    float in[6] = {0}, out[6];
    int32_t dup[2] = {0, 0}, ok[2] = {1, 0};
    mote_tensor t[3];
    mk(&t[0], in, MOTE_F32, 2, DIMS(2, 3), NULL);
    perm_tensor(&t[1], dup, 2);
    mk(&t[2], out, MOTE_F32, 2, DIMS(3, 2), NULL);
    assert_int_equal(run_node(MOTE_OP_TRANSPOSE, t, 2, no_opts()), MOTE_ERR_PARAM);
    perm_tensor(&t[1], ok, 2);
    mk(&t[2], out, MOTE_F32, 2, DIMS(2, 3), NULL); /* not the permuted shape */
    assert_int_equal(run_node(MOTE_OP_TRANSPOSE, t, 2, no_opts()), MOTE_ERR_SHAPE);
    t[1].flags = 0; /* perm not constant */
    mk(&t[2], out, MOTE_F32, 2, DIMS(3, 2), NULL);
    assert_int_equal(run_node(MOTE_OP_TRANSPOSE, t, 2, no_opts()), MOTE_ERR_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nchw_to_nhwc),
        cmocka_unit_test(test_3d_int8),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
