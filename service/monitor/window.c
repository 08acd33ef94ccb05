/* Windows of inference statistics: parse, check, sum. */
#include <stdio.h>
#include <string.h>

#include "monitor/monitor.h"

/* An array of non-negative (or, signed = 1, any) integers of at most max entries into out (as doubles). */
static int int_array(json_t *a, const char *field, int max, int is_signed, double *out, int *n, char *err,
                     size_t errlen)
{
    if (!json_is_array(a) || json_array_size(a) > (size_t)max) {
        snprintf(err, errlen, "window.%s: an array of at most %d integers is required", field, max);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || (!is_signed && json_integer_value(v) < 0)) {
            snprintf(err, errlen, "window.%s[%zu]: %s integer is required", field, i,
                     is_signed ? "an" : "a non-negative");
            return -1;
        }
        out[i] = (double)json_integer_value(v);
    }
    *n = (int)json_array_size(a);
    return 0;
}

int mon_window_parse(json_t *j, mon_window *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "window: an object is required");
        return -1;
    }
    json_t *n = json_object_get(j, "n"), *e = json_object_get(j, "errors"), *f = json_object_get(j, "features");
    if (!json_is_integer(n) || json_integer_value(n) < 0 || !json_is_integer(e) || json_integer_value(e) < 0 ||
        json_integer_value(e) > json_integer_value(n)) {
        snprintf(err, errlen, "window.n, window.errors: integers with 0 <= errors <= n are required");
        return -1;
    }
    w->n = (double)json_integer_value(n);
    w->errors = (double)json_integer_value(e);
    int k, nf[4];
    if (int_array(json_object_get(j, "classes"), "classes", MON_MAX_CLASSES, 0, w->classes, &w->n_classes, err,
                  errlen) ||
        int_array(json_object_get(j, "confidence"), "confidence", MON_CONF_BINS, 0, w->confidence, &k, err,
                  errlen) ||
        int_array(json_object_get(j, "latency_us_log2"), "latency_us_log2", MON_LAT_BUCKETS, 0, w->latency, &k, err,
                  errlen))
        return -1;
    if (!json_is_object(f)) {
        snprintf(err, errlen, "window.features: an object is required");
        return -1;
    }
    if (int_array(json_object_get(f, "sum"), "features.sum", MON_MAX_FEATURES, 1, w->sum, &nf[0], err, errlen) ||
        int_array(json_object_get(f, "sumsq"), "features.sumsq", MON_MAX_FEATURES, 0, w->sumsq, &nf[1], err,
                  errlen) ||
        int_array(json_object_get(f, "values"), "features.values", MON_MAX_FEATURES, 0, w->values, &nf[2], err,
                  errlen) ||
        int_array(json_object_get(f, "out_of_range"), "features.out_of_range", MON_MAX_FEATURES, 0, w->oor, &nf[3],
                  err, errlen))
        return -1;
    if (nf[0] != nf[1] || nf[0] != nf[2] || nf[0] != nf[3]) {
        snprintf(err, errlen, "window.features: sum, sumsq, values and out_of_range differ in length");
        return -1;
    }
    w->n_features = nf[0];
    return 0;
}

void mon_window_add(mon_window *acc, const mon_window *w)
{
    acc->n += w->n;
    acc->errors += w->errors;
    if (w->n_classes > acc->n_classes) acc->n_classes = w->n_classes;
    for (int i = 0; i < w->n_classes; i++) acc->classes[i] += w->classes[i];
    for (int i = 0; i < MON_CONF_BINS; i++) acc->confidence[i] += w->confidence[i];
    if (w->n_features > acc->n_features) acc->n_features = w->n_features;
    for (int i = 0; i < w->n_features; i++) {
        acc->sum[i] += w->sum[i];
        acc->sumsq[i] += w->sumsq[i];
        acc->values[i] += w->values[i];
        acc->oor[i] += w->oor[i];
    }
    for (int i = 0; i < MON_LAT_BUCKETS; i++) acc->latency[i] += w->latency[i];
}
