/* Structured pruning (train/prune) and the float importer (train/export/import.c):
 *   - channels whose filters and biases are zero carry nothing, so pruning exactly them must leave the
 *     model's outputs as they were: checked through a depthwise layer and global pooling, through a
 *     residual ADD (two layers' channels pruned together) and a flatten into a dense layer;
 *   - the groups: the logits are never pruned, a residual joins two layers' channels;
 *   - a float graph exported by the engine and imported back computes the same outputs;
 *   - unstructured pruning: the conv and dense layers (not the depthwise one) reach the asked sparsity, the
 *     smallest weights go first, the mask only grows and training cannot revive it, the cubic schedule;
 *     an int8 export of a channel pruned to all zeros keeps an ordinary scale (not 1.0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mote/export.h"
#include "mote/prune.h"

/* Zeroes output channel c of node's filters and bias (and of a depthwise bias when dw_node >= 0). */
static void zero_channel(tr_model *m, int node, int c, int dw_node)
{
    tr_node_info nd;
    tr_param_info w, b;
    tr_model_node(m, node, &nd);
    tr_model_param(m, nd.params[0], &w);
    tr_model_param(m, nd.params[1], &b);
    size_t row = w.size / (size_t)w.dims[0];
    memset(w.data + (size_t)c * row, 0, sizeof(float) * row);
    b.data[c] = 0.0f;
    if (dw_node >= 0) {
        tr_model_node(m, dw_node, &nd);
        tr_model_param(m, nd.params[1], &b);
        b.data[c] = 0.0f;
    }
}

/* Non-zero biases everywhere, so a pruned channel that was not dead would show. */
static void set_biases(tr_model *m)
{
    for (int i = 0; i < tr_model_num_params(m); i++) {
        tr_param_info p;
        tr_model_param(m, i, &p);
        if (p.role == TR_PARAM_BIAS)
            for (size_t k = 0; k < p.size; k++) p.data[k] = 0.05f * (float)((k % 5) + 1);
    }
}

static void same_outputs(tr_model *a, tr_model *b, int in_size, int out_size)
{
    float x[2 * 8 * 8 * 2], ya[2 * 16], yb[2 * 16];
    for (int i = 0; i < 2 * in_size; i++) x[i] = sinf(0.3f * (float)i);
    assert_int_equal(tr_model_forward(a, x, 2, TR_INFER, ya), 0);
    assert_int_equal(tr_model_forward(b, x, 2, TR_INFER, yb), 0);
    for (int i = 0; i < 2 * out_size; i++) assert_true(fabsf(ya[i] - yb[i]) <= 1e-5f * (1.0f + fabsf(ya[i])));
}

static tr_prune_choice drop_dead(const tr_prune_plan *p, double ratio)
{
    tr_prune_choice c;
    assert_int_equal(tr_prune_choose_ratio(p, ratio, &c), 0);
    return c;
}

static void test_depthwise_and_pool(void **state)
{
    (void)state;
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, (tr_shape){3, {8, 8, 2}}, "in");
    int c1 = tr_model_add_conv2d(m, x, 8, 3, 3, 1, 1, TR_PAD_SAME, "c1");
    int r1 = tr_model_add_relu(m, c1, NULL);
    int dw = tr_model_add_depthwise_conv2d(m, r1, 1, 3, 3, 2, 2, TR_PAD_SAME, "dw");
    int r2 = tr_model_add_relu6(m, dw, NULL);
    int c2 = tr_model_add_conv2d(m, r2, 4, 1, 1, 1, 1, TR_PAD_VALID, "c2");
    int r3 = tr_model_add_relu(m, c2, NULL);
    int gp = tr_model_add_global_avg_pool(m, r3, NULL);
    tr_model_add_dense(m, gp, 5, "logits");
    assert_int_equal(tr_model_init(m, 3), 0);
    set_biases(m);
    zero_channel(m, c1, 1, dw);
    zero_channel(m, c1, 5, dw);
    zero_channel(m, c2, 2, -1);

    tr_prune_plan p;
    char err[256] = "";
    assert_int_equal(tr_prune_analyse(m, &p, err, sizeof err), 0);
    assert_int_equal(p.n_groups, 3); /* c1 (through dw), c2, logits */
    assert_true(p.groups[0].prunable && p.groups[1].prunable && !p.groups[2].prunable);
    assert_int_equal(p.group_of[dw], p.group_of[c1]);
    tr_prune_choice c = drop_dead(&p, 0.25); /* 8 -> 6 and 4 -> 3: the zeroed ones go first */
    assert_int_equal(c.kept[0], 6);
    assert_int_equal(c.kept[1], 3);
    assert_int_equal(c.kept[2], 5);
    for (int j = 0; j < c.kept[0]; j++) assert_true(c.keep[0][j] != 1 && c.keep[0][j] != 5);
    tr_model *pm = tr_prune_apply(m, &p, &c, err, sizeof err);
    assert_non_null(pm);
    same_outputs(m, pm, 8 * 8 * 2, 5);
    tr_model_free(pm);
    tr_prune_choice_free(&p, &c);
    tr_prune_plan_free(&p);
    tr_model_free(m);
}

static void test_residual_and_flatten(void **state)
{
    (void)state;
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, (tr_shape){3, {8, 8, 2}}, "in");
    int c1 = tr_model_add_conv2d(m, x, 8, 3, 3, 2, 2, TR_PAD_SAME, "c1");
    int r1 = tr_model_add_relu(m, c1, NULL);
    int c2 = tr_model_add_conv2d(m, r1, 8, 3, 3, 1, 1, TR_PAD_SAME, "c2");
    int add = tr_model_add_add(m, c2, r1, NULL);
    int r2 = tr_model_add_relu(m, add, NULL);
    int fl = tr_model_add_flatten(m, r2, NULL);
    int dr = tr_model_add_dropout(m, fl, 0.2f, NULL);
    tr_model_add_dense(m, dr, 3, "logits");
    assert_int_equal(tr_model_init(m, 5), 0);
    set_biases(m);
    /* the ADD joins c1 and c2: a channel is dead only when both layers zero it */
    zero_channel(m, c1, 3, -1);
    zero_channel(m, c2, 3, -1);
    zero_channel(m, c1, 6, -1);
    zero_channel(m, c2, 6, -1);

    tr_prune_plan p;
    char err[256] = "";
    assert_int_equal(tr_prune_analyse(m, &p, err, sizeof err), 0);
    assert_int_equal(p.n_groups, 2);
    assert_int_equal(p.groups[0].n_producers, 2);
    assert_int_equal(p.flat_of[fl], 0);
    tr_prune_choice c = drop_dead(&p, 0.25);
    assert_int_equal(c.kept[0], 6);
    tr_model *pm = tr_prune_apply(m, &p, &c, err, sizeof err);
    assert_non_null(pm);
    same_outputs(m, pm, 8 * 8 * 2, 3);
    /* one step less on the group: the next least important channel goes */
    tr_prune_choice c2c;
    assert_int_equal(tr_prune_choose_less(&p, &c, 0, 1, &c2c), 0);
    assert_int_equal(c2c.kept[0], 5);
    tr_prune_choice_free(&p, &c2c);
    tr_model_free(pm);
    tr_prune_choice_free(&p, &c);
    tr_prune_plan_free(&p);
    tr_model_free(m);
}

static void test_import_round_trip(void **state)
{
    (void)state;
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, (tr_shape){3, {8, 8, 2}}, "in");
    int c1 = tr_model_add_conv2d(m, x, 4, 3, 3, 1, 1, TR_PAD_SAME, "c1");
    int r1 = tr_model_add_relu6(m, c1, NULL);
    int mp = tr_model_add_max_pool(m, r1, 2, 2, 2, 2, TR_PAD_VALID, NULL);
    int dw = tr_model_add_depthwise_conv2d(m, mp, 2, 3, 3, 1, 1, TR_PAD_SAME, "dw");
    int gp = tr_model_add_global_avg_pool(m, dw, NULL);
    tr_model_add_dense(m, gp, 5, "logits");
    assert_int_equal(tr_model_init(m, 9), 0);
    set_biases(m);
    char err[256] = "";
    mote_ir_graph *g = tr_export_float(m, err, sizeof err);
    assert_non_null(g);
    tr_model *back = tr_import_float(g, err, sizeof err);
    assert_non_null(back);
    same_outputs(m, back, 8 * 8 * 2, 5);
    /* the depthwise multiplier 2 keeps its input group from being pruned */
    tr_prune_plan p;
    assert_int_equal(tr_prune_analyse(back, &p, err, sizeof err), 0);
    assert_false(p.groups[0].prunable);
    tr_prune_plan_free(&p);
    tr_model_free(back);
    mote_ir_free(g);
    tr_model_free(m);
}

static void test_unstructured(void **state)
{
    (void)state;
    tr_model *m = tr_model_new();
    int x = tr_model_add_input(m, (tr_shape){3, {6, 6, 2}}, "in");
    int c1 = tr_model_add_conv2d(m, x, 6, 3, 3, 1, 1, TR_PAD_SAME, "c1");
    int dw = tr_model_add_depthwise_conv2d(m, c1, 1, 3, 3, 1, 1, TR_PAD_SAME, "dw");
    int gp = tr_model_add_global_avg_pool(m, dw, NULL);
    tr_model_add_dense(m, gp, 4, "logits");
    assert_int_equal(tr_model_init(m, 7), 0);
    tr_unstructured u;
    char err[128];
    assert_int_equal(tr_unstructured_init(&u, m, err, sizeof err), 0);
    assert_int_equal(u.n_layers, 2); /* c1 and logits; not the depthwise filters */
    tr_param_info w;
    tr_model_param(m, u.param[0], &w);
    assert_string_equal(w.name, "c1/filters");
    float before[108];
    memcpy(before, w.data, sizeof before);
    tr_unstructured_prune(&u, m, 0.5);
    assert_int_equal(u.n_pruned[0], 54);
    assert_true(fabs(tr_unstructured_layer_sparsity(&u, m, 0) - 0.5) < 1e-9);
    assert_true(fabs(tr_unstructured_layer_sparsity(&u, m, 1) - 0.5) < 1e-9);
    float kept_min = INFINITY, pruned_max = 0;
    for (int i = 0; i < 108; i++) {
        if (u.pruned[0][i]) pruned_max = fmaxf(pruned_max, fabsf(before[i]));
        else kept_min = fminf(kept_min, fabsf(before[i])), assert_true(w.data[i] == before[i]);
    }
    assert_true(pruned_max <= kept_min);
    /* training moves every weight; apply puts the pruned ones back to zero, and a lower target prunes none */
    for (int i = 0; i < 108; i++) w.data[i] += 0.25f;
    tr_unstructured_apply(&u, m);
    for (int i = 0; i < 108; i++) assert_true(u.pruned[0][i] ? w.data[i] == 0.0f : w.data[i] != 0.0f);
    tr_unstructured_prune(&u, m, 0.3);
    assert_int_equal(u.n_pruned[0], 54);
    uint8_t first[108];
    memcpy(first, u.pruned[0], sizeof first);
    tr_unstructured_prune(&u, m, 0.9);
    assert_int_equal(u.n_pruned[0], 97); /* round(0.9 * 108) */
    int n = 0;
    for (int i = 0; i < 108; i++) { /* the first 54 are still pruned */
        if (first[i]) assert_true(u.pruned[0][i]);
        n += u.pruned[0][i];
    }
    assert_int_equal(n, 97);

    /* an int8 export: c1's channel 0 all zero takes the largest channel's scale */
    size_t row = w.size / 6;
    memset(w.data, 0, sizeof(float) * row);
    float calib_x[4 * 72];
    for (int i = 0; i < 4 * 72; i++) calib_x[i] = sinf(0.7f * (float)i);
    tr_dataset calib = {calib_x, NULL, 4, {3, {6, 6, 2}}};
    mote_ir_graph *g = tr_export_int8(m, &calib, err, sizeof err);
    assert_non_null(g);
    int found = 0;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const mote_tensor *q = &g->tensors[t].t;
        if (strcmp(g->tensors[t].name, "c1/filters")) continue;
        float widest = 0;
        for (int c = 0; c < q->q.n; c++) widest = fmaxf(widest, q->q.scale[c]);
        assert_true(q->q.n == 6 && q->q.scale[0] == widest && widest < 1.0f);
        found = 1;
    }
    assert_true(found);
    mote_ir_free(g);
    tr_unstructured_free(&u);
    tr_model_free(m);

    assert_true(tr_unstructured_schedule(0.8, 5, 10, 100) == 0.0);
    assert_true(tr_unstructured_schedule(0.8, 10, 10, 100) == 0.0);
    assert_true(fabs(tr_unstructured_schedule(0.8, 55, 10, 100) - 0.8 * (1 - 0.125)) < 1e-12);
    assert_true(tr_unstructured_schedule(0.8, 100, 10, 100) == 0.8);
    assert_true(tr_unstructured_schedule(0.8, 500, 10, 100) == 0.8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depthwise_and_pool),
        cmocka_unit_test(test_residual_and_flatten),
        cmocka_unit_test(test_import_round_trip),
        cmocka_unit_test(test_unstructured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
