/* The monitor: windows summed per (model version, device group), evaluated
 * against the version's baseline every `window` inferences, alerts with
 * hysteresis. One mutex guards the sums and the alert state; the store is
 * asked for a device's tags before taking it, and written only when an
 * alert fires, changes or resolves. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/internal.h"
#include "moted_ctx.h"
#include "store/store.h"

/* Consecutive windows past a threshold that fire an alert, and under the lower one that resolve it. */
#define FIRE_AFTER 2
#define CLEAR_AFTER 2

static const struct {
    const char *name;
    double fire, clear;
    int needs_baseline;
    const char *what;
} signals[N_SIGNALS] = {
    {"class_psi", 0.25, 0.10, 1, "population stability index of the predicted classes against the baseline"},
    {"confidence_psi", 0.25, 0.10, 1, "population stability index of top-1 confidence against the baseline"},
    {"input_shift", 1.0, 0.5, 1,
     "largest change of an input feature: its mean's shift in the baseline's standard deviations, or its standard "
     "deviation's relative change"},
    {"out_of_range", 0.05, 0.02, 1, "largest rise of an input feature's share of clipped values over the baseline"},
    {"error_rate", 0.05, 0.01, 0, "share of inferences that failed"},
    {"latency_ratio", 2.0, 1.5, 0, "95th percentile latency over the group's first window's"},
};

/* Grow an array of n elements of size sz to hold one more; 0 or -1. */
int mon_grow(void **arr, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap) return 0;
    size_t c = *cap ? 2 * *cap : 16;
    void *g = realloc(*arr, c * sz);
    if (!g) return -1;
    *arr = g;
    *cap = c;
    return 0;
}

/* ---- the signals ---- */

/* PSI of two count vectors over n bins; proportions floored at 1e-4 so empty bins stay finite. */
static double psi(const double *a, const double *b, int n)
{
    double ta = 0, tb = 0, v = 0;
    for (int i = 0; i < n; i++) ta += a[i], tb += b[i];
    if (ta <= 0 || tb <= 0) return 0;
    for (int i = 0; i < n; i++) {
        double p = fmax(a[i] / ta, 1e-4), q = fmax(b[i] / tb, 1e-4);
        v += (q - p) * log(q / p);
    }
    return v;
}

static double p95_us(const mon_window *w)
{
    double total = 0, run = 0;
    for (int i = 0; i < MON_LAT_BUCKETS; i++) total += w->latency[i];
    if (total <= 0) return 0;
    for (int i = 0; i < MON_LAT_BUCKETS; i++) {
        run += w->latency[i];
        if (run >= 0.95 * total) return (double)(64ull << i); /* the bucket's upper edge */
    }
    return (double)(64ull << (MON_LAT_BUCKETS - 1));
}

static void evaluate(const mon_window *w, const mon_baseline *b, double ref_us, double out[N_SIGNALS], int valid[N_SIGNALS])
{
    memset(valid, 0, N_SIGNALS * sizeof *valid);
    if (b->has) {
        int nc = w->n_classes > b->w.n_classes ? w->n_classes : b->w.n_classes;
        out[SIG_CLASS] = psi(b->w.classes, w->classes, nc);
        out[SIG_CONF] = psi(b->w.confidence, w->confidence, MON_CONF_BINS);
        double shift = 0, oor = 0;
        int nf = w->n_features < b->w.n_features ? w->n_features : b->w.n_features;
        for (int f = 0; f < nf; f++) {
            if (b->w.values[f] <= 0 || w->values[f] <= 0) continue;
            double mb = b->w.sum[f] / b->w.values[f], mw = w->sum[f] / w->values[f];
            /* at least one integer unit: a constant feature must not make every change infinite */
            double sd = sqrt(fmax(b->w.sumsq[f] / b->w.values[f] - mb * mb, 1.0));
            double sdw = sqrt(fmax(w->sumsq[f] / w->values[f] - mw * mw, 1.0));
            shift = fmax(shift, fmax(fabs(mw - mb) / sd, fabs(sdw / sd - 1.0)));
            oor = fmax(oor, w->oor[f] / w->values[f] - b->w.oor[f] / b->w.values[f]);
        }
        out[SIG_INPUT] = shift;
        out[SIG_OOR] = oor;
        valid[SIG_CLASS] = valid[SIG_CONF] = 1;
        valid[SIG_INPUT] = valid[SIG_OOR] = nf > 0;
    }
    out[SIG_ERRORS] = w->n > 0 ? w->errors / w->n : 0;
    valid[SIG_ERRORS] = 1;
    double p95 = p95_us(w);
    out[SIG_LATENCY] = ref_us > 0 && p95 > 0 ? p95 / ref_us : 1.0;
    valid[SIG_LATENCY] = ref_us > 0;
}

/* ---- state ---- */

static mon_baseline *baseline_of(moted_monitor *mon, int64_t model_id)
{
    for (size_t i = 0; i < mon->n_baselines; i++)
        if (mon->baselines[i].model_id == model_id) return &mon->baselines[i];
    if (mon_grow((void **)&mon->baselines, mon->n_baselines, &mon->cap_baselines, sizeof *mon->baselines)) return NULL;
    mon_baseline *b = &mon->baselines[mon->n_baselines++];
    memset(b, 0, sizeof *b);
    b->model_id = model_id;
    json_t *j = NULL;
    char err[256];
    if (mote_store_baseline_get(mon->s, model_id, &j) == 0) {
        if (mon_window_parse(j, &b->w, err, sizeof err) == 0) b->has = 1;
        else moted_log(mon->m, "warn", "baseline of model %lld: %s", (long long)model_id, err);
    }
    json_decref(j);
    return b;
}

static mon_key *key_of(moted_monitor *mon, int64_t model_id, const char *group)
{
    for (size_t i = 0; i < mon->n_keys; i++)
        if (mon->keys[i].model_id == model_id && !strcmp(mon->keys[i].group, group)) return &mon->keys[i];
    if (mon_grow((void **)&mon->keys, mon->n_keys, &mon->cap_keys, sizeof *mon->keys)) return NULL;
    mon_key *k = &mon->keys[mon->n_keys++];
    memset(k, 0, sizeof *k);
    k->model_id = model_id;
    snprintf(k->group, sizeof k->group, "%s", group);
    mote_model_rec r;
    if (mote_store_model_get_id(mon->s, model_id, &r) == 0) {
        snprintf(k->name, sizeof k->name, "%s", r.name);
        snprintf(k->version, sizeof k->version, "%s", r.version);
        mote_model_free(&r);
    }
    return k;
}

/* The model version an artifact was built from; 0 when moted does not know it. */
static int64_t model_of(moted_monitor *mon, const char *sha)
{
    for (size_t i = 0; i < mon->n_artifacts; i++)
        if (!strcmp(mon->artifacts[i].sha, sha)) return mon->artifacts[i].model_id;
    mote_artifact_rec a;
    if (!mote_is_sha256_hex(sha) || mote_store_artifact_get(mon->s, sha, NULL, &a) != 0) return 0;
    if (mon_grow((void **)&mon->artifacts, mon->n_artifacts, &mon->cap_artifacts, sizeof *mon->artifacts) == 0) {
        snprintf(mon->artifacts[mon->n_artifacts].sha, 65, "%s", sha);
        mon->artifacts[mon->n_artifacts++].model_id = a.model_id;
    }
    return a.model_id;
}

/* Move signal i of k through its hysteresis with value v (valid: it could be computed). */
static void step_alert(moted_monitor *mon, mon_key *k, int i, double v, int valid)
{
    int over = valid && v > signals[i].fire, under = !valid || v < signals[i].clear;
    k->high[i] = over ? k->high[i] + 1 : 0;
    k->low[i] = under ? k->low[i] + 1 : 0;
    if (!k->alert[i] && k->high[i] >= FIRE_AFTER) {
        mote_alert_rec a;
        memset(&a, 0, sizeof a);
        a.model_id = k->model_id;
        snprintf(a.group, sizeof a.group, "%s", k->group);
        snprintf(a.signal, sizeof a.signal, "%s", signals[i].name);
        a.value = v;
        a.threshold = signals[i].fire;
        snprintf(a.message, sizeof a.message, "%.60s %.30s, group %.40s: %s is %.3g (threshold %.3g): %s", k->name, k->version,
                 k->group, signals[i].name, v, signals[i].fire, signals[i].what);
        if (mote_store_alert_open(mon->s, &a) == 0) {
            k->alert[i] = a.id;
            moted_log(mon->m, "warn", "alert %lld firing: %s", (long long)a.id, a.message);
        } else {
            moted_log(mon->m, "error", "alert: %s", mote_store_error(mon->s));
        }
    } else if (k->alert[i]) {
        int resolve = k->low[i] >= CLEAR_AFTER;
        if (mote_store_alert_update(mon->s, k->alert[i], v, resolve) != 0)
            moted_log(mon->m, "error", "alert %lld: %s", (long long)k->alert[i], mote_store_error(mon->s));
        else if (resolve) {
            moted_log(mon->m, "info", "alert %lld resolved: %s is %.3g", (long long)k->alert[i], signals[i].name, v);
            k->alert[i] = 0;
        }
    }
}

static void evaluate_key(moted_monitor *mon, mon_key *k)
{
    mon_baseline *b = baseline_of(mon, k->model_id);
    mon_baseline none = {0};
    if (!b) b = &none;
    if (k->windows == 0) k->latency_ref_us = p95_us(&k->acc);
    int valid[N_SIGNALS];
    evaluate(&k->acc, b, k->latency_ref_us, k->last, valid);
    k->has_last = 1;
    k->windows++;
    mon->windows_total++;
    for (int i = 0; i < N_SIGNALS; i++) step_alert(mon, k, i, k->last[i], valid[i]);
    memset(&k->acc, 0, sizeof k->acc);
}

int moted_monitor_ingest(moted_monitor *mon, const char *device_id, const char *artifact, json_t *window, char *err,
                         size_t errlen)
{
    mon_window w;
    if (mon_window_parse(window, &w, err, errlen) != 0) return -1;
    if (w.n <= 0 || !artifact || !*artifact) return 0;
    mote_device_rec d;
    if (mote_store_device_get(mon->s, device_id, &d) != 0) {
        snprintf(err, errlen, "device %s: %s", device_id, mote_store_error(mon->s));
        return -1;
    }
    pthread_mutex_lock(&mon->mu);
    int64_t model_id = model_of(mon, artifact);
    size_t n_tags = json_array_size(d.tags);
    for (size_t t = 0; model_id && t < (n_tags ? n_tags : 1); t++) {
        const char *g = n_tags ? json_string_value(json_array_get(d.tags, t)) : "untagged";
        mon_key *k = key_of(mon, model_id, g ? g : "untagged");
        if (!k) continue;
        mon_window_add(&k->acc, &w);
        if (k->acc.n >= mon->window) evaluate_key(mon, k);
    }
    pthread_mutex_unlock(&mon->mu);
    mote_device_free(&d);
    return 0;
}

json_t *moted_monitor_status(moted_monitor *mon, int64_t model_id)
{
    json_t *groups = json_array();
    pthread_mutex_lock(&mon->mu);
    mon_baseline *b = baseline_of(mon, model_id);
    for (size_t i = 0; i < mon->n_keys; i++) {
        mon_key *k = &mon->keys[i];
        if (k->model_id != model_id) continue;
        json_t *sig = json_object();
        for (int s = 0; s < N_SIGNALS; s++) {
            if (signals[s].needs_baseline && !(b && b->has)) continue;
            json_object_set_new(sig, signals[s].name,
                                json_pack("{s:o, s:f, s:f, s:s}", "value",
                                          k->has_last ? json_real(k->last[s]) : json_null(), "fire", signals[s].fire,
                                          "clear", signals[s].clear, "state",
                                          k->alert[s] ? "firing" : k->high[s] ? "high" : "ok"));
        }
        json_array_append_new(groups, json_pack("{s:s, s:i, s:f, s:o}", "group", k->group, "windows", k->windows,
                                                "pending_inferences", k->acc.n, "signals", sig));
    }
    int has = b && b->has;
    int window = mon->window;
    pthread_mutex_unlock(&mon->mu);
    return json_pack("{s:b, s:i, s:o}", "baseline", has, "window", window, "groups", groups);
}

void moted_monitor_metrics(moted_monitor *mon, FILE *out)
{
    pthread_mutex_lock(&mon->mu);
    int firing = 0;
    fprintf(out, "# HELP mote_drift Drift signals of a model version in a device group, at its last window.\n"
                 "# TYPE mote_drift gauge\n");
    for (size_t i = 0; i < mon->n_keys; i++) {
        mon_key *k = &mon->keys[i];
        for (int s = 0; s < N_SIGNALS; s++) {
            firing += k->alert[s] != 0;
            if (k->has_last)
                fprintf(out, "mote_drift{model=\"%s\",version=\"%s\",group=\"%s\",signal=\"%s\"} %.6g\n", k->name,
                        k->version, k->group, signals[s].name, k->last[s]);
        }
    }
    fprintf(out, "# HELP mote_alerts_firing Drift alerts firing now.\n# TYPE mote_alerts_firing gauge\n"
                 "mote_alerts_firing %d\n"
                 "# HELP mote_drift_windows_total Windows evaluated against baselines.\n"
                 "# TYPE mote_drift_windows_total counter\nmote_drift_windows_total %llu\n",
            firing, mon->windows_total);
    pthread_mutex_unlock(&mon->mu);
}

moted_monitor *moted_monitor_new(moted *m, mote_store *s, int window, char *err, size_t errlen)
{
    moted_monitor *mon = calloc(1, sizeof *mon);
    if (!mon || pthread_mutex_init(&mon->mu, NULL) != 0) {
        free(mon);
        snprintf(err, errlen, "monitor: out of memory");
        return NULL;
    }
    mon->m = m;
    mon->s = s;
    mon->window = window > 0 ? window : 500;
    /* Alerts firing when the server stopped keep firing, and can resolve. */
    mote_alert_rec *a = NULL;
    size_t n = 0;
    if (mote_store_alert_firing(s, &a, &n) != 0) {
        snprintf(err, errlen, "monitor: %s", mote_store_error(s));
        moted_monitor_free(mon);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        mon_key *k = key_of(mon, a[i].model_id, a[i].group);
        for (int sg = 0; k && sg < N_SIGNALS; sg++)
            if (!strcmp(signals[sg].name, a[i].signal)) k->alert[sg] = a[i].id;
    }
    free(a);
    return mon;
}

void moted_monitor_free(moted_monitor *mon)
{
    if (!mon) return;
    pthread_mutex_destroy(&mon->mu);
    free(mon->keys);
    free(mon->baselines);
    free(mon->artifacts);
    for (size_t i = 0; i < mon->n_policies; i++) json_decref(mon->policies[i].policy);
    free(mon->policies);
    free(mon);
}
