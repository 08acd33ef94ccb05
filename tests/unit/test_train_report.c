/* cli/train_report.c: train.json read back (values, null where undefined, per-class metrics of hand-checked
 * matrices) and report.html checked for its parts, its escaping and balanced tags. The HTML files stay in
 * the test's working directory to be looked at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_report.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-12)

static const char *const names3[] = {"yes", "a<b&\"c\"", "no"};
/* Rows true class, columns predicted. int8: precision (diagonal / column) 5/7, 3/4, 4/5; recall (diagonal /
 * row) 5/6, 3/6, 4/4; accuracy 12/16. float: accuracy 14/16. */
static const int cm3_int8[9] = {5, 1, 0, 2, 3, 1, 0, 0, 4};
static const int cm3_float[9] = {6, 0, 0, 1, 4, 1, 0, 0, 4};

/* A dotted path into JSON, array indexes as numbers: "test.int8.per_class.1.f1". */
static json_t *at(json_t *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *j = root;
    for (char *k = strtok(buf, "."); k && j; k = strtok(NULL, "."))
        j = isdigit((unsigned char)k[0]) ? json_array_get(j, (size_t)atoi(k)) : json_object_get(j, k);
    if (!j) fail_msg("no %s", path);
    return j;
}

static double num(json_t *root, const char *path)
{
    json_t *j = at(root, path);
    assert_true(json_is_number(j));
    return json_number_value(j);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

static int count(const char *s, const char *t)
{
    int n = 0;
    for (const char *p = strstr(s, t); p; p = strstr(p + 1, t)) n++;
    return n;
}

/* The report: JSON written and read back (it must serialize), HTML written and read. */
static json_t *json_of(const tr_run_report *r)
{
    json_t *j = tr_report_json(r);
    assert_non_null(j);
    char *s = json_dumps(j, 0);
    assert_non_null(s);
    json_t *back = json_loads(s, 0, NULL);
    assert_non_null(back);
    assert_true(json_equal(j, back));
    free(s);
    json_decref(j);
    return back;
}

static char *html_of(const tr_run_report *r, const char *path)
{
    assert_int_equal(tr_report_write_html(r, path), 0);
    char *h = slurp(path);
    assert_true(!strncmp(h, "<!DOCTYPE html>", 15));
    const char *pairs[][2] = {{"<html", "</html>"}, {"<body", "</body>"}, {"<svg", "</svg>"},
                              {"<div", "</div>"},   {"<table", "</table>"}, {"<tr", "</tr>"},
                              {"<text", "</text>"}, {"<title", "</title>"}, {"<h2", "</h2>"}};
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
        if (count(h, pairs[k][0]) != count(h, pairs[k][1])) fail_msg("%s: unbalanced %s", path, pairs[k][0]);
    /* Self-contained, and no undefined number printed as a coordinate or a label. */
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "http"));
    assert_null(strstr(h, "src="));
    for (const char *p = h; (p = strpbrk(p, "ni")); p++)
        if ((!strncmp(p, "nan", 3) || !strncmp(p, "inf", 3)) && !isalpha((unsigned char)p[3]) &&
            (p == h || !isalpha((unsigned char)p[-1])))
            fail_msg("%s: %.20s", path, p);
    return h;
}

static tr_epoch_report epoch(int e, int n, double tl, double ta, double vl, double va, int best)
{
    tr_epoch_report r = {e, n, tl, ta, vl, va, 1e-3f, 2.5, best};
    return r;
}

static void test_class_metrics(void **state)
{
    (void)state;
    double p, r;
    tr_report_class_metrics(cm3_int8, 3, 0, &p, &r);
    NEAR(p, 5.0 / 7), NEAR(r, 5.0 / 6);
    tr_report_class_metrics(cm3_int8, 3, 1, &p, &r);
    NEAR(p, 0.75), NEAR(r, 0.5);
    tr_report_class_metrics(cm3_int8, 3, 2, &p, &r);
    NEAR(p, 0.8), NEAR(r, 1.0);
    static const int empty[4] = {0, 0, 0, 3}; /* class 0: no examples, never predicted */
    tr_report_class_metrics(empty, 2, 0, &p, &r);
    assert_true(isnan(p) && isnan(r));
    tr_report_class_metrics(empty, 2, 5, &p, &r);
    assert_true(isnan(p) && isnan(r));
}

/* 3 classes, 5 epochs with validation, float and int8, no target. */
static void test_normal(void **state)
{
    (void)state;
    tr_epoch_report ep[5];
    for (int i = 0; i < 5; i++)
        ep[i] = epoch(i + 1, 5, 1.2 - 0.2 * i, 0.5 + 0.08 * i, 1.3 - 0.2 * i + (i == 4) * 0.3, 0.45 + 0.08 * i, 4);
    json_t *config = json_pack("{s:s, s:i, s:f}", "optimizer", "adam", "epochs", 5, "lr", 0.001);
    tr_run_report r = {.task = "audio", .data = "data/kws", .arch = "ds-cnn", .config = config, .n_classes = 3,
                       .class_names = names3, .n_train = 120, .n_val = 30, .n_test = 16, .n_epochs = 5,
                       .epochs = ep, .best_epoch = 4, .train_seconds = 12.5, .n_evals = 2,
                       .evals = {{"float", 16, 0.875, cm3_float}, {"int8", 16, 0.75, cm3_int8}},
                       .model_bytes = 24000, .params = 21000};
    json_t *j = json_of(&r);
    assert_int_equal(config->refcount, 1);
    assert_true(json_equal(at(j, "config"), config));
    assert_string_equal(json_string_value(at(j, "task")), "audio");
    assert_string_equal(json_string_value(at(j, "dataset.classes.1")), "a<b&\"c\"");
    assert_int_equal(json_integer_value(at(j, "dataset.validation")), 30);
    assert_int_equal(json_array_size(at(j, "epochs")), 5);
    NEAR(num(j, "epochs.4.val_loss"), 0.8);
    NEAR(num(j, "epochs.2.train_accuracy"), 0.66);
    assert_int_equal(json_integer_value(at(j, "best_epoch")), 4);
    assert_true(json_is_false(at(j, "stopped_early")));
    NEAR(num(j, "test.float.accuracy"), 0.875);
    NEAR(num(j, "test.int8.accuracy"), 0.75);
    assert_int_equal(json_integer_value(at(j, "test.int8.n")), 16);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++) {
            char p[64];
            snprintf(p, sizeof p, "test.int8.confusion.%d.%d", i, k);
            assert_int_equal(json_integer_value(at(j, p)), cm3_int8[i * 3 + k]);
        }
    NEAR(num(j, "test.int8.per_class.0.precision"), 5.0 / 7);
    NEAR(num(j, "test.int8.per_class.0.recall"), 5.0 / 6);
    NEAR(num(j, "test.int8.per_class.1.f1"), 0.6);
    assert_int_equal(json_integer_value(at(j, "test.int8.per_class.1.support")), 6);
    assert_string_equal(json_string_value(at(j, "test.int8.per_class.1.class")), "a<b&\"c\"");
    NEAR(num(j, "test.int8.per_class.2.precision"), 0.8);
    NEAR(num(j, "test.float.per_class.1.recall"), 4.0 / 6);
    assert_int_equal(json_integer_value(at(j, "model.params")), 21000);
    assert_true(json_is_null(at(j, "target")));
    json_decref(j);

    char *h = html_of(&r, "train_report_normal.html");
    assert_non_null(strstr(h, "a&lt;b&amp;&quot;c&quot;"));
    assert_null(strstr(h, "a<b&"));
    assert_int_equal(count(h, "<svg"), 3);          /* loss, accuracy, per class */
    assert_int_equal(count(h, "<polyline"), 4);     /* training and validation, twice */
    assert_int_equal(count(h, "<circle"), 20);
    assert_int_equal(count(h, ">best 4</text>"), 2);
    assert_non_null(strstr(h, "<b>87.5%</b>float test accuracy"));
    assert_non_null(strstr(h, "<b>75.0%</b>int8 test accuracy"));
    assert_non_null(strstr(h, "Confusion matrix (int8 model"));
    assert_int_equal(count(h, "<td"), 9);
    assert_non_null(strstr(h, ">P 71.4% &#183; R 83.3% &#183; n 6<"));
    assert_non_null(strstr(h, "No target given"));
    assert_non_null(strstr(h, "&quot;optimizer&quot;: &quot;adam&quot;"));
    assert_null(strstr(h, "no validation"));
    free(h);
    json_decref(config);
}

/* No validation set (NaN), one epoch, the float model only. */
static void test_no_validation(void **state)
{
    (void)state;
    tr_epoch_report ep = epoch(1, 1, 0.9, 0.6, NAN, NAN, 0);
    tr_run_report r = {.task = "motion", .data = "data/har", .arch = "cnn1d", .n_classes = 3,
                       .class_names = names3, .n_train = 100, .n_test = 16, .n_epochs = 1, .epochs = &ep,
                       .train_seconds = 1.0, .n_evals = 1, .evals = {{"float", 16, 0.875, cm3_float}},
                       .model_bytes = 5000, .params = 4000};
    json_t *j = json_of(&r);
    assert_true(json_is_null(at(j, "config")));
    assert_true(json_is_null(at(j, "epochs.0.val_loss")));
    assert_true(json_is_null(at(j, "epochs.0.val_accuracy")));
    NEAR(num(j, "epochs.0.train_loss"), 0.9);
    assert_int_equal(json_integer_value(at(j, "best_epoch")), 0);
    assert_null(json_object_get(at(j, "test"), "int8"));
    NEAR(num(j, "test.float.per_class.0.precision"), 6.0 / 7);
    json_decref(j);

    char *h = html_of(&r, "train_report_no_validation.html");
    assert_int_equal(count(h, "<polyline"), 2);     /* training only, one point each */
    assert_int_equal(count(h, "<circle"), 2);
    assert_int_equal(count(h, ">no validation</text>"), 2);
    assert_null(strstr(h, ">best "));
    assert_non_null(strstr(h, "int8: not evaluated"));
    assert_non_null(strstr(h, "Confusion matrix (float model"));
    free(h);
}

/* 12 classes, one never in the test set, one never predicted; a target the model does not fit. */
static void test_many_classes_no_fit(void **state)
{
    (void)state;
    enum { N = 12 };
    static const char *const names[N] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                         "nine", "silence", "unknown"};
    int cm[N * N] = {0};
    for (int i = 0; i < 10; i++) cm[i * N + i] = 10;
    cm[10 * N + 0] = 5;  /* "silence": 5 examples, all taken for "zero" */
    tr_epoch_report ep[8];
    for (int i = 0; i < 8; i++) ep[i] = epoch(i + 1, 20, 2.0 / (i + 1), 0.3 + 0.05 * i, 2.1 / (i + 1), 0.3, 6);
    tr_run_report r = {.task = "audio", .data = "data/<speech>", .arch = "ds-cnn", .n_classes = N,
                       .class_names = names, .n_train = 900, .n_val = 100, .n_test = 105, .n_epochs = 8,
                       .epochs = ep, .best_epoch = 6, .stopped_early = 1, .train_seconds = 80, .n_evals = 2,
                       .evals = {{"float", 105, 100.0 / 105, cm}, {"int8", 105, 100.0 / 105, cm}},
                       .model_bytes = 90000, .params = 80000, .target = "nucleo-l4r5zi", .fits = 0,
                       .fit_reason = "arena 300.0 KiB > RAM 256.0 KiB <sram>", .arena_bytes = 300 * 1024,
                       .flash_bytes = 100000, .ram_budget = 256 * 1024, .flash_budget = 2 * 1024 * 1024,
                       .latency_ms = 40, .window_seconds = 0.5};
    json_t *j = json_of(&r);
    assert_true(json_is_true(at(j, "stopped_early")));
    assert_int_equal(json_array_size(at(j, "test.int8.confusion")), N);
    assert_int_equal(json_array_size(at(j, "test.int8.confusion.11")), N);
    NEAR(num(j, "test.int8.per_class.0.precision"), 10.0 / 15);
    NEAR(num(j, "test.int8.per_class.0.recall"), 1.0);
    NEAR(num(j, "test.int8.per_class.10.recall"), 0.0);
    assert_true(json_is_null(at(j, "test.int8.per_class.10.precision")));
    assert_true(json_is_null(at(j, "test.int8.per_class.10.f1")));
    assert_true(json_is_null(at(j, "test.int8.per_class.11.precision")));
    assert_true(json_is_null(at(j, "test.int8.per_class.11.recall")));
    assert_int_equal(json_integer_value(at(j, "test.int8.per_class.11.support")), 0);
    assert_string_equal(json_string_value(at(j, "target.name")), "nucleo-l4r5zi");
    assert_true(json_is_false(at(j, "target.fits")));
    assert_string_equal(json_string_value(at(j, "target.reason")), r.fit_reason);
    assert_int_equal(json_integer_value(at(j, "target.arena_bytes")), 300 * 1024);
    assert_int_equal(json_integer_value(at(j, "target.ram_budget")), 256 * 1024);
    NEAR(num(j, "target.latency_ms"), 40);
    NEAR(num(j, "target.latency_ms_per_second_of_signal"), 80);
    json_decref(j);

    char *h = html_of(&r, "train_report_no_fit.html");
    assert_int_equal(count(h, "<svg"), 4);          /* + model size against the budgets */
    assert_int_equal(count(h, "<td"), N * N);
    assert_non_null(strstr(h, "does not fit: arena 300.0 KiB &gt; RAM 256.0 KiB &lt;sram&gt;"));
    assert_non_null(strstr(h, "data/&lt;speech&gt;"));
    assert_non_null(strstr(h, "fill=\"#d0312d\""));  /* the arena bar past the RAM budget */
    assert_non_null(strstr(h, "arena 300.0 KiB of 256.0 KiB (117.2%)"));
    assert_non_null(strstr(h, "40.00 ms per inference"));
    assert_non_null(strstr(h, "80.00 ms per second of signal"));
    assert_non_null(strstr(h, ">P n/a &#183; R 0.0% &#183; n 5<"));
    assert_non_null(strstr(h, "(stopped early)"));
    free(h);
}

/* Edges: one class, no epochs, a target without a latency estimate. */
static void test_one_class_no_epochs(void **state)
{
    (void)state;
    static const char *const one[] = {"only"};
    static const int cm[1] = {7};
    tr_run_report r = {.task = "image", .data = "d", .arch = "cnn", .n_classes = 1, .class_names = one,
                       .n_test = 7, .n_evals = 1, .evals = {{"float", 7, 1.0, cm}}, .target = "host", .fits = 1,
                       .arena_bytes = 1000, .flash_bytes = 2000, .latency_ms = -1};
    json_t *j = json_of(&r);
    assert_int_equal(json_array_size(at(j, "epochs")), 0);
    NEAR(num(j, "test.float.per_class.0.f1"), 1.0);
    assert_true(json_is_true(at(j, "target.fits")));
    assert_true(json_is_null(at(j, "target.latency_ms")));
    assert_true(json_is_null(at(j, "target.reason")));
    assert_null(json_object_get(at(j, "target"), "latency_ms_per_second_of_signal"));
    json_decref(j);

    char *h = html_of(&r, "train_report_one_class.html");
    assert_int_equal(count(h, "No epochs were run."), 2);
    assert_int_equal(count(h, "<svg"), 2);
    assert_non_null(strstr(h, "1 class &#183;"));
    assert_non_null(strstr(h, "&#10003; fits"));
    assert_non_null(strstr(h, "no budget in the profile"));
    assert_non_null(strstr(h, "no estimate for this target"));
    free(h);
}

#define E10 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" /* e-acute x 10 */

/* 35 classes with long, multi-byte and non-UTF-8 names; a write that cannot happen. */
static void test_35_classes(void **state)
{
    (void)state;
    enum { N = 35 };
    char store[N][48];
    const char *names[N];
    for (int i = 0; i < N; i++) {
        snprintf(store[i], sizeof store[i], "class_%02d_with_a_rather_long_name", i);
        names[i] = store[i];
    }
    /* 5 + 11 * 2 bytes: byte 24 is the second of a character. */
    names[3] = "cafe_" E10 "\xc3\xa9";
    names[4] = "latin1_caf\xe9";
    static int cm[N * N];
    for (int i = 0; i < N; i++) cm[i * N + i] = 10, cm[i * N + (i + 1) % N] = i % 4;
    tr_epoch_report ep[30];
    for (int i = 0; i < 30; i++)
        ep[i] = epoch(i + 1, 30, 3.0 - 0.09 * i, 0.1 + 0.02 * i, 3.1 - 0.08 * i, 0.1 + 0.019 * i, 27);
    tr_run_report r = {.task = "audio", .data = "d", .arch = "ds-cnn", .n_classes = N, .class_names = names,
                       .n_test = 700, .n_epochs = 30, .epochs = ep, .best_epoch = 27, .n_evals = 2,
                       .evals = {{"float", 700, 0.3, cm}, {"int8", 700, 0.29, cm}}};
    json_t *j = json_of(&r);
    assert_string_equal(json_string_value(at(j, "dataset.classes.4")), "latin1_caf?");
    assert_string_equal(json_string_value(at(j, "dataset.classes.3")), names[3]);
    json_decref(j);
    char *h = html_of(&r, "train_report_35.html");
    assert_int_equal(count(h, "<td"), N * N);
    /* Labels cut at 24 bytes, never inside a character. */
    assert_non_null(strstr(h, ">class_10_with_a_rather_l&#8230;<"));
    assert_non_null(strstr(h, ">cafe_" E10 "&#8230;<"));
    assert_non_null(strstr(h, ">latin1_caf?<"));
    free(h);
    assert_int_equal(tr_report_write_html(&r, "/nonexistent-dir/report.html"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_metrics),   cmocka_unit_test(test_normal),
        cmocka_unit_test(test_no_validation),   cmocka_unit_test(test_many_classes_no_fit),
        cmocka_unit_test(test_one_class_no_epochs), cmocka_unit_test(test_35_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
