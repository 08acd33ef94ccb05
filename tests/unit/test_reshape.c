/* RESHAPE: copies bytes, refuses a size change at prepare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mote/kernel.h"

static _Alignas(16) uint8_t arena[1024];

static void test_reshape_copies(void **state)
{
    (void)state;
    int8_t a[6] = {1, -2, 3, -4, 5, 127}, b[6] = {0};
    mote_tensor t[2] = {
        {.data = a, .bytes = 6, .dims = {2, 3}, .rank = 2, .type = MOTE_I8},
        {.data = b, .bytes = 6, .dims = {6}, .rank = 1, .type = MOTE_I8},
    };
    int32_t io[2] = {0, 1};
    mote_node n = {.op = MOTE_OP_RESHAPE, .n_in = 1, .n_out = 1, .io = io};
    mote_model m = {.tensors = t, .n_tensors = 2, .nodes = &n, .n_nodes = 1};
    mote_ctx ctx;
    assert_int_equal(mote_prepare(&m, &ctx, arena, sizeof arena), MOTE_OK);
    mote_invoke(&m);
    assert_memory_equal(a, b, 6);
}

static void test_reshape_rejects_size_change(void **state)
{
    (void)state;
    int8_t a[6] = {0}, b[4] = {0};
    mote_tensor t[2] = {
        {.data = a, .bytes = 6, .dims = {6}, .rank = 1, .type = MOTE_I8},
        {.data = b, .bytes = 4, .dims = {4}, .rank = 1, .type = MOTE_I8},
    };
    int32_t io[2] = {0, 1};
    mote_node n = {.op = MOTE_OP_RESHAPE, .n_in = 1, .n_out = 1, .io = io};
    mote_model m = {.tensors = t, .n_tensors = 2, .nodes = &n, .n_nodes = 1};
    mote_ctx ctx;
    assert_int_equal(mote_prepare(&m, &ctx, arena, sizeof arena), MOTE_ERR_SHAPE);
    assert_int_equal(ctx.err_node, 0);
    assert_int_equal(ctx.err_tensor, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reshape_copies),
        cmocka_unit_test(test_reshape_rejects_size_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
