/* The matrix-multiply int8 kernels (conv_s8_1x1, conv_s8_im2col, fc_s8_gemv)
 * against the reference kernels, byte for byte, over random shapes, strides,
 * dilations, paddings, zero points, per-channel scales and activations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "conv_common.h"
#include "fc_s8_gemv.h"
#include "simd_s8.h"

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

/* 32 random bits (rnd draws from a range). */
static uint32_t rnd32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* mote_requant_fit directly: whatever stage it returns, the fast output stage
 * on the kernel's accumulator (new bias + dot) equals the reference on the
 * model's (bias + dot) at both ends of [lo, hi] and inside, within the
 * kernel's bound. Each way out is taken: as is, bias moved, canonical. */
static void test_requant_fit(void **state)
{
    (void)state;
    static const int32_t acts[][2] = {{-128, 127}, {-128, 0}, {-20, 100}, {5, 5}, {-1, 1}, {60, 127}};
    int kept = 0, moved = 0, canonical = 0, declined = 0;
    for (int rep = 0; rep < 200000; rep++) {
        const int64_t span = rnd(0, 3) == 0 ? 0 : (int64_t)(rnd32() % (1u << rnd(1, 22)));
        const int64_t lo = -(int64_t)(rnd32() % (uint32_t)(span + 1)), hi = lo + span;
        const int64_t spread = (lo < 0 ? -lo : lo) > hi ? -lo : hi;
        const int64_t limit = rnd(0, 1) ? (int64_t)1 << 30 : (int64_t)1 << 29;
        const int32_t rmin = limit == (int64_t)1 << 30 ? 0 : 1;
        const int64_t maxb = INT32_MAX - (spread > -lo ? spread : -lo);
        int64_t bias = rnd(0, 2) ? (int64_t)(rnd32() % (uint32_t)(maxb + 1)) : rnd(0, 70000);
        if (rnd(0, 1)) bias = -bias;
        const int32_t mult = rnd(0, 9) ? (int32_t)((1u << 30) + (rnd32() >> 2)) : 0;
        const int32_t shift = -rnd(0, 31), off = rnd(-128, 127);
        const int32_t *act = acts[rnd(0, 5)];
        mote_requant_chan f;
        if (!mote_requant_fit(bias, mult, shift, lo, hi, spread, limit, rmin, off, act[0], act[1], &f)) {
            declined++;
            continue;
        }
        assert_true(f.shift <= -rmin && f.shift >= -30);
        assert_true((f.bias < 0 ? -(int64_t)f.bias : f.bias) + spread < limit);
        kept += f.bias == bias && f.mult == mult && f.shift == shift;
        moved += f.bias != bias && f.mult == mult && f.shift == shift;
        canonical += f.mult != mult || f.shift != shift;
        for (int i = 0; i < 12; i++) {
            const int64_t dot = i == 0 ? lo : (i == 1 ? hi : lo + (int64_t)(rnd32() % (uint32_t)(span + 1)));
            const int32_t want = mote_requant_ref((int32_t)(bias + dot), mult, shift, off, act[0], act[1]);
            const int32_t got = mote_requant_s8((int32_t)(f.bias + dot), f.mult, mote_requant_round(f.shift),
                                                mote_requant_rshift(f.shift), off, act[0], act[1]);
            if (got != want)
                print_error("bias %lld mult %d shift %d lo %lld hi %lld spread %lld limit %lld off %d act %d..%d -> bias %d mult %d shift %d; dot %lld: %d vs %d\n",
                            (long long)bias, mult, shift, (long long)lo, (long long)hi, (long long)spread, (long long)limit, off, act[0], act[1], f.bias, f.mult, f.shift, (long long)dot, got, want);
            assert_int_equal(got, want);
        }
    }
    assert_true(kept > 50000 && moved > 30000 && canonical > 5000 && declined > 100);
}

/* Random convolutions (1x1 and windows) whose channels mix ordinary ones,
 * biases near and beyond +-2^30 with ordinary or tiny scales, and all-zero
 * weights, in every activation range: the optimized kernel where all
 * channels fit (mote_requant_fit), the reference otherwise, the same bytes.
 * In the 1x1 cases pixels 2c and 2c+1 reach channel c's largest and
 * smallest accumulators; elsewhere inputs sit at -128 or 127 half the time. */
static void test_conv_dead_channels(void **state)
{
    (void)state;
    static float s_in, s_out;
    static int32_t z_in, z_out;
    static const uint8_t acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6, MOTE_ACT_RELU_N1_TO_1};
    int fast = 0, declined = 0;
    for (int rep = 0; rep < 800; rep++) {
        one_node c;
        memset(&c, 0, sizeof c);
        const int one = rep % 2 == 0;
        const int32_t n = rnd(1, 2), ih = rnd(one ? 4 : 1, 10), iw = rnd(one ? 4 : 1, 10), ic = rnd(1, rep % 4 < 2 ? 19 : 64);
        const int32_t oc = rnd(1, 8), kh = one ? 1 : rnd(1, 3), kw = one ? 1 : rnd(1, 3);
        mote_opts *o = &c.n.opts;
        o->padding = (uint8_t)(one ? MOTE_PAD_VALID : rnd(0, 1));
        o->stride_h = (int16_t)(one ? 1 : rnd(1, 2));
        o->stride_w = (int16_t)(one ? 1 : rnd(1, 2));
        o->dilation_h = o->dilation_w = 1;
        o->activation = acts[rnd(0, 3)];
        int32_t oh = o->padding == MOTE_PAD_SAME ? (ih + o->stride_h - 1) / o->stride_h
                                                 : (ih - kh + o->stride_h) / o->stride_h;
        int32_t ow = o->padding == MOTE_PAD_SAME ? (iw + o->stride_w - 1) / o->stride_w
                                                 : (iw - kw + o->stride_w) / o->stride_w;
        if (oh < 1 || ow < 1) continue;
        const int32_t din[4] = {n, ih, iw, ic}, dw[4] = {oc, kh, kw, ic}, db[1] = {oc}, dout[4] = {n, oh, ow, oc};
        const int32_t k = kh * kw * ic;
        tensor(&c.t[0], x, MOTE_I8, 4, din);
        tensor(&c.t[1], w, MOTE_I8, 4, dw);
        tensor(&c.t[2], bias, MOTE_I32, 1, db);
        tensor(&c.t[3], y_ref, MOTE_I8, 4, dout);
        c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
        for (size_t i = 0; i < c.t[1].bytes; i++) w[i] = (int8_t)rnd(-127, 127);
        quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
        quant(&c.t[1], 0.001f, 0.02f, 0, 0, oc, scales, zps, 0);
        memset(zps, 0, sizeof zps);
        quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out, 0);
        const int32_t maxb = INT32_MAX - k * 32640; /* prepare's accumulator check */
        int huge = 0;
        for (int32_t ch = 0; ch < oc; ch++) {
            const int32_t kind = rnd(0, 5);
            bias[ch] = rnd(-30000, 30000);
            if (kind < 2) continue;
            huge++;
            bias[ch] = rnd(0, 7) == 0 ? maxb : (1 << 29) + (int32_t)(rnd32() % (uint32_t)(maxb - (1 << 29)));
            if (rnd(0, 1)) bias[ch] = -bias[ch];
            if (kind == 3) memset(w + (size_t)ch * (size_t)k, 0, (size_t)k);
            if (kind == 4) scales[ch] = (float)(1e-10 * (double)(1u << rnd(0, 21)));
            if (kind == 5) /* the bias lands inside the output range: live or dead by the width */
                scales[ch] = (float)((double)s_out / s_in * rnd(1, 128) / fabs((double)bias[ch]));
        }
        for (size_t i = 0; i < c.t[0].bytes; i++) x[i] = (int8_t)(rnd(0, 1) ? rnd(-128, 127) : (rnd(0, 1) ? 127 : -128));
        if (one) /* 1x1, stride 1, valid: pixel p reads input pixel p */
            for (int32_t p = 0; p < 2 * oc && p < n * ih * iw; p++)
                for (int32_t j = 0; j < ic; j++) {
                    const int up = (w[(size_t)(p / 2) * (size_t)k + (size_t)j] > 0) == (p % 2 == 0);
                    x[(size_t)p * (size_t)ic + (size_t)j] = (int8_t)(up ? 127 : -128);
                }
        c.n.op = MOTE_OP_CONV_2D;
        c.n.n_in = 3;
        c.n.n_out = 1;
        c.io[0] = 0;
        c.io[1] = 1;
        c.io[2] = 2;
        c.io[3] = 3;
        assert_true(run(&c, MOTE_ISA_REFERENCE, y_ref) == mote_conv_s8_eval);
        mote_eval_fn e = run(&c, MOTE_ISA_PORTABLE, y_opt);
        if (e == mote_conv_s8_eval)
            declined++;
        else
            fast += huge > 0;
        assert_memory_equal(y_ref, y_opt, c.t[3].bytes);
    }
    assert_true(fast > 250);
}

/* The same for FULLY_CONNECTED: batch rows 2u and 2u+1 reach unit u's
 * largest and smallest accumulators. */
static void test_fc_dead_units(void **state)
{
    (void)state;
    static float s_in, s_out;
    static int32_t z_in, z_out;
    int fast = 0, declined = 0;
    for (int rep = 0; rep < 400; rep++) {
        one_node c;
        memset(&c, 0, sizeof c);
        const int32_t depth = rep % 2 ? rnd(1, 200) : rnd(600, 700), units = rnd(1, 10);
        const int32_t batches = 2 * units + rnd(0, 2);
        const int32_t din[2] = {batches, depth}, dw[2] = {units, depth}, db[1] = {units}, dout[2] = {batches, units};
        tensor(&c.t[0], x, MOTE_I8, 2, din);
        tensor(&c.t[1], w, MOTE_I8, 2, dw);
        tensor(&c.t[2], bias, MOTE_I32, 1, db);
        tensor(&c.t[3], y_ref, MOTE_I8, 2, dout);
        c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
        for (size_t i = 0; i < c.t[1].bytes; i++) w[i] = (int8_t)rnd(-127, 127);
        const int per_unit = rnd(0, 1);
        quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
        quant(&c.t[1], 0.001f, 0.02f, 0, 0, per_unit ? units : 1, scales, zps, 0);
        memset(zps, 0, sizeof zps);
        quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out, 0);
        const int32_t maxb = INT32_MAX - depth * 32640;
        int huge = 0;
        for (int32_t u = 0; u < units; u++) {
            const int32_t kind = rnd(0, 5);
            bias[u] = rnd(-30000, 30000);
            if (kind < 2) continue;
            huge++;
            bias[u] = rnd(0, 7) == 0 ? maxb : (1 << 29) + (int32_t)(rnd32() % (uint32_t)(maxb - (1 << 29)));
            if (rnd(0, 1)) bias[u] = -bias[u];
            if (kind == 3) memset(w + (size_t)u * (size_t)depth, 0, (size_t)depth);
            if (kind == 4 && per_unit) scales[u] = (float)(1e-10 * (double)(1u << rnd(0, 21)));
            if (kind == 5 && per_unit && depth >= 600) { /* live: the range spans about 2 output steps */
                for (int32_t j = 0; j < depth; j++) w[(size_t)u * (size_t)depth + (size_t)j] = (int8_t)(rnd(0, 1) ? 127 : -127);
                bias[u] = (bias[u] < 0 ? -1 : 1) * ((1 << 30) - rnd(0, 1 << 16));
                scales[u] = (float)((double)s_out / s_in * 2.0 / (255.0 * 127.0 * depth));
            }
        }
        for (int32_t b = 0; b < batches; b++)
            for (int32_t j = 0; j < depth; j++) {
                const int up = b < 2 * units && (w[(size_t)(b / 2) * (size_t)depth + (size_t)j] > 0) == (b % 2 == 0);
                x[(size_t)b * (size_t)depth + (size_t)j] = (int8_t)(b < 2 * units ? (up ? 127 : -128) : rnd(-128, 127));
            }
        c.n.op = MOTE_OP_FULLY_CONNECTED;
        c.n.n_in = 3;
        c.n.n_out = 1;
        c.n.opts.activation = (uint8_t)rnd(0, 3);
        c.io[0] = 0;
        c.io[1] = 1;
        c.io[2] = 2;
        c.io[3] = 3;
        run(&c, MOTE_ISA_REFERENCE, y_ref);
        mote_eval_fn e = run(&c, MOTE_ISA_PORTABLE, y_opt);
        if (e == mote_fc_s8_gemv_eval)
            fast += huge > 0;
        else
            declined++;
        assert_memory_equal(y_ref, y_opt, c.t[3].bytes);
    }
    assert_true(fast > 100 && declined > 8);
}

/* fc_s8_gemv's output stages: each kind of pack (per-tensor or per-row
 * constants; offset and clamp folded into the rounding with act_min = -128
 * or above, or not folded) equals the reference. */
static void test_fc_stages(void **state)
{
    (void)state;
    static float s_in, s_out;
    static int32_t z_in, z_out;
    static const uint8_t acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6};
    int kinds[3][2] = {{0, 0}, {0, 0}, {0, 0}};
    for (int rep = 0; rep < 300; rep++) {
        one_node c;
        memset(&c, 0, sizeof c);
        const int32_t batches = rnd(1, 2), depth = rnd(0, 2) ? 32 * rnd(1, 6) : rnd(1, 200), units = rnd(1, 24);
        const int32_t din[2] = {batches, depth}, dw[2] = {units, depth}, db[1] = {units}, dout[2] = {batches, units};
        tensor(&c.t[0], x, MOTE_I8, 2, din);
        tensor(&c.t[1], w, MOTE_I8, 2, dw);
        tensor(&c.t[2], bias, MOTE_I32, 1, db);
        tensor(&c.t[3], y_ref, MOTE_I8, 2, dout);
        c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
        for (size_t i = 0; i < c.t[0].bytes; i++) x[i] = (int8_t)rnd(-128, 127);
        for (size_t i = 0; i < c.t[1].bytes; i++) w[i] = (int8_t)rnd(-127, 127);
        for (int32_t i = 0; i < units; i++) bias[i] = rnd(-20000, 20000);
        quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in, 0);
        quant(&c.t[1], 0.001f, 0.02f, 0, 0, rnd(0, 1) ? units : 1, scales, zps, 0);
        memset(zps, 0, sizeof zps);
        quant(&c.t[3], 0.02f, 0.3f, -128, 127, 1, &s_out, &z_out, 0);
        if (rnd(0, 2) == 0) z_out = -128;
        c.n.op = MOTE_OP_FULLY_CONNECTED;
        c.n.n_in = 3;
        c.n.n_out = 1;
        c.n.opts.activation = acts[rnd(0, 2)];
        c.io[0] = 0;
        c.io[1] = 1;
        c.io[2] = 2;
        c.io[3] = 3;
        run(&c, MOTE_ISA_REFERENCE, y_ref);
        assert_true(run(&c, MOTE_ISA_PORTABLE, y_opt) == mote_fc_s8_gemv_eval);
        const mote_fc_params *p = c.n.data;
        const mote_fc_s8_pack *g = mote_fc_s8_pack_of(p, c.n.data_bytes);
        assert_true(g->folded <= 2 && g->uniform <= 1 && g->k == depth && g->groups == (units + 3) / 4);
        assert_true(g->folded == 0 || p->act_max == 127);
        assert_true(g->folded != 2 || p->act_min == -128);
        kinds[g->folded][g->uniform]++;
        assert_memory_equal(y_ref, y_opt, c.t[3].bytes);
    }
    for (int f = 0; f < 3; f++)
        for (int u = 0; u < 2; u++) assert_true(kinds[f][u] > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_random),
        cmocka_unit_test(test_fc_random),
        cmocka_unit_test(test_requant_fit),
        cmocka_unit_test(test_conv_dead_channels),
        cmocka_unit_test(test_fc_dead_units),
        cmocka_unit_test(test_fc_stages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
