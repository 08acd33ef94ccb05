/* ONNX import: every fixture of tests/onnx (PyTorch models exported by
 * make_fixtures.py) imported, run by the host runtime and compared with
 * PyTorch's output (max abs error <= 1e-4 * max |reference|); broken files
 * give an error naming the node, never a crash. */
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
#include "import/import.h"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void check_fixture(const char *name)
{
    char path[512], err[512];
    size_t in_len, ref_len;
    snprintf(path, sizeof path, "%s/%s.in.bin", MOTE_ONNX_DIR, name);
    uint8_t *in = slurp(path, &in_len);
    snprintf(path, sizeof path, "%s/%s.out.bin", MOTE_ONNX_DIR, name);
    float *ref = (float *)slurp(path, &ref_len);
    assert_non_null(in);
    assert_non_null(ref);
    snprintf(path, sizeof path, "%s/%s.onnx", MOTE_ONNX_DIR, name);
    mote_host_model *hm = mote_host_model_load(path, err, sizeof err);
    if (!hm) fail_msg("%s", err);
    assert_int_equal(mote_host_input_bytes(hm), in_len);
    assert_int_equal(mote_host_output_bytes(hm), ref_len);
    float *out = malloc(ref_len);
    mote_host_run(hm, in, (uint8_t *)out);
    double max_err = 0, max_ref = 0;
    for (size_t i = 0; i < ref_len / 4; i++) {
        max_err = fmax(max_err, fabs((double)out[i] - ref[i]));
        max_ref = fmax(max_ref, fabs((double)ref[i]));
    }
    printf("%s: %zu outputs, max abs error %.3g, relative %.3g\n", name, ref_len / 4, max_err, max_err / max_ref);
    assert_true(max_err <= 1e-4 * max_ref);
    free(out);
    free(in);
    free(ref);
    mote_host_model_free(hm);
}

static void test_cnn(void **state) { (void)state; check_fixture("cnn"); }
static void test_mlp(void **state) { (void)state; check_fixture("mlp"); }
static void test_misc(void **state) { (void)state; check_fixture("misc"); }
static void test_residual(void **state) { (void)state; check_fixture("residual"); }
static void test_squeeze11(void **state) { (void)state; check_fixture("squeeze11"); }
static void test_lstm(void **state) { (void)state; check_fixture("lstm"); }
static void test_edges(void **state) { (void)state; check_fixture("edges"); }

/* Every prefix of a fixture: an error or (a prefix that happens to parse) a graph, never a crash. */
static void test_truncated(void **state)
{
    (void)state;
    char path[512], err[512];
    size_t len;
    snprintf(path, sizeof path, "%s/squeeze11.onnx", MOTE_ONNX_DIR);
    uint8_t *b = slurp(path, &len);
    assert_non_null(b);
    assert_int_equal(mote_detect_format(b, len), MOTE_FORMAT_ONNX);
    for (size_t n = 0; n < len; n += 7) {
        mote_ir_graph *g = mote_import_bytes(b, n, "t.onnx", err, sizeof err);
        if (g) mote_ir_free(g);
        else assert_non_null(strstr(err, "t.onnx: "));
    }
    mote_ir_graph *g = mote_import_bytes(b, len / 2, "half.onnx", err, sizeof err);
    assert_null(g);
    assert_non_null(strstr(err, "half.onnx: "));
    free(b);
}

/* Byte patches of a fixture: the error names the node and op_type. */
static void expect_error(const char *fixture, const char *from, const char *to, size_t len, int nth, const char *want)
{
    char path[512], err[512];
    size_t n;
    snprintf(path, sizeof path, "%s/%s.onnx", MOTE_ONNX_DIR, fixture);
    uint8_t *b = slurp(path, &n);
    assert_non_null(b);
    int seen = 0, done = 0;
    for (size_t i = 0; i + len <= n && !done; i++)
        if (!memcmp(b + i, from, len) && seen++ == nth) memcpy(b + i, to, len), done = 1;
    assert_true(done);
    mote_ir_graph *g = mote_import_bytes(b, n, "p.onnx", err, sizeof err);
    if (g) fail_msg("patched %s imported", fixture);
    if (!strstr(err, want)) fail_msg("error '%s' lacks '%s'", err, want);
    free(b);
}

static void test_errors(void **state)
{
    (void)state;
    /* op_type (field 4) Sigmoid -> Sigmoix */
    expect_error("squeeze11", "\x22\x07Sigmoid", "\x22\x07Sigmoix", 9, 0, "node 7 (/Sigmoid, Sigmoix): operator not supported");
    /* a reference to a value nothing defines: the second occurrence is the Unsqueeze_1 input */
    expect_error("squeeze11", "/Unsqueeze_output_0", "/Unsqueeze_output_9", 19, 1,
                 "node 2 (/Unsqueeze_1, Unsqueeze): input 0 '/Unsqueeze_output_9' is not defined");
    /* Gemm weight dims 3x5 -> 3x6: the initializer's bytes no longer fit its shape */
    expect_error("squeeze11", "\x08\x03\x08\x05", "\x08\x03\x08\x06", 4, 0, "holds 60 bytes, shape needs 72");
    /* Conv group 1 -> 3 on the first conv of the CNN */
    expect_error("cnn", "group\x18\x01", "group\x18\x03", 7, 0, "node 0 (/c1/Conv, Conv): weights [8, 3, 3, 3] do not fit 3 input channels in 3 groups");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cnn),       cmocka_unit_test(test_mlp),       cmocka_unit_test(test_misc),
        cmocka_unit_test(test_residual),  cmocka_unit_test(test_squeeze11), cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
