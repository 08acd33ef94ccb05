/* CONV_2D: int8 (per-tensor / per-channel), float32 and hybrid kernels.
 * Hand-computed cases, edge cases, and sweeps over every option against a
 * brute-force reference written here (explicitly padded input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "kernel_isas.h"
#include "mote/kernel.h"
#include "mote/quant.h"

static _Alignas(16) uint8_t arena[1 << 16];
/* Every case runs once per kernel family: the reference kernels, then the
 * optimized ones (which must give the same bytes). */
static uint32_t test_isa = MOTE_ISA_REFERENCE;
static _Alignas(16) uint8_t scratch[8192];

/* tensors: 0 input, 1 filter, 2 bias (may be absent), 3 output */
typedef struct {
    mote_tensor t[4];
    int32_t io[4];
    mote_node node;
    mote_model model;
    mote_ctx ctx;
} conv_case;

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

static mote_opts opts(int padding, int sh, int sw, int dh, int dw, int act)
{
    mote_opts o;
    memset(&o, 0, sizeof o);
    o.padding = (uint8_t)padding;
    o.stride_h = (int16_t)sh;
    o.stride_w = (int16_t)sw;
    o.dilation_h = (int16_t)dh;
    o.dilation_w = (int16_t)dw;
    o.activation = (uint8_t)act;
    return o;
}

static mote_status prepare(conv_case *c, int has_bias, mote_opts o)
{
    c->io[0] = 0;
    c->io[1] = 1;
    c->io[2] = has_bias ? 2 : -1;
    c->io[3] = 3;
    /* weights and bias are constants, as in every model (optimized kernels repack only constants) */
    c->t[1].flags |= MOTE_TENSOR_CONST;
    c->t[2].flags |= MOTE_TENSOR_CONST;
    memset(&c->node, 0, sizeof c->node);
    /* weights and bias are constants, as in every model (optimized kernels repack only constants) */
    c->t[1].flags |= MOTE_TENSOR_CONST;
    c->t[2].flags |= MOTE_TENSOR_CONST;
    c->node.op = MOTE_OP_CONV_2D;
    c->node.n_in = 3;
    c->node.n_out = 1;
    c->node.io = c->io;
    c->node.opts = o;
    c->model = (mote_model){.tensors = c->t, .n_tensors = 4, .nodes = &c->node, .n_nodes = 1};
    mote_status s = mote_prepare_isa(&c->model, &c->ctx, arena, sizeof arena, test_isa);
    if (s == MOTE_OK) {
        assert_true(c->node.scratch_bytes <= sizeof scratch);
        c->node.scratch = c->node.scratch_bytes ? scratch : NULL;
    }
    return s;
}

/* ---- int8 hand-computed ---- */

static const float one = 1.0f, quarter = 0.25f;
static const int32_t zero = 0;

static void q_per_tensor(mote_tensor *t, const float *scale, const int32_t *zp)
{
    t->q = (mote_quant){.scale = scale, .zero_point = zp, .n = 1, .axis = 0};
}

/* 3x3 input 1..9, 2x2 filter of ones, all scales 1, zero points 0. */
static void run_3x3(int padding, int stride, const int8_t *expect, int oh, int ow)
{
    static int8_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1};
    int8_t y[9];
    memset(y, 0x55, sizeof y);
    conv_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 3, 3, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 2, 2, 1);
    set_tensor(&c.t[3], y, MOTE_I8, 1, oh, ow, 1);
    q_per_tensor(&c.t[0], &one, &zero);
    q_per_tensor(&c.t[1], &one, &zero);
    q_per_tensor(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 0, opts(padding, stride, stride, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    assert_memory_equal(y, expect, (size_t)(oh * ow));
}

static void test_s8_same_valid_stride(void **state)
{
    (void)state;
    /* SAME stride 1: total padding 1, all of it after (bottom/right) */
    const int8_t same1[9] = {12, 16, 9, 24, 28, 15, 15, 17, 9};
    const int8_t valid1[4] = {12, 16, 24, 28};
    const int8_t same2[4] = {12, 9, 15, 9};
    const int8_t valid2[1] = {12};
    run_3x3(MOTE_PAD_SAME, 1, same1, 3, 3);
    run_3x3(MOTE_PAD_VALID, 1, valid1, 2, 2);
    run_3x3(MOTE_PAD_SAME, 2, same2, 2, 2);
    run_3x3(MOTE_PAD_VALID, 2, valid2, 1, 1);
}

/* 1x1 input, 3x5 kernel, SAME: only the centre tap (1,2) sees the pixel. */
static void test_s8_1x1_input_3x5_kernel(void **state)
{
    (void)state;
    int8_t x[1] = {3}, w[15], y[1] = {0};
    int32_t bias[1] = {5};
    for (int i = 0; i < 15; i++) w[i] = (int8_t)(i - 7);
    w[1 * 5 + 2] = 7;
    conv_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 1, 1, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 3, 5, 1);
    set_tensor(&c.t[2], bias, MOTE_I32, 1, 1, 1, 1);
    c.t[2].flags = MOTE_TENSOR_CONST;
    c.t[2].rank = 1;
    c.t[2].dims[0] = 1;
    set_tensor(&c.t[3], y, MOTE_I8, 1, 1, 1, 1);
    q_per_tensor(&c.t[0], &one, &zero);
    q_per_tensor(&c.t[1], &one, &zero);
    q_per_tensor(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 1, opts(MOTE_PAD_SAME, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    assert_int_equal(y[0], 3 * 7 + 5);
    /* VALID cannot fit a 3x5 kernel into 1x1 */
    assert_int_equal(prepare(&c, 1, opts(MOTE_PAD_VALID, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_SHAPE);
}

/* 5x5 input 1..25, 2x2 ones dilated by 2 (3x3 span), VALID, multiplier 1/4:
 * out[i][j] = (28 + 20 i + 4 j) / 4 rounded half away from zero. */
static void test_s8_dilation2(void **state)
{
    (void)state;
    int8_t x[25], w[4] = {1, 1, 1, 1}, y[9];
    for (int i = 0; i < 25; i++) x[i] = (int8_t)(i + 1);
    conv_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 5, 5, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 2, 2, 1);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 3, 3, 1);
    q_per_tensor(&c.t[0], &quarter, &zero);
    q_per_tensor(&c.t[1], &one, &zero);
    q_per_tensor(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 2, 2, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    const int8_t expect[9] = {7, 8, 9, 12, 13, 14, 17, 18, 19};
    assert_memory_equal(y, expect, 9);
    /* 30/4 = 7.5 -> 8: check the rounding on the second element exactly */
    assert_int_equal(y[1], 8);
}

/* Per-channel scales (1/2, 1/4) and rounding of negative halves. */
static void test_s8_per_channel_rounding(void **state)
{
    (void)state;
    int8_t x[2] = {3, -5}, w[4] = {1, 0, 0, 1}, y[4];
    const float fs[2] = {0.5f, 0.25f};
    const int32_t fz[2] = {0, 0};
    conv_case c;
    /* 1x1 conv, one pixel, 2 channels in and out: channel c reads input c */
    set_tensor(&c.t[0], x, MOTE_I8, 1, 1, 1, 2);
    set_tensor(&c.t[1], w, MOTE_I8, 2, 1, 1, 2);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 1, 1, 2);
    q_per_tensor(&c.t[0], &one, &zero);
    c.t[1].q = (mote_quant){.scale = fs, .zero_point = fz, .n = 2, .axis = 0};
    q_per_tensor(&c.t[3], &one, &zero);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    assert_int_equal(y[0], 2);  /* 3 * 0.5 = 1.5 -> 2 */
    assert_int_equal(y[1], -1); /* -5 * 0.25 = -1.25 -> -1 */
    x[0] = -3;
    x[1] = -6;
    mote_invoke(&c.model);
    /* -1.5 both times, but TFLite rounds them differently: with M = 1/2
     * (shift 0) only SaturatingRoundingDoublingHighMul rounds, and its ties
     * go up (-1); with M = 1/4 the final rounding shift rounds ties away (-2). */
    assert_int_equal(y[0], -1);
    assert_int_equal(y[1], -2);
}

/* Extreme zero points and saturation: input zp -128, output zp 127 / -128. */
static void test_s8_zero_points_saturation(void **state)
{
    (void)state;
    int8_t x[4] = {-128, -127, 0, 127}, w[1] = {-1}, y[4];
    const int32_t zin = -128, zout = 127, zout2 = -128;
    conv_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 2, 2, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 1, 1, 1);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 2, 2, 1);
    q_per_tensor(&c.t[0], &one, &zin);
    q_per_tensor(&c.t[1], &one, &zero);
    q_per_tensor(&c.t[3], &one, &zout);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    /* real inputs 0, 1, 128, 255; out = 127 - real, clamped at -128 */
    const int8_t e1[4] = {127, 126, -1, -128};
    assert_memory_equal(y, e1, 4);
    /* positive weight, output zp -128: 0, 1, 128 -> 0 , 255 -> saturates at 127 */
    w[0] = 1;
    q_per_tensor(&c.t[3], &one, &zout2);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    const int8_t e2[4] = {-128, -127, 0, 127};
    assert_memory_equal(y, e2, 4);
    w[0] = 127; /* packed kernels copied the weights at prepare: prepare again */
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    const int8_t e3[4] = {-128, -1, 127, 127};
    assert_memory_equal(y, e3, 4);
}

/* Fused RELU / RELU6 / RELU_N1_TO_1 with out scale 0.1, zp -10:
 * ranges [-10, 127], [-10, 50], [-20, 0]. */
static void test_s8_fused_activations(void **state)
{
    (void)state;
    int8_t x[4] = {-100, -15, 3, 100}, w[1] = {1}, y[4];
    const float os = 0.1f;
    const int32_t oz = -10;
    conv_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 1, 4, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 1, 1, 1);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 1, 4, 1);
    /* input scale 0.1 as well: multiplier 1, y = x - 10 before the clamp */
    q_per_tensor(&c.t[0], &os, &zero);
    q_per_tensor(&c.t[1], &one, &zero);
    q_per_tensor(&c.t[3], &os, &oz);
    const struct {
        int act;
        int8_t e[4];
    } cases[] = {
        {MOTE_ACT_NONE, {-110, -25, -7, 90}},
        {MOTE_ACT_RELU, {-10, -10, -7, 90}},
        {MOTE_ACT_RELU6, {-10, -10, -7, 50}},
        {MOTE_ACT_RELU_N1_TO_1, {-20, -20, -7, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, 1, cases[i].act)), MOTE_OK);
        mote_invoke(&c.model);
        assert_memory_equal(y, cases[i].e, 4);
    }
}

static void test_prepare_rejects(void **state)
{
    (void)state;
    int8_t x[9] = {0}, w[4] = {0}, y[9] = {0};
    conv_case c;
    set_tensor(&c.t[0], x, MOTE_I8, 1, 3, 3, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 2, 2, 1);
    set_tensor(&c.t[3], y, MOTE_I8, 1, 3, 3, 1);
    q_per_tensor(&c.t[0], &one, &zero);
    q_per_tensor(&c.t[1], &one, &zero);
    q_per_tensor(&c.t[3], &one, &zero);
    /* VALID would give 2x2, the model says 3x3 */
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 3);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_SAME, 0, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_PARAM);
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_SAME, 1, 1, 1, 1, MOTE_ACT_TANH)), MOTE_ERR_UNSUPPORTED);
    c.t[3].type = MOTE_F32;
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_SAME, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_TYPE);
    c.t[3].type = MOTE_I8;
    c.t[1].dims[3] = 2; /* filter depth 2 does not divide input depth 1 */
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_SAME, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_SHAPE);
    assert_int_equal(c.ctx.err_tensor, 1);
    /* input with zero channels: no groups (a fuzz find: it used to divide by zero) */
    c.t[1].dims[3] = 1;
    c.t[0].dims[3] = 0;
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_SAME, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_ERR_SHAPE);
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
    int32_t n, ih, iw, ic, oc, kh, kw;
    int padding, stride_h, stride_w, dil_h, dil_w;
    int32_t oh, ow, pad_t, pad_l;
} geom;

static void make_geom(geom *g)
{
    int32_t eh = (g->kh - 1) * g->dil_h + 1, ew = (g->kw - 1) * g->dil_w + 1;
    if (g->padding == MOTE_PAD_SAME) {
        g->oh = (g->ih + g->stride_h - 1) / g->stride_h;
        g->ow = (g->iw + g->stride_w - 1) / g->stride_w;
    } else {
        g->oh = (g->ih - eh) / g->stride_h + 1;
        g->ow = (g->iw - ew) / g->stride_w + 1;
    }
    int32_t th = (g->oh - 1) * g->stride_h + eh - g->ih, tw = (g->ow - 1) * g->stride_w + ew - g->iw;
    g->pad_t = th > 0 ? th / 2 : 0;
    g->pad_l = tw > 0 ? tw / 2 : 0;
}

/* Input value on the padded grid: positions outside the image read `fill`. */
static double padded_at(const geom *g, const double *x, int32_t b, int32_t py, int32_t px, int32_t ch, double fill)
{
    int32_t y = py - g->pad_t, xx = px - g->pad_l;
    if (y < 0 || y >= g->ih || xx < 0 || xx >= g->iw) return fill;
    return x[((b * g->ih + y) * g->iw + xx) * g->ic + ch];
}

/* Real-valued conv sum (no bias) for output (b, oy, ox, c), on the padded grid. */
static double ref_sum(const geom *g, const double *x, const double *w, int32_t b, int32_t oy, int32_t ox, int32_t c,
                      double fill)
{
    double s = 0.0;
    for (int32_t fy = 0; fy < g->kh; fy++)
        for (int32_t fx = 0; fx < g->kw; fx++)
            for (int32_t k = 0; k < g->ic; k++) {
                double xv = padded_at(g, x, b, oy * g->stride_h + fy * g->dil_h, ox * g->stride_w + fx * g->dil_w, k, fill);
                s += xv * w[((c * g->kh + fy) * g->kw + fx) * g->ic + k];
            }
    return s;
}

static void test_s8_sweep(void **state)
{
    (void)state;
    static int8_t x[2 * 6 * 7 * 3], w[4 * 3 * 2 * 3], y[2 * 6 * 7 * 4];
    static int32_t bias[4];
    static double xd[sizeof x], wd[sizeof w];
    const float in_scale = 0.05f, out_scale = 0.3f;
    const float fscales[4] = {0.02f, 0.011f, 0.037f, 0.005f};
    const int32_t fzero[4] = {0, 0, 0, 0};
    const int32_t in_zp = 7, out_zp = -3;
    int tested = 0;
    rng_state = 12345u;
    for (int cfg = 0; cfg < 64; cfg++) {
        geom g = {.n = 2, .ih = 6, .iw = 7, .ic = 3, .oc = 4, .kh = 3, .kw = 2};
        g.padding = cfg & 1 ? MOTE_PAD_VALID : MOTE_PAD_SAME;
        g.stride_h = cfg & 2 ? 2 : 1;
        g.stride_w = cfg & 2 ? 1 : 2;
        if (cfg & 32) g.stride_w = g.stride_h;
        g.dil_h = g.dil_w = cfg & 4 ? 2 : 1;
        int per_channel = (cfg >> 3) & 1, has_bias = (cfg >> 4) & 1;
        int act = cfg & 32 ? MOTE_ACT_RELU6 : MOTE_ACT_NONE;
        make_geom(&g);
        for (size_t i = 0; i < sizeof x; i++) x[i] = (int8_t)rnd(-128, 127);
        for (size_t i = 0; i < sizeof w; i++) w[i] = (int8_t)rnd(-127, 127);
        for (int i = 0; i < 4; i++) bias[i] = rnd(-2000, 2000);
        for (size_t i = 0; i < sizeof x; i++) xd[i] = (double)x[i] - in_zp;
        for (size_t i = 0; i < sizeof w; i++) wd[i] = w[i];

        conv_case c;
        set_tensor(&c.t[0], x, MOTE_I8, g.n, g.ih, g.iw, g.ic);
        set_tensor(&c.t[1], w, MOTE_I8, g.oc, g.kh, g.kw, g.ic);
        set_tensor(&c.t[2], bias, MOTE_I32, g.oc, 1, 1, 1);
        c.t[2].flags = MOTE_TENSOR_CONST;
        c.t[2].rank = 1;
        set_tensor(&c.t[3], y, MOTE_I8, g.n, g.oh, g.ow, g.oc);
        q_per_tensor(&c.t[0], &in_scale, &in_zp);
        c.t[1].q = (mote_quant){.scale = fscales, .zero_point = fzero, .n = per_channel ? 4 : 1, .axis = 0};
        q_per_tensor(&c.t[3], &out_scale, &out_zp);
        assert_int_equal(prepare(&c, has_bias, opts(g.padding, g.stride_h, g.stride_w, g.dil_h, g.dil_w, act)), MOTE_OK);
        mote_invoke(&c.model);

        int32_t lo, hi;
        mote_act_range_q(act, out_scale, out_zp, -128, 127, &lo, &hi);
        for (int32_t b = 0; b < g.n; b++)
            for (int32_t oy = 0; oy < g.oh; oy++)
                for (int32_t ox = 0; ox < g.ow; ox++)
                    for (int32_t ch = 0; ch < g.oc; ch++) {
                        /* the sum of integers is exact in double */
                        int32_t acc = (int32_t)ref_sum(&g, xd, wd, b, oy, ox, ch, 0.0);
                        if (has_bias) acc += bias[ch];
                        double m = (double)in_scale * (double)fscales[per_channel ? ch : 0] / (double)out_scale;
                        int32_t q;
                        int sh;
                        mote_quantize_multiplier(m, &q, &sh);
                        int32_t e = mote_clamp_i32(mote_mul_qm(acc, q, sh) + out_zp, lo, hi);
                        assert_int_equal(y[((b * g.oh + oy) * g.ow + ox) * g.oc + ch], e);
                        tested++;
                    }
    }
    assert_true(tested > 1000);
}

static void test_f32_sweep(void **state)
{
    (void)state;
    static float x[2 * 6 * 7 * 3], w[4 * 3 * 2 * 3], y[2 * 6 * 7 * 4], bias[4];
    static double xd[sizeof x / sizeof x[0]], wd[sizeof w / sizeof w[0]];
    const size_t nx = sizeof x / sizeof x[0], nw = sizeof w / sizeof w[0];
    rng_state = 777u;
    for (int cfg = 0; cfg < 32; cfg++) {
        geom g = {.n = 2, .ih = 6, .iw = 7, .ic = 3, .oc = 4, .kh = 3, .kw = 2};
        g.padding = cfg & 1 ? MOTE_PAD_VALID : MOTE_PAD_SAME;
        g.stride_h = cfg & 2 ? 2 : 1;
        g.stride_w = cfg & 8 ? 2 : 1;
        g.dil_h = cfg & 4 ? 2 : 1;
        g.dil_w = cfg & 16 ? 2 : 1;
        int has_bias = cfg & 1, act = (cfg >> 1) % 4; /* NONE, RELU, RELU_N1_TO_1, RELU6 */
        make_geom(&g);
        for (size_t i = 0; i < nx; i++) xd[i] = x[i] = (float)rnd(-1000, 1000) / 250.0f;
        for (size_t i = 0; i < nw; i++) wd[i] = w[i] = (float)rnd(-1000, 1000) / 500.0f;
        for (int i = 0; i < 4; i++) bias[i] = (float)rnd(-100, 100) / 50.0f;

        conv_case c;
        set_tensor(&c.t[0], x, MOTE_F32, g.n, g.ih, g.iw, g.ic);
        set_tensor(&c.t[1], w, MOTE_F32, g.oc, g.kh, g.kw, g.ic);
        set_tensor(&c.t[2], bias, MOTE_F32, g.oc, 1, 1, 1);
        c.t[2].rank = 1;
        set_tensor(&c.t[3], y, MOTE_F32, g.n, g.oh, g.ow, g.oc);
        assert_int_equal(prepare(&c, has_bias, opts(g.padding, g.stride_h, g.stride_w, g.dil_h, g.dil_w, act)), MOTE_OK);
        mote_invoke(&c.model);
        for (int32_t b = 0; b < g.n; b++)
            for (int32_t oy = 0; oy < g.oh; oy++)
                for (int32_t ox = 0; ox < g.ow; ox++)
                    for (int32_t ch = 0; ch < g.oc; ch++) {
                        double e = ref_sum(&g, xd, wd, b, oy, ox, ch, 0.0) + (has_bias ? bias[ch] : 0.0);
                        if (act == MOTE_ACT_RELU || act == MOTE_ACT_RELU6) e = e < 0 ? 0 : e;
                        if (act == MOTE_ACT_RELU6) e = e > 6 ? 6 : e;
                        if (act == MOTE_ACT_RELU_N1_TO_1) e = e < -1 ? -1 : (e > 1 ? 1 : e);
                        assert_float_equal(y[((b * g.oh + oy) * g.ow + ox) * g.oc + ch], e, 1e-4);
                    }
    }
}

/* ---- hybrid (float activations, int8 weights) ---- */

/* Per-tensor scale: symmetric input quantization, scale max|x|/127.
 * x = {1, -2, 0.5, 4}: q = round(x * 31.75) = {32, -64, 16, 127}. */
static void test_hybrid_symmetric(void **state)
{
    (void)state;
    float x[8] = {1.0f, -2.0f, 0.5f, 4.0f, 0.0f, 0.0f, 0.0f, 0.0f}, y[8], bias[1] = {0.25f};
    int8_t w[1] = {2};
    const float fs = 0.5f;
    conv_case c;
    set_tensor(&c.t[0], x, MOTE_F32, 2, 2, 2, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 1, 1, 1, 1);
    set_tensor(&c.t[2], bias, MOTE_F32, 1, 1, 1, 1);
    c.t[2].rank = 1;
    set_tensor(&c.t[3], y, MOTE_F32, 2, 2, 2, 1);
    q_per_tensor(&c.t[1], &fs, &zero);
    assert_int_equal(prepare(&c, 1, opts(MOTE_PAD_SAME, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    assert_true(c.node.scratch_bytes >= 8);
    mote_invoke(&c.model);
    const int32_t q[4] = {32, -64, 16, 127};
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], q[i] * 2 * (4.0 / 127.0) * 0.5 + 0.25, 1e-5);
    /* batch 1 is all zeros: scale 1, output is the bias alone */
    for (int i = 4; i < 8; i++) assert_float_equal(y[i], 0.25, 0.0);
    /* RELU clamps the negative one */
    assert_int_equal(prepare(&c, 1, opts(MOTE_PAD_SAME, 1, 1, 1, 1, MOTE_ACT_RELU)), MOTE_OK);
    mote_invoke(&c.model);
    assert_float_equal(y[1], 0.0, 0.0);
}

/* Per-channel scales: asymmetric input quantization over [0, 3]:
 * scale 3/255, zero point -128, q = {-128, -43, 42, 127}, q + 128 = {0, 85, 170, 255}. */
static void test_hybrid_asymmetric(void **state)
{
    (void)state;
    float x[4] = {0.0f, 1.0f, 2.0f, 3.0f}, y[8];
    int8_t w[2] = {3, -5};
    const float fs[2] = {0.5f, 0.25f};
    const int32_t fz[2] = {0, 0};
    conv_case c;
    set_tensor(&c.t[0], x, MOTE_F32, 1, 2, 2, 1);
    set_tensor(&c.t[1], w, MOTE_I8, 2, 1, 1, 1);
    set_tensor(&c.t[3], y, MOTE_F32, 1, 2, 2, 2);
    c.t[1].q = (mote_quant){.scale = fs, .zero_point = fz, .n = 2, .axis = 0};
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    const int32_t qs[4] = {0, 85, 170, 255};
    for (int p = 0; p < 4; p++) {
        assert_float_equal(y[p * 2 + 0], 3 * qs[p] * (3.0 / 255.0) * 0.5, 1e-5);
        assert_float_equal(y[p * 2 + 1], -5 * qs[p] * (3.0 / 255.0) * 0.25, 1e-5);
    }
    /* equal per-channel scales are treated as per tensor (symmetric), as TFLite does:
     * max 3 -> q = round(x * 127/3) = {0, 42, 85, 127} */
    const float fs_same[2] = {0.5f, 0.5f};
    c.t[1].q.scale = fs_same;
    assert_int_equal(prepare(&c, 0, opts(MOTE_PAD_VALID, 1, 1, 1, 1, MOTE_ACT_NONE)), MOTE_OK);
    mote_invoke(&c.model);
    const int32_t qsym[4] = {0, 42, 85, 127};
    for (int p = 0; p < 4; p++) assert_float_equal(y[p * 2 + 1], -5 * qsym[p] * (3.0 / 127.0) * 0.5, 1e-5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s8_same_valid_stride),
        cmocka_unit_test(test_s8_1x1_input_3x5_kernel),
        cmocka_unit_test(test_s8_dilation2),
        cmocka_unit_test(test_s8_per_channel_rounding),
        cmocka_unit_test(test_s8_zero_points_saturation),
        cmocka_unit_test(test_s8_fused_activations),
        cmocka_unit_test(test_prepare_rejects),
        cmocka_unit_test(test_s8_sweep),
        cmocka_unit_test(test_f32_sweep),
        cmocka_unit_test(test_hybrid_symmetric),
        cmocka_unit_test(test_hybrid_asymmetric),
    };
    int failed = 0;
    for (size_t i = 0; i < N_KERNEL_ISAS; i++) {
        test_isa = kernel_isas[i];
        failed += cmocka_run_group_tests(tests, NULL, NULL);
    }
    return failed;
}
