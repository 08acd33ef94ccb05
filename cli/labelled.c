/* Labelled folders (labelled.h). */
#include "labelled.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_labelled_exists(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/y_labels.csv", dir);
    FILE *f = fopen(path, "r");
    if (f) fclose(f);
    return f != NULL;
}

void cli_labelled_free(cli_labelled *l)
{
    for (long i = 0; l->files && i < l->n; i++) free(l->files[i]);
    free(l->files);
    free(l->labels);
    free(l->dir);
    memset(l, 0, sizeof *l);
}

int cli_labelled_open(const char *dir, long skip, long limit, const char *cmd, cli_labelled *l)
{
    memset(l, 0, sizeof *l);
    char path[4096];
    snprintf(path, sizeof path, "%s/y_labels.csv", dir);
    FILE *csv = fopen(path, "r");
    if (!csv) {
        fprintf(stderr, "mote %s: cannot open %s\n", cmd, path);
        return -1;
    }
    long cap = 0, line_no = 0;
    char line[1024];
    int rc = 0;
    l->dir = strdup(dir);
    while (!rc && fgets(line, sizeof line, csv) && (limit < 0 || l->n < limit)) {
        line_no++;
        char name[512];
        int ncls, label;
        if (sscanf(line, "%511[^,],%d,%d", name, &ncls, &label) != 3) {
            fprintf(stderr, "mote %s: %s line %ld: expected file,num_classes,label\n", cmd, path, line_no);
            rc = -1;
        } else if (line_no > skip) {
            if (l->n == cap) {
                cap = cap ? 2 * cap : 256;
                char **f = realloc(l->files, sizeof(char *) * (size_t)cap);
                int *lb = f ? realloc(l->labels, sizeof(int) * (size_t)cap) : NULL;
                if (f) l->files = f;
                if (lb) l->labels = lb;
                if (!f || !lb) rc = -1;
            }
            if (!rc && !(l->files[l->n] = strdup(name))) rc = -1;
            if (rc) fprintf(stderr, "mote %s: out of memory\n", cmd);
            else l->labels[l->n++] = label;
        }
    }
    fclose(csv);
    if (!rc && !l->n) {
        fprintf(stderr, "mote %s: %s lists no files%s\n", cmd, path, skip ? " after the skipped ones" : "");
        rc = -1;
    }
    if (rc || !l->dir) cli_labelled_free(l);
    return rc ? -1 : 0;
}

int cli_input_option(cli_input_conv *c, int argc, char **argv, int *i, const char *cmd)
{
    const char *a = argv[*i];
    if (strcmp(a, "--from") && strcmp(a, "--in-scale") && strcmp(a, "--in-zero-point")) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "mote %s: %s needs a value\n", cmd, a);
        return -1;
    }
    const char *v = argv[++*i];
    if (!strcmp(a, "--from")) {
        if (!strcmp(v, "raw")) c->from = CLI_FROM_RAW;
        else if (!strcmp(v, "u8")) c->from = CLI_FROM_U8;
        else if (!strcmp(v, "i8")) c->from = CLI_FROM_I8;
        else if (!strcmp(v, "f32")) c->from = CLI_FROM_F32;
        else {
            fprintf(stderr, "mote %s: --from must be raw, u8, i8 or f32\n", cmd);
            return -1;
        }
        return 1;
    }
    char *end = NULL;
    double d = strtod(v, &end);
    if (!end || *end || !isfinite(d) || (!strcmp(a, "--in-scale") && !(d > 0))) {
        fprintf(stderr, "mote %s: %s: not a valid number: %s\n", cmd, a, v);
        return -1;
    }
    if (!strcmp(a, "--in-scale")) c->scale = d;
    else c->zero_point = d;
    return 1;
}

static int convert(const mote_tensor *t, const uint8_t *file, size_t len, const cli_input_conv *c, uint8_t *dst)
{
    if (c->from == CLI_FROM_RAW) {
        if (len != t->bytes) return -1;
        memcpy(dst, file, len);
        return 0;
    }
    size_t n = t->bytes / mote_dtype_size((mote_dtype)t->type), width = c->from == CLI_FROM_F32 ? 4 : 1;
    if (len != n * width) return -1;
    for (size_t i = 0; i < n; i++) {
        double v;
        if (c->from == CLI_FROM_U8) v = file[i];
        else if (c->from == CLI_FROM_I8) v = (int8_t)file[i];
        else {
            float f;
            memcpy(&f, file + 4 * i, 4);
            v = f;
        }
        double real = (v - c->zero_point) * c->scale;
        if (t->type == MOTE_F32) {
            ((float *)(void *)dst)[i] = (float)real;
        } else if (t->type == MOTE_I8 && t->q.n >= 1) {
            double q = round(real / t->q.scale[0]) + t->q.zero_point[0];
            ((int8_t *)dst)[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
        } else {
            return -2;
        }
    }
    return 0;
}

int cli_labelled_input(const cli_labelled *l, long i, const mote_tensor *t, const cli_input_conv *c, uint8_t *dst,
                       const char *cmd)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", l->dir, l->files[i]);
    size_t len = 0;
    uint8_t *file = cli_read_file(path, &len);
    if (!file) return -1;
    int r = convert(t, file, len, c, dst);
    free(file);
    if (r == -2)
        fprintf(stderr, "mote %s: %s: --from needs a float32 or per-tensor int8 model input, not %s\n", cmd, path,
                mote_dtype_name((mote_dtype)t->type));
    else if (r)
        fprintf(stderr, "mote %s: %s: %zu bytes do not fit the input %s tensor of %zu bytes%s\n", cmd, path, len,
                mote_dtype_name((mote_dtype)t->type), t->bytes, c->from == CLI_FROM_RAW ? "" : " (as --from says)");
    return r ? -1 : 0;
}
