/* DEPTHWISE_CONV_2D: int8 (per-tensor / per-channel on axis 3) and float32.
 * Hand-computed cases, edge cases, and sweeps over every option against a
 * brute-force reference written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mote/kernel.h"
#include "mote/quant.h"

static _Alignas(16) uint8_t arena[8192];

/* tensors: 0 input, 1 filter, 2 bias (may be absent), 3 output */
typedef struct {
    mote_tensor t[4];
    int32_t io[4];
    mote_node node;
    mote_model model;
    mote_ctx ctx;
} dw_case;

static const float one = 1.0f;
static const int32_t zero = 0;

static void set_tensor(mote_tensor *t, void *data, mote_dtype type, int32_t d0, int32_t d1, int32_t d2, int32_t d3)
{
    memset(t, 0, sizeof *t);
    t->data = data;
    t->type = (uint8_t)type;
    t->rank = 4;
    t->dims[0] = d0;
    t->dims[1] = d1;
    t->dims[2] = d2;
    t->dims[3] = d3;
    t->bytes = (size_t)d0 * d1 * d2 * d3 * mote_dtype_size(type);
}

static void set_bias(mote_tensor *t, void *data, mote_dtype type, int32_t n)
{
    set_tensor(t, data, type, n, 1, 1, 1);
    t->rank = 1;
    t->flags = MOTE_TENSOR_CONST;
}

static void q1(mote_tensor *t, const float *scale, const int32_t *zp)
{
    t->q = (mote_quant){.scale = scale, .zero_point = zp, .n = 1, .axis = 0};
}

static mote_opts opts(int padding, int s, int dil, int mult, int act)
{
    mote_opts o;
    memset(&o, 0, sizeof o);
    o.padding = (uint8_t)padding;
    o.stride_h = o.stride_w = (int16_t)s;
    o.dilation_h = o.dilation_w = (int16_t)dil;
    o.depth_multiplier = (int16_t)mult;
    o.activation = (uint8_t)act;
    return o;
}

static mote_status prepare(dw_case *c, int has_bias, mote_opts o)
{
    c->io[0] = 0;
    c->io[1] = 1;
    c->io[2] = has_bias ? 2 : -1;
    c->io[3] = 3;
    memset(&c->node, 0, sizeof c->node);
    c->node.op = MOTE_OP_DEPTHWISE_CONV_2D;
    c->node.n_in = 3;
    c->node.n_out = 1;
    c->node.io = c->io;
    c->node.opts = o;
    c->model = (mote_model){.tensors = c->t, .n_tensors = 4, .nodes = &c->node, .n_nodes = 1};
    return mote_prepare_isa(&c->model, &c->ctx, arena, sizeof arena, MOTE_ISA_REFERENCE);
}

/* Depth multiplier 2 on a 2x2x2 input, 2x2 filter, VALID -> 1x1x4.
 * channel 0 = {1,2,3,4}, channel 1 = {5,6,7,8} (pixels in row-major order). */
static void test_s8_depth_multiplier2(void **state)
{
    (void)state;
    int8_t x[8] = {1, 5, 2, 6, 3, 7, 4, 8};
    /* filter [1,2,2,4]: per tap (row-major), outputs c0..c3 (c0,c1 read ch 0; c2,c3 read ch 1) */
    int8_t w[16] = {1, 1, 1, 0, /* tap (0,0) */
                    1, 0, 1, 1, /* tap (0,1) */
                    1, 0, 1, -1, /* tap (1,0) */
                    1, -1, 1, 0}; /* tap (1,1) */
    int32_t bias[4] = {0, 1, 2, 3};
    int8_t y[4];
    dw_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 2, 2, 2);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 2, 2, 4);
    set_bias(&c.t[2], bias, MOTE_I32, 4);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 1, 1, 4);
    q1(&c.t[0], &one, &zero);
    q1(&c.t[1], &one, &zero);
    q1(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 1, opts(MOTE_PAD_VALID, 1, 1, 2, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    /* c0 = 1+2+3+4 = 10; c1 = 1-4 = -3 (+1); c2 = 5+6+7+8 = 26 (+2); c3 = 6-7 = -1 (+3) */
    const int8_t e[4] = {10, -2, 28, 2};
    assert_memory_equal(y, e, 4);
    /* the option may be 0 (shapes decide), but must not contradict the shapes */
    assert_int_equal(prepare(&c, 1, opts(MOTE_PAD_VALID, 1, 1, 0, MOTE_ACT_NONE)), MOTE_OK);
    assert_int_equal(prepare(&c, 1, opts(MOTE_PAD_VALID, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_PARAM);
}

/* 3x3 single channel input 1..9, 3x3 filter of ones, stride 2, SAME:
 * out 2x2, total padding 2 -> one row/col before, one after. */
static void test_s8_stride2_same(void **state)
{
    (void)state;
    int8_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, y[4];
    dw_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 3, 3, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 3, 3, 1);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 2, 2, 1);
    q1(&c.t[0], &one, &zero);
    q1(&c.t[1], &one, &zero);
    q1(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_SAME, 2, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    /* windows centred on (0,0), (0,2), (2,0), (2,2) */
    const int8_t e[4] = {1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9};
    assert_memory_equal(y, e, 4);
    /* VALID stride 2: a single window covering everything = 45 */
    set_tensor(&c.t[3], y, MOTE_I8, 1, 1, 1, 1);
    q1(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 2, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    assert_int_equal(y[0], 45);
    /* dilation 2, SAME, stride 1 on 3x3: the 3x3 filter spans 5x5, padding 2 */
    set_tensor(&c.t[3], y, MOTE_I8, 1, 3, 3, 1);
    q1(&c.t[3], &one, &zero);
    int8_t y9[9];
    c.t[3].data = y9;
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_SAME, 1, 2, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    /* output (1,1): taps at rows/cols -1,1,3 -> only (1,1) inside = 5;
     * output (0,0): taps at -2,0,2 -> (0,0),(0,2),(2,0),(2,2) = 1+3+7+9 = 20 */
    assert_int_equal(y9[4], 5);
    assert_int_equal(y9[0], 20);
    assert_int_equal(y9[1], 2 + 8); /* rows 0,2; col 1 */
}

/* Zero points at the extremes and saturation: input zp 127, output zp -128. */
static void test_s8_zero_points_saturation(void **state)
{
    (void)state;
    int8_t x[4] = {127, 126, 0, -128}, w[2] = {1, -1}, y[8];
    const int32_t zin = 127, zout = -128;
    dw_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 2, 2, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 1, 1, 2);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 2, 2, 2);
    q1(&c.t[0], &one, &zin);
    q1(&c.t[1], &one, &zero);
    q1(&c.t[3], &one, &zout);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 2, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    /* real inputs 0, -1, -127, -255; c0 = real - 128, c1 = -real - 128 */
    const int8_t e[8] = {-128, -128, -128, -127, -128, -1, -128, 127};
    assert_memory_equal(y, e, 8);
}

/* Per-channel scales along axis 3, and a scale array on the wrong axis is refused. */
static void test_s8_per_channel(void **state)
{
    (void)state;
    int8_t x[2] = {10, 10}, w[2] = {3, 3}, y[2];
    const float fs[2] = {0.5f, 0.125f};
    const int32_t fz[2] = {0, 0};
    dw_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 1, 1, 2);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 1, 1, 2);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 1, 1, 2);
    q1(&c.t[0], &one, &zero);
    c.t[1].q = (mote_quant){.scale = fs, .zero_point = fz, .n = 2, .axis = 3};
    q1(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    assert_int_equal(y[0], 15); /* 30 * 0.5 */
    assert_int_equal(y[1], 4);  /* 30 * 0.125 = 3.75 -> 4 */
    c.t[1].q.axis = 0;
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_PARAM);
    assert_int_equal(c.ctx.err_tensor, 1);
}

/* ---- sweeps against a brute-force reference ---- */

static uint32_t rng_state;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (int32_t)((rng_state >> 8) % (uint32_t)(hi - lo + 1));
}

typedef struct {
    int32_t n, ih, iw, ic, mult, kh, kw, s, dil, padding;
    int32_t oh, ow, pad_t, pad_l;
} geom;

static void make_geom(geom *g)
{
    int32_t eh = (g->kh - 1) * g->dil + 1, ew = (g->kw - 1) * g->dil + 1;
    if (g->padding == MOTE_PAD_SAME) {
        g->oh = (g->ih + g->s - 1) / g->s;
        g->ow = (g->iw + g->s - 1) / g->s;
    } else {
        g->oh = (g->ih - eh) / g->s + 1;
        g->ow = (g->iw - ew) / g->s + 1;
    }
    int32_t th = (g->oh - 1) * g->s + eh - g->ih, tw = (g->ow - 1) * g->s + ew - g->iw;
    g->pad_t = th > 0 ? th / 2 : 0;
    g->pad_l = tw > 0 ? tw / 2 : 0;
}

/* Sum over the window on the zero-padded grid, real values (exact for ints). */
static double ref_sum(const geom *g, const double *x, const double *w, int32_t b, int32_t oy, int32_t ox, int32_t c)
{
    int32_t oc = g->ic * g->mult, ch = c / g->mult;
    double s = 0.0;
    for (int32_t fy = 0; fy < g->kh; fy++)
        for (int32_t fx = 0; fx < g->kw; fx++) {
            int32_t y = oy * g->s + fy * g->dil - g->pad_t, xx = ox * g->s + fx * g->dil - g->pad_l;
            double v = (y < 0 || y >= g->ih || xx < 0 || xx >= g->iw) ? 0.0 : x[((b * g->ih + y) * g->iw + xx) * g->ic + ch];
            s += v * w[(fy * g->kw + fx) * oc + c];
        }
    return s;
}

static void test_s8_sweep(void **state)
{
    (void)state;
    static int8_t x[2 * 7 * 5 * 3], w[3 * 4 * 6], y[2 * 7 * 5 * 6];
    static int32_t bias[6];
    static double xd[sizeof x], wd[sizeof w];
    const float in_scale = 0.04f, out_scale = 0.07f;
    const float fs[6] = {0.02f, 0.013f, 0.031f, 0.0051f, 0.017f, 0.009f};
    const int32_t fz[6] = {0};
    const int32_t in_zp = -5, out_zp = 11;
    int tested = 0;
    rng_state = 4242u;
    for (int cfg = 0; cfg < 64; cfg++) {
        geom g = {.n = 2, .ih = 7, .iw = 5, .ic = 3, .kh = 3, .kw = 4};
        g.padding = cfg & 1 ? MOTE_PAD_VALID : MOTE_PAD_SAME;
        g.s = cfg & 2 ? 2 : 1;
        g.dil = cfg & 4 ? 2 : 1;
        g.mult = cfg & 8 ? 2 : 1;
        int per_channel = (cfg >> 4) & 1, has_bias = (cfg >> 5) & 1;
        int act = (cfg >> 1) & 1 ? MOTE_ACT_RELU : MOTE_ACT_NONE;
        if (g.dil == 2 && g.padding == MOTE_PAD_VALID) g.kw = 2; /* 7 wide span would not fit 5 */
        make_geom(&g);
        int32_t oc = g.ic * g.mult;
        for (size_t i = 0; i < sizeof x; i++) x[i] = (int8_t)rnd(-128, 127);
        for (size_t i = 0; i < sizeof w; i++) w[i] = (int8_t)rnd(-127, 127);
        for (int i = 0; i < 6; i++) bias[i] = rnd(-3000, 3000);
        for (size_t i = 0; i < sizeof x; i++) xd[i] = (double)x[i] - in_zp;
        for (size_t i = 0; i < sizeof w; i++) wd[i] = w[i];

        dw_case c;
        set_tensor(&c.t[0], x, MOTE_I8, g.n, g.ih, g.iw, g.ic);
        set_tensor(&c.t[1], w, MOTE_I8, 1, g.kh, g.kw, oc);
        set_bias(&c.t[2], bias, MOTE_I32, oc);
        set_tensor(&c.t[3], y, MOTE_I8, g.n, g.oh, g.ow, oc);
        q1(&c.t[0], &in_scale, &in_zp);
        c.t[1].q = (mote_quant){.scale = fs, .zero_point = fz, .n = per_channel ? oc : 1, .axis = 3};
        q1(&c.t[3], &out_scale, &out_zp);
        assert_int_equal(prepare(&c, has_bias, opts(g.padding, g.s, g.dil, g.mult, act)), MOTE_OK);
        mote_invoke(&c.model);
        int32_t lo, hi;
        mote_act_range_q(act, out_scale, out_zp, -128, 127, &lo, &hi);
        for (int32_t b = 0; b < g.n; b++)
            for (int32_t oy = 0; oy < g.oh; oy++)
                for (int32_t ox = 0; ox < g.ow; ox++)
                    for (int32_t ch = 0; ch < oc; ch++) {
                        int32_t acc = (int32_t)ref_sum(&g, xd, wd, b, oy, ox, ch);
                        if (has_bias) acc += bias[ch];
                        double m = (double)in_scale * (double)fs[per_channel ? ch : 0] / (double)out_scale;
                        int32_t q;
                        int sh;
                        mote_quantize_multiplier(m, &q, &sh);
                        int32_t e = mote_clamp_i32(mote_mul_qm(acc, q, sh) + out_zp, lo, hi);
                        assert_int_equal(y[((b * g.oh + oy) * g.ow + ox) * oc + ch], e);
                        tested++;
                    }
    }
    assert_true(tested > 1000);
}

static void test_f32_sweep(void **state)
{
    (void)state;
    static float x[2 * 7 * 5 * 3], w[3 * 4 * 6], y[2 * 7 * 5 * 6], bias[6];
    static double xd[sizeof x / sizeof x[0]], wd[sizeof w / sizeof w[0]];
    const size_t nx = sizeof x / sizeof x[0], nw = sizeof w / sizeof w[0];
    rng_state = 99u;
    for (int cfg = 0; cfg < 32; cfg++) {
        geom g = {.n = 2, .ih = 7, .iw = 5, .ic = 3, .kh = 3, .kw = 4};
        g.padding = cfg & 1 ? MOTE_PAD_VALID : MOTE_PAD_SAME;
        g.s = cfg & 2 ? 2 : 1;
        g.dil = cfg & 4 ? 2 : 1;
        g.mult = cfg & 8 ? 2 : 1;
        int has_bias = (cfg >> 4) & 1, act = cfg % 4; /* NONE, RELU, RELU_N1_TO_1, RELU6 */
        if (g.dil == 2 && g.padding == MOTE_PAD_VALID) g.kw = 2;
        make_geom(&g);
        int32_t oc = g.ic * g.mult;
        for (size_t i = 0; i < nx; i++) xd[i] = x[i] = (float)rnd(-1000, 1000) / 300.0f;
        for (size_t i = 0; i < nw; i++) wd[i] = w[i] = (float)rnd(-1000, 1000) / 700.0f;
        for (int i = 0; i < 6; i++) bias[i] = (float)rnd(-100, 100) / 40.0f;

        dw_case c;
        set_tensor(&c.t[0], x, MOTE_F32, g.n, g.ih, g.iw, g.ic);
        set_tensor(&c.t[1], w, MOTE_F32, 1, g.kh, g.kw, oc);
        set_bias(&c.t[2], bias, MOTE_F32, oc);
        set_tensor(&c.t[3], y, MOTE_F32, g.n, g.oh, g.ow, oc);
        assert_int_equal(prepare(&c, has_bias, opts(g.padding, g.s, g.dil, g.mult, act)), MOTE_OK);
        mote_invoke(&c.model);
        for (int32_t b = 0; b < g.n; b++)
            for (int32_t oy = 0; oy < g.oh; oy++)
                for (int32_t ox = 0; ox < g.ow; ox++)
                    for (int32_t ch = 0; ch < oc; ch++) {
                        double e = ref_sum(&g, xd, wd, b, oy, ox, ch) + (has_bias ? bias[ch] : 0.0);
                        if (act == MOTE_ACT_RELU || act == MOTE_ACT_RELU6) e = e < 0 ? 0 : e;
                        if (act == MOTE_ACT_RELU6) e = e > 6 ? 6 : e;
                        if (act == MOTE_ACT_RELU_N1_TO_1) e = e < -1 ? -1 : (e > 1 ? 1 : e);
                        assert_float_equal(y[((b * g.oh + oy) * g.ow + ox) * oc + ch], e, 1e-4);
                    }
    }
}

static void test_prepare_rejects(void **state)
{
    (void)state;
    int8_t x[9] = {0}, w[4] = {0}, y[9] = {0};
    dw_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 3, 3, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 2, 2, 1);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 2, 2, 1);
    q1(&c.t[0], &one, &zero);
    q1(&c.t[1], &one, &zero);
    q1(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    /* SAME gives 3x3, the model says 2x2 */
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_SAME, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 3);
    c.t[1].dims[0] = 2; /* filter must be [1, kh, kw, channels] */
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_SHAPE);
    c.t[1].dims[0] = 1;
    c.t[1].type = MOTE_F32; /* hybrid depthwise is not supported */
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_TYPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s8_depth_multiplier2),
        cmocka_unit_test(test_s8_stride2_same),
        cmocka_unit_test(test_s8_zero_points_saturation),
        cmocka_unit_test(test_s8_per_channel),
        cmocka_unit_test(test_s8_sweep),
        cmocka_unit_test(test_f32_sweep),
        cmocka_unit_test(test_prepare_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
