/* mote classify: run a classifier over a labelled folder (EEMBC y_labels.csv)
 * and report each prediction and the top-1 accuracy. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "host_model.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote classify MODEL DIR [options]\n\n"
            "Runs MODEL on every file listed in DIR/y_labels.csv (lines 'file,num_classes,label')\n"
            "and prints each predicted class and the top-1 accuracy.\n\n"
            "  --labels a,b,c     class names, in output order (default: class numbers)\n"
            "  --from raw|u8|i8   input file element type (default raw: bytes fed as they are)\n"
            "  --in-scale S       with u8/i8: real value = (v - Z) * S (default 1)\n"
            "  --in-zero-point Z  (default 0); real values are then quantized for the model input\n"
            "  --limit N          only the first N files\n"
            "  --min-accuracy A   exit 1 if the accuracy (0..1) is below A\n"
            "  --quiet            print only the summary\n"
            "  --json             print the summary as JSON\n");
}

enum { FROM_RAW, FROM_U8, FROM_I8 };

/* Convert one file into the model's single input tensor. */
static int convert_input(const mote_tensor *t, const uint8_t *file, size_t len, int from, double s,
                         double z, uint8_t *dst)
{
    int64_t n = mote_tensor_elems(t);
    if (from == FROM_RAW) {
        if (len != t->bytes) return -1;
        memcpy(dst, file, len);
        return 0;
    }
    if ((int64_t)len != n) return -1;
    for (int64_t i = 0; i < n; i++) {
        double v = from == FROM_U8 ? (double)file[i] : (double)(int8_t)file[i];
        double real = (v - z) * s;
        if (t->type == MOTE_F32) {
            ((float *)dst)[i] = (float)real;
        } else if (t->type == MOTE_I8 && t->q.n >= 1) {
            double q = round(real / t->q.scale[0]) + t->q.zero_point[0];
            ((int8_t *)dst)[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
        } else {
            return -2;
        }
    }
    return 0;
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

int cmd_classify(int argc, char **argv)
{
    const char *model = NULL, *dir = NULL, *labels_arg = NULL;
    int from = FROM_RAW, quiet = 0, as_json = 0;
    double in_scale = 1.0, in_zp = 0.0, min_acc = 0.0;
    long limit = -1;
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int takes = !strcmp(a, "--labels") || !strcmp(a, "--from") || !strcmp(a, "--in-scale") ||
                    !strcmp(a, "--in-zero-point") || !strcmp(a, "--limit") ||
                    !strcmp(a, "--min-accuracy");
        if (takes && i + 1 >= argc) {
            fprintf(stderr, "mote classify: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--labels")) labels_arg = argv[++i];
        else if (!strcmp(a, "--from")) {
            const char *v = argv[++i];
            if (!strcmp(v, "raw")) from = FROM_RAW;
            else if (!strcmp(v, "u8")) from = FROM_U8;
            else if (!strcmp(v, "i8")) from = FROM_I8;
            else {
                fprintf(stderr, "mote classify: --from must be raw, u8 or i8\n");
                return 2;
            }
        } else if (!strcmp(a, "--in-scale")) in_scale = atof(argv[++i]);
        else if (!strcmp(a, "--in-zero-point")) in_zp = atof(argv[++i]);
        else if (!strcmp(a, "--min-accuracy")) min_acc = atof(argv[++i]);
        else if (!strcmp(a, "--limit")) {
            if ((limit = cli_parse_count("--limit", argv[++i])) < 0) return 2;
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
    FILE *csv = NULL;
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
    char path[4096];
    snprintf(path, sizeof path, "%s/y_labels.csv", dir);
    csv = fopen(path, "r");
    if (!csv) {
        fprintf(stderr, "mote classify: cannot open %s\n", path);
        goto done;
    }
    in = malloc(tin->bytes + 1);
    out = malloc(tout->bytes + 1);
    if (!in || !out) goto done;
    long total = 0, correct = 0, line_no = 0;
    char line[1024];
    while (fgets(line, sizeof line, csv) && (limit < 0 || total < limit)) {
        line_no++;
        char name[512];
        int ncls, label;
        if (sscanf(line, "%511[^,],%d,%d", name, &ncls, &label) != 3) {
            fprintf(stderr, "mote classify: %s line %ld: expected file,num_classes,label\n", path, line_no);
            goto done;
        }
        snprintf(path, sizeof path, "%s/%s", dir, name);
        size_t len = 0;
        uint8_t *file = cli_read_file(path, &len);
        if (!file) goto done;
        int c = convert_input(tin, file, len, from, in_scale, in_zp, in);
        free(file);
        if (c != 0) {
            fprintf(stderr, "mote classify: %s: %zu bytes do not fit the input %s tensor of %zu bytes\n",
                    path, len, mote_dtype_name((mote_dtype)tin->type), tin->bytes);
            goto done;
        }
        mote_reset(&hm->m);
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
    if (csv) fclose(csv);
    free(labels_buf);
    free(in);
    free(out);
    mote_host_model_free(hm);
    return rc;
}
