/* Optimized int8 DEPTHWISE_CONV_2D kernels (depthwise_s8_opt.c chooser)
 * against the reference kernel, byte for byte: one node prepared with
 * MOTE_ISA_REFERENCE and with MOTE_ISA_PORTABLE over random shapes, channel
 * counts (not only multiples of 4), strides, paddings, zero points,
 * per-channel scales, activations and batches. Also checks which kernel the
 * chooser took, and that the chosen kernel never reads the weights and bias
 * it packed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "conv_common.h"

static _Alignas(16) uint8_t arena[1 << 16];
static _Alignas(16) uint8_t scratch[1 << 16];

#define MAXC 72
#define MAXIN (2 * 20 * 20 * MAXC)

static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}
static int32_t rint_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

typedef struct {
    int32_t b, h, w, c, kh, kw, stride_h, stride_w, dil, mult, padding, act, has_bias;
    int32_t in_zp, out_zp;
    float in_scale, out_scale;
} dw_shape;

typedef struct {
    mote_tensor t[4];
    int32_t io[4];
    mote_node node;
    mote_model model;
    mote_ctx ctx;
    int8_t x[MAXIN], w[5 * 5 * MAXC], y[MAXIN], wcopy[5 * 5 * MAXC];
    int32_t bias[MAXC], bcopy[MAXC];
    float fscale[MAXC];
    int32_t fzp[MAXC];
} dw_case;

static dw_case cs;

static void tensor4(mote_tensor *t, void *data, mote_dtype type, int32_t d0, int32_t d1, int32_t d2, int32_t d3)
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

/* Fill cs with random data for shape s; 0 when the output would be empty. */
static int build(const dw_shape *s)
{
    const int32_t oc = s->c * s->mult;
    int32_t oh = mote_conv_out_size(s->padding, s->h, s->kh, s->stride_h, s->dil);
    int32_t ow = mote_conv_out_size(s->padding, s->w, s->kw, s->stride_w, s->dil);
    if (oh < 1 || ow < 1) return 0;
    static float in_scale, out_scale;
    static int32_t in_zp, out_zp;
    in_scale = s->in_scale, out_scale = s->out_scale, in_zp = s->in_zp, out_zp = s->out_zp;
    tensor4(&cs.t[0], cs.x, MOTE_I8, s->b, s->h, s->w, s->c);
    cs.t[0].q = (mote_quant){.scale = &in_scale, .zero_point = &in_zp, .n = 1, .axis = 0};
    tensor4(&cs.t[1], cs.w, MOTE_I8, 1, s->kh, s->kw, oc);
    cs.t[1].flags = MOTE_TENSOR_CONST;
    cs.t[1].q = (mote_quant){.scale = cs.fscale, .zero_point = cs.fzp, .n = oc, .axis = 3};
    tensor4(&cs.t[2], cs.bias, MOTE_I32, oc, 1, 1, 1);
    cs.t[2].rank = 1;
    cs.t[2].flags = MOTE_TENSOR_CONST;
    tensor4(&cs.t[3], cs.y, MOTE_I8, s->b, oh, ow, oc);
    cs.t[3].q = (mote_quant){.scale = &out_scale, .zero_point = &out_zp, .n = 1, .axis = 0};
    for (int64_t i = 0; i < (int64_t)s->b * s->h * s->w * s->c; i++) cs.x[i] = (int8_t)rint_in(-128, 127);
    for (int32_t i = 0; i < s->kh * s->kw * oc; i++) cs.w[i] = (int8_t)rint_in(-128, 127);
    for (int32_t c = 0; c < oc; c++) {
        cs.bias[c] = rint_in(-40000, 40000);
        cs.fscale[c] = 0.002f + 0.02f * (float)(rnd() % 1000) / 1000.0f;
        cs.fzp[c] = 0;
    }
    memcpy(cs.wcopy, cs.w, sizeof cs.w);
    memcpy(cs.bcopy, cs.bias, sizeof cs.bias);
    return 1;
}

static mote_status prepare(const dw_shape *s, uint32_t isa)
{
    mote_opts o;
    memset(&o, 0, sizeof o);
    o.padding = (uint8_t)s->padding;
    o.stride_h = (int16_t)s->stride_h;
    o.stride_w = (int16_t)s->stride_w;
    o.dilation_h = o.dilation_w = (int16_t)s->dil;
    o.depth_multiplier = (int16_t)s->mult;
    o.activation = (uint8_t)s->act;
    for (int i = 0; i < 4; i++) cs.io[i] = i;
    if (!s->has_bias) cs.io[2] = -1;
    memset(&cs.node, 0, sizeof cs.node);
    cs.node.op = MOTE_OP_DEPTHWISE_CONV_2D;
    cs.node.n_in = 3;
    cs.node.n_out = 1;
    cs.node.io = cs.io;
    cs.node.opts = o;
    cs.model = (mote_model){.tensors = cs.t, .n_tensors = 4, .nodes = &cs.node, .n_nodes = 1};
    mote_status st = mote_prepare_isa(&cs.model, &cs.ctx, arena, sizeof arena, isa);
    if (st == MOTE_OK) {
        assert_true(cs.node.scratch_bytes <= sizeof scratch);
        cs.node.scratch = scratch;
    }
    return st;
}

/* Run the data in cs both ways; returns 1 when the optimized kernel was chosen. */
static int check(const dw_shape *s)
{
    static int8_t ref[MAXIN];
    assert_int_equal(prepare(s, MOTE_ISA_REFERENCE), MOTE_OK);
    assert_ptr_equal(cs.node.eval, mote_depthwise_s8_eval);
    memset(cs.y, 0x5A, sizeof cs.y);
    mote_invoke(&cs.model);
    const size_t n = cs.t[3].bytes;
    memcpy(ref, cs.y, n);

    assert_int_equal(prepare(s, MOTE_ISA_PORTABLE), MOTE_OK);
    int chosen = cs.node.eval == mote_depthwise_s8_3x3_eval;
    if (chosen) {
        /* packed: weights and bias must not be read at eval */
        memset(cs.w, 0x7F, sizeof cs.w);
        memset(cs.bias, 0x3C, sizeof cs.bias);
        memset(scratch, 0xA5, sizeof scratch);
    }
    memset(cs.y, 0x5A, sizeof cs.y);
    mote_invoke(&cs.model);
    if (memcmp(ref, cs.y, n) != 0) {
        size_t i = 0;
        while (ref[i] == cs.y[i]) i++;
        print_error("b%d h%d w%d c%d k%dx%d s%d,%d pad%d act%d bias%d zp%d/%d: byte %zu ref %d opt %d\n", s->b,
                    s->h, s->w, s->c, s->kh, s->kw, s->stride_h, s->stride_w, s->padding, s->act, s->has_bias,
                    s->in_zp, s->out_zp, i, ref[i], cs.y[i]);
        fail();
    }
    memcpy(cs.w, cs.wcopy, sizeof cs.w);
    memcpy(cs.bias, cs.bcopy, sizeof cs.bias);
    return chosen;
}

static int compare(const dw_shape *s)
{
    return build(s) ? check(s) : -1;
}

static dw_shape random_3x3(void)
{
    dw_shape s;
    s.b = rint_in(1, 2);
    s.h = rint_in(1, 14);
    s.w = rint_in(1, 14);
    s.c = rnd() % 4 == 0 ? rint_in(60, MAXC) : rint_in(1, 20);
    s.kh = s.kw = 3;
    s.stride_h = rint_in(1, 2);
    s.stride_w = rnd() % 4 == 0 ? rint_in(1, 2) : s.stride_h;
    s.dil = 1;
    s.mult = 1;
    s.padding = rnd() % 3 == 0 ? MOTE_PAD_VALID : MOTE_PAD_SAME;
    s.act = (int32_t)(rnd() % 3 == 0 ? MOTE_ACT_NONE : (rnd() % 2 ? MOTE_ACT_RELU : MOTE_ACT_RELU6));
    s.has_bias = rnd() % 5 != 0;
    s.in_zp = rint_in(-128, 127);
    s.out_zp = rint_in(-128, 127);
    s.in_scale = 0.01f + 0.1f * (float)(rnd() % 1000) / 1000.0f;
    s.out_scale = 0.05f + 2.0f * (float)(rnd() % 1000) / 1000.0f;
    return s;
}

/* 3x3, stride 1/2, multiplier 1: always the optimized kernel, same bytes. */
static void test_3x3_random(void **state)
{
    (void)state;
    int runs = 0;
    for (int i = 0; i < 600; i++) {
        dw_shape s = random_3x3();
        int r = compare(&s);
        if (r < 0) continue;
        assert_int_equal(r, 1);
        runs++;
    }
    assert_true(runs > 400);
}

/* The model shapes: KWS (25x5x64, stride 1) and MobileNet-like layers. */
static void test_3x3_model_shapes(void **state)
{
    (void)state;
    static const int32_t shapes[][4] = {{25, 5, 64, 1}, {12, 12, 64, 1}, {16, 16, 8, 1}, {16, 16, 16, 2},
                                        {6, 6, 64, 2},  {3, 3, 64, 1},   {7, 7, 20, 2}, {1, 1, 8, 1}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int act = 0; act < 3; act++) {
            dw_shape s = random_3x3();
            s.h = shapes[i][0], s.w = shapes[i][1], s.c = shapes[i][2];
            s.stride_h = s.stride_w = shapes[i][3];
            s.padding = MOTE_PAD_SAME;
            s.act = act == 0 ? MOTE_ACT_NONE : (act == 1 ? MOTE_ACT_RELU : MOTE_ACT_RELU6);
            s.b = 1;
            assert_int_equal(compare(&s), 1);
        }
}

/* Extreme values: inputs and weights at -128 / 127, zero points at the ends. */
static void test_3x3_extremes(void **state)
{
    (void)state;
    for (int k = 0; k < 16; k++) {
        dw_shape s = random_3x3();
        s.in_zp = (k & 1) ? 127 : -128;
        s.out_zp = (k & 2) ? 127 : -128;
        s.act = MOTE_ACT_NONE;
        s.out_scale = (k & 8) ? 30.0f : 3.0f;
        if (!build(&s)) continue;
        for (int i = 0; i < (int)sizeof cs.x; i++) cs.x[i] = (int8_t)((k & 4) ? (i % 3 ? 127 : -128) : -128);
        for (int i = 0; i < (int)sizeof cs.w; i++) cs.w[i] = cs.wcopy[i] = (int8_t)(i % 2 ? 127 : -128);
        assert_int_equal(check(&s), 1);
    }
}

/* Biases near and beyond +-2^30 ("dead" channels, as in VWW): kept on the
 * optimized kernel when every reachable accumulator gives one output
 * (mote_requant_fit), else the reference. Channels mix ordinary ones, huge
 * biases with ordinary or tiny scales, and all-zero weights; every
 * activation range. Half the cases are one 3x3 window whose inputs reach
 * each channel's largest and smallest accumulator (batch 0 and 1). */
static void test_3x3_dead_channels(void **state)
{
    (void)state;
    static const int32_t acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6, MOTE_ACT_RELU_N1_TO_1};
    const int32_t maxb = INT32_MAX - 9 * 32640; /* prepare's accumulator check */
    int chosen = 0, declined = 0;
    for (int i = 0; i < 1500; i++) {
        dw_shape s = random_3x3();
        const int window = i % 2;
        if (window) {
            s.b = 2, s.h = s.w = 3, s.padding = MOTE_PAD_VALID;
            s.stride_h = s.stride_w = rint_in(1, 2);
        }
        s.act = acts[rnd() % 4];
        s.has_bias = 1;
        if (s.c > 24) s.c = rint_in(1, 24); /* one live channel off the fast path declines all */
        if (!build(&s)) continue;
        int huge = 0;
        for (int32_t c = 0; c < s.c; c++) {
            const uint32_t kind = rnd() % 6, sign = rnd() % 2;
            if (kind < 2) continue;
            huge++;
            const uint32_t r = (rnd() << 8) ^ rnd(); /* 32 random bits */
            cs.bias[c] = rnd() % 8 == 0 ? maxb : (1 << 28) + (int32_t)(r % (uint32_t)(maxb - (1 << 28)));
            if (sign) cs.bias[c] = -cs.bias[c];
            if (kind == 3)
                for (int32_t k = 0; k < 9; k++) cs.w[k * s.c + c] = 0;
            if (kind == 4) cs.fscale[c] = (float)(1e-10 * (double)(1u << (rnd() % 22)));
        }
        if (window)
            for (int32_t c = 0; c < s.c; c++)
                for (int32_t k = 0; k < 9; k++) {
                    const int up = cs.w[k * s.c + c] > 0;
                    cs.x[k * s.c + c] = (int8_t)(up ? 127 : -128);
                    cs.x[(9 + k) * s.c + c] = (int8_t)(up ? -128 : 127);
                }
        memcpy(cs.wcopy, cs.w, sizeof cs.w);
        memcpy(cs.bcopy, cs.bias, sizeof cs.bias);
        if (check(&s))
            chosen += huge > 0;
        else
            declined++;
    }
    assert_true(chosen > 600 && declined > 100);
}

/* Shapes the optimized kernel does not cover stay on the reference. */
static void test_declines(void **state)
{
    (void)state;
    for (int k = 0; k < 5; k++) {
        dw_shape s = random_3x3();
        s.h = s.w = 9;
        if (k == 0) s.kh = s.kw = 5;
        if (k == 1) s.mult = 2;
        if (k == 2) s.dil = 2;
        if (k == 3) s.stride_h = s.stride_w = 3;
        if (k == 4) s.out_scale = 1e-4f; /* effective scale > 0.5: no right shift */
        if (k == 1) s.c = 9;
        assert_int_equal(compare(&s), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_3x3_random),
        cmocka_unit_test(test_3x3_model_shapes),
        cmocka_unit_test(test_3x3_extremes),
        cmocka_unit_test(test_3x3_dead_channels),
        cmocka_unit_test(test_declines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
