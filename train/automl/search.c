/* am_run (mote/automl.h): cost-check candidates, successive halving over the ones that fit, evolutionary
 * brackets while time is left, every trial in the store, the front and the choice. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

typedef struct {
    const am_config *c;
    am_result *r;
    am_store *store;
    int cap;
    double t0;
    char *err;
    size_t errlen;
    int trainings;
} run;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double elapsed(const run *u) { return now() - u->t0; }

static void trial_dir(const run *u, const am_trial *t, char *dir, size_t len)
{
    char k[128];
    snprintf(k, sizeof k, "%s", t->key);
    for (char *p = k; *p; p++)
        if (*p == ' ') *p = '_';
    snprintf(dir, len, "%s/trials/%s", u->c->out_dir, k);
}

static void say(const run *u, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void say(const run *u, const char *fmt, ...)
{
    if (!u->c->progress) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    u->c->progress(u->c->user, line);
}

/* The live view's numbers: counts, the running training, the best among the most trained so far. */
static void status(const run *u, const am_trial *running, int epochs)
{
    if (!u->c->status) return;
    am_status s = {.trained = u->trainings, .running = running ? running->key : NULL, .running_epochs = epochs,
                   .elapsed = elapsed(u)};
    s.left = u->c->budget_s - s.elapsed > 0 ? u->c->budget_s - s.elapsed : 0;
    const am_trial *best = NULL;
    for (int i = 0; i < u->r->n_trials; i++) {
        const am_trial *t = &u->r->trials[i];
        s.costed++;
        s.fit += t->fits;
        if (t->epochs > 0 && (!best || t->epochs > best->epochs ||
                              (t->epochs == best->epochs && t->val_accuracy > best->val_accuracy)))
            best = t;
    }
    if (best) s.best = best->key, s.best_val = best->val_accuracy, s.best_ms = best->ms;
    u->c->status(u->c->user, &s);
}

/* The trial for candidate c: found in this run, else new (read back from the store, or cost-checked). */
static am_trial *trial_for(run *u, const am_candidate *c)
{
    char key[128];
    am_key(c, key, sizeof key);
    for (int i = 0; i < u->r->n_trials; i++)
        if (!strcmp(u->r->trials[i].key, key)) return &u->r->trials[i];
    if (u->r->n_trials == u->cap) {
        int cap = u->cap ? 2 * u->cap : 2; /* small: the tests grow it, as long runs do */
        am_trial *t = realloc(u->r->trials, sizeof *t * (size_t)cap);
        if (!t) return NULL;
        u->r->trials = t;
        u->cap = cap;
    }
    am_trial *t = &u->r->trials[u->r->n_trials++];
    memset(t, 0, sizeof *t);
    t->c = *c;
    snprintf(t->key, sizeof t->key, "%s", key);
    if (am_store_get(u->store, t)) {
        u->r->resumed++;
        return t;
    }
    /* the cost check: the model untrained, with its front end, on the device */
    char dir[1024], path[1100], e[512] = "";
    trial_dir(u, t, dir, sizeof dir);
    tp_config tc = *u->c->base;
    am_apply(c, &tc);
    tc.out_dir = dir;
    tc.no_training = 1;
    tc.train.epochs = 1;
    tc.on_stage = NULL;
    tp_result res;
    char parent[1100];
    snprintf(parent, sizeof parent, "%s/trials", u->c->out_dir);
    mkdir(parent, 0777);
    mkdir(dir, 0777);
    int built = !tp_run(&tc, &res, e, sizeof e);
    tp_result_free(&res);
    snprintf(path, sizeof path, "%s/model_int8.tflite", dir);
    if (!built || u->c->cost(u->c->user, path, &t->fits, &t->flash, &t->ram, &t->ms, e, sizeof e)) {
        t->fits = 0;
        t->why = am_whys[AM_WHY_BUILD];
    } else if (!t->fits) {
        t->why = am_whys[AM_WHY_FIT];
    } else if (u->c->max_ms > 0 && t->ms > u->c->max_ms) {
        t->fits = 0, t->why = am_whys[AM_WHY_LATENCY];
    } else if (u->c->max_ram > 0 && t->ram > u->c->max_ram) {
        t->fits = 0, t->why = am_whys[AM_WHY_RAM];
    } else if (u->c->max_flash > 0 && t->flash > u->c->max_flash) {
        t->fits = 0, t->why = am_whys[AM_WHY_FLASH];
    }
    if (am_store_put(u->store, t, u->err, u->errlen)) return NULL;
    say(u, "%-44s %s  %.0f KB flash, %.0f KB RAM, %.2f ms", t->key, t->fits ? "fits" : t->why, t->flash / 1024,
        t->ram / 1024, t->ms);
    status(u, NULL, 0);
    return t;
}

/* Trains trial t for `epochs` (unless it has been, here or in a run before). 0, 1 out of time, -1 error. */
static int train(run *u, am_trial *t, int epochs)
{
    if (t->epochs >= epochs) return 0;
    if (elapsed(u) > u->c->budget_s) return 1;
    char dir[1024], e[512] = "";
    trial_dir(u, t, dir, sizeof dir);
    tp_config tc = *u->c->base;
    am_apply(&t->c, &tc);
    tc.out_dir = dir;
    tc.train.epochs = epochs;
    tc.train.patience = 0; /* a rung is a fixed number of epochs */
    tc.threads = u->c->threads;
    tc.on_stage = NULL;
    tp_result res;
    double t0 = now();
    status(u, t, epochs);
    if (tp_run(&tc, &res, e, sizeof e)) {
        tp_result_free(&res);
        snprintf(u->err, u->errlen, "%s: %s", t->key, e);
        return -1;
    }
    t->epochs = epochs;
    t->val_accuracy = res.fit.epochs_run > 0 ? res.epochs[res.fit.epochs_run - 1].val_accuracy : NAN;
    t->test_int8 = res.int8_score.accuracy;
    t->test_float = res.float_score.accuracy;
    t->int8_bytes = res.int8_bytes;
    t->seconds = now() - t0;
    free(t->curve);
    t->n_curve = 0;
    if ((t->curve = malloc(sizeof *t->curve * (size_t)(res.fit.epochs_run + 1))) && res.epochs) {
        memcpy(t->curve, res.epochs, sizeof *t->curve * (size_t)res.fit.epochs_run);
        t->n_curve = res.fit.epochs_run;
    }
    tp_result_free(&res);
    u->trainings++;
    if (u->r->first_valid_s <= 0) u->r->first_valid_s = elapsed(u);
    say(u, "%-44s %2d epochs: validation %.2f %%  (%.0f s; %.0f s of %.0f used)", t->key, epochs,
        100 * t->val_accuracy, t->seconds, elapsed(u), u->c->budget_s);
    status(u, NULL, 0);
    return am_store_put(u->store, t, u->err, u->errlen);
}

/* Trial indices, best validation accuracy first (equal: the faster first). qsort has no context argument. */
static void sort_by_val(const am_trial *t, int *idx, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            const am_trial *a = &t[idx[j - 1]], *b = &t[idx[j]];
            if (a->val_accuracy > b->val_accuracy || (a->val_accuracy == b->val_accuracy && a->ms <= b->ms)) break;
            int x = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = x;
        }
}

/* One bracket of successive halving over candidates cands. Trials are held by index: the trial array
 * grows (and moves) as candidates are added. */
static int bracket(run *u, am_candidate *cands, int n)
{
    int *live = malloc(sizeof *live * (size_t)(n + 1));
    int k = 0, rc = 0;
    if (!live) return -1;
    for (int i = 0; i < n; i++) {
        am_trial *t = trial_for(u, &cands[i]);
        if (!t) {
            free(live);
            return -1;
        }
        int ti = (int)(t - u->r->trials), dup = 0;
        for (int j = 0; j < k; j++) dup |= live[j] == ti;
        if (t->fits && !dup) live[k++] = ti;
    }
    for (int epochs = u->c->min_epochs; k > 0 && !rc; epochs = epochs * 3 > u->c->max_epochs ? u->c->max_epochs : epochs * 3) {
        for (int i = 0; i < k && !rc; i++) rc = train(u, &u->r->trials[live[i]], epochs);
        if (rc) break;
        sort_by_val(u->r->trials, live, k);
        if (epochs >= u->c->max_epochs) break;
        k = k > 3 ? (k + 2) / 3 : 1;
    }
    free(live);
    return rc < 0 ? -1 : rc;
}

static int dominates(const am_trial *a, const am_trial *b)
{
    int no_worse = a->val_accuracy >= b->val_accuracy && a->ms <= b->ms && a->ram <= b->ram && a->flash <= b->flash;
    int better = a->val_accuracy > b->val_accuracy || a->ms < b->ms || a->ram < b->ram || a->flash < b->flash;
    return no_worse && better;
}

void am_pareto(am_result *r)
{
    for (int i = 0; i < r->n_trials; i++) {
        am_trial *t = &r->trials[i];
        t->pareto = t->epochs > 0 && t->fits;
        for (int j = 0; j < r->n_trials && t->pareto; j++)
            if (j != i && r->trials[j].epochs > 0 && r->trials[j].fits && dominates(&r->trials[j], t)) t->pareto = 0;
    }
}

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    int ok = a && b;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) ok = fwrite(buf, 1, n, b) == n;
    if (a) fclose(a);
    if (b && fclose(b)) ok = 0;
    return ok ? 0 : -1;
}

/* Is cands[i] a trial already, or one of cands[0..i-1]? */
static int seen(const am_result *r, const am_candidate *cands, int i)
{
    char key[128], other[128];
    am_key(&cands[i], key, sizeof key);
    for (int j = 0; j < r->n_trials; j++)
        if (!strcmp(r->trials[j].key, key)) return 1;
    for (int j = 0; j < i; j++) {
        am_key(&cands[j], other, sizeof other);
        if (!strcmp(other, key)) return 1;
    }
    return 0;
}

int am_run(const am_config *c, am_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->best = -1;
    run u = {.c = c, .r = r, .t0 = now(), .err = err, .errlen = errlen};
    char path[1100];
    mkdir(c->out_dir, 0777);
    snprintf(path, sizeof path, "%s/automl.db", c->out_dir);
    if (!(u.store = am_store_open(path, err, errlen))) return -1;
    uint64_t rng = c->seed ? c->seed : 1;
    const int n = c->bracket > 0 ? c->bracket : 9;
    am_candidate *cands = malloc(sizeof *cands * (size_t)n);
    int rc = cands ? 0 : -1, stale = 0;
    /* first bracket: random candidates; later ones: mutations of the best so far */
    for (int b = 0; !rc && elapsed(&u) < c->budget_s; b++) {
        const am_trial *best = NULL;
        for (int i = 0; i < r->n_trials; i++)
            if (r->trials[i].epochs > 0 && (!best || r->trials[i].epochs > best->epochs ||
                                            (r->trials[i].epochs == best->epochs && r->trials[i].val_accuracy > best->val_accuracy)))
                best = &r->trials[i];
        for (int i = 0; i < n; i++)
            for (int tries = 0; tries < 20; tries++) { /* a candidate not seen yet, if one comes up */
                if (b == 0 || !best || i >= (2 * n) / 3) am_random(c->base->task, &rng, &cands[i]);
                else am_mutate(&rng, &best->c, &cands[i]);
                if (!seen(r, cands, i)) break;
            }
        int before = r->n_trials;
        rc = bracket(&u, cands, n);
        if (rc == 1) rc = 0; /* out of time: what is trained stands */
        say(&u, "bracket %d done: %d candidates, %d new", b + 1, n, r->n_trials - before);
        stale = r->n_trials == before ? stale + 1 : 0;
        /* the space is small: when brackets stop finding anything new, it has been searched */
        if ((c->max_brackets > 0 && b + 1 >= c->max_brackets) || stale >= 5) break;
    }
    free(cands);
    /* the choice: among the most trained, the best validation accuracy (or the fastest within 1 pp) */
    int top = 0;
    for (int i = 0; i < r->n_trials; i++)
        if (r->trials[i].epochs > top) top = r->trials[i].epochs;
    for (int i = 0; !rc && i < r->n_trials; i++) {
        const am_trial *t = &r->trials[i];
        if (t->epochs != top || top == 0) continue;
        if (r->best < 0 || t->val_accuracy > r->trials[r->best].val_accuracy) r->best = i;
    }
    if (!rc && r->best >= 0 && c->objective_latency) {
        double floor = r->trials[r->best].val_accuracy - 0.01;
        for (int i = 0; i < r->n_trials; i++) {
            const am_trial *t = &r->trials[i];
            if (t->epochs == top && t->val_accuracy >= floor && t->ms < r->trials[r->best].ms) r->best = i;
        }
    }
    am_pareto(r);
    if (!rc && r->best < 0) {
        snprintf(err, errlen, "no candidate that fits was trained (budget too small, or nothing fits the limits)");
        rc = -1;
    }
    if (!rc) {
        char dir[1024], from[1100], to[1100];
        trial_dir(&u, &r->trials[r->best], dir, sizeof dir);
        snprintf(r->best_dir, sizeof r->best_dir, "%s/best", c->out_dir);
        mkdir(r->best_dir, 0777);
        for (int k = 0; k < 2 && !rc; k++) {
            const char *f = k ? "model_float.tflite" : "model_int8.tflite";
            snprintf(from, sizeof from, "%s/%s", dir, f);
            snprintf(to, sizeof to, "%s/%s", r->best_dir, f);
            if (copy_file(from, to)) {
                snprintf(err, errlen, "cannot copy %s to %s", from, to);
                rc = -1;
            }
        }
    }
    r->seconds = elapsed(&u);
    am_store_close(u.store);
    return rc;
}

void am_result_free(am_result *r)
{
    for (int i = 0; i < r->n_trials; i++) free(r->trials[i].curve);
    free(r->trials);
    memset(r, 0, sizeof *r);
}
