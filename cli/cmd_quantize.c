/* mote quantize: post-training quantization of a float model (compiler/quant) calibrated on real data,
 * written as an int8 TFLite file and checked against the float model on the calibration samples. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/tflite_write.h"
#include "cli.h"
#include "host_model.h"
#include "import/import.h"
#include "ir/build.h"
#include "labelled.h"
#include "quant/lowbit.h"
#include "quant/mixed.h"
#include "quant/quant.h"
#include "quant_mixed.h"
#include "quant_report.h"
#include "train_cli.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote quantize MODEL --calib DIR -o OUT.tflite [options]\n\n"
            "Quantizes a float model (TFLite) to int8 the way TFLite does it (per-channel int8 weights, per-tensor\n"
            "int8 activations, int32 biases), with activation ranges calibrated on real data, and checks the\n"
            "result against the float model on those samples. Score it on other data with mote classify / eval.\n\n"
            "Calibration data:\n"
            "  --calib DIR        a folder with y_labels.csv and raw input files (as mote classify reads),\n"
            "                     or a training dataset (as mote train reads; its train split is used)\n"
            CLI_INPUT_HELP
            "  --skip N           leave out the first N files of y_labels.csv\n"
            "  --limit N          calibrate on at most N samples (default 300)\n"
            "Quantization:\n"
            "  --bits 8|4|1|auto  weight bits: 8 (default); 4: every conv/depthwise/dense filter int4 (two per\n"
            "                     byte, per-channel scales; activations stay int8); 1: binary filters (+-alpha,\n"
            "                     8 per byte, alpha = mean |w| per channel) except the first and last weight\n"
            "                     layers, kept int8; auto: mixed precision (int8 or int4), each layer's width\n"
            "                     chosen for --target within --max-drop (docs/quantization.md)\n"
            "  --binary-all       with --bits 1: the first and last weight layers binary too\n"
            "  --target P         the device profile --bits auto costs candidates on (flash, latency estimate)\n"
            "  --max-drop PP      accuracy points below the float model allowed on the calibration samples (1)\n"
            "  --method M         activation ranges: minmax, percentile (default), mse, or auto (per tensor,\n"
            "                     the least quantization error of the three); min/max always for the model's\n"
            "                     inputs, outputs and the logits a SOFTMAX reads\n"
            "  --percentile P     central share kept by percentile (default 99.99)\n"
            "  --no-bias-correction  keep the float biases (default: subtract the mean output error that\n"
            "                     quantizing each layer's weights adds, measured on the calibration data)\n"
            "  --fc-per-channel   per-unit FULLY_CONNECTED weight scales (default per tensor, as TFLite)\n"
            "  --float-io         keep float input and output (QUANTIZE / DEQUANTIZE inside the model)\n"
            "Output:\n"
            "  -o, --output F     the int8 .tflite file\n"
            "  --report F.html    a report: sizes, accuracy, each activation's range and SQNR as plots\n"
            "  --json             the summary (and each activation's range) as JSON\n"
            "  --quiet            no progress\n"
            "%s",
            TRAIN_DATA_HELP);
}

typedef struct {
    int dataset;            /* 0: labelled folder; 1: training dataset */
    cli_labelled set;
    cli_sample *samples;    /* labelled folder: its inputs (one per file, or per window) */
    cli_input_conv conv;
    ds_dataset *ds;
    size_t *idx;
    float raw_scale;
    long n;
    const mote_tensor *in;  /* the model being fed */
    int bar;
} source;

static int label_of(const source *s, long i)
{
    return s->dataset ? s->ds->label[s->idx[i]] : s->set.labels[s->samples[i].file];
}

static int feed(source *s, long i, const mote_tensor *in, uint8_t *dst, char *err, size_t errlen)
{
    if (s->dataset) {
        tp_example_input(in, s->ds->x + s->idx[i] * s->ds->example_size, s->ds->example_size, s->raw_scale, dst);
        return 0;
    }
    if (cli_labelled_input(&s->set, &s->samples[i], in, &s->conv, dst, "quantize")) {
        if (errlen) err[0] = 0; /* said on stderr already */
        return -1;
    }
    return 0;
}

static int fetch(void *user, long i, uint8_t *input, char *err, size_t errlen)
{
    source *s = user;
    return feed(s, i, s->in, input, err, errlen);
}

static void progress(void *user, int pass, long done, long n)
{
    const source *s = user;
    if (!s->bar) return;
    int w = 30, k = (int)(w * done / (n ? n : 1));
    fprintf(stderr, "\rcalibrating %s [%.*s%*s] %ld/%ld", pass ? "histograms" : "ranges    ", k,
            "##############################", w - k, "", done, n);
    if (pass == 1 && done == n) fputc('\n', stderr);
}

static int open_source(source *s, const char *dir, long skip, long limit, const tp_config *c, const mote_ir_graph *g)
{
    if (cli_labelled_exists(dir)) {
        if (cli_labelled_open(dir, skip, limit, "quantize", &s->set)) return -1;
        return cli_labelled_samples(&s->set, &s->samples, &s->n, "quantize");
    }
    s->dataset = 1;
    tp_config dc = *c;
    dc.data = dir;
    ds_options o;
    if (train_cli_data_for_model(&dc, g, &o, &s->raw_scale, "quantize")) return -1;
    char err[1024] = "";
    if (ds_load(dir, &o, &s->ds, err, sizeof err)) {
        fprintf(stderr, "mote quantize: %s\n", err);
        return -1;
    }
    size_t n = ds_count(s->ds, DS_TRAIN, -1);
    if (!n || s->ds->example_size * mote_dtype_size((mote_dtype)s->in->type) != s->in->bytes) {
        fprintf(stderr, "mote quantize: %s: %s (model input %zu bytes, %zu values per example)\n", dir,
                n ? "the examples do not fit the model's input" : "no training examples", s->in->bytes,
                s->ds->example_size);
        return -1;
    }
    s->idx = malloc(sizeof(size_t) * n);
    if (!s->idx) return -1;
    ds_indices(s->ds, DS_TRAIN, s->idx);
    /* an even spread over the split: its files come in class or speaker order */
    s->n = limit > 0 && (size_t)limit < n ? limit : (long)n;
    for (long i = 0; i < s->n; i++) s->idx[i] = s->idx[(size_t)i * n / (size_t)s->n];
    return 0;
}

static int argmax(const mote_tensor *t, const uint8_t *y)
{
    size_t n = t->bytes / mote_dtype_size((mote_dtype)t->type);
    int best = 0;
    for (size_t k = 1; k < n; k++) {
        double a = t->type == MOTE_F32 ? ((const float *)(const void *)y)[k] : ((const int8_t *)y)[k];
        double b = t->type == MOTE_F32 ? ((const float *)(const void *)y)[best] : ((const int8_t *)y)[best];
        if (a > b) best = (int)k;
    }
    return best;
}

typedef struct {
    long n, float_right, int8_right, agree;
    double diff2, ref2;     /* sums of (int8 - float)^2 and float^2 over the outputs */
    int autoencoder;        /* output shaped as the input: top-1 means nothing */
} check;

static double out_real(const mote_tensor *t, const uint8_t *b, size_t i)
{
    if (t->type == MOTE_F32) return ((const float *)(const void *)b)[i];
    return t->q.n >= 1 ? t->q.scale[0] * (((const int8_t *)b)[i] - t->q.zero_point[0]) : ((const int8_t *)b)[i];
}

/* Both models on every calibration sample: top-1 accuracy of each and how often they agree. */
static int run_check(source *s, mote_host_model *fm, mote_host_model *qm, check *ck, char *err, size_t errlen)
{
    const mote_tensor *fi = &fm->m.tensors[fm->m.inputs[0]], *qi = &qm->m.tensors[qm->m.inputs[0]];
    const mote_tensor *fo = &fm->m.tensors[fm->m.outputs[0]], *qo = &qm->m.tensors[qm->m.outputs[0]];
    uint8_t *a = malloc(fi->bytes + 1), *b = malloc(qi->bytes + 1), *ya = malloc(mote_host_output_bytes(fm) + 1),
            *yb = malloc(mote_host_output_bytes(qm) + 1);
    int rc = a && b && ya && yb ? 0 : -1;
    memset(ck, 0, sizeof *ck);
    ck->autoencoder = fo->bytes / mote_dtype_size((mote_dtype)fo->type) == fi->bytes / sizeof(float) &&
                      fi->type == MOTE_F32;
    for (long i = 0; !rc && i < s->n; i++) {
        if (feed(s, i, fi, a, err, errlen) || feed(s, i, qi, b, err, errlen)) {
            rc = -1;
            break;
        }
        mote_host_run(fm, a, ya);
        mote_host_run(qm, b, yb);
        for (size_t k = 0, m = fo->bytes / mote_dtype_size((mote_dtype)fo->type); k < m; k++) {
            double f = out_real(fo, ya, k), d = out_real(qo, yb, k) - f;
            ck->diff2 += d * d;
            ck->ref2 += f * f;
        }
        int pf = argmax(fo, ya), pq = argmax(qo, yb), y = label_of(s, i);
        ck->n++;
        ck->float_right += pf == y;
        ck->int8_right += pq == y;
        ck->agree += pf == pq;
    }
    free(a);
    free(b);
    free(ya);
    free(yb);
    return rc;
}

static void print_summary(const char *model, const char *out, size_t in_len, size_t out_len, const mote_ptq_opts *o,
                          const mote_ptq_report *r, const check *ck, const mote_mixed_result *mixed,
                          const mote_ir_graph *q, int bits, int n4, int json)
{
    int by[3] = {0, 0, 0};
    for (int32_t i = 0; i < r->n_acts; i++) by[r->acts[i].method]++;
    if (!json) {
        printf("%s -> %s: int8, %d activations (%s: %d min/max, %d percentile, %d mse), %d weight tensors, %d biases "
               "corrected\n",
               model, out, (int)r->n_acts, mote_range_method_name(o->method), by[0], by[1], by[2], (int)r->n_weights,
               (int)r->n_bias_corrected);
        printf("  file: %zu -> %zu bytes\n", in_len, out_len);
        if (bits == 4) printf("  int4 weights: %d layers\n", n4);
        if (bits == 1) printf("  binary weights: %d layers\n", n4);
        if (mixed) quant_mixed_print(stdout, mixed, q);
        if (ck->n && !ck->autoencoder)
            printf("  on the %ld calibration samples: float %.2f%%, %s %.2f%%, same top-1 %.2f%%\n", ck->n,
                   100.0 * ck->float_right / ck->n, bits == 1 ? "binary" : bits == 4 ? "int4" : bits == 0 ? "mixed" : "int8",
                   100.0 * ck->int8_right / ck->n, 100.0 * ck->agree / ck->n);
        if (ck->n)
            printf("  output error against float: %.2f%% of its RMS\n", ck->ref2 > 0 ? 100.0 * sqrt(ck->diff2 / ck->ref2) : 0.0);
        return;
    }
    json_t *acts = json_array();
    for (int32_t i = 0; i < r->n_acts; i++) {
        const mote_act_choice *a = &r->acts[i];
        json_array_append_new(acts, json_pack("{s:i,s:s,s:f,s:f,s:f,s:f,s:i}", "tensor", (int)a->tensor, "method",
                                              mote_range_method_name(a->method), "lo", a->lo, "hi", a->hi, "mse",
                                              a->mse, "scale", (double)a->scale, "zero_point", (int)a->zero_point));
    }
    json_t *doc = json_pack("{s:s,s:s,s:s,s:I,s:I,s:i,s:i,s:I,s:o}", "model", model, "output", out, "method",
                            mote_range_method_name(o->method), "bytes_in", (json_int_t)in_len, "bytes_out",
                            (json_int_t)out_len, "weights", (int)r->n_weights, "bias_corrected",
                            (int)r->n_bias_corrected, "calibration_samples", (json_int_t)ck->n, "activations", acts);
    json_object_set_new(doc, "bits", bits ? json_integer(bits) : json_string("auto"));
    if (bits == 4) json_object_set_new(doc, "int4_layers", json_integer(n4));
    if (bits == 1) json_object_set_new(doc, "binary_layers", json_integer(n4));
    if (mixed) json_object_set_new(doc, "mixed", quant_mixed_json(mixed, q));
    if (ck->n) json_object_set_new(doc, "output_rel_rms_error", json_real(ck->ref2 > 0 ? sqrt(ck->diff2 / ck->ref2) : 0.0));
    if (ck->n && !ck->autoencoder) {
        json_object_set_new(doc, "float_accuracy", json_real((double)ck->float_right / ck->n));
        json_object_set_new(doc, "int8_accuracy", json_real((double)ck->int8_right / ck->n));
        json_object_set_new(doc, "top1_agreement", json_real((double)ck->agree / ck->n));
    }
    char *t = json_dumps(doc, JSON_INDENT(2));
    if (t) printf("%s\n", t);
    free(t);
    json_decref(doc);
}

static int feed_any(void *src, long i, const mote_tensor *in, uint8_t *dst, char *err, size_t errlen)
{
    return feed(src, i, in, dst, err, errlen);
}

static void mixed_progress(void *user, int stage, int done, int n)
{
    const quant_mixed_ctx *c = user;
    if (c->bar)
        fprintf(stderr, "\rmixed precision: %s %d/%d   %s", stage ? "search     " : "sensitivity", done, n,
                stage && done == n ? "\n" : "");
}

/* --bits auto: the float model's outputs on the calibration samples, then the search; *q becomes the chosen
 * graph. */
static int choose_mixed(source *s, mote_host_model *fm, mote_ir_graph **q, const char *target, double max_drop,
                        mote_mixed_result *r, char *err, size_t errlen)
{
    const mote_tensor *fi = &fm->m.tensors[fm->m.inputs[0]], *fo = &fm->m.tensors[fm->m.outputs[0]];
    const size_t out_n = fo->bytes / mote_dtype_size((mote_dtype)fo->type);
    quant_mixed_ctx c = {.n = s->n, .feed = feed_any, .src = s, .out_n = out_n, .target = target, .bar = s->bar};
    int *labels = malloc(sizeof(int) * (size_t)(s->n + 1));
    double *ref = malloc(sizeof(double) * out_n * (size_t)(s->n + 1));
    uint8_t *x = malloc(fi->bytes + 1), *y = malloc(mote_host_output_bytes(fm) + 1);
    int rc = -1;
    long right = 0;
    snprintf(c.dir, sizeof c.dir, "/tmp/mote_mixed_XXXXXX");
    if (!labels || !ref || !x || !y || !mkdtemp(c.dir)) {
        snprintf(err, errlen, "out of memory or no temporary folder");
        c.dir[0] = 0;
        goto out;
    }
    for (long i = 0; i < s->n; i++) {
        if (feed(s, i, fi, x, err, errlen)) goto out;
        mote_host_run(fm, x, y);
        size_t best = 0;
        for (size_t k = 0; k < out_n; k++) {
            ref[(size_t)i * out_n + k] = out_real(fo, y, k);
            if (ref[(size_t)i * out_n + k] > ref[(size_t)i * out_n + best]) best = k;
        }
        labels[i] = label_of(s, i);
        right += (int)best == labels[i];
    }
    c.labels = labels;
    c.ref = ref;
    if (mote_mixed_search(*q, (double)right / (double)s->n, max_drop, quant_mixed_eval, quant_mixed_cost,
                          mixed_progress, &c, r, err, errlen))
        goto out;
    mote_ir_graph *chosen = mote_mixed_apply(*q, r, r->chosen, err, errlen);
    if (!chosen) goto out;
    mote_ir_free(*q);
    *q = chosen;
    rc = 0;
out:
    if (c.dir[0]) rmdir(c.dir);
    free(labels);
    free(ref);
    free(x);
    free(y);
    return rc;
}

int cmd_quantize(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    tp_config c;
    tp_config_default(&c);
    mote_ptq_opts o = mote_ptq_defaults();
    source s = {.conv = {CLI_FROM_RAW, 1.0, 0.0}};
    const char *model = NULL, *calib = NULL, *out = NULL, *report = NULL, *target = NULL;
    int bits = 8, binary_all = 0;
    double max_drop = 1.0;
    long skip = 0, limit = 300;
    int json = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_input_option(&s.conv, argc, argv, &i, "quantize");
        if (!r) r = train_cli_data_option(&c, argc, argv, &i, "quantize");
        if (r < 0) return 2;
        if (r) continue;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) json = quiet = 1;
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "--no-bias-correction")) o.bias_correction = 0;
        else if (!strcmp(a, "--fc-per-channel")) o.fc_per_channel = 1;
        else if (!strcmp(a, "--float-io")) o.float_io = 1;
        else if (!strcmp(a, "--binary-all")) binary_all = 1;
        else if (a[0] == '-' && !v) {
            fprintf(stderr, "mote quantize: %s: unknown option or missing value (see --help)\n", a);
            return 2;
        } else if (!strcmp(a, "--calib")) calib = argv[++i];
        else if (!strcmp(a, "--report")) report = argv[++i];
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = argv[++i];
        else if (!strcmp(a, "--skip") || !strcmp(a, "--limit")) {
            long n = cli_parse_count(a, argv[++i]);
            if (n < 0) return 2;
            *(a[2] == 's' ? &skip : &limit) = n;
        } else if (!strcmp(a, "--method")) {
            if (mote_range_method_parse(argv[++i], &o.method)) {
                fprintf(stderr, "mote quantize: --method must be minmax, percentile, mse or auto\n");
                return 2;
            }
        } else if (!strcmp(a, "--percentile")) {
            o.percentile = atof(argv[++i]);
            if (!(o.percentile > 50.0 && o.percentile <= 100.0)) {
                fprintf(stderr, "mote quantize: --percentile must be in (50, 100]\n");
                return 2;
            }
        } else if (!strcmp(a, "--bits")) {
            const char *b = argv[++i];
            bits = !strcmp(b, "8") ? 8 : !strcmp(b, "4") ? 4 : !strcmp(b, "1") ? 1 : !strcmp(b, "auto") ? 0 : -1;
            if (bits < 0) {
                fprintf(stderr, "mote quantize: --bits must be 8, 4, 1 or auto, not %s\n", b);
                return 2;
            }
        } else if (!strcmp(a, "--target")) target = argv[++i];
        else if (!strcmp(a, "--max-drop")) {
            max_drop = atof(argv[++i]);
            if (!(max_drop >= 0 && max_drop <= 100)) {
                fprintf(stderr, "mote quantize: --max-drop wants accuracy points (0..100), got %s\n", argv[i]);
                return 2;
            }
        } else if (a[0] != '-' && !model) model = a;
        else {
            fprintf(stderr, "mote quantize: %s: unknown option or argument (see --help)\n", a);
            return 2;
        }
    }
    if (!model || !calib || !out) {
        fprintf(stderr, "mote quantize: MODEL, --calib DIR and -o OUT are required (see --help)\n");
        return 2;
    }
    if (binary_all && bits != 1) {
        fprintf(stderr, "mote quantize: --binary-all goes with --bits 1\n");
        return 2;
    }
    if (bits == 0 && !target) {
        fprintf(stderr, "mote quantize: --bits auto needs --target PROFILE (the device it chooses for)\n");
        return 2;
    }
    char err[1024] = "";
    size_t in_len = 0;
    uint8_t *bytes = cli_read_file(model, &in_len);
    mote_ir_graph *g = bytes ? mote_import(bytes, in_len, model, err, sizeof err) : NULL;
    if (!g) {
        if (bytes) fprintf(stderr, "mote quantize: %s\n", err);
        return 1;
    }
    int rc = 1;
    mote_calib *cal = NULL;
    mote_ir_graph *q = NULL;
    mote_host_model *fm = NULL, *qm = NULL;
    mote_ptq_report rep = {0};
    mote_mixed_result mixed = {0};
    uint8_t *tfl = NULL;
    size_t tfl_len = 0;
    check ck = {0};
    if (g->n_inputs != 1 || g->n_outputs < 1) {
        fprintf(stderr, "mote quantize: %s: needs one input (it has %d)\n", model, (int)g->n_inputs);
        goto done;
    }
    s.in = &g->tensors[g->inputs[0]].t;
    s.bar = !quiet && isatty(2);
    if (open_source(&s, calib, skip, limit, &c, g)) goto done;
    if (!(cal = mote_calib_new(g, &o, err, sizeof err)) || mote_calib_run(cal, s.n, fetch, progress, &s, err, sizeof err) ||
        !(q = mote_ptq(g, cal, &o, &rep, err, sizeof err))) {
        if (err[0]) fprintf(stderr, "mote quantize: %s: %s\n", model, err);
        goto done;
    }
    mote_ir_graph *gc = mote_ir_clone(g, err, sizeof err);
    if (!gc || !(fm = mote_host_model_new(gc, model, err, sizeof err))) {
        fprintf(stderr, "mote quantize: %s: %s\n", model, err);
        goto done;
    }
    int32_t n4 = 0;
    if (bits == 4 && mote_lowbit_all(q, 4, &n4, err, sizeof err)) {
        fprintf(stderr, "mote quantize: %s: int4: %s\n", model, err);
        goto done;
    }
    if (bits == 1 && mote_lowbit_all_keep(q, 1, !binary_all, &n4, err, sizeof err)) {
        fprintf(stderr, "mote quantize: %s: binary: %s\n", model, err);
        goto done;
    }
    if (bits == 0 && choose_mixed(&s, fm, &q, target, max_drop / 100.0, &mixed, err, sizeof err)) {
        if (err[0]) fprintf(stderr, "mote quantize: %s: --bits auto: %s\n", model, err);
        goto done;
    }
    if (mote_tflite_write(q, &tfl, &tfl_len, err, sizeof err)) {
        fprintf(stderr, "mote quantize: %s: %s\n", out, err);
        goto done;
    }
    if (cli_write_file(out, tfl, tfl_len)) goto done;
    /* the file as written, read back, against the float model */
    mote_ir_graph *qr = mote_import_bytes(tfl, tfl_len, out, err, sizeof err);
    qm = qr ? mote_host_model_new(qr, out, err, sizeof err) : NULL;
    if (!qm) {
        fprintf(stderr, "mote quantize: checking %s: %s\n", out, err);
        goto done;
    }
    if (run_check(&s, fm, qm, &ck, err, sizeof err)) {
        if (err[0]) fprintf(stderr, "mote quantize: checking %s: %s\n", out, err);
        goto done;
    }
    if (report) {
        quant_report qr = {.model = model, .output = out, .g = g, .calib = cal, .opts = &o, .rep = &rep,
                           .samples = s.n, .bytes_in = in_len, .bytes_out = tfl_len, .has_accuracy = ck.n && !ck.autoencoder,
                           .float_accuracy = ck.n ? (double)ck.float_right / ck.n : 0, .int8_accuracy = ck.n ? (double)ck.int8_right / ck.n : 0,
                           .agreement = ck.n ? (double)ck.agree / ck.n : 0,
                           .output_rel_error = ck.ref2 > 0 ? sqrt(ck.diff2 / ck.ref2) : 0,
                           .mixed = mixed.n_points ? &mixed : NULL, .q = q, .target = target};
        if (quant_report_write_html(&qr, report)) goto done;
    }
    print_summary(model, out, in_len, tfl_len, &o, &rep, &ck, mixed.n_points ? &mixed : NULL, q, bits, n4, json);
    rc = 0;
done:
    mote_host_model_free(fm);
    mote_host_model_free(qm);
    mote_ptq_report_free(&rep);
    mote_mixed_free(&mixed);
    free(tfl);
    mote_ir_free(q);
    mote_calib_free(cal);
    mote_ir_free(g);
    cli_labelled_free(&s.set);
    ds_free(s.ds);
    free(s.idx);
    free(s.samples);
    return rc;
}
