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
    free(l->window);
    free(l->stride);
    free(l->cache);
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
    l->cached = -1;
    while (!rc && fgets(line, sizeof line, csv) && (limit < 0 || l->n < limit)) {
        line_no++;
        char name[512];
        int ncls, label;
        long win = 0, stride = 0;
        int k = sscanf(line, "%511[^,],%d,%d,%ld,%ld", name, &ncls, &label, &win, &stride);
        if (k != 3 && k != 5) {
            fprintf(stderr, "mote %s: %s line %ld: expected file,num_classes,label[,window_bytes,stride_bytes]\n", cmd,
                    path, line_no);
            rc = -1;
        } else if (k == 5 && (win < 1 || stride < 1)) {
            fprintf(stderr, "mote %s: %s line %ld: window and stride must be positive byte counts\n", cmd, path, line_no);
            rc = -1;
        } else if (line_no > skip) {
            if (l->n == cap) {
                cap = cap ? 2 * cap : 256;
                char **f = realloc(l->files, sizeof(char *) * (size_t)cap);
                if (f) l->files = f;
                int *lb = f ? realloc(l->labels, sizeof(int) * (size_t)cap) : NULL;
                if (lb) l->labels = lb;
                size_t *w = lb ? realloc(l->window, sizeof(size_t) * (size_t)cap) : NULL;
                if (w) l->window = w;
                size_t *st = w ? realloc(l->stride, sizeof(size_t) * (size_t)cap) : NULL;
                if (st) l->stride = st;
                if (!st) rc = -1;
            }
            if (!rc && !(l->files[l->n] = strdup(name))) rc = -1;
            if (rc) {
                fprintf(stderr, "mote %s: out of memory\n", cmd);
            } else {
                l->window[l->n] = (size_t)win;
                l->stride[l->n] = (size_t)stride;
                l->labels[l->n++] = label;
            }
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

/* File i's bytes, kept until another file is read (a windowed file gives many inputs). */
static const uint8_t *file_bytes(cli_labelled *l, long i, size_t *len)
{
    if (l->cached != i) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", l->dir, l->files[i]);
        free(l->cache);
        l->cached = -1;
        if (!(l->cache = cli_read_file(path, &l->cache_len))) return NULL;
        l->cached = i;
    }
    *len = l->cache_len;
    return l->cache;
}

int cli_labelled_samples(cli_labelled *l, cli_sample **out, long *n, const char *cmd)
{
    long cap = l->n, k = 0;
    cli_sample *s = malloc(sizeof *s * (size_t)(cap ? cap : 1));
    for (long i = 0; s && i < l->n; i++) {
        size_t len = 0, w = l->window[i], count = 1;
        if (w) {
            if (!file_bytes(l, i, &len)) {
                free(s);
                return -1;
            }
            if (len < w) {
                fprintf(stderr, "mote %s: %s/%s: %zu bytes, shorter than one window of %zu\n", cmd, l->dir, l->files[i],
                        len, w);
                free(s);
                return -1;
            }
            count = (len - w) / l->stride[i] + 1;
        }
        if (k + (long)count > cap) {
            cap = 2 * (k + (long)count);
            cli_sample *t = realloc(s, sizeof *s * (size_t)cap);
            if (!t) free(s);
            s = t;
        }
        for (size_t j = 0; s && j < count; j++) s[k++] = (cli_sample){i, j * l->stride[i], w};
    }
    if (!s) {
        fprintf(stderr, "mote %s: out of memory\n", cmd);
        return -1;
    }
    *out = s;
    *n = k;
    return 0;
}

int cli_labelled_input(cli_labelled *l, const cli_sample *s, const mote_tensor *t, const cli_input_conv *c, uint8_t *dst,
                       const char *cmd)
{
    size_t len = 0;
    const uint8_t *file = file_bytes(l, s->file, &len);
    if (!file) return -1;
    if (s->len) {
        if (s->offset + s->len > len) {
            fprintf(stderr, "mote %s: %s/%s: window at byte %zu runs past the end (%zu bytes)\n", cmd, l->dir,
                    l->files[s->file], s->offset, len);
            return -1;
        }
        file += s->offset;
        len = s->len;
    }
    int r = convert(t, file, len, c, dst);
    if (r == -2)
        fprintf(stderr, "mote %s: %s/%s: --from needs a float32 or per-tensor int8 model input, not %s\n", cmd, l->dir,
                l->files[s->file], mote_dtype_name((mote_dtype)t->type));
    else if (r)
        fprintf(stderr, "mote %s: %s/%s: %zu bytes do not fit the input %s tensor of %zu bytes%s\n", cmd, l->dir,
                l->files[s->file], len, mote_dtype_name((mote_dtype)t->type), t->bytes,
                c->from == CLI_FROM_RAW ? "" : " (as --from says)");
    return r ? -1 : 0;
}
