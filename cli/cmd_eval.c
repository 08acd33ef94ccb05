/* mote eval: score any classifier file (ours or a user's .tflite) on a dataset's test split. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "host_model.h"
#include "mote/pipeline.h"
#include "train_cli.h"
#include "train_report.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote eval MODEL --data DIR [options]\n\n"
            "Runs MODEL with mote's runtime on every test example of DIR (every example with --all) and prints\n"
            "the accuracy, per-class precision and recall, and the confusion matrix. The model's input says what\n"
            "it takes: int16 [samples] raw audio, int16 [window, axes] raw motion, else the example itself\n"
            "(int8 inputs quantized with the model's input scale and zero point).\n\n"
            "  --all                score every example, not only the test split\n"
            "  --json               the result as JSON\n"
            "  --min-accuracy A     exit 1 if the accuracy (0..1) is below A\n"
            "%s",
            TRAIN_DATA_HELP);
}

int cmd_eval(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    tp_config c;
    tp_config_default(&c);
    const char *model = NULL;
    int all = 0, json = 0;
    double min_acc = -1;
    for (int i = 1; i < argc; i++) {
        int r = train_cli_data_option(&c, argc, argv, &i, "eval");
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--all")) all = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--min-accuracy") && i + 1 < argc) min_acc = atof(argv[++i]);
        else if (argv[i][0] != '-' && !model) model = argv[i];
        else {
            fprintf(stderr, "mote eval: unknown option or missing value: %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (!model || !c.data) {
        fprintf(stderr, "mote eval: MODEL and --data DIR are required (see --help)\n");
        return 2;
    }
    char err[1024] = "";
    mote_host_model *hm = mote_host_model_load(model, err, sizeof err);
    if (!hm) {
        fprintf(stderr, "mote eval: %s: %s\n", model, err);
        return 1;
    }
    ds_options o;
    float raw_scale = 1.0f;
    int bad = train_cli_data_for_model(&c, hm->g, &o, &raw_scale, "eval");
    mote_host_model_free(hm);
    if (bad) return 2;
    ds_dataset *ds = NULL;
    if (ds_load(c.data, &o, &ds, err, sizeof err)) {
        fprintf(stderr, "mote eval: %s\n", err);
        return 1;
    }
    size_t n = all ? ds->n : ds_count(ds, DS_TEST, -1), *idx = malloc(sizeof(size_t) * (n ? n : 1));
    if (!idx) return 1;
    if (all)
        for (size_t i = 0; i < n; i++) idx[i] = i;
    else
        ds_indices(ds, DS_TEST, idx);
    tp_score s = {0};
    int rc = 0;
    if (!n) {
        fprintf(stderr, "mote eval: %s: no test examples (--all scores every example)\n", c.data);
        rc = 1;
    } else if (tp_score_file(model, ds, idx, n, raw_scale, &s, err, sizeof err)) {
        fprintf(stderr, "mote eval: %s\n", err);
        rc = 1;
    }
    if (!rc) {
        int k = ds->n_labels;
        if (json) {
            json_t *cls = json_array(), *conf = json_array();
            for (int a = 0; a < k; a++) {
                double p, r;
                tr_report_class_metrics(s.confusion, k, a, &p, &r);
                json_t *row = json_array();
                size_t support = 0;
                for (int b = 0; b < k; b++) json_array_append_new(row, json_integer(s.confusion[a * k + b])), support += (size_t)s.confusion[a * k + b];
                json_array_append_new(conf, row);
                json_array_append_new(cls, json_pack("{s:s,s:o,s:o,s:I}", "class", ds->label_names[a],
                                                     "precision", isnan(p) ? json_null() : json_real(p), "recall",
                                                     isnan(r) ? json_null() : json_real(r), "support", (json_int_t)support));
            }
            json_t *doc = json_pack("{s:s,s:s,s:s,s:I,s:f,s:o,s:o}", "model", model, "data", c.data, "examples",
                                    all ? "all" : "test", "n", (json_int_t)s.n, "accuracy", s.accuracy, "per_class", cls,
                                    "confusion", conf);
            char *t = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
            if (t) printf("%s\n", t);
            free(t);
            json_decref(doc);
        } else {
            printf("%s on %s (%s, %zu examples): accuracy %.2f%%\n", model, c.data, all ? "all" : "test split", s.n,
                   100 * s.accuracy);
            printf("%-16s %9s %9s %8s\n", "class", "precision", "recall", "support");
            for (int a = 0; a < k; a++) {
                double p, r;
                int support = 0;
                tr_report_class_metrics(s.confusion, k, a, &p, &r);
                for (int b = 0; b < k; b++) support += s.confusion[a * k + b];
                printf("%-16.16s %8.1f%% %8.1f%% %8d\n", ds->label_names[a], 100 * p, 100 * r, support);
            }
            printf("confusion (rows: true class, columns: predicted):\n");
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) printf(" %5d", s.confusion[a * k + b]);
                printf("   %s\n", ds->label_names[a]);
            }
        }
        if (min_acc >= 0 && !(s.accuracy >= min_acc)) {
            fprintf(stderr, "mote eval: accuracy %.4f is below --min-accuracy %.4f\n", s.accuracy, min_acc);
            rc = 1;
        }
    }
    free(s.confusion);
    free(idx);
    ds_free(ds);
    return rc;
}
