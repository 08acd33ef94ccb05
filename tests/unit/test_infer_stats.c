/* The window of inference statistics (device/include/mote/infer_stats.h) on a hand-made model: features folded
 * over the last axis, clipped values counted, top-1 class and confidence from the dequantized output, latency
 * buckets, errors, and the JSON the agent sends and the baseline uses. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mote/infer_stats.h"

static void test_window(void **state)
{
    (void)state;
    int8_t in[2 * 20], out[3];
    /* input [1, 2, 20]: feature f of the last axis folds into group f * 16 / 20 */
    for (int i = 0; i < 40; i++) in[i] = (int8_t)(i % 20 == 0 ? 127 : i % 20 - 10);
    static const float out_scale = 1.0f / 256.0f;
    static const int32_t out_zp = -128;
    mote_tensor t[2];
    memset(t, 0, sizeof t);
    t[0] = (mote_tensor){.data = in, .bytes = sizeof in, .dims = {1, 2, 20}, .rank = 3, .type = MOTE_I8};
    t[1] = (mote_tensor){.data = out, .bytes = sizeof out, .dims = {1, 3}, .rank = 2, .type = MOTE_I8,
                         .q = {.scale = &out_scale, .zero_point = &out_zp, .n = 1}};
    static const int32_t ins[] = {0}, outs[] = {1};
    mote_model m = {.tensors = t, .n_tensors = 2, .inputs = ins, .n_inputs = 1, .outputs = outs, .n_outputs = 1};
    mote_infer_stats s;
    mote_stats_reset(&s);
    out[0] = -128, out[1] = 82, out[2] = -52; /* probabilities 0, 0.82, 0.30: class 1 at confidence 0.82 */
    uint16_t conf = 0;
    assert_int_equal(mote_stats_add(&s, &m, 100, 1, &conf), 1);
    assert_int_equal(conf, 820);
    out[0] = 127, out[1] = -128, out[2] = -128; /* class 0 at 0.996 */
    assert_int_equal(mote_stats_add(&s, &m, 5000000, 1, NULL), 0);
    assert_int_equal(mote_stats_add(&s, &m, 10, 0, &conf), -1); /* a failed inference reads nothing */
    assert_int_equal(conf, 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.n_classes, 2);
    assert_int_equal(s.classes[0], 1);
    assert_int_equal(s.classes[1], 1);
    assert_int_equal(s.confidence[8], 1);
    assert_int_equal(s.confidence[9], 1);
    assert_int_equal(s.n_features, 16);
    /* group 0 holds features 0 and 1 (127 and -9) of both rows and both inferences */
    assert_int_equal(s.feat_values[0], 8);
    assert_int_equal(s.feat_sum[0], 4 * (127 - 9));
    assert_int_equal(s.feat_sumsq[0], 4 * (127 * 127 + 81));
    assert_int_equal(s.feat_out_of_range[0], 4);
    assert_int_equal(s.feat_out_of_range[1], 0);
    assert_int_equal(s.latency[1], 1);  /* 100 us: [64, 128) */
    assert_int_equal(s.latency[15], 1); /* 5 s: the last bucket */
    assert_int_equal(s.latency[0], 1);  /* 10 us (the failed one) */

    char buf[4096];
    size_t n = mote_stats_json(&s, buf, sizeof buf);
    assert_true(n > 0 && n == strlen(buf));
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 3);
    assert_int_equal(json_array_size(json_object_get(j, "classes")), 2);
    json_t *f = json_object_get(j, "features");
    assert_int_equal(json_array_size(json_object_get(f, "sum")), 16);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(f, "sum"), 0)), 4 * (127 - 9));
    /* groups of negative features have negative sums, written as such */
    assert_true(json_integer_value(json_array_get(json_object_get(f, "sum"), 3)) < 0);
    json_decref(j);
    assert_int_equal(mote_stats_json(&s, buf, 40), 0); /* too small: refused, not cut */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_window)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
