/* Binary-weight kernels (conv_s8_s1, depthwise_s8_s1, fc_s8_s1 and their
 * _opt variants): each reference against the int8 reference run on the same
 * +-1 weights (an int8 twin), and the optimized ones (the multiply-free
 * kernels for MOTE_ISA_PORTABLE, the int8 x86 kernels with widened weights
 * for MOTE_ISA_X86) against the binary reference byte for byte, over random
 * shapes (odd element counts, so a channel's bits start mid-byte), strides,
 * dilations, paddings, zero points (-128..127), scales and activations.
 * Built natively and with the Arm DSP paths emulated (CMake: kernels_*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "conv_common.h"
#include "fc_pool_common.h"
#include "s1.h"

static uint32_t rng = 88172645u;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return lo + (int32_t)(rng % (uint32_t)(hi - lo + 1));
}

static _Alignas(16) uint8_t arena[1 << 18], scratch[1 << 16];
static _Alignas(16) int8_t x[1 << 15], w8[1 << 16], y_twin[1 << 15], y_ref[1 << 15], y_opt[1 << 15];
static _Alignas(16) uint8_t w1[1 << 13];
static int32_t bias[512], zps[512];
static float scales[512];
static float s_in, s_out;
static int32_t z_in, z_out;

typedef struct {
    mote_tensor t[4];
    int32_t io[4];
    mote_node n;
    mote_model m;
    mote_ctx ctx;
} one_node;

static void tensor(mote_tensor *t, void *data, mote_dtype type, int rank, const int32_t *dims)
{
    memset(t, 0, sizeof *t);
    t->data = data;
    t->type = (uint8_t)type;
    t->rank = (uint8_t)rank;
    int64_t e = 1;
    for (int i = 0; i < rank; i++) e *= (t->dims[i] = dims[i]);
    t->bytes = mote_dtype_bytes(type, e);
}

static mote_eval_fn run(one_node *c, uint32_t isa, int8_t *out)
{
    c->t[3].data = out;
    c->n.io = c->io;
    c->m = (mote_model){.tensors = c->t, .n_tensors = 4, .nodes = &c->n, .n_nodes = 1};
    assert_int_equal(mote_prepare_isa(&c->m, &c->ctx, arena, sizeof arena, isa), MOTE_OK);
    assert_true(c->n.scratch_bytes <= sizeof scratch);
    c->n.scratch = scratch;
    memset(scratch, 0x5a, sizeof scratch); /* kernels must not rely on zeroed scratch */
    memset(out, 0x33, c->t[3].bytes);
    mote_invoke(&c->m);
    return c->n.eval;
}

/* n random +-1 weights (a run of one sign now and then: all-set and all-clear
 * words) and their int8 twin. */
static void weights(int64_t n)
{
    memset(w1, 0, (size_t)(n + 7) / 8);
    const int mode = rnd(0, 5); /* 0: all -1, 1: all +1, else random */
    for (int64_t i = 0; i < n; i++) {
        const int set = mode == 0 ? 0 : mode == 1 ? 1 : rnd(0, 1);
        w8[i] = (int8_t)(set ? 1 : -1);
        if (set) w1[i / 8] |= (uint8_t)(1u << (i % 8));
    }
}

/* Inputs: random, or pinned to an end of the int8 range (the u bytes'
 * extremes, 0 and 255). */
static void inputs(size_t n)
{
    const int mode = rnd(0, 7);
    for (size_t i = 0; i < n; i++) x[i] = (int8_t)(mode == 0 ? -128 : mode == 1 ? 127 : rnd(-128, 127));
}

static void quant(mote_tensor *t, float lo, float hi, int32_t zlo, int32_t zhi, int n, float *sc, int32_t *zp,
                  int axis)
{
    for (int i = 0; i < n; i++) {
        sc[i] = lo + (hi - lo) * (float)rnd(0, 1000) / 1000.0f;
        zp[i] = rnd(zlo, zhi);
    }
    t->q = (mote_quant){.scale = sc, .zero_point = zp, .n = n, .axis = axis};
}

static void test_bit_order(void **state)
{
    (void)state;
    /* element 8i + j is bit j of byte i; set = +1 */
    const uint8_t p[2] = {0x81, 0x02};
    assert_int_equal(mote_s1_at(p, 0), 1);
    assert_int_equal(mote_s1_at(p, 1), -1);
    assert_int_equal(mote_s1_at(p, 7), 1);
    assert_int_equal(mote_s1_at(p, 8), -1);
    assert_int_equal(mote_s1_at(p, 9), 1);
    assert_int_equal(mote_dtype_bytes(MOTE_I1, 8), 1);
    assert_int_equal(mote_dtype_bytes(MOTE_I1, 9), 2);
    assert_int_equal(mote_dtype_size(MOTE_I1), 0);
    assert_string_equal(mote_dtype_name(MOTE_I1), "binary");
}

static const uint8_t acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6, MOTE_ACT_RELU_N1_TO_1};

static int32_t out_size(int padding, int32_t in, int32_t k, int32_t s, int32_t d)
{
    return padding == MOTE_PAD_SAME ? (in + s - 1) / s : (in - ((k - 1) * d + 1) + s) / s;
}

/* The int8 twin, the binary reference, then every ISA's choice; returns
 * whether the portable choice was the multiply-free kernel `opt`. */
static int check(one_node *c, mote_eval_fn twin, mote_eval_fn ref, mote_eval_fn opt)
{
    const size_t elems = (size_t)mote_tensor_elems(&c->t[1]);
    c->t[1].type = MOTE_I8;
    c->t[1].data = w8;
    c->t[1].bytes = elems;
    assert_true(run(c, MOTE_ISA_REFERENCE, y_twin) == twin);
    c->t[1].type = MOTE_I1;
    c->t[1].data = w1;
    c->t[1].bytes = mote_dtype_bytes(MOTE_I1, (int64_t)elems);
    assert_true(run(c, MOTE_ISA_REFERENCE, y_ref) == ref);
    assert_memory_equal(y_twin, y_ref, c->t[3].bytes);
    int chosen = 0;
    static const uint32_t isas[] = {MOTE_ISA_PORTABLE, MOTE_ISA_X86};
    for (int k = 0; k < 2; k++) {
        mote_eval_fn e = run(c, isas[k], y_opt);
        if (k == 0) chosen = e == opt;
        assert_memory_equal(y_ref, y_opt, c->t[3].bytes);
    }
    return chosen;
}

static int conv_case(int depthwise, int rep)
{
    one_node c;
    memset(&c, 0, sizeof c);
    const int one = !depthwise && rep % 3 == 0;
    const int32_t n = rnd(1, 2), ih = rnd(1, 11), iw = rnd(1, 11);
    int32_t ic = rnd(1, 19), oc, fic;
    const int32_t kh = one ? 1 : rnd(1, 4), kw = one ? 1 : rnd(1, 4);
    int32_t mult = 1;
    if (depthwise) {
        if (rep % 2) ic = 4 * rnd(1, 6); /* whole groups of 4 channels */
        mult = rep % 5 == 0 ? 2 : 1;     /* a multiplier: the reference only */
        oc = ic * mult;
        fic = 1;
    } else {
        const int32_t groups = rep % 7 == 0 ? 2 : 1; /* grouped: the reference only */
        fic = rep % 11 == 0 ? rnd(30, 70) : rnd(1, 9); /* windows past one bit word */
        ic = fic * groups;
        oc = groups * rnd(1, 11);
    }
    mote_opts *o = &c.n.opts;
    o->padding = (uint8_t)rnd(0, 1);
    o->stride_h = (int16_t)rnd(1, 3);
    o->stride_w = (int16_t)rnd(1, 3);
    o->dilation_h = (int16_t)(one ? 1 : rnd(1, 2));
    o->dilation_w = (int16_t)(one ? 1 : rnd(1, 2));
    o->depth_multiplier = (int16_t)(depthwise ? mult : 0);
    o->activation = acts[rnd(0, 3)];
    const int32_t oh = out_size(o->padding, ih, kh, o->stride_h, o->dilation_h);
    const int32_t ow = out_size(o->padding, iw, kw, o->stride_w, o->dilation_w);
    if (oh < 1 || ow < 1) return 0;
    const int32_t din[4] = {n, ih, iw, ic}, db[1] = {oc}, dout[4] = {n, oh, ow, oc};
    const int32_t dconv[4] = {oc, kh, kw, fic}, ddw[4] = {1, kh, kw, oc};
    tensor(&c.t[0], x, MOTE_I8, 4, din);
    tensor(&c.t[1], w1, MOTE_I1, 4, depthwise ? ddw : dconv);
    tensor(&c.t[2], bias, MOTE_I32, 1, db);
    tensor(&c.t[3], y_ref, MOTE_I8, 4, dout);
    c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
    assert_true(c.t[0].bytes <= sizeof x && c.t[3].bytes <= sizeof y_ref);
    assert_true((size_t)mote_tensor_elems(&c.t[1]) <= sizeof w8);
    inputs(c.t[0].bytes);
    weights(mote_tensor_elems(&c.t[1]));
    /* now and then biases too large for the fast output stage: the opt kernels keep the reference one */
    const int32_t bmax = rep % 9 == 0 ? 1 << 29 : 30000;
    for (int32_t i = 0; i < oc; i++) bias[i] = rnd(-bmax, bmax);
    quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
    /* alpha is a mean |w|, so multipliers above 1/2 (left shifts) are common: every third case */
    const float amax = rep % 3 == 1 ? 5.0f : 0.05f;
    quant(&c.t[1], 0.002f, amax, 0, 0, rnd(0, 1) ? oc : 1, scales, zps, depthwise ? 3 : 0);
    quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out, 0);
    c.n.op = depthwise ? MOTE_OP_DEPTHWISE_CONV_2D : MOTE_OP_CONV_2D;
    c.n.n_in = 3;
    c.n.n_out = 1;
    c.io[0] = 0, c.io[1] = 1, c.io[2] = rnd(0, 4) ? 2 : -1, c.io[3] = 3;
    if (depthwise) return check(&c, mote_depthwise_s8_eval, mote_depthwise_s8_s1_eval, mote_depthwise_s8_s1_opt_eval);
    return check(&c, mote_conv_s8_eval, mote_conv_s8_s1_eval, mote_conv_s8_s1_opt_eval);
}

static void test_conv_random(void **state)
{
    (void)state;
    int chosen = 0;
    for (int rep = 0; rep < 500; rep++) chosen += conv_case(0, rep);
    assert_true(chosen > 300);
}

static void test_depthwise_random(void **state)
{
    (void)state;
    int chosen = 0;
    for (int rep = 0; rep < 500; rep++) chosen += conv_case(1, rep);
    assert_true(chosen > 250);
}

static void test_fc_random(void **state)
{
    (void)state;
    int chosen = 0;
    for (int rep = 0; rep < 400; rep++) {
        one_node c;
        memset(&c, 0, sizeof c);
        const int32_t batches = rnd(1, 3), depth = rnd(1, 300), units = rnd(1, 40);
        const int32_t din[2] = {batches, depth}, dw[2] = {units, depth}, db[1] = {units}, dout[2] = {batches, units};
        tensor(&c.t[0], x, MOTE_I8, 2, din);
        tensor(&c.t[1], w1, MOTE_I1, 2, dw);
        tensor(&c.t[2], bias, MOTE_I32, 1, db);
        tensor(&c.t[3], y_ref, MOTE_I8, 2, dout);
        c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
        inputs(c.t[0].bytes);
        weights((int64_t)units * depth);
        const int32_t bmax = rep % 9 == 0 ? 1 << 29 : 30000;
        for (int32_t i = 0; i < units; i++) bias[i] = rnd(-bmax, bmax);
        quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
        /* one scale per unit: the int8 twin then takes the per-channel
         * arithmetic, as binary weights always do */
        quant(&c.t[1], 0.002f, rep % 3 == 1 ? 5.0f : 0.05f, 0, 0, units, scales, zps, 0);
        quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out, 0);
        c.n.op = MOTE_OP_FULLY_CONNECTED;
        c.n.opts.activation = acts[rnd(0, 3)];
        c.n.n_in = 3;
        c.n.n_out = 1;
        c.io[0] = 0, c.io[1] = 1, c.io[2] = rnd(0, 4) ? 2 : -1, c.io[3] = 3;
        const int one_unit = units == 1; /* a single unit is per tensor for the int8 twin */
        if (one_unit) continue;
        chosen += check(&c, mote_fc_s8_per_channel_eval, mote_fc_s8_s1_eval, mote_fc_s8_s1_opt_eval);
    }
    assert_true(chosen > 350);
}

/* Binary weights are symmetric: a zero point other than 0 is refused by name. */
static void test_zero_point_refused(void **state)
{
    (void)state;
    one_node c;
    memset(&c, 0, sizeof c);
    const int32_t din[4] = {1, 3, 3, 2}, dw[4] = {2, 1, 1, 2}, dout[4] = {1, 3, 3, 2};
    tensor(&c.t[0], x, MOTE_I8, 4, din);
    tensor(&c.t[1], w1, MOTE_I1, 4, dw);
    tensor(&c.t[3], y_ref, MOTE_I8, 4, dout);
    c.t[1].flags = MOTE_TENSOR_CONST;
    c.n.opts.stride_h = c.n.opts.stride_w = c.n.opts.dilation_h = c.n.opts.dilation_w = 1;
    quant(&c.t[0], 0.01f, 0.1f, 0, 0, 1, &s_in, &z_in, 0);
    quant(&c.t[1], 0.01f, 0.1f, 1, 1, 1, scales, zps, 0);
    quant(&c.t[3], 0.05f, 0.5f, 0, 0, 1, &s_out, &z_out, 0);
    c.n.op = MOTE_OP_CONV_2D;
    c.n.n_in = 3;
    c.n.n_out = 1;
    c.io[0] = 0, c.io[1] = 1, c.io[2] = -1, c.io[3] = 2;
    c.t[2] = c.t[3];
    c.n.io = c.io;
    c.m = (mote_model){.tensors = c.t, .n_tensors = 3, .nodes = &c.n, .n_nodes = 1};
    assert_int_equal(mote_prepare_isa(&c.m, &c.ctx, arena, sizeof arena, MOTE_ISA_REFERENCE), MOTE_ERR_PARAM);
    assert_non_null(strstr(c.ctx.err, "binary filter zero point must be 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bit_order),
        cmocka_unit_test(test_conv_random),
        cmocka_unit_test(test_depthwise_random),
        cmocka_unit_test(test_fc_random),
        cmocka_unit_test(test_zero_point_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
