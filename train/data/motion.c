/* Numeric CSV data: sensor logs (one recording per file, cut into windows) and tables (one example per
 * line, label in the last field, e.g. sklearn digits). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A first line whose fields are all non-numeric is a header. */
static bool is_header(char **f, int n)
{
    for (int k = 0; k < n; k++) {
        char *end;
        if (!*f[k]) return false;
        (void)strtod(f[k], &end);
        if (!*end) return false;
    }
    return true;
}

int ds__motion_file(ds_dataset *ds, const char *path, const ds_options *opt, int32_t label, int32_t group,
                    uint8_t split, char *err, size_t errlen)
{
    int ch = opt->channels > 0 ? opt->channels : 3;
    int win = opt->window > 0 ? opt->window : 26;
    int stride = opt->stride > 0 ? opt->stride : (win / 2 > 0 ? win / 2 : 1);
    float scale = opt->value_scale != 0 ? opt->value_scale : 1.0f;
    ds_csv *c = ds__csv_open(path, err, errlen);
    if (!c) return -1;
    float *v = NULL;
    size_t rows = 0, cap = 0;
    int rc = -1;
    char **f;
    int n, r;
    while ((r = ds__csv_next(c, &f, &n, err, errlen)) == 1) {
        if (rows == 0 && ds__csv_line(c) == 1 && is_header(f, n)) continue;
        if (n != ch) {
            ds__err(err, errlen, "%s:%ld: %d field%s, expected %d", path, ds__csv_line(c), n, n == 1 ? "" : "s", ch);
            goto out;
        }
        if (rows == cap) {
            cap = cap ? cap * 2 : 1024;
            float *nv = cap > ((size_t)1 << 28) / (size_t)ch ? NULL : realloc(v, cap * (size_t)ch * sizeof *nv);
            if (!nv) {
                ds__err(err, errlen, "%s:%ld: out of memory", path, ds__csv_line(c));
                goto out;
            }
            v = nv;
        }
        for (int k = 0; k < ch; k++) {
            double d;
            if (ds__csv_number(c, f[k], k + 1, &d, err, errlen)) goto out;
            v[rows * (size_t)ch + (size_t)k] = (float)d * scale;
        }
        rows++;
    }
    if (r < 0) goto out;
    if (rows < (size_t)win) {
        ds__err(err, errlen, "%s: %zu line%s of data, fewer than one window of %d", path, rows,
                rows == 1 ? "" : "s", win);
        goto out;
    }
    if (!ds->rank) {
        ds__shape(ds, 2, win, ch, 0);
        ds->sample_rate = opt->sample_rate;
    }
    int32_t src = ds__source(ds, path);
    for (size_t s = 0; s + (size_t)win <= rows; s += (size_t)stride) {
        float *x = src < 0 ? NULL : ds__add(ds, label, group, split, src, (int32_t)s);
        if (!x) {
            ds__err(err, errlen, "%s: out of memory", path);
            goto out;
        }
        memcpy(x, v + s * (size_t)ch, ds->example_size * sizeof *x);
    }
    rc = 0;
out:
    free(v);
    ds__csv_close(c);
    return rc;
}

int ds_load_table(const char *path, const ds_options *opt_in, ds_dataset **out, char *err, size_t errlen)
{
    ds_options dflt = {0};
    const ds_options *opt = opt_in ? opt_in : &dflt;
    *out = NULL;
    ds_csv *c = ds__csv_open(path, err, errlen);
    if (!c) return -1;
    ds_dataset *ds = ds__new(DS_TABLE);
    int rc = -1, r, n, width = -1, fixed = 0;
    char **f;
    double top = 0;
    int32_t src = -1;
    if (!ds) {
        ds__err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (ds__fixed_labels(ds, opt, err, errlen)) goto out;
    fixed = ds->n_labels;
    src = ds__source(ds, path);
    while ((r = ds__csv_next(c, &f, &n, err, errlen)) == 1) {
        long line = ds__csv_line(c);
        if (width < 0 && ds->n == 0 && line == 1 && is_header(f, n)) continue;
        if (width < 0) {
            width = n - 1;
            if (width < 1) {
                ds__err(err, errlen, "%s:%ld: one field: a table line needs values and a label", path, line);
                goto out;
            }
            int h = opt->height, w = opt->width, cc = opt->image_channels ? opt->image_channels : 1;
            int s = (int)lround(sqrt((double)width));
            if (h > 0 && w > 0) {
                if ((long)h * w * cc != width) {
                    ds__err(err, errlen, "%s:%ld: %d values, expected %dx%dx%d", path, line, width, h, w, cc);
                    goto out;
                }
                ds->kind = DS_IMAGE;
                ds__shape(ds, 3, h, w, cc);
            } else if (s * s == width && opt->kind != DS_TABLE) {
                ds->kind = DS_IMAGE;
                ds__shape(ds, 3, s, s, 1);
            } else {
                ds__shape(ds, 1, width, 0, 0);
            }
        }
        if (n != width + 1) {
            ds__err(err, errlen, "%s:%ld: %d fields, expected %d (values and a label, as on the first line)",
                    path, line, n, width + 1);
            goto out;
        }
        const char *lab = f[width];
        if (!*lab) {
            ds__err(err, errlen, "%s:%ld: field %d (the label) is empty", path, line, width + 1);
            goto out;
        }
        int32_t li = fixed ? ds__label_find(ds, lab) : ds__label(ds, lab);
        if (li < 0) {
            ds__err(err, errlen, fixed ? "%s:%ld: label '%.60s' is not among the labels given"
                                       : "%s:%ld: out of memory (label '%.60s')", path, line, lab);
            goto out;
        }
        int32_t g = ds__group(ds, NULL);
        float *x = src < 0 || g < 0 ? NULL : ds__add(ds, li, g, DS_SPLIT_UNSET, src, (int32_t)ds->n);
        if (!x) {
            ds__err(err, errlen, "%s:%ld: out of memory", path, line);
            goto out;
        }
        for (int k = 0; k < width; k++) {
            double d;
            if (ds__csv_number(c, f[k], k + 1, &d, err, errlen)) goto out;
            x[k] = (float)d;
            if (fabs(d) > top) top = fabs(d);
        }
    }
    if (r < 0) goto out;
    if (ds->n == 0) {
        ds__err(err, errlen, "%s: no data lines", path);
        goto out;
    }
    float scale = opt->value_scale != 0 ? opt->value_scale : top > 0 ? (float)(1.0 / top) : 1.0f;
    for (size_t i = 0; i < ds->n * ds->example_size; i++) ds->x[i] *= scale;
    if (ds__finish(ds, opt, path, err, errlen)) goto out;
    *out = ds;
    ds = NULL;
    rc = 0;
out:
    ds_free(ds);
    ds__csv_close(c);
    return rc;
}
