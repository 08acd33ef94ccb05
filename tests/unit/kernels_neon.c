/* NEON int8 kernels (conv_s8_neon.c, depthwise_s8_neon.c, fc_s8_neon.c)
 * against the reference kernels, byte for byte: random shapes, strides,
 * paddings, zero points, per-channel scales, left and right shifts,
 * activations, channel counts that are not multiples of the vector width,
 * huge biases, weights with and without -128 (the SMLAL pair path needs
 * none). Each node is prepared with MOTE_ISA_REFERENCE and MOTE_ISA_NEON; the
 * NEON kernel must be chosen where it applies. Built for aarch64 (ctest
 * neon.kernels, under qemu-aarch64) this runs the NEON code; elsewhere it
 * runs the scalar C evals over the same packed blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "conv_common.h"
#include "fc_pool_common.h"
#include "mote/kernel.h"
#include "neon_s8.h"

#define MAXC 72
#define MAXIN 6144
#define MAXW 24576
#define MAXOUT 8192

static _Alignas(16) uint8_t arena[1 << 18];
static _Alignas(16) uint8_t scratch[1 << 16];

static uint32_t rng = 777u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}
static int32_t rnd_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}
static float rnd_f(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rnd() % 10000u) / 10000.0f;
}

/* One node: tensors 0 input, 1 weights, 2 bias, 3 output. */
typedef struct {
    mote_tensor t[4];
    int32_t io[4];
    mote_node node;
    mote_model model;
    mote_ctx ctx;
    int8_t in[MAXIN], w[MAXW], ref[MAXOUT], out[MAXOUT];
    int32_t bias[MAXC];
    float in_scale, out_scale, w_scale[MAXC];
    int32_t in_zp, out_zp, w_zp[MAXC];
} node_case;

static node_case nc;
static int pairs_seen[2]; /* cases run with MOTE_NEON_PAIRS off / on */

static void tensor(mote_tensor *t, void *data, mote_dtype type, int rank, const int32_t *dims)
{
    memset(t, 0, sizeof *t);
    t->data = data;
    t->type = (uint8_t)type;
    t->rank = (uint8_t)rank;
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)(t->dims[i] = dims[i]);
    t->bytes = n * mote_dtype_size(type);
}

/* Inputs over all of int8; weights half the time symmetric ([-127, 127], as
 * TFLite quantizes them), else with -128 forced in. */
static void fill(size_t n_in, size_t n_w)
{
    for (size_t i = 0; i < n_in; i++) nc.in[i] = (int8_t)rnd_in(-128, 127);
    const int sym = rnd() % 2;
    for (size_t i = 0; i < n_w; i++) nc.w[i] = (int8_t)rnd_in(sym ? -127 : -128, 127);
    if (!sym) nc.w[rnd() % n_w] = -128;
}

/* Random quantization: effective scales < 1 (right shifts) or, when `big`,
 * > 1 (left shifts, which the x86 kernels decline but NEON takes). */
static void quantize(int32_t channels, int axis, int per_channel, int64_t k, int big)
{
    nc.in_scale = rnd_f(0.01f, 0.1f);
    nc.in_zp = rnd_in(-128, 127);
    nc.out_zp = rnd_in(-128, 127);
    float wsum = 0;
    for (int32_t c = 0; c < channels; c++) {
        nc.w_scale[c] = rnd_f(0.002f, 0.02f);
        nc.w_zp[c] = 0;
        wsum += nc.w_scale[c];
    }
    nc.out_scale = nc.in_scale * (wsum / (float)channels) * 60.0f * sqrtf((float)k) * rnd_f(0.3f, 3.0f);
    if (big) nc.out_scale = nc.in_scale * 0.002f * rnd_f(0.1f, 0.5f);
    mote_tensor *in = &nc.t[0], *w = &nc.t[1], *out = &nc.t[3];
    in->q = (mote_quant){&nc.in_scale, &nc.in_zp, 1, 0};
    out->q = (mote_quant){&nc.out_scale, &nc.out_zp, 1, 0};
    w->q = (mote_quant){nc.w_scale, nc.w_zp, per_channel ? channels : 1, per_channel ? axis : 0};
}

static void random_bias(int32_t channels)
{
    for (int32_t c = 0; c < channels; c++) {
        nc.bias[c] = rnd_in(-20000, 20000);
        if (rnd() % 16 == 0) nc.bias[c] = rnd() % 2 ? (1 << 30) : -(1 << 30); /* dead channels of real models */
    }
}

static mote_status prepare(mote_op op, int has_bias, mote_opts o, uint32_t isa)
{
    for (int i = 0; i < 4; i++) nc.io[i] = i;
    nc.t[1].flags = nc.t[2].flags = MOTE_TENSOR_CONST;
    if (!has_bias) nc.io[2] = -1;
    memset(&nc.node, 0, sizeof nc.node);
    nc.node.op = (uint16_t)op;
    nc.node.n_in = 3;
    nc.node.n_out = 1;
    nc.node.io = nc.io;
    nc.node.opts = o;
    nc.model = (mote_model){.tensors = nc.t, .n_tensors = 4, .nodes = &nc.node, .n_nodes = 1};
    mote_status s = mote_prepare_isa(&nc.model, &nc.ctx, arena, sizeof arena, isa);
    if (s == MOTE_OK) {
        assert_true(nc.node.scratch_bytes <= sizeof scratch);
        nc.node.scratch = nc.node.scratch_bytes ? scratch : NULL;
    }
    return s;
}

static void invoke(int8_t *dst)
{
    nc.t[3].data = dst;
    memset(dst, 0x5A, nc.t[3].bytes);
    memset(scratch, 0xA5, sizeof scratch); /* scratch is not zeroed */
    mote_invoke(&nc.model);
}

/* Reference run, then NEON prepare: expect `fast` chosen (or, declined, not
 * chosen); its bytes must equal the reference's. The packed weights are
 * all eval may read: the weight and bias tensors are clobbered first. */
static void check(mote_op op, int has_bias, mote_opts o, mote_eval_fn fast, int expect_fast)
{
    mote_status s = prepare(op, has_bias, o, MOTE_ISA_REFERENCE);
    if (s != MOTE_OK) print_error("reference prepare: %s\n", nc.ctx.err ? nc.ctx.err : "?");
    assert_int_equal(s, MOTE_OK);
    const mote_eval_fn ref_eval = nc.node.eval;
    invoke(nc.ref);
    assert_int_equal(prepare(op, has_bias, o, MOTE_ISA_NEON), MOTE_OK);
    if (!expect_fast) {
        assert_true(nc.node.eval != fast);
        return;
    }
    assert_ptr_equal(nc.node.eval, fast);
    assert_true(nc.node.eval != ref_eval);
    const mote_neon_view v = mote_neon_view_of(&nc.node);
    const int pairs = (v.flags & MOTE_NEON_PAIRS) != 0;
    assert_int_equal(pairs, mote_neon_no_m128(nc.w, nc.t[1].bytes));
    pairs_seen[pairs]++;
    int8_t w_copy[MAXW];
    int32_t b_copy[MAXC];
    memcpy(w_copy, nc.w, nc.t[1].bytes);
    memcpy(b_copy, nc.bias, nc.t[2].bytes);
    memset(nc.w, 0x33, nc.t[1].bytes);
    memset(nc.bias, 0x44, nc.t[2].bytes);
    invoke(nc.out);
    memcpy(nc.w, w_copy, nc.t[1].bytes);
    memcpy(nc.bias, b_copy, nc.t[2].bytes);
    assert_memory_equal(nc.out, nc.ref, nc.t[3].bytes);
}

static mote_opts conv_opts(int padding, int sh, int sw, int dil, int act)
{
    mote_opts o;
    memset(&o, 0, sizeof o);
    o.padding = (uint8_t)padding;
    o.stride_h = (int16_t)sh;
    o.stride_w = (int16_t)sw;
    o.dilation_h = o.dilation_w = (int16_t)dil;
    o.activation = (uint8_t)act;
    return o;
}

static const int acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6, MOTE_ACT_RELU_N1_TO_1};

/* One random CONV_2D (depthwise: filter [1,kh,kw,c]); dil > 1 must be
 * declined. Returns 0 when the shape does not fit (retry). */
static int conv_case(int depthwise, int dil, int big)
{
    const int32_t n = rnd() % 4 == 0 ? 2 : 1, ih = rnd_in(1, 11), iw = rnd_in(1, 11);
    const int32_t ic = rnd() % 3 == 0 ? 16 * rnd_in(1, 4) : rnd_in(1, 37);
    const int32_t oc = depthwise ? ic : (rnd() % 3 == 0 ? 4 * rnd_in(1, 12) : rnd_in(1, 23));
    const int32_t kh = rnd_in(1, 5), kw = rnd_in(1, 5);
    const int padding = rnd() % 2 ? MOTE_PAD_SAME : MOTE_PAD_VALID;
    const int sh = rnd_in(1, 3), sw = rnd_in(1, 3);
    const int32_t oh = mote_conv_out_size(padding, ih, kh, sh, dil), ow = mote_conv_out_size(padding, iw, kw, sw, dil);
    if (oh < 1 || ow < 1) return 0;
    const int64_t k = (int64_t)kh * kw * (depthwise ? 1 : ic);
    if ((int64_t)n * ih * iw * ic > MAXIN || k * oc > MAXW || (int64_t)n * oh * ow * oc > MAXOUT) return 0;
    tensor(&nc.t[0], nc.in, MOTE_I8, 4, (const int32_t[]){n, ih, iw, ic});
    if (depthwise)
        tensor(&nc.t[1], nc.w, MOTE_I8, 4, (const int32_t[]){1, kh, kw, oc});
    else
        tensor(&nc.t[1], nc.w, MOTE_I8, 4, (const int32_t[]){oc, kh, kw, ic});
    tensor(&nc.t[2], nc.bias, MOTE_I32, 1, (const int32_t[]){oc});
    tensor(&nc.t[3], nc.out, MOTE_I8, 4, (const int32_t[]){n, oh, ow, oc});
    fill(nc.t[0].bytes, nc.t[1].bytes);
    random_bias(oc);
    quantize(oc, depthwise ? 3 : 0, rnd() % 4 != 0, k, big);
    const int has_bias = rnd() % 5 != 0;
    mote_opts o = conv_opts(padding, sh, sw, dil, acts[rnd() % 4]);
    if (depthwise) o.depth_multiplier = 1;
    check(depthwise ? MOTE_OP_DEPTHWISE_CONV_2D : MOTE_OP_CONV_2D, has_bias, o,
          depthwise ? mote_depthwise_s8_neon_eval : mote_conv_s8_neon_eval, dil == 1);
    return 1;
}

static void test_conv_random(void **state)
{
    (void)state;
    for (int done = 0; done < 300;) done += conv_case(0, 1, rnd() % 8 == 0);
}

static void test_depthwise_random(void **state)
{
    (void)state;
    for (int done = 0; done < 300;) done += conv_case(1, 1, rnd() % 8 == 0);
}

/* Dilation keeps the reference kernels. */
static void test_dilation_declines(void **state)
{
    (void)state;
    for (int done = 0; done < 20;) done += conv_case(0, 2, 0);
    for (int done = 0; done < 20;) done += conv_case(1, 2, 0);
}

/* Depth multiplier 2 keeps the reference depthwise kernel. */
static void test_depthwise_multiplier_declines(void **state)
{
    (void)state;
    tensor(&nc.t[0], nc.in, MOTE_I8, 4, (const int32_t[]){1, 5, 5, 3});
    tensor(&nc.t[1], nc.w, MOTE_I8, 4, (const int32_t[]){1, 3, 3, 6});
    tensor(&nc.t[2], nc.bias, MOTE_I32, 1, (const int32_t[]){6});
    tensor(&nc.t[3], nc.out, MOTE_I8, 4, (const int32_t[]){1, 5, 5, 6});
    fill(nc.t[0].bytes, nc.t[1].bytes);
    random_bias(6);
    quantize(6, 3, 1, 9, 0);
    mote_opts o = conv_opts(MOTE_PAD_SAME, 1, 1, 1, MOTE_ACT_NONE);
    o.depth_multiplier = 2;
    check(MOTE_OP_DEPTHWISE_CONV_2D, 1, o, mote_depthwise_s8_neon_eval, 0);
}

/* The worst case of the int16 pair sums: inputs and weights all -128 (no
 * pairs then), and all 127 with zero point -128 (pairs). */
static void test_extremes(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        const int8_t x = v ? 127 : -128, wv = v ? 127 : -128;
        for (int dw = 0; dw < 2; dw++) {
            const int32_t c = dw ? 19 : 7;
            tensor(&nc.t[0], nc.in, MOTE_I8, 4, (const int32_t[]){1, 4, 4, dw ? c : 33});
            tensor(&nc.t[1], nc.w, MOTE_I8, 4, dw ? (const int32_t[]){1, 3, 3, c} : (const int32_t[]){c, 3, 3, 33});
            tensor(&nc.t[2], nc.bias, MOTE_I32, 1, (const int32_t[]){c});
            tensor(&nc.t[3], nc.out, MOTE_I8, 4, (const int32_t[]){1, 4, 4, c});
            memset(nc.in, (uint8_t)x, nc.t[0].bytes);
            memset(nc.w, (uint8_t)wv, nc.t[1].bytes);
            random_bias(c);
            quantize(c, dw ? 3 : 0, 1, dw ? 9 : 297, 0);
            nc.in_zp = v ? -128 : 127;
            mote_opts o = conv_opts(MOTE_PAD_SAME, 1, 1, 1, MOTE_ACT_NONE);
            if (dw) o.depth_multiplier = 1;
            check(dw ? MOTE_OP_DEPTHWISE_CONV_2D : MOTE_OP_CONV_2D, 1, o,
                  dw ? mote_depthwise_s8_neon_eval : mote_conv_s8_neon_eval, 1);
        }
    }
}

static void fc_case(int per_channel, int w_zp)
{
    const int32_t b = rnd() % 3 == 0 ? rnd_in(2, 9) : 1, depth = rnd_in(1, 300), units = rnd_in(1, MAXC);
    if ((int64_t)b * depth > MAXIN || (int64_t)depth * units > MAXW) return;
    tensor(&nc.t[0], nc.in, MOTE_I8, 2, (const int32_t[]){b, depth});
    tensor(&nc.t[1], nc.w, MOTE_I8, 2, (const int32_t[]){units, depth});
    tensor(&nc.t[2], nc.bias, MOTE_I32, 1, (const int32_t[]){units});
    tensor(&nc.t[3], nc.out, MOTE_I8, 2, (const int32_t[]){b, units});
    fill(nc.t[0].bytes, nc.t[1].bytes);
    random_bias(units);
    quantize(units, 0, per_channel, depth, rnd() % 8 == 0);
    nc.w_zp[0] = w_zp;
    mote_opts o;
    memset(&o, 0, sizeof o);
    o.activation = (uint8_t)acts[rnd() % 4];
    check(MOTE_OP_FULLY_CONNECTED, rnd() % 5 != 0, o, mote_fc_s8_neon_eval, w_zp == 0);
}

static void test_fc_random(void **state)
{
    (void)state;
    for (int i = 0; i < 300; i++) fc_case(i % 2, 0);
}

/* Legacy weight zero points keep the reference kernel. */
static void test_fc_weight_zero_point_declines(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++) fc_case(0, rnd_in(1, 20));
}

/* Both inner loops ran (after the random tests). */
static void test_both_paths_ran(void **state)
{
    (void)state;
    assert_true(pairs_seen[0] > 50);
    assert_true(pairs_seen[1] > 50);
}

/* The kernels live in the op tables, with packed weights and biases, on
 * every build (scalar C off aarch64). */
static void test_table_entries(void **state)
{
    (void)state;
    const mote_op_def *defs[] = {mote_op_lookup(MOTE_OP_CONV_2D), mote_op_lookup(MOTE_OP_DEPTHWISE_CONV_2D),
                                 mote_op_lookup(MOTE_OP_FULLY_CONNECTED)};
    const mote_eval_fn evals[] = {mote_conv_s8_neon_eval, mote_depthwise_s8_neon_eval, mote_fc_s8_neon_eval};
    const char *names[] = {"conv_s8_neon", "depthwise_s8_neon", "fc_s8_neon"};
    for (int i = 0; i < 3; i++) {
        int found = 0;
        for (int k = 0; k < defs[i]->n_kernels; k++)
            if (defs[i]->kernels[k].eval == evals[i]) {
                found = 1;
                assert_string_equal(defs[i]->kernels[k].name, names[i]);
                assert_int_equal(defs[i]->kernels[k].packed, 0x6);
            }
        assert_true(found);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_entries),
        cmocka_unit_test(test_conv_random),
        cmocka_unit_test(test_depthwise_random),
        cmocka_unit_test(test_dilation_declines),
        cmocka_unit_test(test_depthwise_multiplier_declines),
        cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_fc_random),
        cmocka_unit_test(test_fc_weight_zero_point_declines),
        cmocka_unit_test(test_both_paths_ran),
    };
    print_message("NEON kernels: %s\n", MOTE_NEON ? "aarch64 NEON" : "scalar C (not aarch64)");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
