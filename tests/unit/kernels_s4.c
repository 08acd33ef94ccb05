/* int4-weight kernels (conv_s8_s4, depthwise_s8_s4, fc_s8_s4 and their _opt
 * variants): the reference int4 kernels against the int8 reference kernels
 * run on the same weight values (an int8 twin), and the optimized ones
 * against the int4 reference byte for byte, over random shapes (odd element
 * counts, so a channel's weights start mid-byte), strides, dilations,
 * paddings, zero points, scales and activations. Built natively and with the
 * Arm DSP paths emulated (CMake: kernels_*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "conv_common.h"
#include "fc_pool_common.h"
#include "s4.h"

static uint32_t rng = 2463534242u;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return lo + (int32_t)(rng % (uint32_t)(hi - lo + 1));
}

static _Alignas(16) uint8_t arena[1 << 18], scratch[1 << 16];
static _Alignas(16) int8_t x[1 << 14], w8[1 << 16], y_ref[1 << 15], y_opt[1 << 15];
static _Alignas(16) uint8_t w4[1 << 15];
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

/* n random int4 weights, -8..7 (the full nibble range), and their int8 twin. */
static void weights(int64_t n)
{
    memset(w4, 0, (size_t)(n + 1) / 2);
    for (int64_t i = 0; i < n; i++) {
        int32_t v = rnd(-8, 7);
        w8[i] = (int8_t)v;
        w4[i / 2] |= (uint8_t)(((uint32_t)v & 15u) << (4 * (i % 2)));
    }
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

static void test_nibble_order(void **state)
{
    (void)state;
    /* TFLite's INT4: element 2i in the low nibble of byte i */
    const uint8_t p[2] = {0x8F, 0x17};
    assert_int_equal(mote_s4_at(p, 0), -1);
    assert_int_equal(mote_s4_at(p, 1), -8);
    assert_int_equal(mote_s4_at(p, 2), 7);
    assert_int_equal(mote_s4_at(p, 3), 1);
    assert_int_equal(mote_dtype_bytes(MOTE_I4, 7), 4);
    assert_int_equal(mote_dtype_bytes(MOTE_I4, 8), 4);
    assert_int_equal(mote_dtype_size(MOTE_I4), 0);
}

static int dw3_chosen;
static const uint8_t acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6, MOTE_ACT_RELU_N1_TO_1};

/* Output size of one spatial dimension, as TFLite. */
static int32_t out_size(int padding, int32_t in, int32_t k, int32_t s, int32_t d)
{
    return padding == MOTE_PAD_SAME ? (in + s - 1) / s : (in - ((k - 1) * d + 1) + s) / s;
}

static void conv_case(int depthwise, int rep, int *opt_chosen)
{
    one_node c;
    memset(&c, 0, sizeof c);
    const int one = !depthwise && rep % 3 == 0;
    const int32_t n = rnd(1, 2), ih = rnd(1, 11), iw = rnd(1, 11);
    int32_t ic = rnd(1, 19), oc, fic;
    const int dw3 = depthwise && rep % 4 == 0; /* the 3x3 kernel's shapes */
    const int32_t kh = one ? 1 : dw3 ? 3 : rnd(1, 4), kw = one ? 1 : dw3 ? 3 : rnd(1, 4);
    int32_t mult = 1;
    if (depthwise) {
        if (rep % 2) ic = 4 * rnd(1, 6); /* the optimized kernel's case */
        mult = rep % 5 == 0 ? 2 : 1;
        oc = ic * mult;
        fic = 1;
    } else {
        const int32_t groups = rep % 7 == 0 ? 2 : 1; /* grouped: the reference only */
        fic = rnd(1, 9);
        ic = fic * groups;
        oc = groups * rnd(1, 11);
    }
    mote_opts *o = &c.n.opts;
    o->padding = (uint8_t)rnd(0, 1);
    o->stride_h = (int16_t)rnd(1, dw3 ? 2 : 3);
    o->stride_w = (int16_t)rnd(1, dw3 ? 2 : 3);
    o->dilation_h = (int16_t)(one || dw3 ? 1 : rnd(1, 2));
    o->dilation_w = (int16_t)(one || dw3 ? 1 : rnd(1, 2));
    o->depth_multiplier = (int16_t)(depthwise ? mult : 0);
    o->activation = acts[rnd(0, 3)];
    const int32_t oh = out_size(o->padding, ih, kh, o->stride_h, o->dilation_h);
    const int32_t ow = out_size(o->padding, iw, kw, o->stride_w, o->dilation_w);
    if (oh < 1 || ow < 1) return;
    const int32_t din[4] = {n, ih, iw, ic}, db[1] = {oc}, dout[4] = {n, oh, ow, oc};
    const int32_t dconv[4] = {oc, kh, kw, fic}, ddw[4] = {1, kh, kw, oc};
    tensor(&c.t[0], x, MOTE_I8, 4, din);
    tensor(&c.t[1], w4, MOTE_I4, 4, depthwise ? ddw : dconv);
    tensor(&c.t[2], bias, MOTE_I32, 1, db);
    tensor(&c.t[3], y_ref, MOTE_I8, 4, dout);
    c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
    for (size_t i = 0; i < c.t[0].bytes; i++) x[i] = (int8_t)rnd(-128, 127);
    weights(mote_tensor_elems(&c.t[1]));
    for (int32_t i = 0; i < oc; i++) bias[i] = rnd(-30000, 30000);
    quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
    quant(&c.t[1], 0.002f, 0.05f, 0, 0, rnd(0, 1) ? oc : 1, scales, zps, depthwise ? 3 : 0);
    quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out, 0);
    c.n.op = depthwise ? MOTE_OP_DEPTHWISE_CONV_2D : MOTE_OP_CONV_2D;
    c.n.n_in = 3;
    c.n.n_out = 1;
    c.io[0] = 0, c.io[1] = 1, c.io[2] = rnd(0, 4) ? 2 : -1, c.io[3] = 3;

    /* the int8 twin (same values and scales) on the int8 reference kernel */
    static int8_t y_twin[1 << 15];
    c.t[1].type = MOTE_I8;
    c.t[1].data = w8;
    c.t[1].bytes = (size_t)mote_tensor_elems(&c.t[1]);
    assert_true(run(&c, MOTE_ISA_REFERENCE, y_twin) == (depthwise ? mote_depthwise_s8_eval : mote_conv_s8_eval));
    c.t[1].type = MOTE_I4;
    c.t[1].data = w4;
    c.t[1].bytes = mote_dtype_bytes(MOTE_I4, mote_tensor_elems(&c.t[1]));
    mote_eval_fn ref = run(&c, MOTE_ISA_REFERENCE, y_ref);
    assert_true(ref == (depthwise ? mote_depthwise_s8_s4_eval : mote_conv_s8_s4_eval));
    assert_memory_equal(y_twin, y_ref, c.t[3].bytes);
    static const uint32_t isas[] = {MOTE_ISA_PORTABLE, MOTE_ISA_X86};
    for (int k = 0; k < 2; k++) {
        mote_eval_fn e = run(&c, isas[k], y_opt);
        *opt_chosen += e != ref;
        dw3_chosen += e == mote_depthwise_s8_3x3_eval;
        assert_memory_equal(y_ref, y_opt, c.t[3].bytes);
    }
}

static void test_conv_random(void **state)
{
    (void)state;
    int chosen = 0;
    for (int rep = 0; rep < 500; rep++) conv_case(0, rep, &chosen);
    assert_true(chosen > 300);
}

static void test_depthwise_random(void **state)
{
    (void)state;
    int chosen = 0;
    for (int rep = 0; rep < 500; rep++) conv_case(1, rep, &chosen);
    assert_true(chosen > 150 && dw3_chosen > 50);
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
        tensor(&c.t[1], w8, MOTE_I8, 2, dw);
        tensor(&c.t[2], bias, MOTE_I32, 1, db);
        tensor(&c.t[3], y_ref, MOTE_I8, 2, dout);
        c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
        for (size_t i = 0; i < c.t[0].bytes; i++) x[i] = (int8_t)rnd(-128, 127);
        weights((int64_t)units * depth);
        for (int32_t i = 0; i < units; i++) bias[i] = rnd(-30000, 30000);
        quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
        quant(&c.t[1], 0.002f, 0.05f, 0, 0, rnd(0, 1) ? units : 1, scales, zps, 0);
        quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out, 0);
        c.n.op = MOTE_OP_FULLY_CONNECTED;
        c.n.opts.activation = acts[rnd(0, 3)];
        c.n.n_in = 3;
        c.n.n_out = 1;
        c.io[0] = 0, c.io[1] = 1, c.io[2] = rnd(0, 4) ? 2 : -1, c.io[3] = 3;
        static int8_t y_twin[1 << 15];
        run(&c, MOTE_ISA_REFERENCE, y_twin); /* int8 per tensor or per channel, zero point 0 */
        c.t[1].type = MOTE_I4;
        c.t[1].data = w4;
        c.t[1].bytes = mote_dtype_bytes(MOTE_I4, (int64_t)units * depth);
        assert_true(run(&c, MOTE_ISA_REFERENCE, y_ref) == mote_fc_s8_s4_eval);
        assert_memory_equal(y_twin, y_ref, c.t[3].bytes);
        static const uint32_t isas[] = {MOTE_ISA_PORTABLE, MOTE_ISA_X86};
        for (int k = 0; k < 2; k++) {
            mote_eval_fn e = run(&c, isas[k], y_opt);
            chosen += e != mote_fc_s8_s4_eval; /* fc_s8_s4_opt, or fc_s8_x86 for MOTE_ISA_X86 */
            assert_memory_equal(y_ref, y_opt, c.t[3].bytes);
        }
    }
    assert_true(chosen > 700);
}

/* int4 weights are symmetric: a zero point other than 0 is refused, not ignored. */
static void test_zero_point_refused(void **state)
{
    (void)state;
    one_node c;
    memset(&c, 0, sizeof c);
    const int32_t din[2] = {1, 5}, dw[2] = {3, 5}, dout[2] = {1, 3};
    tensor(&c.t[0], x, MOTE_I8, 2, din);
    tensor(&c.t[1], w4, MOTE_I4, 2, dw);
    tensor(&c.t[3], y_ref, MOTE_I8, 2, dout);
    c.t[1].flags = MOTE_TENSOR_CONST;
    quant(&c.t[0], 0.01f, 0.1f, 0, 0, 1, &s_in, &z_in, 0);
    quant(&c.t[1], 0.01f, 0.1f, 1, 1, 1, scales, zps, 0);
    quant(&c.t[3], 0.05f, 0.5f, 0, 0, 1, &s_out, &z_out, 0);
    c.n.op = MOTE_OP_FULLY_CONNECTED;
    c.n.n_in = 3;
    c.n.n_out = 1;
    c.io[0] = 0, c.io[1] = 1, c.io[2] = -1, c.io[3] = 2;
    c.t[2] = c.t[3];
    c.n.io = c.io;
    c.m = (mote_model){.tensors = c.t, .n_tensors = 3, .nodes = &c.n, .n_nodes = 1};
    assert_int_equal(mote_prepare_isa(&c.m, &c.ctx, arena, sizeof arena, MOTE_ISA_REFERENCE), MOTE_ERR_PARAM);
    assert_non_null(strstr(c.ctx.err, "zero point must be 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nibble_order),
        cmocka_unit_test(test_conv_random),
        cmocka_unit_test(test_depthwise_random),
        cmocka_unit_test(test_fc_random),
        cmocka_unit_test(test_zero_point_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
