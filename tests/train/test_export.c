/* Export (mote/export.h): trained models written as float32 and int8 TFLite, read back through the
 * compiler's front door (mote_import_bytes) and run with the host runtime.
 *
 * digits: the small CNN of train.digits on the sklearn 8x8 digits (360 held out). The float export
 * predicts what the engine predicts on >= 99 % of the held-out images and its probabilities match the
 * engine's softmax; the int8 export (calibrated on 400 training images) is within 1 percentage point of
 * the float accuracy. The written files and five int8 inputs are left in OUT_DIR for `mote verify`.
 * motion: a 1-D model on [64, 3] sensor windows (conv1d, batch norm, ReLU, residual add, ReLU6,
 * max pool, global average pool, dense) on synthetic data, the same checks.
 * layers: an untrained model with every other layer kind (average pool SAME, depthwise x2, batch norm
 * after depthwise and dense, VALID strided conv, a real RESHAPE, conv1d): the float export matches the
 * engine's softmax, the int8 one the float probabilities within 0.05.
 * All: the op sequence, fused activations and the int8 graph's quantization rules are checked too.
 * errors: an empty model, an uninitialised one, calibration data of the wrong shape or none. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "backend/tflite_write.h"
#include "host_model.h"
#include "import/import.h"
#include "digits_fixture.h"
#include "mote/export.h"
#include "mote/train.h"

#define N_TEST 360
#define N_CALIB 400

static const char *csv_path, *out_dir;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static int argmax(const float *v, int k)
{
    int b = 0;
    for (int i = 1; i < k; i++)
        if (v[i] > v[b]) b = i;
    return b;
}

static int argmax_i8(const int8_t *v, int k)
{
    int b = 0;
    for (int i = 1; i < k; i++)
        if (v[i] > v[b]) b = i;
    return b;
}

/* Written with mote_tflite_write, imported through the front door, prepared for this machine. */
static mote_host_model *roundtrip(const mote_ir_graph *g, const char *name, const char *file)
{
    char err[512] = "";
    uint8_t *buf = NULL;
    size_t len = 0;
    if (mote_tflite_write(g, &buf, &len, err, sizeof err)) fail_msg("write %s: %s", name, err);
    if (file && out_dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", out_dir, file);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, len, f), len);
        fclose(f);
    }
    mote_ir_graph *back = mote_import_bytes(buf, len, name, err, sizeof err);
    free(buf);
    if (!back) fail_msg("import %s: %s", name, err);
    mote_host_model *hm = mote_host_model_new(back, name, err, sizeof err);
    if (!hm) fail_msg("host model %s: %s", name, err);
    return hm;
}

static int8_t quantize_in(float v, float s, int32_t z)
{
    long q = lroundf(v / s) + z;
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

/* The ops in order with their fused activations, the same in both graphs; in the int8 one, TFLite's
 * rules: weights in [-127, 127] per channel on axis 0 (conv) / 3 (depthwise) or per tensor (FC), bias
 * scales input_scale * weight_scale[c] with zero point 0, pools and MEAN keep their input's parameters. */
static void check_structure(const mote_ir_graph *gf, const mote_ir_graph *gq, const mote_op *ops, const uint8_t *acts,
                            int n_ops)
{
    assert_int_equal(gf->n_ops, n_ops);
    assert_int_equal(gq->n_ops, n_ops);
    for (int i = 0; i < n_ops; i++) {
        if (gf->ops[i].op != ops[i] || gq->ops[i].op != ops[i])
            fail_msg("op %d is %s / %s, expected %s", i, mote_op_name(gf->ops[i].op), mote_op_name(gq->ops[i].op),
                     mote_op_name(ops[i]));
        assert_int_equal(gf->ops[i].opts.activation, acts[i]);
        assert_int_equal(gq->ops[i].opts.activation, acts[i]);
        const mote_ir_op *o = &gq->ops[i];
        const mote_tensor *in = &gq->tensors[o->io[0]].t, *out = &gq->tensors[o->io[o->n_in]].t;
        assert_int_equal(in->type, MOTE_I8);
        assert_true(in->q.n == 1 && out->q.n == 1);
        if (ops[i] == MOTE_OP_MAX_POOL_2D || ops[i] == MOTE_OP_AVERAGE_POOL_2D || ops[i] == MOTE_OP_MEAN ||
            ops[i] == MOTE_OP_RESHAPE)
            assert_true(in->q.scale[0] == out->q.scale[0] && in->q.zero_point[0] == out->q.zero_point[0]);
        if (ops[i] != MOTE_OP_CONV_2D && ops[i] != MOTE_OP_DEPTHWISE_CONV_2D && ops[i] != MOTE_OP_FULLY_CONNECTED)
            continue;
        const mote_tensor *w = &gq->tensors[o->io[1]].t, *b = &gq->tensors[o->io[2]].t;
        int axis = ops[i] == MOTE_OP_DEPTHWISE_CONV_2D ? 3 : 0;
        int n_ch = ops[i] == MOTE_OP_FULLY_CONNECTED ? 1 : w->dims[axis];
        assert_true(w->type == MOTE_I8 && b->type == MOTE_I32);
        assert_int_equal(w->q.n, n_ch);
        assert_int_equal(b->q.n, n_ch);
        if (n_ch > 1) assert_int_equal(w->q.axis, axis);
        for (size_t k = 0; k < w->bytes; k++) assert_true(((const int8_t *)w->data)[k] >= -127);
        for (int c = 0; c < n_ch; c++) {
            assert_int_equal(w->q.zero_point[c], 0);
            assert_int_equal(b->q.zero_point[c], 0);
            assert_true(fabs((double)b->q.scale[c] - (double)in->q.scale[0] * (double)w->q.scale[c]) <=
                        1e-6 * (double)b->q.scale[c]);
        }
    }
}

typedef struct {
    double engine_acc, float_acc, int8_acc, agree, int8_agree, max_prob_diff, int8_prob_diff;
} results;

/* Runs the engine, the float export and the int8 export over test; checks the graphs' interfaces. */
static results compare(tr_model *m, const tr_dataset *test, const tr_dataset *calib, const char *tag, int n_verify,
                       const mote_op *ops, const uint8_t *acts, int n_ops)
{
    tr_node_info out;
    assert_int_equal(tr_model_node(m, tr_model_output(m), &out), 0);
    int k = (int)tr_shape_size(out.shape);
    size_t per = tr_shape_size(test->shape);
    char err[512] = "", fname[128];
    mote_ir_graph *gf = tr_export_float(m, err, sizeof err);
    if (!gf) fail_msg("float export: %s", err);
    mote_ir_graph *gq = tr_export_int8(m, calib, err, sizeof err);
    if (!gq) fail_msg("int8 export: %s", err);
    /* interface of the int8 graph: int8 in and out, softmax output 1/256, -128 */
    const mote_tensor *qi = &gq->tensors[gq->inputs[0]].t, *qo = &gq->tensors[gq->outputs[0]].t;
    assert_int_equal(qi->type, MOTE_I8);
    assert_int_equal(qo->type, MOTE_I8);
    assert_int_equal(qi->q.n, 1);
    assert_true(qo->q.n == 1 && qo->q.scale[0] == 1.0f / 256.0f && qo->q.zero_point[0] == -128);
    float in_s = qi->q.scale[0];
    int32_t in_z = qi->q.zero_point[0];
    assert_int_equal(gf->tensors[gf->inputs[0]].t.type, MOTE_F32);
    assert_int_equal(gf->ops[gf->n_ops - 1].op, MOTE_OP_SOFTMAX);
    check_structure(gf, gq, ops, acts, n_ops);
    snprintf(fname, sizeof fname, "%s_float.tflite", tag);
    mote_host_model *hf = roundtrip(gf, tag, fname);
    snprintf(fname, sizeof fname, "%s_int8.tflite", tag);
    mote_host_model *hq = roundtrip(gq, tag, fname);
    mote_ir_free(gf);
    mote_ir_free(gq);
    assert_int_equal(mote_host_input_bytes(hf), per * sizeof(float));
    assert_int_equal(mote_host_output_bytes(hf), (size_t)k * sizeof(float));
    assert_int_equal(mote_host_input_bytes(hq), per);
    assert_int_equal(mote_host_output_bytes(hq), (size_t)k);

    float *logits = malloc(sizeof(float) * (size_t)test->n * (size_t)k), *prob = malloc(sizeof(float) * (size_t)k);
    int8_t *qin = malloc(per), *qout = malloc((size_t)k);
    assert_int_equal(tr_model_forward(m, test->x, test->n, TR_INFER, logits), 0);
    results r = {0, 0, 0, 0, 0, 0, 0};
    FILE *vf = NULL;
    if (n_verify && out_dir) {
        snprintf(fname, sizeof fname, "%s/%s_inputs", out_dir, tag);
        mkdir(fname, 0755);
    }
    for (int i = 0; i < test->n; i++) {
        const float *xi = test->x + (size_t)i * per, *li = logits + (size_t)i * k;
        int pe = argmax(li, k);
        mote_host_run(hf, (const uint8_t *)xi, (uint8_t *)prob);
        int pf = argmax(prob, k);
        /* the engine's softmax */
        double mx = li[pe], sum = 0;
        for (int c = 0; c < k; c++) sum += exp((double)li[c] - mx);
        for (int c = 0; c < k; c++) {
            double d = fabs(exp((double)li[c] - mx) / sum - (double)prob[c]);
            if (d > r.max_prob_diff) r.max_prob_diff = d;
        }
        for (size_t j = 0; j < per; j++) qin[j] = quantize_in(xi[j], in_s, in_z);
        mote_host_run(hq, (const uint8_t *)qin, (uint8_t *)qout);
        int pq = argmax_i8(qout, k);
        for (int c = 0; c < k; c++) {
            double d = fabs(((double)qout[c] + 128.0) / 256.0 - (double)prob[c]);
            if (d > r.int8_prob_diff) r.int8_prob_diff = d;
        }
        if (i < n_verify && out_dir) {
            char path[1100];
            snprintf(path, sizeof path, "%s/in_%02d.bin", fname, i);
            vf = fopen(path, "wb");
            assert_non_null(vf);
            assert_int_equal(fwrite(qin, 1, per, vf), per);
            fclose(vf);
        }
        r.engine_acc += pe == test->y[i];
        r.float_acc += pf == test->y[i];
        r.int8_acc += pq == test->y[i];
        r.agree += pe == pf;
        r.int8_agree += pq == pf;
    }
    r.engine_acc /= test->n, r.float_acc /= test->n, r.int8_acc /= test->n;
    r.agree /= test->n, r.int8_agree /= test->n;
    print_message("%s: engine %.4f  float export %.4f (same prediction %.4f, max |p - p_engine| %.2g)  "
                  "int8 export %.4f (same as float %.4f, max |p - p_float| %.3f)\n",
                  tag, r.engine_acc, r.float_acc, r.agree, r.max_prob_diff, r.int8_acc, r.int8_agree,
                  r.int8_prob_diff);
    mote_host_model_free(hf);
    mote_host_model_free(hq);
    free(logits), free(prob), free(qin), free(qout);
    return r;
}

static tr_train_config config(int epochs)
{
    tr_train_config c;
    tr_train_config_default(&c);
    c.epochs = epochs;
    c.batch = 32;
    c.seed = 1;
    c.lr = 3e-3f;
    c.schedule = TR_LR_COSINE;
    c.weight_decay = 1e-4f;
    c.val_split = 0.1f;
    c.patience = 5;
    return c;
}

static void digits(void **st)
{
    (void)st;
    float *xs = malloc(N_DIGITS * 64 * sizeof *xs);
    int32_t *ys = malloc(N_DIGITS * sizeof *ys);
    digits_load_shuffled(csv_path, xs, ys);
    tr_shape shape = {3, {8, 8, 1}};
    tr_dataset train = {xs, ys, N_DIGITS - N_TEST, shape};
    tr_dataset test = {xs + (N_DIGITS - N_TEST) * 64, ys + N_DIGITS - N_TEST, N_TEST, shape};
    tr_dataset calib = {xs, NULL, N_CALIB, shape};

    tr_model *m = digits_cnn_model();
    assert_int_equal(tr_model_init(m, 1), 0);
    tr_train_config c = config(15);
    tr_fit_result fr;
    if (tr_fit(m, &train, NULL, &c, &fr)) fail_msg("%s", tr_model_error(m));
    static const mote_op ops[] = {MOTE_OP_CONV_2D, MOTE_OP_MAX_POOL_2D, MOTE_OP_CONV_2D, MOTE_OP_RESHAPE,
                                  MOTE_OP_FULLY_CONNECTED, MOTE_OP_SOFTMAX};
    static const uint8_t acts[] = {MOTE_ACT_RELU, 0, MOTE_ACT_RELU, 0, 0, 0};
    results r = compare(m, &test, &calib, "digits", 5, ops, acts, 6);
    assert_true(r.engine_acc >= 0.95);
    assert_true(r.agree >= 0.99);
    assert_true(fabs(r.float_acc - r.engine_acc) <= 0.01);
    assert_true(r.max_prob_diff < 1e-4);
    assert_true(fabs(r.int8_acc - r.float_acc) <= 0.01);
    tr_model_free(m);
    free(xs), free(ys);
}

/* ---- a 1-D model on synthetic 3-axis motion windows ---- */

#define MW 64
#define M_TRAIN 640
#define M_TEST 256

/* Class c: a sine of frequency (c + 1) cycles per window on axis c % 3, plus noise on every axis. */
static void motion_data(float *x, int32_t *y, int n, uint64_t seed)
{
    for (int i = 0; i < n; i++) {
        int c = (int)(lcg(&seed) % 4);
        float ph = (float)(lcg(&seed) % 1000) / 1000.0f * 6.2831853f, amp = 0.5f + (float)(lcg(&seed) % 100) / 100.0f;
        y[i] = c;
        for (int w = 0; w < MW; w++)
            for (int a = 0; a < 3; a++) {
                float noise = ((float)(lcg(&seed) % 2001) / 1000.0f - 1.0f) * 2.0f;
                float sig = a == c % 3 ? amp * sinf(6.2831853f * (float)(c + 1) * (float)w / MW + ph) : 0.0f;
                x[(i * MW + w) * 3 + a] = sig + noise + (c == 3 ? 0.5f : 0.0f);
            }
    }
}

static void motion(void **st)
{
    (void)st;
    float *x = malloc(sizeof(float) * (M_TRAIN + M_TEST) * MW * 3);
    int32_t *y = malloc(sizeof(int32_t) * (M_TRAIN + M_TEST));
    motion_data(x, y, M_TRAIN + M_TEST, 7);
    tr_shape shape = {2, {MW, 3}};
    tr_dataset train = {x, y, M_TRAIN, shape};
    tr_dataset test = {x + M_TRAIN * MW * 3, y + M_TRAIN, M_TEST, shape};
    tr_dataset calib = {x, NULL, 256, shape};

    tr_model *m = tr_model_new();
    int t = tr_model_add_input(m, shape, "accel");
    t = tr_model_add_conv1d(m, t, 12, 5, 2, TR_PAD_SAME, "conv1");
    t = tr_model_add_batchnorm(m, t, 0.9f, 1e-3f, "bn1");
    int a = tr_model_add_relu(m, t, "relu1");
    t = tr_model_add_conv1d(m, a, 12, 3, 1, TR_PAD_SAME, "conv2");
    t = tr_model_add_add(m, a, t, "res");
    t = tr_model_add_relu6(m, t, "relu6");
    t = tr_model_add_max_pool(m, t, 1, 2, 1, 2, TR_PAD_VALID, "pool");
    t = tr_model_add_depthwise_conv2d(m, t, 1, 1, 3, 1, 1, TR_PAD_VALID, "dw");
    t = tr_model_add_relu(m, t, "relu_dw");
    t = tr_model_add_global_avg_pool(m, t, "gap");
    t = tr_model_add_dense(m, t, 4, "logits");
    if (t < 0) fail_msg("%s", tr_model_error(m));
    assert_int_equal(tr_model_init(m, 3), 0);
    tr_train_config c = config(20);
    tr_fit_result fr;
    if (tr_fit(m, &train, NULL, &c, &fr)) fail_msg("%s", tr_model_error(m));
    static const mote_op ops[] = {MOTE_OP_CONV_2D, MOTE_OP_CONV_2D, MOTE_OP_ADD, MOTE_OP_MAX_POOL_2D,
                                  MOTE_OP_DEPTHWISE_CONV_2D, MOTE_OP_MEAN, MOTE_OP_FULLY_CONNECTED, MOTE_OP_SOFTMAX};
    static const uint8_t acts[] = {MOTE_ACT_RELU, 0, MOTE_ACT_RELU6, 0, MOTE_ACT_RELU, 0, 0, 0};
    results r = compare(m, &test, &calib, "motion", 3, ops, acts, 8);
    assert_true(r.engine_acc >= 0.75);
    assert_true(r.agree >= 0.99);
    assert_true(r.max_prob_diff < 1e-4);
    assert_true(r.int8_acc >= r.float_acc - 0.03);
    assert_true(r.int8_agree >= 0.95);
    tr_model_free(m);
    free(x), free(y);
}

/* ---- every other layer kind, untrained (random weights), against the engine's softmax ---- */

static void layers(void **st)
{
    (void)st;
    tr_shape shape = {3, {12, 10, 2}};
    tr_model *m = tr_model_new();
    int t = tr_model_add_input(m, shape, "in");
    t = tr_model_add_avg_pool(m, t, 3, 3, 2, 2, TR_PAD_SAME, "avg");          /* SAME: edge cells counted */
    t = tr_model_add_depthwise_conv2d(m, t, 2, 3, 3, 2, 1, TR_PAD_SAME, "dw"); /* multiplier 2, strides 2x1 */
    t = tr_model_add_batchnorm(m, t, 0.9f, 1e-3f, "bn_dw");
    t = tr_model_add_relu6(m, t, "dw_relu6");
    t = tr_model_add_conv2d(m, t, 6, 2, 3, 1, 2, TR_PAD_VALID, "conv");       /* VALID, 2x3, strides 1x2 */
    t = tr_model_add_reshape(m, t, (tr_shape){2, {-1, 6}}, "seq");           /* [W, C]: a real RESHAPE */
    t = tr_model_add_conv1d(m, t, 4, 3, 1, TR_PAD_SAME, "conv1d");
    t = tr_model_add_flatten(m, t, "flat");
    t = tr_model_add_dense(m, t, 8, "fc");
    t = tr_model_add_batchnorm(m, t, 0.9f, 1e-3f, "bn_fc");
    t = tr_model_add_relu(m, t, "fc_relu");
    t = tr_model_add_dense(m, t, 5, "logits");
    if (t < 0) fail_msg("%s", tr_model_error(m));
    assert_int_equal(tr_model_init(m, 5), 0);
    enum { N = 64 };
    size_t per = tr_shape_size(shape);
    float *x = malloc(sizeof(float) * N * per);
    uint64_t s = 11;
    for (size_t i = 0; i < N * per; i++) x[i] = (float)(lcg(&s) % 2001) / 1000.0f - 1.0f;
    int32_t y[N];
    for (int i = 0; i < N; i++) y[i] = (int32_t)(lcg(&s) % 5);
    /* one training step moves the batch-norm statistics away from 0 / 1 */
    tr_dataset d = {x, y, N, shape};
    tr_train_config c = config(1);
    c.val_split = 0.0f;
    c.patience = 0;
    tr_fit_result fr;
    if (tr_fit(m, &d, NULL, &c, &fr)) fail_msg("%s", tr_model_error(m));
    static const mote_op ops[] = {MOTE_OP_AVERAGE_POOL_2D, MOTE_OP_DEPTHWISE_CONV_2D, MOTE_OP_CONV_2D,
                                  MOTE_OP_RESHAPE, MOTE_OP_CONV_2D, MOTE_OP_RESHAPE, MOTE_OP_FULLY_CONNECTED,
                                  MOTE_OP_FULLY_CONNECTED, MOTE_OP_SOFTMAX};
    static const uint8_t acts[] = {0, MOTE_ACT_RELU6, 0, 0, 0, 0, MOTE_ACT_RELU, 0, 0};
    results r = compare(m, &d, &d, "layers", 3, ops, acts, 9);
    assert_true(r.agree >= 0.99);
    assert_true(r.max_prob_diff < 1e-4);
    assert_true(r.int8_prob_diff < 0.05); /* untrained: near ties, so argmax is not the measure */
    tr_model_free(m);
    free(x);
}

/* ---- bad input ---- */

static void expect_error(mote_ir_graph *g, const char *err, const char *want)
{
    if (g) fail_msg("export succeeded where it should fail with '%s'", want);
    if (!strstr(err, want)) fail_msg("error '%s' does not say '%s'", err, want);
    print_message("refused: %s\n", err);
}

static void errors(void **st)
{
    (void)st;
    char err[512];
    tr_model *m = tr_model_new();
    expect_error(tr_export_float(m, err, sizeof err), err, "empty");
    expect_error(tr_export_float(NULL, err, sizeof err), err, "no model");
    tr_shape shape = {3, {4, 4, 1}};
    int t = tr_model_add_input(m, shape, "in");
    t = tr_model_add_conv2d(m, t, 2, 3, 3, 1, 1, TR_PAD_SAME, "conv");
    t = tr_model_add_flatten(m, t, "flat");
    t = tr_model_add_dense(m, t, 3, "logits");
    assert_true(t >= 0);
    expect_error(tr_export_float(m, err, sizeof err), err, "not initialised");
    assert_int_equal(tr_model_init(m, 1), 0);
    float xs[2 * 16] = {0};
    tr_dataset wrong = {xs, NULL, 1, {3, {4, 2, 2}}};
    expect_error(tr_export_int8(m, &wrong, err, sizeof err), err, "sample shape [4,2,2] does not match");
    expect_error(tr_export_int8(m, NULL, err, sizeof err), err, "calibration: no samples");
    xs[5] = NAN;
    tr_dataset nan = {xs, NULL, 2, shape};
    expect_error(tr_export_int8(m, &nan, err, sizeof err), err, "NaN");
    mote_ir_graph *g = tr_export_float(m, err, sizeof err);
    if (!g) fail_msg("%s", err);
    mote_ir_free(g);
    tr_model_free(m);

    /* a ReLU straight after the input has nothing to fuse into */
    m = tr_model_new();
    t = tr_model_add_input(m, shape, "in");
    t = tr_model_add_relu(m, t, "r");
    t = tr_model_add_dense(m, t, 3, "logits");
    assert_int_equal(tr_model_init(m, 1), 0);
    expect_error(tr_export_float(m, err, sizeof err), err, "RELU 'r' cannot be exported");
    tr_model_free(m);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIGITS.csv [OUT_DIR]\n", argv[0]);
        return 2;
    }
    csv_path = argv[1];
    out_dir = argc > 2 ? argv[2] : NULL;
    const struct CMUnitTest tests[] = {cmocka_unit_test(digits), cmocka_unit_test(motion), cmocka_unit_test(layers),
                                       cmocka_unit_test(errors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
