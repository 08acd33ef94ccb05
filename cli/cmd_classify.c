/* mote classify: run a classifier over a labelled folder (EEMBC y_labels.csv)
 * and report each prediction and the top-1 accuracy. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "host_model.h"
#include "labelled.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote classify MODEL DIR [options]\n\n"
            "Runs MODEL on every file listed in DIR/y_labels.csv (lines 'file,num_classes,label')\n"
            "and prints each predicted class and the top-1 accuracy.\n\n"
            "  --labels a,b,c     class names, in output order (default: class numbers)\n"
            CLI_INPUT_HELP
            "  --skip N           leave out the first N files (e.g. those mote quantize calibrated on)\n"
            "  --limit N          only the first N files (after --skip)\n"
            "  --min-accuracy A   exit 1 if the accuracy (0..1) is below A\n"
            "  --anomaly          MODEL is an autoencoder (output shaped as its input); label 1 = anomaly:\n"
            "                     a file's score is its mean squared reconstruction error over its inputs\n"
            "                     (windows when y_labels.csv gives window_bytes,stride_bytes); prints the AUC\n"
            "  --min-auc A        with --anomaly: exit 1 if the AUC is below A\n"
            "  --quiet            print only the summary\n"
            "  --json             print the summary as JSON\n");
}

/* Index of the largest output (quantized outputs keep the order of reals). */
static int argmax(const mote_tensor *t, const uint8_t *out)
{
    int64_t n = mote_tensor_elems(t);
    int best = 0;
    double bv = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double v = t->type == MOTE_F32 ? ((const float *)out)[i]
                   : t->type == MOTE_I8 ? ((const int8_t *)out)[i]
                                        : ((const uint8_t *)out)[i];
        if (v > bv) {
            bv = v;
            best = (int)i;
        }
    }
    return best;
}

/* A value of tensor t as a real number. */
static double real_at(const mote_tensor *t, const uint8_t *b, size_t i)
{
    if (t->type == MOTE_F32) return ((const float *)(const void *)b)[i];
    double q = t->type == MOTE_I8 ? ((const int8_t *)b)[i] : b[i];
    return t->q.n >= 1 ? t->q.scale[0] * (q - t->q.zero_point[0]) : q;
}

/* The probability that a random anomaly scores above a random normal file (ties count half). */
static double auc(const double *score, const int *label, long n)
{
    double above = 0.0, pairs = 0.0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++)
            if (label[i] == 1 && label[j] == 0) {
                pairs += 1.0;
                above += score[i] > score[j] ? 1.0 : score[i] == score[j] ? 0.5 : 0.0;
            }
    return pairs > 0.0 ? above / pairs : NAN;
}

/* --anomaly: each file's mean squared reconstruction error, then the AUC over the files. */
static int anomaly_scores(mote_host_model *hm, cli_labelled *set, const cli_sample *samples, long n_samples,
                          const cli_input_conv *conv, uint8_t *in, uint8_t *out, const char *model, const char *dir,
                          int as_json, double min_auc)
{
    const mote_tensor *tin = &hm->m.tensors[hm->m.inputs[0]], *tout = &hm->m.tensors[hm->m.outputs[0]];
    const size_t n = tin->bytes / mote_dtype_size((mote_dtype)tin->type);
    if (tout->bytes / mote_dtype_size((mote_dtype)tout->type) != n) {
        fprintf(stderr, "mote classify: %s: --anomaly needs an autoencoder (as many outputs as inputs)\n", model);
        return 1;
    }
    double *score = calloc((size_t)set->n, sizeof(double));
    long *count = calloc((size_t)set->n, sizeof(long));
    int rc = 1;
    if (!score || !count) goto out;
    for (long i = 0; i < n_samples; i++) {
        if (cli_labelled_input(set, &samples[i], tin, conv, in, "classify")) goto out;
        /* the input's real values, as the model sees them (after its own quantization) */
        double err = 0.0;
        mote_host_run(hm, in, out);
        for (size_t k = 0; k < n; k++) {
            double d = real_at(tout, out, k) - real_at(tin, in, k);
            err += d * d;
        }
        score[samples[i].file] += err / (double)n;
        count[samples[i].file]++;
    }
    for (long f = 0; f < set->n; f++) score[f] /= (double)(count[f] ? count[f] : 1);
    double a = auc(score, set->labels, set->n);
    if (as_json) {
        json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:f}", "model", model, "data", dir, "files", (json_int_t)set->n,
                              "inputs", (json_int_t)n_samples, "auc", a);
        char *s = json_dumps(j, 0);
        puts(s);
        free(s);
        json_decref(j);
    } else {
        printf("AUC: %.4f (%ld files, %ld inputs)\n", a, set->n, n_samples);
    }
    rc = 0;
    if (isnan(a)) fprintf(stderr, "mote classify: no AUC: the files need both labels, 0 (normal) and 1 (anomaly)\n");
    if (min_auc > 0.0 && !(a >= min_auc)) {
        fprintf(stderr, "mote classify: AUC %.4f is below --min-auc %.4f\n", a, min_auc);
        rc = 1;
    }
out:
    free(score);
    free(count);
    return rc;
}

int cmd_classify(int argc, char **argv)
{
    const char *model = NULL, *dir = NULL, *labels_arg = NULL;
    int quiet = 0, as_json = 0;
    cli_input_conv conv = {CLI_FROM_RAW, 1.0, 0.0};
    double min_acc = 0.0, min_auc = 0.0;
    long limit = -1, skip = 0;
    int anomaly = 0;
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_input_option(&conv, argc, argv, &i, "classify");
        if (r < 0) return 2;
        if (r) continue;
        int takes = !strcmp(a, "--labels") || !strcmp(a, "--limit") || !strcmp(a, "--skip") ||
                    !strcmp(a, "--min-accuracy") || !strcmp(a, "--min-auc");
        if (takes && i + 1 >= argc) {
            fprintf(stderr, "mote classify: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--labels")) labels_arg = argv[++i];
        else if (!strcmp(a, "--min-accuracy")) min_acc = atof(argv[++i]);
        else if (!strcmp(a, "--min-auc")) min_auc = atof(argv[++i]);
        else if (!strcmp(a, "--anomaly")) anomaly = 1;
        else if (!strcmp(a, "--limit")) {
            if ((limit = cli_parse_count("--limit", argv[++i])) < 0) return 2;
        } else if (!strcmp(a, "--skip")) {
            if ((skip = cli_parse_count("--skip", argv[++i])) < 0) return 2;
        } else if (!strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "--json")) as_json = quiet = 1;
        else if (a[0] == '-') {
            fprintf(stderr, "mote classify: unknown option %s\n", a);
            return 2;
        } else if (!model) model = a;
        else if (!dir) dir = a;
        else {
            fprintf(stderr, "mote classify: unexpected argument %s\n", a);
            return 2;
        }
    }
    if (!model || !dir) {
        help(stderr);
        return 2;
    }
    char err[512];
    mote_host_model *hm = mote_host_model_load(model, err, sizeof err);
    if (!hm) {
        fprintf(stderr, "mote classify: %s\n", err);
        return 1;
    }
    int rc = 1;
    char *labels_buf = NULL;
    const char *labels[256];
    int n_labels = 0;
    cli_labelled set = {0};
    cli_sample *samples = NULL;
    long n_samples = 0;
    uint8_t *in = NULL, *out = NULL;
    if (hm->m.n_inputs != 1 || hm->m.n_outputs != 1) {
        fprintf(stderr, "mote classify: %s: needs exactly one input and one output\n", model);
        goto done;
    }
    const mote_tensor *tin = &hm->m.tensors[hm->m.inputs[0]];
    const mote_tensor *tout = &hm->m.tensors[hm->m.outputs[0]];
    if (labels_arg) {
        labels_buf = strdup(labels_arg);
        for (char *tok = strtok(labels_buf, ","); tok && n_labels < 256; tok = strtok(NULL, ","))
            labels[n_labels++] = tok;
        if (n_labels != mote_tensor_elems(tout)) {
            fprintf(stderr, "mote classify: %d labels given, the model has %lld outputs\n", n_labels,
                    (long long)mote_tensor_elems(tout));
            goto done;
        }
    }
    if (cli_labelled_open(dir, skip, limit, "classify", &set) ||
        cli_labelled_samples(&set, &samples, &n_samples, "classify"))
        goto done;
    in = malloc(tin->bytes + 1);
    out = malloc(tout->bytes + 1);
    if (!in || !out) goto done;
    if (anomaly) {
        rc = anomaly_scores(hm, &set, samples, n_samples, &conv, in, out, model, dir, as_json, min_auc);
        goto done;
    }
    long total = 0, correct = 0;
    for (long i = 0; i < n_samples; i++) {
        const char *name = set.files[samples[i].file];
        int label = set.labels[samples[i].file];
        if (cli_labelled_input(&set, &samples[i], tin, &conv, in, "classify")) goto done;
        mote_host_run(hm, in, out);
        int pred = argmax(tout, out);
        total++;
        correct += pred == label;
        if (!quiet) {
            if (n_labels)
                printf("%-36s %-10s (true %-10s) %s\n", name, labels[pred],
                       label >= 0 && label < n_labels ? labels[label] : "?", pred == label ? "ok" : "MISS");
            else
                printf("%-36s class %d (true %d) %s\n", name, pred, label, pred == label ? "ok" : "MISS");
        }
    }
    if (total == 0) {
        fprintf(stderr, "mote classify: %s lists no files\n", dir);
        goto done;
    }
    double acc = (double)correct / (double)total;
    if (as_json) {
        json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:f}", "model", model, "data", dir, "files",
                              (json_int_t)total, "correct", (json_int_t)correct, "accuracy", acc);
        char *s = json_dumps(j, 0);
        puts(s);
        free(s);
        json_decref(j);
    } else {
        printf("accuracy: %ld/%ld = %.2f%%\n", correct, total, 100.0 * acc);
    }
    rc = 0;
    if (acc < min_acc) {
        fprintf(stderr, "mote classify: accuracy %.4f is below --min-accuracy %.4f\n", acc, min_acc);
        rc = 1;
    }
done:
    cli_labelled_free(&set);
    free(samples);
    free(labels_buf);
    free(in);
    free(out);
    mote_host_model_free(hm);
    return rc;
}
