/* CAST, DIV, MINIMUM/MAXIMUM, STRIDED_SLICE: hand-computed values and edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "mote/kernel.h"

static _Alignas(16) uint8_t arena[4096];

static mote_status run(mote_node *n, mote_tensor *t, int32_t nt)
{
    mote_model m = {.tensors = t, .n_tensors = nt, .nodes = n, .n_nodes = 1};
    mote_ctx ctx;
    mote_status s = mote_prepare(&m, &ctx, arena, sizeof arena);
    if (s == MOTE_OK) mote_invoke(&m);
    return s;
}

#define TV(ptr, dt, ...) {.data = (ptr), .bytes = sizeof(ptr), .dims = {__VA_ARGS__}, .rank = (uint8_t)(sizeof((int32_t[]){__VA_ARGS__}) / 4), .type = (dt)}
#define TS(ptr, dt) {.data = (ptr), .bytes = sizeof(*(ptr)), .rank = 0, .type = (dt)}

static void cast1(void *x, int xt, void *y, int yt, int32_t count, size_t yb, size_t xb)
{
    mote_tensor t[2] = {{.data = x, .bytes = xb, .dims = {count}, .rank = 1, .type = (uint8_t)xt},
                        {.data = y, .bytes = yb, .dims = {count}, .rank = 1, .type = (uint8_t)yt}};
    int32_t io[2] = {0, 1};
    mote_node n = {.op = MOTE_OP_CAST, .n_in = 1, .n_out = 1, .io = io};
    assert_int_equal(run(&n, t, 2), MOTE_OK);
}

static void test_cast_integers(void **state)
{
    (void)state;
    uint32_t u[3] = {0, 2147483648u, 4294967295u};
    int32_t s[3];
    cast1(u, MOTE_U32, s, MOTE_I32, 3, sizeof s, sizeof u);
    assert_int_equal(s[1], INT32_MIN); /* bit pattern kept */
    assert_int_equal(s[2], -1);
    uint32_t back[3];
    cast1(s, MOTE_I32, back, MOTE_U32, 3, sizeof back, sizeof s);
    assert_memory_equal(back, u, sizeof u);
    int16_t h[3] = {-32768, -1, 32767};
    int32_t w[3];
    cast1(h, MOTE_I16, w, MOTE_I32, 3, sizeof w, sizeof h);
    assert_int_equal(w[0], -32768);
    assert_int_equal(w[1], -1);
    int32_t big[4] = {127, 128, -129, 300};
    int8_t b[4];
    cast1(big, MOTE_I32, b, MOTE_I8, 4, sizeof b, sizeof big);
    assert_int_equal(b[0], 127);
    assert_int_equal(b[1], -128); /* low 8 bits, as static_cast */
    assert_int_equal(b[2], 127);
    assert_int_equal(b[3], 44);
    int16_t neg[2] = {-1, 5};
    uint64_t u64[2];
    cast1(neg, MOTE_I16, u64, MOTE_U64, 2, sizeof u64, sizeof neg);
    assert_true(u64[0] == UINT64_MAX);
    uint8_t bl[2];
    cast1(neg, MOTE_I16, bl, MOTE_BOOL, 2, sizeof bl, sizeof neg);
    assert_int_equal(bl[0], 1);
    assert_int_equal(bl[1], 1);
}

static void test_cast_float(void **state)
{
    (void)state;
    float f[5] = {-1.9f, 2.9f, 1e10f, -1e10f, NAN};
    int32_t i[5];
    cast1(f, MOTE_F32, i, MOTE_I32, 5, sizeof i, sizeof f);
    assert_int_equal(i[0], -1); /* truncation toward zero */
    assert_int_equal(i[1], 2);
    assert_int_equal(i[2], INT32_MAX); /* saturated */
    assert_int_equal(i[3], INT32_MIN);
    assert_int_equal(i[4], 0);
    int8_t q[5];
    cast1(f, MOTE_F32, q, MOTE_I8, 5, sizeof q, sizeof f);
    assert_int_equal(q[2], 127);
    assert_int_equal(q[3], -128);
    int32_t src[2] = {-7, 16777217};
    float g[2];
    cast1(src, MOTE_I32, g, MOTE_F32, 2, sizeof g, sizeof src);
    assert_true(g[0] == -7.0f);
    assert_true(g[1] == 16777216.0f); /* rounded to nearest float */
}

static void test_cast_rejects_shape(void **state)
{
    (void)state;
    int32_t a[4] = {0}, b[3];
    mote_tensor t[2] = {TV(a, MOTE_I32, 4), TV(b, MOTE_I32, 3)};
    int32_t io[2] = {0, 1};
    mote_node n = {.op = MOTE_OP_CAST, .n_in = 1, .n_out = 1, .io = io};
    assert_int_equal(run(&n, t, 2), MOTE_ERR_SHAPE);
}

static void test_div_int32_truncates(void **state)
{
    (void)state;
    int32_t a[6] = {7, -7, 7, -7, INT32_MIN, 5}, b[6] = {2, 2, -2, -2, -1, 0}, y[6];
    mote_tensor t[3] = {TV(a, MOTE_I32, 6), TV(b, MOTE_I32, 6), TV(y, MOTE_I32, 6)};
    int32_t io[3] = {0, 1, 2};
    mote_node n = {.op = MOTE_OP_DIV, .n_in = 2, .n_out = 1, .io = io};
    assert_int_equal(run(&n, t, 3), MOTE_OK);
    const int32_t want[6] = {3, -3, -3, 3, INT32_MIN, 0}; /* x/0 and MIN/-1 defined by mote */
    assert_memory_equal(y, want, sizeof want);
}

static void test_div_int32_broadcast_scalar_and_relu6(void **state)
{
    (void)state;
    /* the micro_speech pattern: (x*256 + 333) / 666 */
    int32_t a[4] = {333, 999, 665 * 256 + 333, -1000}, c = 666, y[4];
    mote_tensor t[3] = {TV(a, MOTE_I32, 4), TS(&c, MOTE_I32), TV(y, MOTE_I32, 4)};
    int32_t io[3] = {0, 1, 2};
    mote_node n = {.op = MOTE_OP_DIV, .n_in = 2, .n_out = 1, .io = io};
    assert_int_equal(run(&n, t, 3), MOTE_OK);
    assert_int_equal(y[0], 0);
    assert_int_equal(y[1], 1);
    assert_int_equal(y[2], 256);
    assert_int_equal(y[3], -1);
    n.opts.activation = MOTE_ACT_RELU6;
    assert_int_equal(run(&n, t, 3), MOTE_OK);
    assert_int_equal(y[2], 6);
    assert_int_equal(y[3], 0);
}

static void test_div_float_broadcast_2d(void **state)
{
    (void)state;
    float a[2][3] = {{1, 2, 3}, {4, 5, 6}}, b[2][1] = {{2}, {-4}}, y[2][3];
    mote_tensor t[3] = {TV(a, MOTE_F32, 2, 3), TV(b, MOTE_F32, 2, 1), TV(y, MOTE_F32, 2, 3)};
    int32_t io[3] = {0, 1, 2};
    mote_node n = {.op = MOTE_OP_DIV, .n_in = 2, .n_out = 1, .io = io};
    assert_int_equal(run(&n, t, 3), MOTE_OK);
    const float want[6] = {0.5f, 1.0f, 1.5f, -1.0f, -1.25f, -1.5f};
    assert_memory_equal(y, want, sizeof want);
    /* incompatible shapes */
    float bad[3] = {1, 2, 3};
    mote_tensor t2[3] = {TV(a, MOTE_F32, 2, 3), TV(bad, MOTE_F32, 3), TV(y, MOTE_F32, 2, 3)};
    t2[0].dims[1] = 2; /* [2,2] vs [3] */
    t2[2].dims[1] = 2;
    assert_int_equal(run(&n, t2, 3), MOTE_ERR_SHAPE);
    /* dtype mismatch */
    int32_t yi[6];
    mote_tensor t3[3] = {TV(a, MOTE_F32, 2, 3), TV(b, MOTE_F32, 2, 1), TV(yi, MOTE_I32, 2, 3)};
    assert_int_equal(run(&n, t3, 3), MOTE_ERR_TYPE);
}

static void test_min_max_int32_clip(void **state)
{
    (void)state;
    int32_t x[4] = {-300, -128, 50, 400}, hi = 127, lo = -128, m[4], y[4];
    mote_tensor t[5] = {TV(x, MOTE_I32, 4), TS(&hi, MOTE_I32), TV(m, MOTE_I32, 4), TS(&lo, MOTE_I32), TV(y, MOTE_I32, 4)};
    int32_t io1[3] = {0, 1, 2}, io2[3] = {2, 3, 4};
    mote_node n1 = {.op = MOTE_OP_MINIMUM, .n_in = 2, .n_out = 1, .io = io1};
    mote_node n2 = {.op = MOTE_OP_MAXIMUM, .n_in = 2, .n_out = 1, .io = io2};
    assert_int_equal(run(&n1, t, 5), MOTE_OK);
    assert_int_equal(run(&n2, t, 5), MOTE_OK);
    const int32_t wm[4] = {-300, -128, 50, 127}, wy[4] = {-128, -128, 50, 127};
    assert_memory_equal(m, wm, sizeof wm);
    assert_memory_equal(y, wy, sizeof wy);
}

static void test_min_max_broadcast_int8_float(void **state)
{
    (void)state;
    int8_t a[2][3] = {{-128, 0, 127}, {5, -5, 1}}, b[3] = {0, -1, 2}, y[2][3];
    mote_tensor t[3] = {TV(a, MOTE_I8, 2, 3), TV(b, MOTE_I8, 3), TV(y, MOTE_I8, 2, 3)};
    int32_t io[3] = {0, 1, 2};
    mote_node n = {.op = MOTE_OP_MAXIMUM, .n_in = 2, .n_out = 1, .io = io};
    assert_int_equal(run(&n, t, 3), MOTE_OK);
    const int8_t wmax[6] = {0, 0, 127, 5, -1, 2};
    assert_memory_equal(y, wmax, 6);
    n.op = MOTE_OP_MINIMUM;
    /* b on the left this time: [3] vs [2,3] */
    int32_t io2[3] = {1, 0, 2};
    n.io = io2;
    assert_int_equal(run(&n, t, 3), MOTE_OK);
    const int8_t wmin[6] = {-128, -1, 2, 0, -5, 1};
    assert_memory_equal(y, wmin, 6);
    float fa[2] = {NAN, 1.0f}, fb[2] = {3.0f, NAN}, fy[2];
    mote_tensor tf[3] = {TV(fa, MOTE_F32, 2), TV(fb, MOTE_F32, 2), TV(fy, MOTE_F32, 2)};
    mote_node nf = {.op = MOTE_OP_MAXIMUM, .n_in = 2, .n_out = 1, .io = io};
    assert_int_equal(run(&nf, tf, 3), MOTE_OK);
    assert_true(fy[0] == 3.0f); /* a > b is false for NaN: b */
    assert_true(isnan(fy[1]));
}

/* STRIDED_SLICE on a const-index model */
static mote_status slice(mote_tensor *in, int32_t *b, int32_t *e, int32_t *s, int r, mote_tensor *out, mote_opts o)
{
    mote_tensor t[5];
    t[0] = *in;
    mote_tensor iv = {.bytes = 4 * (size_t)r, .dims = {r}, .rank = 1, .type = MOTE_I32, .flags = MOTE_TENSOR_CONST};
    t[1] = iv, t[1].data = b;
    t[2] = iv, t[2].data = e;
    t[3] = iv, t[3].data = s;
    t[4] = *out;
    int32_t io[5] = {0, 1, 2, 3, 4};
    mote_node n = {.op = MOTE_OP_STRIDED_SLICE, .n_in = 4, .n_out = 1, .io = io, .opts = o};
    return run(&n, t, 5);
}

static void test_strided_slice_1d(void **state)
{
    (void)state;
    int32_t x[10], y[4];
    for (int i = 0; i < 10; i++) x[i] = i * 10;
    mote_tensor in = TV(x, MOTE_I32, 10), out = TV(y, MOTE_I32, 4);
    mote_opts o = {0};
    int32_t b = 5, e = 9, s = 1;
    assert_int_equal(slice(&in, &b, &e, &s, 1, &out, o), MOTE_OK); /* like the model's [5:241] */
    const int32_t w1[4] = {50, 60, 70, 80};
    assert_memory_equal(y, w1, sizeof w1);
    b = -1, e = -100, s = -3; /* 9, 6, 3, 0 */
    assert_int_equal(slice(&in, &b, &e, &s, 1, &out, o), MOTE_OK);
    const int32_t w2[4] = {90, 60, 30, 0};
    assert_memory_equal(y, w2, sizeof w2);
    b = 100, e = 0, s = 2; /* begin_mask ignores 100; end_mask runs to the end: 0,2,...,8 is 5 > 4 */
    o.begin_mask = 1;
    o.end_mask = 1;
    s = 3; /* 0, 3, 6, 9 */
    assert_int_equal(slice(&in, &b, &e, &s, 1, &out, o), MOTE_OK);
    const int32_t w3[4] = {0, 30, 60, 90};
    assert_memory_equal(y, w3, sizeof w3);
    o = (mote_opts){0};
    o.offset = 1; /* end = begin + 4 */
    b = 2, e = 4, s = 1;
    assert_int_equal(slice(&in, &b, &e, &s, 1, &out, o), MOTE_OK);
    const int32_t w4[4] = {20, 30, 40, 50};
    assert_memory_equal(y, w4, sizeof w4);
    /* wrong output length */
    o = (mote_opts){0};
    b = 0, e = 3, s = 1;
    assert_int_equal(slice(&in, &b, &e, &s, 1, &out, o), MOTE_ERR_SHAPE);
    s = 0;
    assert_int_equal(slice(&in, &b, &e, &s, 1, &out, o), MOTE_ERR_PARAM);
}

static void test_strided_slice_2d_shrink(void **state)
{
    (void)state;
    int16_t x[3][4] = {{0, 1, 2, 3}, {10, 11, 12, 13}, {20, 21, 22, 23}}, y[4];
    mote_tensor in = TV(x, MOTE_I16, 3, 4), out = TV(y, MOTE_I16, 4);
    mote_opts o = {0};
    o.shrink_axis_mask = 1; /* row -2 -> row 1, dropped axis */
    o.end_mask = 2;
    int32_t b[2] = {-2, 0}, e[2] = {0, 0}, s[2] = {1, 1};
    assert_int_equal(slice(&in, b, e, s, 2, &out, o), MOTE_OK);
    const int16_t w1[4] = {10, 11, 12, 13};
    assert_memory_equal(y, w1, sizeof w1);
    /* column 3 of every other row, reversed rows: x[::-2, 3] -> rows 2, 0 */
    int16_t y2[2];
    mote_tensor out2 = TV(y2, MOTE_I16, 2);
    o = (mote_opts){0};
    o.begin_mask = 1;
    o.end_mask = 1;
    o.shrink_axis_mask = 2;
    int32_t b2[2] = {0, 3}, e2[2] = {0, 4}, s2[2] = {-2, 1};
    assert_int_equal(slice(&in, b2, e2, s2, 2, &out2, o), MOTE_OK);
    assert_int_equal(y2[0], 23);
    assert_int_equal(y2[1], 3);
    o.ellipsis_mask = 1;
    assert_int_equal(slice(&in, b2, e2, s2, 2, &out2, o), MOTE_ERR_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cast_integers),
        cmocka_unit_test(test_cast_float),
        cmocka_unit_test(test_cast_rejects_shape),
        cmocka_unit_test(test_div_int32_truncates),
        cmocka_unit_test(test_div_int32_broadcast_scalar_and_relu6),
        cmocka_unit_test(test_div_float_broadcast_2d),
        cmocka_unit_test(test_min_max_int32_clip),
        cmocka_unit_test(test_min_max_broadcast_int8_float),
        cmocka_unit_test(test_strided_slice_1d),
        cmocka_unit_test(test_strided_slice_2d_shrink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
