/* The passes stage on hand-built graphs: constant folding computes what the
 * op would have computed at run time, activation fusion gives the bytes of
 * the separate activation, and both leave alone what they must not touch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "host_model.h"
#include "passes/passes.h"

static mote_ir_graph *graph_new(int32_t n_tensors, int32_t n_ops)
{
    mote_ir_graph *g = calloc(1, sizeof *g);
    g->tensors = calloc((size_t)n_tensors, sizeof *g->tensors);
    g->ops = calloc((size_t)n_ops, sizeof *g->ops);
    g->inputs = calloc(4, sizeof(int32_t));
    g->outputs = calloc(4, sizeof(int32_t));
    g->n_tensors = n_tensors;
    return g;
}

static mote_tensor *tensor(mote_ir_graph *g, int32_t i, mote_dtype type, int rank, const int32_t *dims)
{
    mote_tensor *t = &g->tensors[i].t;
    t->type = (uint8_t)type;
    t->rank = (uint8_t)rank;
    size_t n = 1;
    for (int d = 0; d < rank; d++) n *= (size_t)(t->dims[d] = dims[d]);
    t->bytes = n * mote_dtype_size(type);
    return t;
}

static void quantize(mote_ir_graph *g, int32_t i, float scale, int32_t zp)
{
    mote_ir_tensor *it = &g->tensors[i];
    it->scale = malloc(sizeof(float));
    it->zero_point = malloc(sizeof(int32_t));
    it->scale[0] = scale;
    it->zero_point[0] = zp;
    it->t.q = (mote_quant){.scale = it->scale, .zero_point = it->zero_point, .n = 1};
}

static void constant(mote_ir_graph *g, int32_t i, const void *data)
{
    mote_ir_tensor *it = &g->tensors[i];
    it->owned_data = aligned_alloc(16, (it->t.bytes + 15) & ~(size_t)15);
    memcpy(it->owned_data, data, it->t.bytes);
    it->t.data = it->owned_data;
    it->t.flags |= MOTE_TENSOR_CONST;
}

static void op(mote_ir_graph *g, mote_op kind, int n_in, const int32_t *ins, int32_t out, int act)
{
    mote_ir_op *o = &g->ops[g->n_ops++];
    o->op = kind;
    o->n_in = (uint16_t)n_in;
    o->n_out = 1;
    o->io = malloc(sizeof(int32_t) * (size_t)(n_in + 1));
    memcpy(o->io, ins, sizeof(int32_t) * (size_t)n_in);
    o->io[n_in] = out;
    o->opts.activation = (uint8_t)act;
    o->opts.stride_w = o->opts.stride_h = o->opts.dilation_w = o->opts.dilation_h = 1;
    o->opts.padding = MOTE_PAD_SAME;
}

static void io(mote_ir_graph *g, int32_t in, int32_t out)
{
    g->inputs[g->n_inputs++] = in;
    g->outputs[g->n_outputs++] = out;
    g->tensors[in].t.flags |= MOTE_TENSOR_INPUT;
    g->tensors[out].t.flags |= MOTE_TENSOR_OUTPUT;
}

static void run_passes(mote_ir_graph *g)
{
    char err[256];
    if (mote_passes_run(g, "test", err, sizeof err) != 0) fail_msg("%s", err);
}

/* y = dequantize(q) + x: the DEQUANTIZE of a constant folds away. */
static mote_ir_graph *dequant_add(int q_is_output)
{
    mote_ir_graph *g = graph_new(4, 2);
    const int32_t d8[1] = {8};
    static const int8_t q[8] = {-128, -3, -1, 0, 1, 2, 50, 127};
    tensor(g, 0, MOTE_I8, 1, d8);
    quantize(g, 0, 0.25f, -1);
    constant(g, 0, q);
    tensor(g, 1, MOTE_F32, 1, d8); /* dequantized */
    tensor(g, 2, MOTE_F32, 1, d8); /* x */
    tensor(g, 3, MOTE_F32, 1, d8); /* y */
    op(g, MOTE_OP_DEQUANTIZE, 1, (const int32_t[]){0}, 1, 0);
    op(g, MOTE_OP_ADD, 2, (const int32_t[]){1, 2}, 3, 0);
    io(g, 2, q_is_output ? 1 : 3);
    return g;
}

static void test_fold_constants(void **state)
{
    (void)state;
    mote_ir_graph *g = dequant_add(0);
    run_passes(g);
    assert_int_equal(g->n_ops, 1);
    assert_int_equal(g->ops[0].op, MOTE_OP_ADD);
    const mote_tensor *f = &g->tensors[1].t;
    assert_true(f->flags & MOTE_TENSOR_CONST);
    const float want[8] = {-31.75f, -0.5f, 0.0f, 0.25f, 0.5f, 0.75f, 12.75f, 32.0f};
    assert_memory_equal(f->data, want, sizeof want);
    char err[256];
    mote_host_model *hm = mote_host_model_new(g, "test", err, sizeof err);
    if (!hm) fail_msg("%s", err);
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float y[8];
    mote_host_run(hm, (const uint8_t *)x, (uint8_t *)y);
    for (int i = 0; i < 8; i++) assert_true(y[i] == want[i] + x[i]);
    mote_host_model_free(hm);

    /* a graph output stays computed at run time */
    g = dequant_add(1);
    run_passes(g);
    assert_int_equal(g->n_ops, 2);
    assert_false(g->tensors[1].t.flags & MOTE_TENSOR_CONST);
    mote_ir_free(g);
}

/* x -> CONV_2D 1x1 (2 -> 3 channels) -> t -> act -> y; with t_out, t is the output instead. */
static mote_ir_graph *conv_act(mote_dtype type, mote_op act, int t_out, float y_scale)
{
    mote_ir_graph *g = graph_new(5, 2);
    const int32_t dx[4] = {1, 2, 2, 2}, dw[4] = {3, 1, 1, 2}, db[1] = {3}, dy[4] = {1, 2, 2, 3};
    tensor(g, 0, type, 4, dx);
    tensor(g, 1, type == MOTE_F32 ? MOTE_F32 : MOTE_I8, 4, dw);
    tensor(g, 2, type == MOTE_F32 ? MOTE_F32 : MOTE_I32, 1, db);
    tensor(g, 3, type, 4, dy);
    tensor(g, 4, type, 4, dy);
    if (type == MOTE_F32) {
        static const float w[6] = {1, -1, -2, 0.5f, 0.25f, 3}, b[3] = {0.5f, -1, 0};
        constant(g, 1, w);
        constant(g, 2, b);
    } else {
        static const int8_t w[6] = {10, -20, -30, 5, 7, 40};
        static const int32_t b[3] = {100, -400, 0};
        quantize(g, 0, 0.5f, 3);
        quantize(g, 1, 0.01f, 0);
        quantize(g, 2, 0.005f, 0);
        quantize(g, 3, 0.05f, -7);
        quantize(g, 4, y_scale, -7);
        constant(g, 1, w);
        constant(g, 2, b);
    }
    op(g, MOTE_OP_CONV_2D, 3, (const int32_t[]){0, 1, 2}, 3, 0);
    if (!t_out) op(g, act, 1, (const int32_t[]){3}, 4, 0);
    io(g, 0, t_out ? 3 : 4);
    return g;
}

static void test_fuse_activation_float(void **state)
{
    (void)state;
    const float x[8] = {1, -2, 0.5f, 4, -3, -1, 2, 2};
    for (int six = 0; six < 2; six++) {
        char err[256];
        mote_ir_graph *g = conv_act(MOTE_F32, six ? MOTE_OP_RELU6 : MOTE_OP_RELU, 0, 0);
        run_passes(g);
        assert_int_equal(g->n_ops, 1);
        assert_int_equal(g->ops[0].opts.activation, six ? MOTE_ACT_RELU6 : MOTE_ACT_RELU);
        assert_int_equal(g->ops[0].io[3], 4);
        mote_host_model *fused = mote_host_model_new(g, "fused", err, sizeof err);
        mote_host_model *plain = mote_host_model_new(conv_act(MOTE_F32, 0, 1, 0), "plain", err, sizeof err);
        assert_non_null(fused);
        assert_non_null(plain);
        float got[12], t[12];
        mote_host_run(fused, (const uint8_t *)x, (uint8_t *)got);
        mote_host_run(plain, (const uint8_t *)x, (uint8_t *)t);
        for (int i = 0; i < 12; i++) {
            float want = t[i] < 0 ? 0 : t[i];
            if (six && want > 6) want = 6;
            assert_true(got[i] == want);
        }
        mote_host_model_free(fused);
        mote_host_model_free(plain);
    }
}

static void test_fuse_activation_int8(void **state)
{
    (void)state;
    /* same scale and zero point: fused, and the bytes are the clamp of the plain conv's */
    char err[256];
    mote_ir_graph *g = conv_act(MOTE_I8, MOTE_OP_RELU6, 0, 0.05f);
    run_passes(g);
    assert_int_equal(g->n_ops, 1);
    mote_host_model *fused = mote_host_model_new(g, "fused", err, sizeof err);
    mote_host_model *plain = mote_host_model_new(conv_act(MOTE_I8, 0, 1, 0), "plain", err, sizeof err);
    assert_non_null(fused);
    assert_non_null(plain);
    for (int rep = 0; rep < 50; rep++) {
        int8_t x[8], got[12], t[12];
        for (int i = 0; i < 8; i++) x[i] = (int8_t)((rep * 37 + i * 91) % 256 - 128);
        mote_host_run(fused, (const uint8_t *)x, (uint8_t *)got);
        mote_host_run(plain, (const uint8_t *)x, (uint8_t *)t);
        for (int i = 0; i < 12; i++) { /* zp -7, 6 / 0.05 = 120: [-7, 113] */
            int want = t[i] < -7 ? -7 : t[i] > 113 ? 113 : t[i];
            assert_int_equal(got[i], want);
        }
    }
    mote_host_model_free(fused);
    mote_host_model_free(plain);
    /* another output scale: the RELU requantizes, so it stays */
    g = conv_act(MOTE_I8, MOTE_OP_RELU, 0, 0.1f);
    run_passes(g);
    assert_int_equal(g->n_ops, 2);
    mote_ir_free(g);
}

static void test_fuse_activation_leaves(void **state)
{
    (void)state;
    /* the conv's output read twice: RELU cannot take it over */
    mote_ir_graph *g = conv_act(MOTE_F32, MOTE_OP_RELU, 0, 0);
    g->outputs[g->n_outputs++] = 3;
    run_passes(g);
    assert_int_equal(g->n_ops, 2);
    mote_ir_free(g);
    /* a producer with its own activation keeps it */
    g = conv_act(MOTE_F32, MOTE_OP_RELU6, 0, 0);
    g->ops[0].opts.activation = MOTE_ACT_RELU;
    run_passes(g);
    assert_int_equal(g->n_ops, 2);
    mote_ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_constants),
        cmocka_unit_test(test_fuse_activation_float),
        cmocka_unit_test(test_fuse_activation_int8),
        cmocka_unit_test(test_fuse_activation_leaves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
