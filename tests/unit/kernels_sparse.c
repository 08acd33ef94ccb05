/* Sparse int8 weights (MOTE_I8_SPARSE, mote/sparse.h): fc_s8_sparse and
 * fc_s8_sparse_opt bit-exact with the dense int8 kernels (reference, per
 * tensor and per channel, and the optimized ones), conv_s8_sparse with
 * conv_s8, on the same weights stored dense, over random shapes, sparsities (0 to all-zero rows, runs of zeros past 255 so
 * filler entries occur), zero points, scales and activations; and malformed
 * encodings refused by mote_sparse_s8_check and by prepare, by name. The
 * encoder here is the test's own, written from the layout in sparse.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "conv_common.h"
#include "fc_pool_common.h"
#include "mote/sparse.h"

static uint32_t rng = 88172645u;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return lo + (int32_t)(rng % (uint32_t)(hi - lo + 1));
}

static _Alignas(16) uint8_t arena[1 << 16], scratch[1 << 14];
static _Alignas(16) int8_t x[1 << 12], w8[1 << 16], y_dense[1 << 12], y_sparse[1 << 12];
static _Alignas(16) uint8_t enc[1 << 18];
static int32_t bias[64], zps[64];
static float scales[64], s_in, s_out;
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

/* Row by row: skip counts the zeros before a weight; longer runs than 255 take fillers. */
static size_t encode(const int8_t *w, int32_t rows, int32_t depth, uint8_t *out)
{
    size_t p = 2 * (size_t)rows;
    for (int32_t r = 0; r < rows; r++) {
        int32_t n = 0, skip = 0;
        for (int32_t c = 0; c < depth; c++) {
            int8_t v = w[r * depth + c];
            if (v == 0) {
                skip++;
                continue;
            }
            while (skip > 255) { /* filler: skip 255, then a stored zero */
                out[p++] = 255;
                out[p++] = 0;
                n++;
                skip -= 256;
            }
            out[p++] = (uint8_t)skip;
            out[p++] = (uint8_t)v;
            n++;
            skip = 0;
        }
        out[2 * r] = (uint8_t)n;
        out[2 * r + 1] = (uint8_t)(n >> 8);
    }
    return p;
}

static mote_status prepare(one_node *c, uint32_t isa)
{
    c->n.io = c->io;
    c->m = (mote_model){.tensors = c->t, .n_tensors = 4, .nodes = &c->n, .n_nodes = 1};
    return mote_prepare_isa(&c->m, &c->ctx, arena, sizeof arena, isa);
}

static mote_eval_fn run(one_node *c, uint32_t isa, int8_t *out)
{
    c->t[3].data = out;
    assert_int_equal(prepare(c, isa), MOTE_OK);
    assert_true(c->n.scratch_bytes <= sizeof scratch);
    c->n.scratch = scratch;
    memset(scratch, 0x5a, sizeof scratch);
    memset(out, 0x33, c->t[3].bytes);
    mote_invoke(&c->m);
    return c->n.eval;
}

static void quant(mote_tensor *t, float lo, float hi, int32_t zlo, int32_t zhi, int n, float *sc, int32_t *zp)
{
    for (int i = 0; i < n; i++) {
        sc[i] = lo + (hi - lo) * (float)rnd(0, 1000) / 1000.0f;
        zp[i] = rnd(zlo, zhi);
    }
    t->q = (mote_quant){.scale = sc, .zero_point = zp, .n = n, .axis = 0};
}

/* An FC node over random data; the weights have about `zero_pm` per mille zeros. */
static void fc_node(one_node *c, int32_t batches, int32_t depth, int32_t units, int zero_pm)
{
    static int32_t din[2], dw[2], db[1], dout[2];
    din[0] = batches, din[1] = depth, dw[0] = units, dw[1] = depth, db[0] = units;
    dout[0] = batches, dout[1] = units;
    memset(c, 0, sizeof *c);
    tensor(&c->t[0], x, MOTE_I8, 2, din);
    tensor(&c->t[1], w8, MOTE_I8, 2, dw);
    tensor(&c->t[2], bias, MOTE_I32, 1, db);
    tensor(&c->t[3], y_dense, MOTE_I8, 2, dout);
    c->t[1].flags = c->t[2].flags = MOTE_TENSOR_CONST;
    for (size_t i = 0; i < c->t[0].bytes; i++) x[i] = (int8_t)rnd(-128, 127);
    for (int32_t i = 0; i < units * depth; i++) w8[i] = (int8_t)(rnd(0, 999) < zero_pm ? 0 : rnd(-127, 127));
    for (int32_t i = 0; i < units; i++) bias[i] = rnd(-30000, 30000);
    quant(&c->t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in);
    quant(&c->t[1], 0.002f, 0.05f, 0, 0, rnd(0, 1) ? units : 1, scales, zps);
    quant(&c->t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out);
    c->n.op = MOTE_OP_FULLY_CONNECTED;
    static const int acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6, MOTE_ACT_RELU_N1_TO_1};
    c->n.opts.activation = acts[rnd(0, 3)];
    c->n.n_in = 3;
    c->n.n_out = 1;
    c->io[0] = 0, c->io[1] = 1, c->io[2] = rnd(0, 4) ? 2 : -1, c->io[3] = 3;
}

static void to_sparse(one_node *c)
{
    const int32_t units = c->t[1].dims[0], depth = c->t[1].dims[1];
    c->t[1].type = MOTE_I8_SPARSE;
    c->t[1].data = enc;
    c->t[1].bytes = encode(w8, units, depth, enc);
}

static void test_fc_bit_exact(void **state)
{
    (void)state;
    static const int zero_pm[] = {0, 300, 500, 800, 900, 990, 1000};
    int fillers = 0;
    for (int rep = 0; rep < 600; rep++) {
        one_node c;
        const int32_t batches = rnd(1, 3), depth = rnd(1, rep % 4 ? 300 : 1000), units = rnd(1, 40);
        fc_node(&c, batches, depth, units, zero_pm[rnd(0, 6)]);
        run(&c, MOTE_ISA_REFERENCE, y_dense);
        to_sparse(&c);
        for (int32_t u = 0, k = 0; u < units; u++) /* a filler entry: skip 255, value 0 */
            for (uint32_t e = 0; e < mote_sparse_count(enc, u); e++, k++)
                fillers += enc[2 * units + 2 * k] == 255 && enc[2 * units + 2 * k + 1] == 0;
        assert_true(run(&c, MOTE_ISA_REFERENCE, y_sparse) == mote_fc_s8_sparse_eval);
        assert_memory_equal(y_dense, y_sparse, c.t[3].bytes);
        /* the optimized sparse kernel (folded biases), and the optimized dense ones, agree */
        assert_true(run(&c, MOTE_ISA_PORTABLE, y_sparse) == mote_fc_s8_sparse_opt_eval);
        assert_memory_equal(y_dense, y_sparse, c.t[3].bytes);
        assert_true(run(&c, MOTE_ISA_X86, y_sparse) == mote_fc_s8_sparse_opt_eval);
        assert_memory_equal(y_dense, y_sparse, c.t[3].bytes);
        if (c.io[2] >= 0) { /* a computed (non-constant) bias cannot be folded: the reference kernel runs */
            c.t[2].flags = 0;
            assert_true(run(&c, MOTE_ISA_PORTABLE, y_sparse) == mote_fc_s8_sparse_eval);
            assert_memory_equal(y_dense, y_sparse, c.t[3].bytes);
            c.t[2].flags = MOTE_TENSOR_CONST;
        }
        c.t[1].type = MOTE_I8, c.t[1].data = w8, c.t[1].bytes = (size_t)units * (size_t)depth;
        run(&c, MOTE_ISA_PORTABLE, y_sparse);
        assert_memory_equal(y_dense, y_sparse, c.t[3].bytes);
    }
    assert_true(fillers > 10);
}

/* CONV_2D: conv_s8_sparse against the reference conv_s8 on the same filter dense, over random shapes,
 * strides, dilations, SAME/VALID padding (padded taps), per-tensor and per-channel scales, 1x1 read in place. */
static void test_conv_bit_exact(void **state)
{
    (void)state;
    static const int zero_pm[] = {0, 500, 800, 900, 1000};
    int ran = 0;
    for (int rep = 0; rep < 400; rep++) {
        one_node c;
        memset(&c, 0, sizeof c);
        const int one = rnd(0, 3) == 0;
        const int32_t b = rnd(1, 2), ih = rnd(1, 9), iw = rnd(1, 9), ic = rnd(1, 8), oc = rnd(1, 12);
        const int32_t kh = one ? 1 : rnd(1, 4), kw = one ? 1 : rnd(1, 4);
        mote_opts *o = &c.n.opts;
        o->padding = (uint8_t)rnd(0, 1);
        o->stride_h = (int16_t)rnd(1, 2), o->stride_w = (int16_t)rnd(1, 2);
        o->dilation_h = (int16_t)rnd(1, 2), o->dilation_w = (int16_t)rnd(1, 2);
        const int32_t oh = mote_conv_out_size(o->padding, ih, kh, o->stride_h, o->dilation_h);
        const int32_t ow = mote_conv_out_size(o->padding, iw, kw, o->stride_w, o->dilation_w);
        if (oh <= 0 || ow <= 0) continue;
        static int32_t din[4], dw[4], db[1], dout[4];
        din[0] = b, din[1] = ih, din[2] = iw, din[3] = ic;
        dw[0] = oc, dw[1] = kh, dw[2] = kw, dw[3] = ic, db[0] = oc;
        dout[0] = b, dout[1] = oh, dout[2] = ow, dout[3] = oc;
        tensor(&c.t[0], x, MOTE_I8, 4, din);
        tensor(&c.t[1], w8, MOTE_I8, 4, dw);
        tensor(&c.t[2], bias, MOTE_I32, 1, db);
        tensor(&c.t[3], y_dense, MOTE_I8, 4, dout);
        c.t[1].flags = c.t[2].flags = MOTE_TENSOR_CONST;
        for (size_t i = 0; i < c.t[0].bytes; i++) x[i] = (int8_t)rnd(-128, 127);
        const int zp = zero_pm[rnd(0, 4)];
        for (int32_t i = 0; i < oc * kh * kw * ic; i++) w8[i] = (int8_t)(rnd(0, 999) < zp ? 0 : rnd(-127, 127));
        for (int32_t i = 0; i < oc; i++) bias[i] = rnd(-3000, 3000);
        quant(&c.t[0], 0.01f, 0.1f, -128, 127, 1, &s_in, &z_in);
        quant(&c.t[1], 0.002f, 0.05f, 0, 0, rnd(0, 1) ? oc : 1, scales, zps);
        quant(&c.t[3], 0.05f, 0.5f, -100, 100, 1, &s_out, &z_out);
        c.n.op = MOTE_OP_CONV_2D;
        static const int acts[] = {MOTE_ACT_NONE, MOTE_ACT_RELU, MOTE_ACT_RELU6};
        o->activation = (uint8_t)acts[rnd(0, 2)];
        c.n.n_in = 3;
        c.n.n_out = 1;
        c.io[0] = 0, c.io[1] = 1, c.io[2] = rnd(0, 4) ? 2 : -1, c.io[3] = 3;
        if (c.t[3].bytes > sizeof y_dense) continue;
        assert_true(run(&c, MOTE_ISA_REFERENCE, y_dense) == mote_conv_s8_eval);
        c.t[1].type = MOTE_I8_SPARSE;
        c.t[1].data = enc;
        c.t[1].bytes = encode(w8, oc, kh * kw * ic, enc);
        assert_true(run(&c, MOTE_ISA_REFERENCE, y_sparse) == mote_conv_s8_sparse_eval);
        assert_memory_equal(y_dense, y_sparse, c.t[3].bytes);
        assert_true(run(&c, MOTE_ISA_PORTABLE, y_sparse) == mote_conv_s8_sparse_eval);
        assert_memory_equal(y_dense, y_sparse, c.t[3].bytes);
        ran++;
    }
    assert_true(ran > 200);
}

static void test_check(void **state)
{
    (void)state;
    /* 2 rows of depth 4: [0 5 0 0], [0 0 0 -3] */
    uint8_t e[] = {1, 0, 1, 0, 1, 5, 3, (uint8_t)-3};
    assert_int_equal(mote_sparse_s8_check(e, sizeof e, 2, 4), 0);
    assert_int_equal(mote_sparse_s8_check(e, sizeof e - 1, 2, 4), -1); /* truncated */
    assert_int_equal(mote_sparse_s8_check(e, sizeof e, 2, 3), -1);     /* row 1 runs past depth */
    assert_int_equal(mote_sparse_s8_check(e, sizeof e, 3, 4), -1);     /* counts do not fit */
    assert_int_equal(mote_sparse_s8_check(e, sizeof e, 1, 4), -1);     /* bytes left over */
    assert_int_equal(mote_sparse_s8_check(e, sizeof e, 2, 0), -1);
    assert_int_equal(mote_sparse_s8_check(NULL, 0, 2, 4), -1);
    e[0] = 0xFF, e[1] = 0xFF; /* 65535 entries claimed */
    assert_int_equal(mote_sparse_s8_check(e, sizeof e, 2, 4), -1);
    const uint8_t empty[] = {0, 0}; /* an all-zero row */
    assert_int_equal(mote_sparse_s8_check(empty, 2, 1, 7), 0);
    assert_string_equal(mote_dtype_name(MOTE_I8_SPARSE), "int8 sparse");
}

/* A bad encoding or a weight zero point is refused at prepare, naming the weights. */
static void test_prepare_refuses(void **state)
{
    (void)state;
    one_node c;
    fc_node(&c, 1, 20, 3, 800);
    to_sparse(&c);
    c.t[1].bytes -= 1;
    assert_int_equal(prepare(&c, MOTE_ISA_PORTABLE), MOTE_ERR_PARAM);
    assert_int_equal(c.ctx.err_tensor, 1);
    assert_non_null(strstr(c.ctx.err, "sparse int8 weights"));
    to_sparse(&c);
    zps[0] = 1;
    assert_int_equal(prepare(&c, MOTE_ISA_PORTABLE), MOTE_ERR_PARAM);
    assert_non_null(strstr(c.ctx.err, "zero point must be 0"));
    zps[0] = 0;
    c.t[0].type = MOTE_F32; /* float input: the weights' dtype is named */
    c.t[0].bytes = 80, c.t[3].type = MOTE_F32, c.t[3].bytes = 12;
    assert_int_not_equal(prepare(&c, MOTE_ISA_PORTABLE), MOTE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_bit_exact),
        cmocka_unit_test(test_conv_bit_exact),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_prepare_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
