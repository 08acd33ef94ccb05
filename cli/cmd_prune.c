/* mote prune: structured pruning of a float model (train/prune) with fine-tuning on a dataset, written as
 * float and int8 TFLite files with the front end the model came with. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "import/import.h"
#include "mote/prune.h"
#include "prune_adapt.h"
#include "prune_report.h"
#include "prune_unstructured.h"
#include "train_cli.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote prune MODEL --data DIR -o OUT [options]\n\n"
            "Removes whole channels (convolution filters, dense units) from a float model, rewires the layers\n"
            "that read them, fine-tunes what is left on DIR's training split, and writes OUT/model_float.tflite\n"
            "and OUT/model_int8.tflite (with the model's front end, as mote train writes them). MODEL: a float\n"
            "TFLite classifier, e.g. model_float.tflite from mote train. Scores are on DIR's test split;\n"
            "OUT/report.html plots MACs, size, accuracy and the channels each group kept.\n\n"
            "  --structured R       remove the fraction R of the channels of every group that can be pruned\n"
            "                       (default 0.5 unless only --unstructured is given; a group's channels go\n"
            "                       together: see docs/pruning.md)\n"
            "  --unstructured S     then zero the fraction S (0 < S <= 0.99) of the smallest weights of every\n"
            "                       convolution and dense layer, gradually while fine-tuning (--epochs more\n"
            "                       epochs), and store the int8 weights sparse where that is smaller\n"
            "  --target P --max-latency-ms X\n"
            "                       instead of a fixed fraction: prune step by step (a tenth of one group at a\n"
            "                       time, the one that keeps the most validation accuracy; NetAdapt) until the\n"
            "                       cost model estimates <= X ms per inference on P, front end included\n"
            "  --steps K            prune gradually, in K steps with fine-tuning after each (default 1)\n"
            "  --epochs N           fine-tuning epochs in all (default 30; 0: none)\n"
            "  --lr X               fine-tuning learning rate (Adam, cosine to 1 %% in each step; default 3e-3)\n"
            "  --batch N --seed N --threads N\n"
            "  --json               the result as JSON\n"
            "  --quiet              no progress\n"
            "%s",
            TRAIN_DATA_HELP);
}

static int64_t file_macs(const char *path, size_t *bytes)
{
    char err[256];
    mote_ir_graph *g = mote_import_file(path, err, sizeof err);
    if (!g) return -1;
    int64_t macs = 0;
    for (int32_t o = 0; o < g->n_ops; o++) macs += mote_ir_stats(g, o).macs;
    *bytes = g->file_len;
    mote_ir_free(g);
    return macs;
}

static int on_epoch(const tr_epoch_report *r, void *user)
{
    if (*(const int *)user)
        fprintf(stderr, "\rfine-tuning: epoch %d/%d loss %.4f accuracy %.2f%%   ", r->epoch, r->epochs, r->train_loss,
                100 * r->train_accuracy);
    return 0;
}

static double accuracy(tr_model *m, const tp_retrain *r)
{
    tr_dataset t = tp_retrain_split(r, 2);
    double loss, acc = NAN;
    if (t.n && tr_evaluate(m, &t, 64, &loss, &acc)) acc = NAN;
    return acc;
}

int cmd_prune(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    tp_config c;
    tp_config_default(&c);
    const char *model = NULL, *out = NULL, *target = NULL;
    double max_ms = 0;
    double ratio = 0.5, sparsity = 0;
    int structured_given = 0;
    int json = 0, quiet = 0, epochs = 30, batch = 32, threads = 0, steps = 1;
    double lr = 3e-3;
    long seed = 1;
    for (int i = 1; i < argc; i++) {
        int r = train_cli_data_option(&c, argc, argv, &i, "prune");
        if (r < 0) return 2;
        if (r) continue;
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) json = quiet = 1;
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else if (a[0] == '-' && !v) {
            fprintf(stderr, "mote prune: %s: unknown option or missing value (see --help)\n", a);
            return 2;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = argv[++i];
        else if (!strcmp(a, "--structured")) {
            ratio = atof(argv[++i]);
            structured_given = 1;
            if (!(ratio > 0.0 && ratio < 1.0)) {
                fprintf(stderr, "mote prune: --structured wants a fraction between 0 and 1, got %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--unstructured")) {
            char *end;
            sparsity = strtod(argv[++i], &end);
            if (end == argv[i] || *end || !(sparsity > 0.0 && sparsity <= 0.99)) {
                fprintf(stderr, "mote prune: --unstructured wants a sparsity above 0 and at most 0.99, got %s\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--epochs")) {
            char *end;
            epochs = (int)strtol(argv[++i], &end, 10);
            if (*end || epochs < 0 || epochs > 10000) {
                fprintf(stderr, "mote prune: --epochs wants a count, got %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--lr")) {
            lr = atof(argv[++i]);
            if (!(lr > 0 && lr < 10)) {
                fprintf(stderr, "mote prune: --lr wants a positive rate, got %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--target")) target = argv[++i];
        else if (!strcmp(a, "--max-latency-ms")) {
            max_ms = atof(argv[++i]);
            if (!(max_ms > 0)) {
                fprintf(stderr, "mote prune: --max-latency-ms wants a positive number, got %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--steps")) {
            if ((steps = (int)cli_parse_count("--steps", argv[++i])) < 0) return 2;
        } else if (!strcmp(a, "--batch")) {
            if ((batch = (int)cli_parse_count("--batch", argv[++i])) < 0) return 2;
        } else if (!strcmp(a, "--seed")) {
            if ((seed = cli_parse_count("--seed", argv[++i])) < 0) return 2;
        } else if (!strcmp(a, "--threads")) {
            if ((threads = (int)cli_parse_count("--threads", argv[++i])) < 0) return 2;
        } else if (a[0] != '-' && !model) model = a;
        else {
            fprintf(stderr, "mote prune: %s: unknown option or argument (see --help)\n", a);
            return 2;
        }
    }
    if (!model || !c.data || !out) {
        fprintf(stderr, "mote prune: MODEL, --data DIR and -o OUT are required (see --help)\n");
        return 2;
    }
    if (!target != !(max_ms > 0)) {
        fprintf(stderr, "mote prune: --target and --max-latency-ms go together\n");
        return 2;
    }
    char err[1024] = "";
    mote_ir_graph *g = mote_import_file(model, err, sizeof err);
    if (!g) {
        fprintf(stderr, "mote prune: %s\n", err);
        return 1;
    }
    ds_options o;
    int bad = train_cli_data_for_model(&c, g, &o, &(float){0}, "prune");
    mote_ir_free(g);
    if (bad) return 2;
    /* channels first (when asked, or by default), then single weights */
    const int structured = structured_given || target || !(sparsity > 0);
    int rc = 1, bar = !quiet && isatty(2);
    tr_unstructured un = {0};
    prune_report_layer *layers = NULL;
    size_t bq_dense = 0;
    tp_retrain r;
    tr_prune_plan plan = {0};
    tr_prune_choice choice = {0};
    tr_model *pm = NULL;
    if (tp_retrain_open(&r, model, c.data, &o, err, sizeof err)) {
        fprintf(stderr, "mote prune: %s: %s\n", model, err);
        goto done;
    }
    /* the one-shot result, for the report: what the channels' importance alone keeps */
    if (tr_prune_analyse(r.cls, &plan, err, sizeof err) ||
        tr_prune_choose_ratio(&plan, structured ? ratio : 0.0, &choice) ||
        !(pm = tr_prune_apply(r.cls, &plan, &choice, err, sizeof err))) {
        fprintf(stderr, "mote prune: %s: %s\n", model, err[0] ? err : "out of memory");
        goto done;
    }
    int prunable = 0;
    for (int k = 0; k < plan.n_groups; k++) prunable += plan.groups[k].prunable;
    if (!prunable && structured) {
        fprintf(stderr, "mote prune: %s: no channel group can be pruned (%s)\n", model,
                plan.n_groups ? plan.groups[0].why : "no convolution or dense layer");
        goto done;
    }
    const double acc_before = accuracy(r.cls, &r), acc_pruned = structured ? accuracy(pm, &r) : NAN;
    if (structured) { /* else pm, all channels kept, is the copy the weights are pruned in */
        tr_model_free(pm);
        pm = NULL;
    } else {
        steps = 0;
    }
    prune_adapt_result ar = {0};
    if (target) {
        prune_adapt_opts ao = {.target = target, .max_ms = max_ms, .short_epochs = 1, .final_epochs = epochs, .lr = lr,
                               .batch = batch, .threads = threads, .seed = (uint64_t)seed, .progress = bar};
        if (prune_adapt(&r, &ao, &pm, &ar, err, sizeof err)) {
            fprintf(stderr, "mote prune: %s: %s\n", model, err);
            goto done;
        }
        tr_prune_plan pp;
        if (!tr_prune_analyse(pm, &pp, err, sizeof err)) { /* what each group kept */
            for (int k = 0; k < plan.n_groups && k < pp.n_groups; k++) choice.kept[k] = pp.groups[k].channels;
            tr_prune_plan_free(&pp);
        }
        steps = 0;
    }
    /* gradually: each step keeps (1 - ratio)^(s / steps) of every group's original channels, then fine-tunes */
    for (int s = 1; s <= steps; s++) {
        tr_prune_plan ps;
        tr_prune_choice cs;
        int *counts = malloc(sizeof(int) * ((size_t)plan.n_groups + 1));
        const double keep = pow(1.0 - ratio, (double)s / steps);
        for (int k = 0; counts && k < plan.n_groups; k++) counts[k] = (int)lround(plan.groups[k].channels * keep);
        tr_model *next = NULL;
        int ok = counts && !tr_prune_analyse(pm ? pm : r.cls, &ps, err, sizeof err);
        if (ok && ps.n_groups != plan.n_groups) ok = 0, snprintf(err, sizeof err, "the channel groups changed");
        ok = ok && !tr_prune_choose_counts(&ps, counts, &cs) && (next = tr_prune_apply(pm ? pm : r.cls, &ps, &cs, err, sizeof err));
        if (ok)
            for (int k = 0; k < plan.n_groups; k++) choice.kept[k] = cs.kept[k];
        tr_prune_choice_free(&ps, &cs);
        tr_prune_plan_free(&ps);
        free(counts);
        if (!ok) {
            fprintf(stderr, "mote prune: step %d: %s\n", s, err[0] ? err : "out of memory");
            goto done;
        }
        tr_model_free(pm);
        pm = next;
        tr_model_set_threads(pm, threads);
        const int e = s < steps ? epochs / steps : epochs - (steps - 1) * (epochs / steps);
        if (e > 0) {
            tr_train_config tc;
            tr_train_config_default(&tc);
            tc.epochs = e;
            tc.batch = batch;
            tc.seed = (uint64_t)seed + (uint64_t)s;
            tc.lr = (float)lr;
            tc.schedule = TR_LR_COSINE;
            tc.lr_min = (float)lr / 100.0f;
            tc.weight_decay = 1e-4f;
            tc.restore_best = 0;
            tc.on_epoch = on_epoch;
            tc.user = &bar;
            tr_dataset train = tp_retrain_split(&r, 0), val = tp_retrain_split(&r, 1);
            if (!val.n) tc.val_split = 0.1f;
            tr_fit_result fr;
            if (tr_fit(pm, &train, val.n ? &val : NULL, &tc, &fr)) {
                fprintf(stderr, "\nmote prune: fine-tuning: %s\n", tr_model_error(pm));
                goto done;
            }
        }
    }
    if (bar && structured) fputc('\n', stderr);
    if (sparsity > 0) {
        tr_model_set_threads(pm, threads);
        prune_unstructured_opts uo = {.sparsity = sparsity, .epochs = epochs, .lr = lr, .batch = batch,
                                      .seed = (uint64_t)seed + 1000u, .progress = bar};
        if (prune_unstructured(&r, pm, &uo, &un, err, sizeof err)) {
            fprintf(stderr, "\nmote prune: %s: %s\n", model, err);
            goto done;
        }
        if (!(layers = calloc((size_t)un.n_layers + 1, sizeof *layers))) goto done;
        for (int k = 0; k < un.n_layers; k++) {
            tr_param_info pi;
            tr_model_param(pm, un.param[k], &pi);
            layers[k] = (prune_report_layer){.name = pi.name, .weights = pi.size,
                                             .sparsity = tr_unstructured_layer_sparsity(&un, pm, k)};
        }
    }
    const double acc_tuned = accuracy(pm, &r);
    mkdir(out, 0777);
    char fpath[4096], qpath[4096];
    snprintf(fpath, sizeof fpath, "%s/model_float.tflite", out);
    snprintf(qpath, sizeof qpath, "%s/model_int8.tflite", out);
    if (tp_retrain_export(&r, pm, fpath, qpath, err, sizeof err) ||
        (sparsity > 0 && prune_store_sparse(qpath, &bq_dense, &(size_t){0}, layers, un.n_layers, err, sizeof err))) {
        fprintf(stderr, "mote prune: %s: %s\n", out, err);
        goto done;
    }
    /* the written files, scored by the runtime a device has */
    size_t n_test = ds_count(r.ds, 2, -1), *idx = malloc(sizeof(size_t) * (n_test + 1));
    tp_score sf = {0}, sq = {0}, s0 = {0};
    if (!idx) goto done;
    ds_indices(r.ds, 2, idx);
    int scored = n_test && !tp_score_file(model, r.ds, idx, n_test, r.raw_scale, &s0, err, sizeof err) &&
                 !tp_score_file(fpath, r.ds, idx, n_test, r.raw_scale, &sf, err, sizeof err) &&
                 !tp_score_file(qpath, r.ds, idx, n_test, r.raw_scale, &sq, err, sizeof err);
    free(idx);
    free(s0.confusion);
    free(sf.confusion);
    free(sq.confusion);
    if (n_test && !scored) {
        fprintf(stderr, "mote prune: scoring: %s\n", err);
        goto done;
    }
    size_t b0 = 0, bf = 0, bq = 0;
    int64_t m0 = file_macs(model, &b0), mf = file_macs(fpath, &bf);
    file_macs(qpath, &bq);
    char rpath[4096];
    snprintf(rpath, sizeof rpath, "%s/report.html", out);
    prune_report pr = {.model = model, .out = out, .plan = &plan, .kept = choice.kept, .macs_before = m0,
                       .macs_after = mf, .bytes_before = b0, .bytes_after = bq, .acc_before = n_test ? s0.accuracy : NAN,
                       .acc_float = sf.accuracy, .acc_int8 = sq.accuracy, .target = target, .ms_before = ar.ms_before,
                       .ms_after = ar.ms_after, .unstructured = sparsity, .layers = layers, .n_layers = un.n_layers,
                       .int8_dense_bytes = bq_dense};
    if (prune_report_write_html(&pr, rpath)) goto done;
    if (json) {
        json_t *groups = json_array();
        for (int k = 0; k < plan.n_groups; k++)
            json_array_append_new(groups, json_pack("{s:s,s:i,s:i,s:b,s:s?}", "name", plan.groups[k].name, "channels",
                                                    plan.groups[k].channels, "kept", choice.kept[k], "prunable",
                                                    plan.groups[k].prunable, "why", plan.groups[k].why));
        json_t *doc = json_pack("{s:s,s:s,s:f,s:i,s:I,s:I,s:f,s:I,s:o}", "model", model, "output", out, "ratio",
                                structured ? ratio : 0.0,
                                "epochs", epochs, "macs_before", (json_int_t)m0, "macs_after", (json_int_t)mf,
                                "macs_fraction", m0 > 0 ? (double)mf / (double)m0 : 0.0, "int8_bytes", (json_int_t)bq,
                                "groups", groups);
        if (sparsity > 0) {
            json_t *ls = json_array();
            size_t w = 0, z = 0;
            for (int k = 0; k < un.n_layers; k++) {
                const prune_report_layer *l = &layers[k];
                w += l->weights, z += (size_t)llround(l->sparsity * (double)l->weights);
                json_array_append_new(ls, json_pack("{s:s,s:I,s:f,s:I,s:s}", "name", l->name, "weights",
                                                    (json_int_t)l->weights, "sparsity", l->sparsity, "int8_bytes",
                                                    (json_int_t)l->int8_bytes, "storage",
                                                    !l->int8_bytes ? "none" : l->sparse ? "sparse" : "dense"));
            }
            json_object_set_new(doc, "unstructured", json_real(sparsity));
            json_object_set_new(doc, "sparsity", json_real(w ? (double)z / (double)w : 0.0));
            json_object_set_new(doc, "layers", ls);
            json_object_set_new(doc, "int8_bytes_dense", json_integer((json_int_t)bq_dense));
        }
        if (target) {
            json_object_set_new(doc, "target", json_string(target));
            json_object_set_new(doc, "latency_ms_before", json_real(ar.ms_before));
            json_object_set_new(doc, "latency_ms_after", json_real(ar.ms_after));
            json_object_set_new(doc, "adapt_steps", json_integer(ar.steps));
        }
        json_object_set_new(doc, "test_accuracy_before", n_test ? json_real(s0.accuracy) : json_null());
        /* the engine's own numbers: the imported model must score as its file does */
        json_object_set_new(doc, "engine_accuracy_before", isnan(acc_before) ? json_null() : json_real(acc_before));
        json_object_set_new(doc, "engine_accuracy_tuned", isnan(acc_tuned) ? json_null() : json_real(acc_tuned));
        json_object_set_new(doc, "test_accuracy_pruned_untuned", isnan(acc_pruned) ? json_null() : json_real(acc_pruned));
        json_object_set_new(doc, "test_accuracy_float", n_test ? json_real(sf.accuracy) : json_null());
        json_object_set_new(doc, "test_accuracy_int8", n_test ? json_real(sq.accuracy) : json_null());
        char *t = json_dumps(doc, JSON_INDENT(2));
        if (t) printf("%s\n", t);
        free(t);
        json_decref(doc);
    } else {
        if (target)
            printf("%s -> %s: %d steps, estimated %.2f -> %.2f ms on %s; MACs %lld -> %lld (%.1f %%)\n", model, out,
                   ar.steps, ar.ms_before, ar.ms_after, target, (long long)m0, (long long)mf,
                   m0 > 0 ? 100.0 * (double)mf / (double)m0 : 0.0);
        else
            printf("%s -> %s: %d of %d channel groups pruned by %.0f %%; MACs %lld -> %lld (%.1f %%)\n", model, out,
                   prunable, plan.n_groups, 100 * ratio, (long long)m0, (long long)mf,
                   m0 > 0 ? 100.0 * (double)mf / (double)m0 : 0.0);
        for (int k = 0; k < plan.n_groups; k++)
            printf("  %-28.28s %4d -> %4d%s%s\n", plan.groups[k].name, plan.groups[k].channels, choice.kept[k],
                   plan.groups[k].prunable ? "" : "   kept: ", plan.groups[k].prunable ? "" : plan.groups[k].why);
        if (n_test)
            printf("test accuracy (%zu examples): before %.2f %%, pruned %.2f %%, int8 %.2f %% (%zu bytes)\n", n_test,
                   100 * s0.accuracy, 100 * sf.accuracy, 100 * sq.accuracy, bq);
        if (!target && structured)
            printf("  (pruned at once, before any fine-tuning: %.2f %%)\n", 100 * acc_pruned);
        for (int k = 0; k < un.n_layers; k++)
            printf("  %-28.28s %7zu weights, %5.1f %% zeros, int8 %s %zu bytes\n", layers[k].name, layers[k].weights,
                   100 * layers[k].sparsity, layers[k].sparse ? "sparse" : "dense", layers[k].int8_bytes);
        if (sparsity > 0)
            printf("int8 file: %zu bytes with every weight dense, %zu with sparse storage where smaller\n", bq_dense,
                   bq);
    }
    rc = 0;
done:
    free(layers);
    tr_unstructured_free(&un);
    tr_model_free(pm);
    tr_prune_choice_free(&plan, &choice);
    tr_prune_plan_free(&plan);
    tp_retrain_close(&r);
    return rc;
}
