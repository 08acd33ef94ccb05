/* The matrix-multiply int8 kernels (conv_s8_1x1, conv_s8_im2col, fc_s8_gemv)
 * against the reference kernels, byte for byte, over random shapes, strides,
 * dilations, paddings, zero points, per-channel scales and activations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "conv_common.h"
#include "fc_s8_gemv.h"

static uint32_t rng = 2463534242u;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return lo + (int32_t)(rng % (uint32_t)(hi - lo + 1));
}

static _Alignas(16) uint8_t arena[1 << 18], scratch[1 << 16];
static int8_t x[1 << 14], w[1 << 16], y_ref[1 << 15], y_opt[1 << 15];
static int32_t bias[512], zps[512];
static float scales[512];

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
    size_t e = 1;
    for (int i = 0; i < rank; i++) e *= (size_t)(t->dims[i] = dims[i]);
    t->bytes = e * mote_dtype_size(type);
}

/* Prepare for isa and run; the eval chosen is returned. */
static mote_eval_fn run(one_node *c, uint32_t isa, int8_t *out)
{
    c->t[3].data = out;
    c->n.io = c->io;
    c->m = (mote_model){.tensors = c->t, .n_tensors = 4, .nodes = &c->n, .n_nodes = 1};
    assert_int_equal(mote_prepare_isa(&c->m, &c->ctx, arena, sizeof arena, isa), MOTE_OK);
    assert_true(c->n.scratch_bytes <= sizeof scratch);
    c->n.scratch = scratch;
    memset(scratch, 0x5a, sizeof scratch); /* kernels must not rely on zeroed scratch */
    mote_invoke(&c->m);
    return c->n.eval;
}

static void quant(mote_tensor *t, float scale_lo, float scale_hi, int32_t zp_lo, int32_t zp_hi, int n,
                  float *sc, int32_t *zp, int axis)
{
    for (int i = 0; i < n; i++) {
        sc[i] = scale_lo + (scale_hi - scale_lo) * (float)rnd(0, 1000) / 1000.0f;
        zp[i] = rnd(zp_lo, zp_hi);
    }
    t->q = (mote_quant){.scale = sc, .zero_point = zp, .n = n, .axis = axis};
}

static void test_conv_random(void **state)
{
    (void)state;
    static float s_in, s_out;
    static int32_t z_in, z_out;
    int chosen_1x1 = 0, chosen_im2col = 0;
    for (int rep = 0; rep < 600; rep++) {
        one_node c;
        memset(&c, 0, sizeof c);
        const int one = rep % 3 == 0;
        const int32_t n = rnd(1, 2), ih = rnd(1, 12), iw = rnd(1, 12), ic = rnd(1, 19), oc = rnd(1, 21);
        const int32_t kh = one ? 1 : rnd(1, 4), kw = one ? 1 : rnd(1, 4);
        mote_opts *o = &c.n.opts;
        o->padding = (uint8_t)rnd(0, 1);
        o->stride_h = (int16_t)rnd(1, 3);
        o->stride_w = (int16_t)rnd(1, 3);
        o->dilation_h = (int16_t)(one ? 1 : rnd(1, 2));
        o->dilation_w = (int16_t)(one ? 1 : rnd(1, 2));
        static const uint8_t acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6, MOTE_ACT_RELU_N1_TO_1};
        o->activation = acts[rnd(0, 3)];
        int32_t oh = o->padding == MOTE_PAD_SAME ? (ih + o->stride_h - 1) / o->stride_h
                                                 : (ih - ((kh - 1) * o->dilation_h + 1) + o->stride_h) / o->stride_h;
        int32_t ow = o->padding == MOTE_PAD_SAME ? (iw + o->stride_w - 1) / o->stride_w
                                                 : (iw - ((kw - 1) * o->dilation_w + 1) + o->stride_w) / o->stride_w;
        if (oh < 1 || ow < 1) continue;
        const int32_t din[4] = {n, ih, iw, ic}, dw[4] = {oc, kh, kw, ic}, db[1] = {oc}, dout[4] = {n, oh, ow, oc};
        tensor(&c.t[0], x, MOTE_I8, 4, din);
        tensor(&c.t[1], w, MOTE_I8, 4, dw);
        tensor(&c.t[2], bias, MOTE_I32, 1, db);
        tensor(&c.t[3], y_ref, MOTE_I8, 4, dout);
        c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
        for (size_t i = 0; i < c.t[0].bytes; i++) x[i] = (int8_t)rnd(-128, 127);
        for (size_t i = 0; i < c.t[1].bytes; i++) w[i] = (int8_t)rnd(-127, 127);
        for (int32_t i = 0; i < oc; i++) bias[i] = rnd(-30000, 30000);
        quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
        quant(&c.t[1], 0.001f, 0.02f, 0, 0, rnd(0, 1) ? oc : 1, scales, zps, 0);
        memset(zps, 0, sizeof zps);
        quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out, 0);
        c.n.op = MOTE_OP_CONV_2D;
        c.n.n_in = 3;
        c.n.n_out = 1;
        c.io[0] = 0;
        c.io[1] = 1;
        c.io[2] = rnd(0, 4) ? 2 : -1;
        c.io[3] = 3;
        assert_true(run(&c, MOTE_ISA_REFERENCE, y_ref) == mote_conv_s8_eval);
        mote_eval_fn e = run(&c, MOTE_ISA_PORTABLE, y_opt);
        chosen_1x1 += e == mote_conv_s8_1x1_eval;
        chosen_im2col += e == mote_conv_s8_im2col_eval;
        assert_true(e == (kh == 1 && kw == 1 ? mote_conv_s8_1x1_eval : mote_conv_s8_im2col_eval));
        assert_memory_equal(y_ref, y_opt, c.t[3].bytes);
    }
    assert_true(chosen_1x1 > 100 && chosen_im2col > 100);
}

static void test_fc_random(void **state)
{
    (void)state;
    static float s_in, s_out;
    static int32_t z_in, z_out;
    int chosen = 0;
    for (int rep = 0; rep < 400; rep++) {
        one_node c;
        memset(&c, 0, sizeof c);
        const int32_t batches = rnd(1, 3), depth = rnd(1, 300), units = rnd(1, 40);
        const int32_t din[2] = {batches, depth}, dw[2] = {units, depth}, db[1] = {units}, dout[2] = {batches, units};
        tensor(&c.t[0], x, MOTE_I8, 2, din);
        tensor(&c.t[1], w, MOTE_I8, 2, dw);
        tensor(&c.t[2], bias, MOTE_I32, 1, db);
        tensor(&c.t[3], y_ref, MOTE_I8, 2, dout);
        c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
        for (size_t i = 0; i < c.t[0].bytes; i++) x[i] = (int8_t)rnd(-128, 127);
        for (size_t i = 0; i < c.t[1].bytes; i++) w[i] = (int8_t)rnd(-127, 127);
        for (int32_t i = 0; i < units; i++) bias[i] = rnd(-30000, 30000);
        quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
        quant(&c.t[1], 0.001f, 0.02f, 0, 0, rnd(0, 1) ? units : 1, scales, zps, 0);
        memset(zps, 0, sizeof zps);
        quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out, 0);
        c.n.op = MOTE_OP_FULLY_CONNECTED;
        c.n.n_in = 3;
        c.n.n_out = 1;
        c.n.opts.activation = (uint8_t)(rnd(0, 1) ? MOTE_ACT_RELU : MOTE_ACT_NONE);
        c.io[0] = 0;
        c.io[1] = 1;
        c.io[2] = rnd(0, 4) ? 2 : -1;
        c.io[3] = 3;
        run(&c, MOTE_ISA_REFERENCE, y_ref);
        mote_eval_fn e = run(&c, MOTE_ISA_PORTABLE, y_opt);
        assert_true(e == mote_fc_s8_gemv_eval);
        chosen++;
        assert_memory_equal(y_ref, y_opt, c.t[3].bytes);
    }
    assert_true(chosen == 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_random),
        cmocka_unit_test(test_fc_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
