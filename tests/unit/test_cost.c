/* Latency cost model: cost-file parsing (good and bad files, with line
 * numbers), the shipped files for every profile, node figures worked out by
 * hand (padding-aware window positions and MACs), and the estimate of a
 * hand-built model equal to the hand-computed sum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_model.h"
#include "passes/passes.h"
#include "mote/kernel.h"
#include "target/cost.h"
#include "target/profile.h"

/* A hand-made file: conv_s8 and fc_s8 lines; softmax has none (fallback). */
static const char *const good =
    "# test figures\n"
    "core cortex-m4f\n"
    "cpi 2   # cycles per instruction\n"
    "invoke 11\n"
    "fallback 0.5 4 0 0  70 3.9 6.1\n"
    "\n"
    "kernel conv_s8 2 3 100 0.5  28 0.4 0.8\n"
    "kernel fc_s8   1 10 7 0     13 0.9 2.4\n";

static void test_parse_good(void **state)
{
    (void)state;
    mote_cost_model cm;
    char err[256] = "";
    if (mote_cost_parse(good, "t.cost", &cm, err, sizeof err) != 0) fail_msg("%s", err);
    assert_string_equal(cm.core, "cortex-m4f");
    assert_true(cm.cpi == 2.0);
    assert_true(cm.invoke == 11.0);
    assert_true(cm.fallback.a == 0.5 && cm.fallback.b == 4.0 && cm.fallback.c == 0 && cm.fallback.w == 0);
    assert_int_equal(cm.fallback.points, 70);
    assert_int_equal(cm.n_kernels, 2);
    assert_string_equal(cm.kernels[0].name, "conv_s8");
    assert_true(cm.kernels[0].a == 2 && cm.kernels[0].b == 3 && cm.kernels[0].c == 100 && cm.kernels[0].w == 0.5);
    assert_int_equal(cm.kernels[0].points, 28);
    assert_true(cm.kernels[0].rms_pct == 0.4 && cm.kernels[0].max_pct == 0.8);
    assert_string_equal(cm.kernels[1].name, "fc_s8");
    /* one kernel by hand: 2*600 + 3*48 + 100 + 0.5*300 */
    int known = -1;
    assert_true(mote_cost_kernel_insns(&cm, "conv_s8", 600, 48, 300, &known) == 1594.0);
    assert_int_equal(known, 1);
    assert_true(mote_cost_kernel_insns(&cm, "no_such_kernel", 100, 8, 0, &known) == 0.5 * 100 + 4 * 8);
    assert_int_equal(known, 0);
    /* 1e6 instructions at 100 MHz with CPI 2: 20 ms; no clock, no time */
    assert_true(fabs(mote_cost_ms(&cm, 1e6, 100) - 20.0) < 1e-12);
    assert_true(mote_cost_ms(&cm, 1e6, 0) == 0.0);
    mote_cost_free(&cm);
}

static void expect_error(const char *text, const char *want)
{
    mote_cost_model cm;
    char err[256] = "";
    if (mote_cost_parse(text, "bad.cost", &cm, err, sizeof err) == 0) fail_msg("accepted: %s", text);
    if (strcmp(err, want) != 0) fail_msg("error '%s', expected '%s'", err, want);
    assert_null(cm.kernels);
    assert_int_equal(cm.n_kernels, 0);
}

#define HEAD "core cortex-m4f\ncpi 1.4\ninvoke 12\nfallback 1 2 0 3 10 1 2\n"

static void test_bad_files(void **state)
{
    (void)state;
    expect_error("core cortex-m4f\ncpi 0\n", "bad.cost:2: cpi: must be a number > 0");
    expect_error("core cortex-m4f\ncpi -1\n", "bad.cost:2: cpi: must be a number > 0");
    expect_error("core z80\n", "bad.cost:1: core: unknown core (see mote targets)");
    expect_error("core cortex-m4f\ncore cortex-m7\n", "bad.cost:2: core: given twice");
    expect_error("# x\ncpi 1 2\n", "bad.cost:2: cpi: needs exactly one value");
    expect_error(HEAD "speed 3\n", "bad.cost:5: speed: unknown key (core, cpi, invoke, fallback, kernel)");
    expect_error(HEAD "kernel conv_s8 1 2 3 4 5 6\n", "bad.cost:5: kernel: needs NAME A B C W POINTS RMS_PCT MAX_PCT");
    expect_error(HEAD "kernel conv_s8 -1 2 3 4 5 6 7\n",
                 "bad.cost:5: kernel: a (instructions per MAC) must be a number >= 0");
    expect_error(HEAD "\n\nkernel conv_s8 1 2x 3 4 5 6 7\n",
                 "bad.cost:7: kernel: b (instructions per output element) must be a number >= 0");
    expect_error(HEAD "kernel conv_s8 1 2 nan 4 5 6 7\n",
                 "bad.cost:5: kernel: c (instructions per call) must be a number >= 0");
    expect_error(HEAD "kernel conv_s8 1 2 3 inf 5 6 7\n",
                 "bad.cost:5: kernel: w (instructions per window position) must be a number >= 0");
    expect_error(HEAD "kernel conv_s8 1 2 3 4 5.5 6 7\n", "bad.cost:5: kernel: points must be a whole number >= 0");
    expect_error(HEAD "kernel a 1 2 3 4 5 6 7\nkernel b 1 2 3 4 5 6 7\nkernel a 1 2 3 4 5 6 7\n",
                 "bad.cost:7: kernel: kernel given twice");
    expect_error(HEAD "fallback 1 2 3 4 5 6 7\n", "bad.cost:5: fallback: given twice");
    expect_error("core cortex-m4f\ncpi 1\ninvoke 0\n", "bad.cost: missing 'fallback' line");
    expect_error("cpi 1\n", "bad.cost: missing 'core' line");
    expect_error("", "bad.cost: missing 'core' line");
}

/* Every shipped profile finds figures: its own core's file or the nearest
 * measured one, which it names. */
static void test_shipped_files(void **state)
{
    (void)state;
    mote_profile *profs;
    size_t n;
    char err[1024], note[256];
    if (mote_profile_list(&profs, &n, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(n >= 8);
    int measured = 0;
    for (size_t i = 0; i < n; i++) {
        mote_cost_model cm;
        if (mote_cost_load_for(&profs[i], &cm, note, sizeof note, err, sizeof err) != 0)
            fail_msg("%s: %s", profs[i].name, err);
        assert_true(cm.cpi > 0);
        assert_true(cm.n_kernels >= 11);
        assert_true(cm.fallback.a > 0);
        int own = !strcmp(cm.core, mote_core_name(profs[i].core));
        if (own) {
            measured++;
            assert_string_equal(note, "");
        } else {
            assert_non_null(strstr(note, mote_core_name(profs[i].core)));
            assert_non_null(strstr(note, cm.core));
        }
        /* the kernels the int8 MLPerf Tiny models use on this core all have their own line */
        static const char *const arm[] = {"conv_s8_1x1", "conv_s8_im2col", "depthwise_s8_3x3", "fc_s8_gemv",
                                          "avg_pool_s8", "add_s8_fast", "softmax_s8", "reshape"};
        static const char *const x86[] = {"conv_s8_x86", "depthwise_s8_x86", "fc_s8_x86",  "avg_pool_s8",
                                          "add_s8_fast", "softmax_s8",       "reshape",    "reshape"};
        const char *const *want = strstr(cm.core, "x86") ? x86 : arm;
        /* and so do their reference kernels (--kernels ref), the other side of --optimize */
        static const char *const ref[] = {"conv_s8", "depthwise_s8", "fc_s8",     "add_s8",
                                          "avg_pool_s8", "softmax_s8", "reshape", "reshape"};
        for (size_t k = 0; k < 8; k++) {
            int known = 0;
            mote_cost_kernel_insns(&cm, want[k], 1, 1, 1, &known);
            if (!known) fail_msg("%s has no line for %s", cm.path, want[k]);
            mote_cost_kernel_insns(&cm, ref[k], 1, 1, 1, &known);
            if (!known) fail_msg("%s has no line for %s", cm.path, ref[k]);
        }
        mote_cost_free(&cm);
    }
    assert_true(measured >= 4); /* host, nucleo-l4r5zi, stm32f746, stm32u575, nrf52840 */
    free(profs);
}

/* ---- a hand-built model: conv 3x3 SAME on 1x4x4x2 -> 1x4x4x3, FC 48 -> 5, softmax ---- */

typedef struct {
    mote_tensor t[8];
    mote_node n[3];
    int32_t io[3][4];
    mote_model m;
} tiny;

static int32_t ten(tiny *g, int rank, const int32_t *dims)
{
    int32_t i = g->m.n_tensors++;
    g->t[i].type = MOTE_I8;
    g->t[i].rank = (uint8_t)rank;
    for (int d = 0; d < rank; d++) g->t[i].dims[d] = dims[d];
    return i;
}

static uint8_t kernel_index(mote_op op, const char *name)
{
    const mote_op_def *def = mote_op_lookup(op);
    assert_non_null(def);
    for (uint8_t k = 0; k < def->n_kernels; k++)
        if (!strcmp(def->kernels[k].name, name)) return k;
    fail_msg("op %s has no kernel %s", mote_op_name(op), name);
    return 0;
}

static mote_node *add_node(tiny *g, mote_op op, const char *kernel, int n_in, const int32_t *ins, int32_t out)
{
    int32_t k = g->m.n_nodes++;
    for (int i = 0; i < n_in; i++) g->io[k][i] = ins[i];
    g->io[k][n_in] = out;
    g->n[k] = (mote_node){.op = (uint16_t)op, .n_in = (uint16_t)n_in, .n_out = 1, .io = g->io[k]};
    g->n[k].kernel = kernel_index(op, kernel);
    return &g->n[k];
}

static void build_tiny(tiny *g, int padding)
{
    memset(g, 0, sizeof *g);
    g->m.tensors = g->t;
    g->m.nodes = g->n;
    int32_t x = ten(g, 4, (const int32_t[]){1, 4, 4, 2});
    int32_t w = ten(g, 4, (const int32_t[]){3, 3, 3, 2});
    int32_t b = ten(g, 1, (const int32_t[]){3});
    int32_t oh = padding == MOTE_PAD_SAME ? 4 : 2;
    int32_t y = ten(g, 4, (const int32_t[]){1, oh, oh, 3});
    mote_node *c = add_node(g, MOTE_OP_CONV_2D, "conv_s8", 3, (const int32_t[]){x, w, b}, y);
    c->opts.padding = (uint8_t)padding;
    c->opts.stride_h = c->opts.stride_w = 1;
    c->opts.dilation_h = c->opts.dilation_w = 1;
    int32_t fw = ten(g, 2, (const int32_t[]){5, oh * oh * 3});
    int32_t f = ten(g, 2, (const int32_t[]){1, 5});
    add_node(g, MOTE_OP_FULLY_CONNECTED, "fc_s8", 2, (const int32_t[]){y, fw}, f);
    int32_t s = ten(g, 2, (const int32_t[]){1, 5});
    add_node(g, MOTE_OP_SOFTMAX, "softmax_s8", 1, (const int32_t[]){f}, s);
}

static void test_describe_by_hand(void **state)
{
    (void)state;
    tiny g;
    mote_cost_node cn;
    /* SAME 3x3 on 4 pixels, pad 1: taps inside per axis 2+3+3+2 = 10, so 10*10
     * positions per output channel, 3 channels: 300; MACs 300 * 2 input channels. */
    build_tiny(&g, MOTE_PAD_SAME);
    mote_cost_describe(&g.n[0], g.t, &cn);
    assert_string_equal(cn.kernel, "conv_s8");
    assert_int_equal(cn.window, 300);
    assert_int_equal(cn.macs, 600);
    assert_int_equal(cn.out_elems, 48);
    mote_cost_describe(&g.n[1], g.t, &cn);
    assert_string_equal(cn.kernel, "fc_s8");
    assert_int_equal(cn.macs, 5 * 48);
    assert_int_equal(cn.out_elems, 5);
    assert_int_equal(cn.window, 0);
    mote_cost_describe(&g.n[2], g.t, &cn);
    assert_string_equal(cn.kernel, "softmax_s8");
    assert_int_equal(cn.macs, 0);
    assert_int_equal(cn.out_elems, 5);
    /* VALID: every tap inside, 2x2 outputs * 9 taps * 3 channels; MACs as inspect counts them */
    build_tiny(&g, MOTE_PAD_VALID);
    mote_cost_describe(&g.n[0], g.t, &cn);
    assert_int_equal(cn.window, 2 * 2 * 9 * 3);
    assert_int_equal(cn.macs, 2 * 2 * 3 * 9 * 2);
    assert_int_equal(cn.out_elems, 12);
}

static void test_estimate_by_hand(void **state)
{
    (void)state;
    mote_cost_model cm;
    char err[256];
    if (mote_cost_parse(good, "t.cost", &cm, err, sizeof err) != 0) fail_msg("%s", err);
    tiny g;
    build_tiny(&g, MOTE_PAD_SAME);
    mote_cost_node per[3];
    double total = mote_cost_estimate(&cm, &g.m, per);
    /* conv 2*600 + 3*48 + 100 + 0.5*300 = 1594; fc 1*240 + 10*5 + 7 = 297;
     * softmax has no line: fallback 0.5*0 + 4*5 = 20; invoke 11 */
    assert_true(per[0].insns == 1594.0 && per[0].known);
    assert_true(per[1].insns == 297.0 && per[1].known);
    assert_true(per[2].insns == 20.0 && !per[2].known);
    assert_true(total == 11 + 1594 + 297 + 20);
    assert_true(mote_cost_estimate(&cm, &g.m, NULL) == total);
    /* 1922 instructions * CPI 2 at 100 MHz */
    assert_true(fabs(mote_cost_ms(&cm, total, 100) - 1922.0 * 2 / 100e3) < 1e-12);
    mote_cost_free(&cm);
}

/* On a real model the figures agree with the importer's: executed MACs equal
 * mote_ir_stats for FC and VALID convolutions, and never exceed it. */
static void test_real_model_macs(void **state)
{
    (void)state;
    char err[512];
    mote_passes_sparse_weights(0); /* the dense layers' counting; sparse ones below */
    mote_host_model *hm = mote_host_model_load(MOTE_SHARED_DIR "/models/mlperf-tiny/vww_mobilenet_96_int8.tflite",
                                               err, sizeof err);
    mote_passes_sparse_weights(1);
    if (!hm) fail_msg("%s", err);
    int equal = 0, below = 0;
    for (int32_t k = 0; k < hm->m.n_nodes; k++) {
        const mote_node *n = &hm->m.nodes[k];
        mote_cost_node cn;
        mote_cost_describe(n, hm->m.tensors, &cn);
        int64_t ir = mote_ir_stats(hm->g, hm->plan.order[k]).macs;
        assert_true(cn.macs <= ir);
        if (n->op == MOTE_OP_FULLY_CONNECTED || (n->op == MOTE_OP_CONV_2D && n->opts.padding == MOTE_PAD_VALID))
            assert_int_equal(cn.macs, ir);
        equal += cn.macs == ir && ir > 0;
        below += cn.macs < ir;
        assert_int_equal(cn.out_elems, mote_tensor_elems(mote_out(n, hm->m.tensors, 0)));
    }
    assert_true(equal >= 14); /* the 1x1 convolutions */
    assert_true(below >= 13); /* the SAME 3x3 depthwise layers lose their border taps */
    mote_host_model_free(hm);

    /* VWW's mostly-zero 1x1 filters stored sparse: a MAC per stored entry and output pixel */
    hm = mote_host_model_load(MOTE_SHARED_DIR "/models/mlperf-tiny/vww_mobilenet_96_int8.tflite", err, sizeof err);
    if (!hm) fail_msg("%s", err);
    int sparse = 0;
    for (int32_t k = 0; k < hm->m.n_nodes; k++) {
        const mote_node *n = &hm->m.nodes[k];
        const mote_tensor *w = n->n_in > 1 ? mote_in(n, hm->m.tensors, 1) : NULL;
        if (!w || w->type != MOTE_I8_SPARSE) continue;
        mote_cost_node cn;
        mote_cost_describe(n, hm->m.tensors, &cn);
        const int64_t entries = (int64_t)(w->bytes - 2 * (size_t)w->dims[0]) / 2;
        assert_int_equal(cn.macs, mote_tensor_elems(mote_out(n, hm->m.tensors, 0)) / w->dims[0] * entries);
        assert_true(cn.macs < mote_ir_stats(hm->g, hm->plan.order[k]).macs);
        sparse++;
    }
    assert_true(sparse >= 1);
    mote_host_model_free(hm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),     cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_shipped_files),  cmocka_unit_test(test_describe_by_hand),
        cmocka_unit_test(test_estimate_by_hand), cmocka_unit_test(test_real_model_macs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
