/* mote train: from a dataset folder to model_int8.tflite, model_float.tflite, train.json and report.html
 * (train/pipeline does the work; this file reads options and shows progress). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "driver/compile_job.h"
#include "mote/pipeline.h"
#include "target/cost.h"
#include "train_cli.h"
#include "train_report.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote train --data DIR --task audio|motion|image [options] [-o OUT]\n\n"
            "Trains a classifier on DIR and writes OUT/model_int8.tflite and OUT/model_float.tflite (with the\n"
            "signal front end for audio and motion: raw samples in, class probabilities out), OUT/train.json\n"
            "and OUT/report.html. Both models are scored on the test split by mote's runtime reading the files.\n\n"
            "  -o, --out DIR        output folder (default: train_out)\n"
            "  --target PROFILE     also check the int8 model fits PROFILE and estimate its latency\n"
            "  --json               one JSON line per epoch on stdout, then the summary\n"
            "  --quiet              no progress bar\n"
            "Model:\n"
            "  --arch NAME          ds-cnn (audio default), mlp (motion default), cnn1d (raw motion),\n"
            "                       cnn (image default), resnet (audio, image, raw motion), mlp\n"
            "  --width N --depth N --kernel N --dropout P   the architecture's knobs (see docs/training.md)\n"
            "  --arch-file F        the same as JSON: {\"arch\": \"ds-cnn\", \"width\": 48, ...}\n"
            "Training:\n"
            "  --epochs N (30) --batch N (32) --lr F (0.003, cosine to 1e-4) --optimizer adam|sgd\n"
            "  --patience N (8, on validation loss; 0: off) --seed N (1) --threads N (all)\n"
            "  --augment N          N augmented copies of each training example (audio, motion)\n"
            "%s",
            TRAIN_DATA_HELP);
}

typedef struct {
    int json, bar;
    double t0;
    int epochs;
} view;

static void on_stage(const char *what, size_t done, size_t total, void *user)
{
    view *v = user;
    if (!v->bar) return;
    fprintf(stderr, "\r\033[K%-22s %zu/%zu", what, done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

static int on_epoch(const tr_epoch_report *e, void *user)
{
    view *v = user;
    if (v->json) {
        json_t *o = json_pack("{s:i,s:i,s:f,s:f,s:f,s:f}", "epoch", e->epoch, "epochs", e->epochs, "loss", e->train_loss,
                              "accuracy", e->train_accuracy, "lr", (double)e->lr, "seconds", e->seconds);
        if (o && !isnan(e->val_loss)) json_object_set_new(o, "val_loss", json_real(e->val_loss));
        if (o && !isnan(e->val_accuracy)) json_object_set_new(o, "val_accuracy", json_real(e->val_accuracy));
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s) printf("%s\n", s), fflush(stdout);
        free(s);
        json_decref(o);
    }
    if (v->bar) {
        int w = 24, done = e->epoch * w / e->epochs;
        double left = e->seconds * (e->epochs - e->epoch);
        fprintf(stderr, "\r\033[Kepoch %d/%d [", e->epoch, e->epochs);
        for (int i = 0; i < w; i++) fputc(i < done ? '#' : '.', stderr);
        fprintf(stderr, "] loss %.4f acc %.3f", e->train_loss, e->train_accuracy);
        if (!isnan(e->val_accuracy)) fprintf(stderr, " val %.3f", e->val_accuracy);
        fprintf(stderr, " ETA %.0fs", left);
        if (e->epoch == e->epochs) fputc('\n', stderr);
        fflush(stderr);
    }
    return 0;
}

/* name: where the architecture's name is kept (a->name points into it) */
static int arch_file(const char *path, tp_arch *a, char *name, size_t namelen)
{
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!o || !json_is_object(o)) {
        fprintf(stderr, "mote train: --arch-file %s: %s (line %d)\n", path, o ? "not a JSON object" : je.text, je.line);
        json_decref(o);
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        int ok = 1;
        if (!strcmp(key, "arch") && json_is_string(val)) snprintf(name, namelen, "%s", json_string_value(val)), a->name = name;
        else if (!strcmp(key, "width") && json_is_integer(val)) a->width = (int)json_integer_value(val);
        else if (!strcmp(key, "depth") && json_is_integer(val)) a->depth = (int)json_integer_value(val);
        else if (!strcmp(key, "kernel") && json_is_integer(val)) a->kernel = (int)json_integer_value(val);
        else if (!strcmp(key, "dropout") && json_is_number(val)) a->dropout = (float)json_number_value(val);
        else ok = 0;
        if (!ok) {
            fprintf(stderr, "mote train: --arch-file %s: unknown key or wrong type: \"%s\"\n", path, key);
            json_decref(o);
            return -1;
        }
    }
    json_decref(o);
    return 0;
}

static json_t *config_json(const tp_config *c, const tp_result *r)
{
    const tr_train_config *t = &c->train;
    json_t *fe = json_null();
    if (r->fe && fe_get_kind(r->fe) == FE_AUDIO)
        fe = json_pack("{s:s,s:i,s:i,s:i,s:i,s:b,s:b}", "kind", "audio", "sample_rate", r->ds->sample_rate, "stride_ms",
                       c->audio.stride_ms, "frame_ms", c->audio.stride_ms * c->audio.frame_strides, "bins", c->audio.bins,
                       "noise_reduction", c->audio.noise_reduction, "normalize_features", c->audio.normalize_features);
    else if (r->fe)
        fe = json_pack("{s:s,s:i,s:i,s:i}", "kind", "motion", "window", r->ds->dims[0], "axes", r->ds->dims[1], "bands",
                       c->motion.bands);
    return json_pack("{s:s,s:s,s:{s:s?,s:i,s:i,s:i,s:f},s:o,s:{s:i,s:i,s:s,s:f,s:f,s:i,s:I,s:i,s:f}}", "data", c->data, "task",
                     c->task, "arch", "name", c->arch.name, "width", c->arch.width, "depth", c->arch.depth, "kernel",
                     c->arch.kernel, "dropout", (double)c->arch.dropout, "frontend", fe, "train", "epochs", t->epochs, "batch",
                     t->batch, "optimizer", t->optimizer == TR_SGD ? "sgd" : "adam", "lr", (double)t->lr, "weight_decay",
                     (double)t->weight_decay, "patience", t->patience, "seed", (json_int_t)t->seed, "augment", c->augment,
                     "val_split", (double)t->val_split);
}

/* --target: fit verdict and the cost model's latency of the int8 model. */
static int target_check(const char *path, const char *target, tr_run_report *rep, double *insns, int *fallback,
                        char *reason, size_t reasonlen)
{
    compile_job j;
    if (compile_job_open(&j, path, target, NULL)) return -1;
    const compile_fit *fit = j.fit_mote.fits || !j.fit_c.fits ? &j.fit_mote : &j.fit_c;
    const mote_footprint *fp = fit == &j.fit_mote ? &j.mote : &j.c;
    rep->target = target;
    rep->fits = fit->fits;
    snprintf(reason, reasonlen, "%s", fit->msg);
    rep->fit_reason = reason;
    /* RAM as the fit verdict counts it: arena, the runtime's static data, the stack */
    rep->arena_bytes = fp->arena_bytes + fp->static_ram_bytes + (fp->stack_bytes ? fp->stack_bytes : (size_t)j.prof.stack_kb * 1024);
    rep->flash_bytes = fp->weights_bytes + fp->code_bytes;
    rep->ram_budget = (size_t)j.prof.ram_kb * 1024;
    rep->flash_budget = (size_t)j.prof.flash_kb * 1024;
    rep->latency_ms = -1;
    mote_cost_model cm;
    char note[256], err[256];
    if (mote_cost_load_for(&j.prof, &cm, note, sizeof note, err, sizeof err) == 0) {
        mote_cost_node *nodes = calloc((size_t)j.hm->m.n_nodes + 1, sizeof *nodes);
        if (nodes) {
            *insns = mote_cost_estimate(&cm, &j.hm->m, nodes);
            for (int32_t k = 0; k < j.hm->m.n_nodes; k++) *fallback += !nodes[k].known;
            rep->latency_ms = mote_cost_ms(&cm, *insns, j.prof.clock_mhz);
            free(nodes);
        }
        mote_cost_free(&cm);
    }
    compile_job_close(&j);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    tp_config c;
    tp_config_default(&c);
    c.train.seed = 1;
    const char *out = "train_out", *target = NULL;
    char arch_name[32];
    view v = {0};
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int r = train_cli_data_option(&c, argc, argv, &i, "train");
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(a, "--json")) v.json = 1;
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else if (!val) {
            fprintf(stderr, "mote train: unknown option or missing value: %s (see --help)\n", a);
            return 2;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = argv[++i];
        else if (!strcmp(a, "--target")) target = argv[++i];
        else if (!strcmp(a, "--arch")) c.arch.name = argv[++i];
        else if (!strcmp(a, "--arch-file")) {
            if (arch_file(argv[++i], &c.arch, arch_name, sizeof arch_name)) return 2;
        } else if (!strcmp(a, "--optimizer")) {
            val = argv[++i];
            if (!strcmp(val, "adam")) c.train.optimizer = TR_ADAM;
            else if (!strcmp(val, "sgd")) c.train.optimizer = TR_SGD;
            else {
                fprintf(stderr, "mote train: --optimizer %s: not adam or sgd\n", val);
                return 2;
            }
        } else if (!strcmp(a, "--lr") || !strcmp(a, "--dropout")) {
            char *end;
            double d = strtod(argv[++i], &end);
            if (*end || !(d >= 0 && d < 1e3)) {
                fprintf(stderr, "mote train: %s %s: not a number >= 0\n", a, argv[i]);
                return 2;
            }
            if (a[2] == 'l') c.train.lr = (float)d;
            else c.arch.dropout = d > 0 ? (float)d : -1.0f;
        } else {
            struct {
                const char *name;
                int *dst;
                int zero_ok;
            } ints[] = {{"--epochs", &c.train.epochs, 0}, {"--batch", &c.train.batch, 0},   {"--patience", &c.train.patience, 1},
                        {"--threads", &c.threads, 1},     {"--augment", &c.augment, 1},     {"--width", &c.arch.width, 0},
                        {"--depth", &c.arch.depth, 0},    {"--kernel", &c.arch.kernel, 0}};
            size_t k = 0;
            for (; k < sizeof ints / sizeof ints[0] && strcmp(a, ints[k].name); k++) {}
            if (!strcmp(a, "--seed")) {
                long s = cli_parse_count(a, argv[++i]);
                if (s < 0) return 2;
                c.train.seed = (uint64_t)s;
            } else if (k < sizeof ints / sizeof ints[0]) {
                long n = !strcmp(argv[i + 1], "0") && ints[k].zero_ok ? 0 : cli_parse_count(a, argv[i + 1]);
                i++;
                if (n < 0 || n > 100000) return 2;
                *ints[k].dst = (int)n;
            } else {
                fprintf(stderr, "mote train: unknown option: %s (see --help)\n", a);
                return 2;
            }
        }
    }
    if (!c.data || !c.task) {
        fprintf(stderr, "mote train: --data DIR and --task audio|motion|image are required (see --help)\n");
        return 2;
    }
    if (mkdir(out, 0777) && errno != EEXIST) {
        fprintf(stderr, "mote train: cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }
    v.bar = !quiet && !v.json && isatty(2);
    c.out_dir = out;
    c.on_stage = on_stage;
    c.user = &v;
    c.train.on_epoch = on_epoch;
    c.train.user = &v;

    tp_result r;
    char err[1024];
    int rc = tp_run(&c, &r, err, sizeof err);
    if (rc) {
        if (v.bar) fputc('\n', stderr);
        fprintf(stderr, "mote train: %s\n", err);
        tp_result_free(&r);
        return 1;
    }
    const char *names[2] = {"float", "int8"};
    tr_run_report rep = {.task = c.task, .data = c.data, .arch = c.arch.name ? c.arch.name : "default",
                         .n_classes = r.n_classes, .class_names = (const char *const *)r.ds->label_names,
                         .n_train = r.n_train, .n_val = r.n_val, .n_test = r.n_test, .n_epochs = r.fit.epochs_run,
                         .epochs = r.epochs, .best_epoch = r.fit.best_epoch, .stopped_early = r.fit.stopped_early,
                         .train_seconds = r.fit.seconds, .n_evals = 2, .model_bytes = r.int8_bytes, .params = r.params,
                         .latency_ms = -1};
    tp_score *sc[2] = {&r.float_score, &r.int8_score};
    for (int k = 0; k < 2; k++) rep.evals[k] = (tr_run_eval){names[k], sc[k]->n, sc[k]->accuracy, sc[k]->confusion};
    if (r.fe && r.ds->sample_rate > 0) rep.window_seconds = (double)r.ds->dims[0] / r.ds->sample_rate;
    double insns = 0;
    int fallback = 0;
    char reason[512] = "";
    if (target && target_check(r.int8_path, target, &rep, &insns, &fallback, reason, sizeof reason)) rc = 1;
    json_t *cfg = config_json(&c, &r);
    rep.config = cfg;
    json_t *doc = tr_report_json(&rep);
    char path[1200];
    snprintf(path, sizeof path, "%s/train.json", out);
    if (!doc || json_dump_file(doc, path, JSON_INDENT(2))) {
        fprintf(stderr, "mote train: cannot write %s\n", path);
        rc = 1;
    }
    snprintf(path, sizeof path, "%s/report.html", out);
    if (tr_report_write_html(&rep, path)) rc = 1;
    if (v.json) {
        json_t *s = json_pack("{s:s,s:f,s:f,s:i,s:f,s:s,s:s,s:I}", "summary", out, "float_accuracy", r.float_score.accuracy,
                              "int8_accuracy", r.int8_score.accuracy, "epochs", r.fit.epochs_run, "train_seconds",
                              r.fit.seconds, "model_int8", r.int8_path, "model_float", r.float_path, "model_bytes",
                              (json_int_t)r.int8_bytes);
        if (s && target) json_object_set(s, "target", json_object_get(doc, "target"));
        char *t = s ? json_dumps(s, JSON_COMPACT) : NULL;
        if (t) printf("%s\n", t);
        free(t);
        json_decref(s);
    } else {
        printf("%s: %zu train / %zu validation / %zu test examples, %d classes, %zu parameters\n", c.data, r.n_train, r.n_val,
               r.n_test, r.n_classes, r.params);
        printf("trained %d epochs in %.1f s (best epoch %d; features %.1f s)\n", r.fit.epochs_run, r.fit.seconds,
               r.fit.best_epoch, r.feature_seconds);
        printf("test accuracy: float %.2f%%, int8 %.2f%% (%zu examples; from the written files)\n",
               100 * r.float_score.accuracy, 100 * r.int8_score.accuracy, r.int8_score.n);
        printf("wrote %s (%zu bytes), %s, %s/train.json, %s/report.html\n", r.int8_path, r.int8_bytes, r.float_path, out, out);
        if (rep.target) {
            printf("%s: %s: %s\n", target, rep.fits ? "fits" : "does NOT fit", rep.fit_reason);
            if (rep.latency_ms >= 0)
                printf("%s: estimated %.1f ms per inference (%.2f M instructions, cost model%s)\n", target, rep.latency_ms,
                       insns / 1e6, fallback ? "; some ops on the fallback figure" : "");
        }
    }
    json_decref(doc);
    json_decref(cfg);
    tp_result_free(&r);
    return rc;
}
