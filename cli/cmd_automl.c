/* mote automl: the search of train/automl for a dataset and a device, costed by the compiler and the cost
 * model (cli/estimate.c), with a live status line, the trials table, JSON, and the chosen model in OUT/best. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/stat.h>

#include "automl_remote.h"
#include "cli.h"
#include "import/import.h"
#include "automl_precision.h"
#include "automl_report.h"
#include "estimate.h"
#include "mote/automl.h"
#include "train_cli.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote automl --data DIR --task audio|motion|image --target PROFILE -o OUT [options]\n\n"
            "Searches front-end parameters and architectures for the best model that fits PROFILE. Every\n"
            "candidate is exported untrained with its front end and costed first (fit, flash, RAM, estimated\n"
            "latency); only those that fit are trained, by successive halving ranked on validation accuracy\n"
            "(rungs of --min-epochs, x3, up to --max-epochs), in brackets of random then mutated candidates\n"
            "until the budget is spent. Trials live in OUT/automl.db: run the same command again to resume.\n"
            "Then the three best front points also get int4 / mixed weights (the search of quantize --bits\n"
            "auto, scored on held-out examples) as extra points \"KEY +int4\" / \"KEY +mixed\".\n"
            "The chosen model goes to OUT/best (model_int8.tflite with its front end, model_float.tflite);\n"
            "OUT/report.html has the Pareto plot, the front, and every trained trial's learning curve.\n"
            "The same search as a job of moted: mote automl submit|status|jobs|cancel|log|report (--help).\n\n"
            "  --budget T           wall-clock budget: 90s, 20m, 1h (default 20m)\n"
            "  --max-latency-ms X --max-ram KB --max-flash KB   limits on top of the profile's fit\n"
            "  --objective accuracy|latency   the best validation accuracy (default), or the fastest within\n"
            "                       1 pp of it (energy: not supported, the profiles have no power figure)\n"
            "  --bracket N          candidates per bracket (default 9)  --min-epochs N (8)  --max-epochs N (40)\n"
            "  --brackets N         stop after N brackets even with time left (default: when the budget is spent)\n"
            "  --verify             run the chosen model under the profile's emulator (mote verify, on three\n"
            "                       test examples) and require it bit-exact with the host runtime\n"
            "  --seed N --threads N --json --quiet\n"
            "  --progress           status lines on stderr even with --json (what moted's AutoML jobs read)\n"
            "%s",
            TRAIN_DATA_HELP);
}

typedef struct {
    const char *target;
    int quiet;
    int tty;                /* stderr is a terminal: the status line is redrawn in place */
    int cols;               /* its width: a longer status line would wrap and not be redrawn */
    char status[400];       /* the status line last drawn ("" none) */
} view;

static int cost(void *user, const char *path, int *fits, double *flash, double *ram, double *ms, char *err,
                size_t errlen)
{
    const char *target = ((view *)user)->target;
    cli_estimate_t e;
    /* compile_job_open says why a model does not build on stderr; the search records it as unbuildable */
    if (cli_estimate(path, target, &e, err, errlen)) return -1;
    *fits = e.fits;
    *flash = e.flash;
    *ram = e.ram;
    *ms = e.ms;
    return 0;
}

/* Event lines scroll; on a terminal the status line stays under them, redrawn after each. */
static void progress(void *user, const char *line)
{
    view *v = user;
    if (v->quiet) return;
    if (v->tty) fprintf(stderr, "\r\033[K%s\n%.*s", line, v->cols - 1, v->status);
    else fprintf(stderr, "%s\n", line);
}

static void status(void *user, const am_status *s)
{
    view *v = user;
    if (v->quiet) return;
    int n = snprintf(v->status, sizeof v->status, "[%d trained, %d running", s->trained, s->running ? 1 : 0);
    if (s->running && n > 0 && (size_t)n < sizeof v->status)
        n += snprintf(v->status + n, sizeof v->status - (size_t)n, " (%s, %d epochs)", s->running, s->running_epochs);
    if (n > 0 && (size_t)n < sizeof v->status)
        n += snprintf(v->status + n, sizeof v->status - (size_t)n, "; %d of %d costed fit", s->fit, s->costed);
    if (s->best && n > 0 && (size_t)n < sizeof v->status)
        n += snprintf(v->status + n, sizeof v->status - (size_t)n, "; best %.2f %% at %.2f ms: %s", 100 * s->best_val,
                      s->best_ms, s->best);
    if (n > 0 && (size_t)n < sizeof v->status)
        snprintf(v->status + n, sizeof v->status - (size_t)n, "; %.0f s left]", s->left);
    if (v->tty) fprintf(stderr, "\r\033[K%.*s", v->cols - 1, v->status);
    else if (s->running) fprintf(stderr, "%s\n", v->status); /* a log: once per training started */
}

static double parse_budget(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (!(v > 0)) return -1;
    if (!*end || !strcmp(end, "s")) return v;
    if (!strcmp(end, "m")) return 60 * v;
    if (!strcmp(end, "h")) return 3600 * v;
    return -1;
}

static void print_table(const am_result *r)
{
    printf("%-44s %9s %9s %9s %7s %6s %9s %9s %s\n", "candidate", "flash KB", "RAM KB", "ms", "epochs", "val %",
           "test int8", "front", "");
    for (int i = 0; i < r->n_trials; i++) {
        const am_trial *t = &r->trials[i];
        if (!t->fits) {
            printf("%-44s %9.1f %9.1f %9.2f %7s %6s %9s %9s %s\n", t->key, t->flash / 1024, t->ram / 1024, t->ms, "-",
                   "-", "-", "", t->why ? t->why : "");
            continue;
        }
        if (!t->epochs) {
            printf("%-44s %9.1f %9.1f %9.2f %7s %6s %9s %9s %s\n", t->key, t->flash / 1024, t->ram / 1024, t->ms,
                   "-", "-", "-", "", "fits; not trained (out of time)");
            continue;
        }
        printf("%-44s %9.1f %9.1f %9.2f %7d %6.2f %8.2f%% %9s %s\n", t->key, t->flash / 1024, t->ram / 1024, t->ms,
               t->epochs, 100 * t->val_accuracy, 100 * t->test_int8, t->pareto ? "yes" : "",
               i == r->best ? "<- chosen" : "");
    }
}

static json_t *result_json(const am_result *r, const char *target)
{
    json_t *trials = json_array();
    for (int i = 0; i < r->n_trials; i++) {
        const am_trial *t = &r->trials[i];
        json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:i,s:b,s:f,s:f,s:f,s:i,s:b}", "candidate", t->key, "family",
                              t->c.family, "width", t->c.width, "depth", t->c.depth, "kernel", t->c.kernel, "fits",
                              t->fits, "flash", t->flash, "ram", t->ram, "ms", t->ms, "epochs", t->epochs, "pareto",
                              t->pareto);
        if (t->c.stride_ms) {
            json_object_set_new(o, "stride_ms", json_integer(t->c.stride_ms));
            json_object_set_new(o, "frame_strides", json_integer(t->c.frame_strides));
            json_object_set_new(o, "bins", json_integer(t->c.bins));
        }
        if (t->c.window) {
            json_object_set_new(o, "window", json_integer(t->c.window));
            json_object_set_new(o, "raw", json_boolean(t->c.raw));
            if (!t->c.raw) json_object_set_new(o, "bands", json_integer(t->c.bands));
        }
        json_object_set_new(o, "precision", json_string(t->precision ? t->precision : "int8"));
        if (t->why) json_object_set_new(o, "why", json_string(t->why));
        if (t->epochs) {
            json_object_set_new(o, "val_accuracy", json_real(t->val_accuracy));
            json_object_set_new(o, "test_int8", json_real(t->test_int8));
            json_object_set_new(o, "test_float", json_real(t->test_float));
            json_object_set_new(o, "train_seconds", json_real(t->seconds));
        }
        json_array_append_new(trials, o);
    }
    return json_pack("{s:s,s:i,s:f,s:f,s:i,s:s,s:o}", "target", target, "chosen", r->best, "seconds", r->seconds,
                     "first_valid_seconds", r->first_valid_s, "resumed", r->resumed, "best_dir", r->best_dir,
                     "trials", trials);
}

/* --verify: three test examples as the chosen model's raw inputs, then mote verify on the profile. */
static int verify_best(const tp_config *c, const am_result *r, const char *target)
{
    char model[1100], inputs[1100], err[512] = "";
    snprintf(model, sizeof model, "%s/model_int8.tflite", r->best_dir);
    snprintf(inputs, sizeof inputs, "%s/verify_inputs", r->best_dir);
    mote_ir_graph *g = mote_import_file(model, err, sizeof err);
    ds_options o;
    float raw_scale = 1;
    ds_dataset *ds = NULL;
    int rc = -1;
    if (!g || train_cli_data_for_model(c, g, &o, &raw_scale, "automl") || ds_load(c->data, &o, &ds, err, sizeof err)) {
        fprintf(stderr, "mote automl: --verify: %s\n", err);
        goto out;
    }
    size_t n = ds_count(ds, DS_TEST, -1), *idx = malloc(sizeof(size_t) * (n + 1));
    const mote_tensor *in = &g->tensors[g->inputs[0]].t;
    uint8_t *buf = malloc(in->bytes + 1);
    mkdir(inputs, 0777);
    if (idx && buf) ds_indices(ds, DS_TEST, idx);
    for (size_t k = 0; idx && buf && k < 3 && k < n; k++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/in_%02zu.bin", inputs, k);
        tp_example_input(in, ds->x + idx[(k * n) / 3] * ds->example_size, ds->example_size, raw_scale, buf);
        if (cli_write_file(path, buf, in->bytes)) goto out_free;
    }
    char *args[] = {"verify", model, "--target", (char *)target, "--inputs", inputs, NULL};
    rc = cmd_verify(6, args);
out_free:
    free(idx);
    free(buf);
out:
    mote_ir_free(g);
    ds_free(ds);
    return rc;
}

int cmd_automl(int argc, char **argv)
{
    if (argc > 1 && automl_remote_sub(argv[1])) return cmd_automl_remote(argc, argv);
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    tp_config c;
    tp_config_default(&c);
    c.train.seed = 1;
    am_config a = {.base = &c, .budget_s = 1200, .seed = 1, .bracket = 9, .min_epochs = 8, .max_epochs = 40};
    const char *target = NULL;
    int json = 0, quiet = 0, verify = 0, lines = 0;
    for (int i = 1; i < argc; i++) {
        int r = train_cli_data_option(&c, argc, argv, &i, "automl");
        if (r < 0) return 2;
        if (r) continue;
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--json")) json = quiet = 1;
        else if (!strcmp(o, "--verify")) verify = 1;
        else if (!strcmp(o, "--quiet")) quiet = 1;
        else if (!strcmp(o, "--progress")) lines = 1;
        else if (!v) {
            fprintf(stderr, "mote automl: %s: unknown option or missing value (see --help)\n", o);
            return 2;
        } else if (!strcmp(o, "-o") || !strcmp(o, "--output")) a.out_dir = argv[++i];
        else if (!strcmp(o, "--target")) target = argv[++i];
        else if (!strcmp(o, "--budget")) {
            if ((a.budget_s = parse_budget(argv[++i])) < 0) {
                fprintf(stderr, "mote automl: --budget wants a time like 90s, 20m or 1h, got %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(o, "--max-latency-ms")) a.max_ms = atof(argv[++i]);
        else if (!strcmp(o, "--max-ram")) a.max_ram = 1024 * atof(argv[++i]);
        else if (!strcmp(o, "--max-flash")) a.max_flash = 1024 * atof(argv[++i]);
        else if (!strcmp(o, "--objective")) {
            const char *ob = argv[++i];
            if (strcmp(ob, "accuracy") && strcmp(ob, "latency")) {
                fprintf(stderr, "mote automl: --objective %s: must be accuracy or latency (energy is not supported: "
                                "the device profiles carry no power figure to turn time into energy)\n", ob);
                return 2;
            }
            a.objective_latency = !strcmp(ob, "latency");
        } else if (!strcmp(o, "--bracket") || !strcmp(o, "--brackets") || !strcmp(o, "--min-epochs") || !strcmp(o, "--max-epochs") ||
                   !strcmp(o, "--seed") || !strcmp(o, "--threads")) {
            long n = cli_parse_count(o, argv[++i]);
            if (n < 0) return 2;
            if (!strcmp(o, "--bracket")) a.bracket = (int)n;
            else if (!strcmp(o, "--brackets")) a.max_brackets = (int)n;
            else if (!strcmp(o, "--min-epochs")) a.min_epochs = (int)n;
            else if (!strcmp(o, "--max-epochs")) a.max_epochs = (int)n;
            else if (!strcmp(o, "--seed")) a.seed = (unsigned long)n, c.train.seed = (uint64_t)n;
            else a.threads = (int)n;
        } else {
            fprintf(stderr, "mote automl: %s: unknown option (see --help)\n", o);
            return 2;
        }
    }
    if (!c.data || !c.task || !target || !a.out_dir) {
        fprintf(stderr, "mote automl: --data DIR, --task, --target PROFILE and -o OUT are required (see --help)\n");
        return 2;
    }
    if (a.min_epochs > a.max_epochs) a.min_epochs = a.max_epochs;
    view vw = {target, quiet && !lines, isatty(2), 80, ""};
    struct winsize ws;
    if (vw.tty && !ioctl(2, TIOCGWINSZ, &ws) && ws.ws_col > 10) vw.cols = ws.ws_col;
    a.cost = cost;
    a.progress = progress;
    a.status = status;
    a.user = &vw;
    am_result r;
    char err[1024] = "";
    int rc = am_run(&a, &r, err, sizeof err);
    if (vw.tty && !quiet) fputs("\r\033[K", stderr);
    if (!rc && r.best >= 0) {
        if (!quiet) fprintf(stderr, "precision: int4 / mixed weights for the best front points...\n");
        if (am_precision_pass(&r, &a, target, 3, quiet, err, sizeof err)) {
            fprintf(stderr, "mote automl: precision: %s\n", err);
            rc = -1;
        }
    }
    if (r.n_trials) {
        char path[1100];
        am_report_info info = {c.data, c.task, target, a.budget_s};
        snprintf(path, sizeof path, "%s/report.html", a.out_dir);
        if (am_report_write_html(&r, &info, path)) rc = -1;
    }
    if (rc) fprintf(stderr, "mote automl: %s\n", err);
    if (json) {
        json_t *doc = result_json(&r, target);
        char *t = json_dumps(doc, JSON_INDENT(2));
        if (t) printf("%s\n", t);
        free(t);
        json_decref(doc);
    } else if (r.n_trials) {
        print_table(&r);
        if (r.best >= 0) {
            const am_trial *b = &r.trials[r.best];
            printf("chosen: %s: validation %.2f %%, test int8 %.2f %%, %.2f ms, %.1f KB flash, %.1f KB RAM on %s -> "
                   "%s/model_int8.tflite\n",
                   b->key, 100 * b->val_accuracy, 100 * b->test_int8, b->ms, b->flash / 1024, b->ram / 1024, target,
                   r.best_dir);
            printf("%d candidates, %d resumed from automl.db; first trained model that fits after %.0f s; %.0f s in all\n",
                   r.n_trials, r.resumed, r.first_valid_s, r.seconds);
        }
    }
    if (!rc && verify && r.best >= 0 && verify_best(&c, &r, target)) rc = -1;
    am_result_free(&r);
    return rc ? 1 : 0;
}
