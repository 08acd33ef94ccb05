/* The deployment state machine of docs/service.md. Every change is one
 * transaction and every decision is made from the rows alone, so a server
 * killed at any point resumes where the database says it was. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/mote_file.h"
#include "moted_ctx.h"
#include "rollout/deploy.h"

/* A device state that no report moves on. */
static int row_final(const char *st)
{
    return rollout_is(st, "confirmed") || rollout_is(st, "failed") || rollout_is(st, "incompatible") ||
           rollout_is(st, "rolled_back") || rollout_is(st, "superseded");
}

typedef struct {
    char id[24];
    char key[65];
} ranked;

static int by_key(const void *a, const void *b)
{
    return strcmp(((const ranked *)a)->key, ((const ranked *)b)->key);
}

/* Why a device cannot take a .mote artifact at all ("" when it can). */
static void device_incompatible(json_t *facts, char *why, size_t len)
{
    why[0] = 0;
    json_t *abi = json_object_get(facts, "runtime_abi"), *fmts = json_object_get(facts, "formats");
    if (json_is_integer(abi) && json_integer_value(abi) != MOTE_FILE_VERSION) {
        snprintf(why, len, "runtime ABI %lld: the server builds .mote files of version %d",
                 (long long)json_integer_value(abi), MOTE_FILE_VERSION);
        return;
    }
    if (json_is_array(fmts)) {
        size_t i;
        json_t *f;
        json_array_foreach(fmts, i, f) if (json_is_string(f) && rollout_is(json_string_value(f), "mote")) return;
        snprintf(why, len, "the device's formats do not include mote");
    }
}

/* A new row of deployment dep for a device: pending with the target to compile for (then 1, prof set),
 * or incompatible with the reason (0); -1 storage error. */
static int row_init(struct moted_rollout *r, int64_t dep, const char *device, const char *phase, int rank,
                    mote_dd_rec *row, mote_profile *prof, char *err, size_t errlen)
{
    memset(row, 0, sizeof *row);
    row->deployment = dep;
    snprintf(row->device, sizeof row->device, "%s", device);
    snprintf(row->phase, sizeof row->phase, "%s", phase);
    row->rank = rank;
    snprintf(row->state, sizeof row->state, "pending");
    mote_device_rec d;
    memset(&d, 0, sizeof d);
    if (mote_store_device_get(r->s, device, &d) != 0) {
        snprintf(err, errlen, "device %s: %s", device, mote_store_error(r->s));
        return -1;
    }
    char why[512];
    device_incompatible(d.facts, why, sizeof why);
    if (!why[0] && rollout_profile_resolve(d.profile, d.facts, prof, why, sizeof why) != 0 && !why[0])
        snprintf(why, sizeof why, "profile %s: unknown", d.profile);
    int ok = !why[0];
    if (ok) {
        snprintf(row->target, sizeof row->target, "%s", prof->name);
    } else {
        snprintf(row->state, sizeof row->state, "incompatible");
        snprintf(row->reason, sizeof row->reason, "%s", why);
        snprintf(row->target, sizeof row->target, "%s", d.profile);
    }
    mote_device_free(&d);
    return ok;
}

/* Rows of the deployment, with a compile job per distinct target. */
static int create_rows(struct moted_rollout *r, const mote_model_rec *model, const deploy_params *p, int64_t dep,
                       ranked *devs, size_t n, char *err, size_t errlen)
{
    size_t k = 0;
    if (rollout_is(p->strategy, "canary")) {
        k = (size_t)ceil((double)n * p->canary_percent / 100.0);
        if (k < 1) k = 1;
        if (k > n) k = n;
    }
    char (*targets)[64] = calloc(n, sizeof *targets);
    int64_t *jobs = calloc(n, sizeof *jobs);
    size_t n_targets = 0;
    int rc = targets && jobs ? 0 : -1;
    if (rc) snprintf(err, errlen, "deployment: out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        mote_dd_rec row;
        mote_profile prof;
        int ok = row_init(r, dep, devs[i].id, i < k ? "canary" : "rollout", (int)i, &row, &prof, err, errlen);
        if (ok < 0) {
            rc = -1;
            break;
        }
        if (ok) {
            size_t t = 0;
            while (t < n_targets && !rollout_is(targets[t], prof.name)) t++;
            if (t == n_targets) {
                if (compile_submit(r, model, &prof, "mote", &jobs[t], err, errlen) != 0) rc = -1;
                snprintf(targets[t], sizeof targets[t], "%s", prof.name);
                n_targets++;
            }
            row.job = jobs[t];
        }
        if (rc == 0 && (mote_store_dd_add(r->s, &row) != 0 || mote_store_dd_supersede(r->s, row.device, dep) != 0)) {
            snprintf(err, errlen, "%s", mote_store_error(r->s));
            rc = -1;
        }
    }
    free(targets);
    free(jobs);
    return rc;
}

int deploy_create(struct moted_rollout *r, const mote_model_rec *model, const deploy_params *p, int64_t *id,
                  char *err, size_t errlen)
{
    char (*ids)[24] = NULL;
    size_t n = 0;
    if (mote_store_device_ids_by_tag(r->s, p->group, &ids, &n) != 0) {
        snprintf(err, errlen, "%s", mote_store_error(r->s));
        return -1;
    }
    if (n == 0) {
        free(ids);
        snprintf(err, errlen, "group: no device carries the tag \"%s\"", p->group);
        return 1;
    }
    ranked *devs = calloc(n, sizeof *devs);
    if (!devs) {
        free(ids);
        snprintf(err, errlen, "deployment: out of memory");
        return -1;
    }
    mote_deployment_rec d;
    memset(&d, 0, sizeof d);
    d.model_id = model->id;
    snprintf(d.group, sizeof d.group, "%s", p->group);
    snprintf(d.strategy, sizeof d.strategy, "%s", p->strategy);
    d.canary_percent = p->canary_percent;
    d.max_failure_rate = p->max_failure_rate;
    d.auto_promote = p->auto_promote;
    snprintf(d.state, sizeof d.state, "compiling");
    int rc = -1;
    if (mote_store_begin(r->s) != 0) goto out;
    if (mote_store_deployment_add(r->s, &d) != 0) {
        snprintf(err, errlen, "%s", mote_store_error(r->s));
        mote_store_rollback(r->s);
        goto out;
    }
    /* Canary order: sha256 of "DEPLOYMENT:DEVICE", so each deployment picks its own sample. */
    for (size_t i = 0; i < n; i++) {
        char text[64];
        snprintf(devs[i].id, sizeof devs[i].id, "%s", ids[i]);
        snprintf(text, sizeof text, "%lld:%s", (long long)d.id, ids[i]);
        mote_sha256_hex(text, strlen(text), devs[i].key);
    }
    qsort(devs, n, sizeof *devs, by_key);
    if (create_rows(r, model, p, d.id, devs, n, err, errlen) != 0) {
        mote_store_rollback(r->s);
        goto out;
    }
    if (mote_store_commit(r->s) != 0) {
        snprintf(err, errlen, "%s", mote_store_error(r->s));
        goto out;
    }
    *id = d.id;
    rc = 0;
    rollout_wake(r);
out:
    free(ids);
    free(devs);
    return rc;
}

/* A device registered or was tagged: it joins the newest deployment of its groups that is not rolled back,
 * in the rollout phase (it installs once that phase is live), with the compile of its target (queued if
 * no device of that target is in it yet). A complete deployment goes back to rolling_out until the device
 * reports. Already in it, or no such deployment: nothing. */
static int join_tx(struct moted_rollout *r, const char *device, int64_t *joined, char *err, size_t errlen)
{
    int64_t dep;
    int g = mote_store_deployment_for_joiner(r->s, device, &dep);
    if (g != 0) return g < 0 ? -1 : 0;
    mote_dd_rec row, *rows = NULL;
    if ((g = mote_store_dd_get(r->s, dep, device, &row)) <= 0) return g < 0 ? -1 : 0;
    mote_deployment_rec d;
    mote_model_rec model;
    memset(&model, 0, sizeof model);
    if (mote_store_deployment_get(r->s, dep, &d) != 0 || mote_store_model_get_id(r->s, d.model_id, &model) != 0)
        return -1;
    size_t n = 0;
    mote_profile prof;
    int rc = mote_store_dd_list(r->s, dep, &rows, &n);
    int ok = rc == 0 ? row_init(r, dep, device, "rollout", (int)n, &row, &prof, err, errlen) : -1;
    if (ok > 0) {
        for (size_t i = 0; i < n && !row.job; i++)
            if (rows[i].job && rollout_is(rows[i].target, row.target)) row.job = rows[i].job;
        if (!row.job && compile_submit(r, &model, &prof, "mote", &row.job, err, errlen) != 0) ok = -1;
    }
    free(rows);
    mote_model_free(&model);
    if (ok < 0 || mote_store_dd_add(r->s, &row) != 0 || mote_store_dd_supersede(r->s, device, dep) != 0) return -1;
    if (ok > 0 && rollout_is(d.state, "complete")) {
        char why[128];
        snprintf(why, sizeof why, "device %s joined the group", device);
        if (mote_store_deployment_set_state(r->s, dep, "rolling_out", why) != 0) return -1;
    }
    *joined = dep;
    return 0;
}

int deploy_join(struct moted_rollout *r, const char *device, char *err, size_t errlen)
{
    int rc;
    int64_t dep = 0;
    err[0] = 0;
    ROLLOUT_TX(r->s, rc, join_tx(r, device, &dep, err, errlen));
    if (rc < 0 && !err[0]) snprintf(err, errlen, "%s", mote_store_error(r->s));
    if (rc == 0 && dep) {
        moted_log(r->m, "info", "device %s joined deployment %lld", device, (long long)dep);
        rc = deploy_advance(r, dep);
        rollout_wake(r);
    }
    return rc;
}

void moted_rollout_device_joined(moted_rollout *r, const char *device)
{
    char err[512];
    if (r && deploy_join(r, device, err, sizeof err) < 0)
        moted_log(r->m, "error", "device %s: joining its group's deployment: %s", device, err);
}

/* Every row of the deployment goes back (the devices are offered their previous artifact). */
static int rollback_rows(struct moted_rollout *r, int64_t id, const char *reason)
{
    mote_dd_rec *rows = NULL;
    size_t n = 0;
    if (mote_store_dd_list(r->s, id, &rows, &n) != 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *st = rows[i].state;
        if (rollout_is(st, "incompatible") || rollout_is(st, "superseded") || rollout_is(st, "rolled_back")) continue;
        /* Keep why a device failed: it is what the operator reads after a roll-back. */
        char why[512];
        if (rollout_is(st, "failed")) snprintf(why, sizeof why, "rolled back; failed: %.400s", rows[i].reason);
        else snprintf(why, sizeof why, "rolled back (was %s)", st);
        snprintf(rows[i].state, sizeof rows[i].state, "rolled_back");
        memcpy(rows[i].reason, why, sizeof why);
        rc = mote_store_dd_update(r->s, &rows[i]);
    }
    free(rows);
    if (rc == 0) rc = mote_store_deployment_set_state(r->s, id, "rolled_back", reason);
    return rc;
}

typedef struct {
    size_t total, reported, failed, open;
} tally;

/* Devices that count (not incompatible or superseded); canary_only limits to the canary phase. */
static tally count_rows(const mote_dd_rec *rows, size_t n, int canary_only)
{
    tally t = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (canary_only && !rollout_is(rows[i].phase, "canary")) continue;
        if (rollout_is(rows[i].state, "incompatible") || rollout_is(rows[i].state, "superseded")) continue;
        t.total++;
        if (rollout_is(rows[i].state, "confirmed") || rollout_is(rows[i].state, "failed")) t.reported++;
        if (rollout_is(rows[i].state, "failed")) t.failed++;
        if (!row_final(rows[i].state)) t.open++;
    }
    return t;
}

static int advance_tx(struct moted_rollout *r, int64_t id)
{
    mote_deployment_rec d;
    int g = mote_store_deployment_get(r->s, id, &d);
    if (g != 0) return g > 0 ? 0 : -1;
    mote_dd_rec *rows = NULL;
    size_t n = 0;
    if (mote_store_dd_list(r->s, id, &rows, &n) != 0) return -1;
    int rc = 0;
    char state[16], reason[512];
    snprintf(state, sizeof state, "%s", d.state);
    snprintf(reason, sizeof reason, "%s", d.reason);
    /* Rows waiting for their compile: all of them while compiling, a device that joined later after. */
    size_t waiting = 0;
    if (!rollout_is(state, "rolled_back")) {
        for (size_t i = 0; i < n && rc == 0; i++) {
            mote_dd_rec *w = &rows[i];
            if (!rollout_is(w->state, "pending") || w->artifact[0] || !w->job) continue;
            mote_job_rec j;
            if (mote_store_job_get(r->s, w->job, &j) != 0) {
                rc = -1;
                break;
            }
            if (rollout_is(j.state, "done")) {
                snprintf(w->artifact, sizeof w->artifact, "%s", j.artifact);
            } else if (rollout_is(j.state, "failed")) {
                /* Refused or not, a device without an artifact cannot take part; it is no failure of its own. */
                snprintf(w->state, sizeof w->state, "incompatible");
                snprintf(w->reason, sizeof w->reason, "%s", j.error);
            } else {
                waiting++;
                continue;
            }
            rc = mote_store_dd_update(r->s, w);
        }
    }
    if (rc == 0 && rollout_is(state, "compiling") && waiting == 0) {
        snprintf(state, sizeof state, "%s", rollout_is(d.strategy, "canary") ? "canary" : "rolling_out");
        reason[0] = 0;
    }
    if (rc == 0 && rollout_is(state, "canary")) {
        tally t = count_rows(rows, n, 1);
        if (t.open == 0) {
            if (t.reported && (double)t.failed / (double)t.reported > d.max_failure_rate) {
                snprintf(reason, sizeof reason, "canary: %zu of %zu devices failed (rate %.2f > max_failure_rate %.2f)",
                         t.failed, t.reported, (double)t.failed / (double)t.reported, d.max_failure_rate);
                snprintf(state, sizeof state, "rolled_back");
            } else {
                snprintf(reason, sizeof reason, "canary: %zu of %zu devices confirmed", t.reported - t.failed,
                         t.total);
                snprintf(state, sizeof state, "%s", d.auto_promote ? "rolling_out" : "canary_done");
            }
        }
    }
    if (rc == 0 && rollout_is(state, "rolling_out")) {
        tally t = count_rows(rows, n, 0);
        size_t need = (size_t)ceil((double)t.total * 0.1);
        if (need < 3) need = 3;
        if (need > t.total) need = t.total;
        if (t.reported && t.reported >= need && (double)t.failed / (double)t.reported > d.max_failure_rate) {
            snprintf(reason, sizeof reason,
                     "rollout: %zu of %zu reporting devices failed (rate %.2f > max_failure_rate %.2f)", t.failed,
                     t.reported, (double)t.failed / (double)t.reported, d.max_failure_rate);
            snprintf(state, sizeof state, "rolled_back");
        } else if (t.open == 0) {
            snprintf(reason, sizeof reason, "%zu of %zu devices confirmed", t.reported - t.failed, t.total);
            snprintf(state, sizeof state, "complete");
        }
    }
    free(rows);
    if (rc != 0 || (rollout_is(state, d.state) && rollout_is(reason, d.reason))) return rc;
    if (rollout_is(state, "rolled_back")) rc = rollback_rows(r, id, reason);
    else rc = mote_store_deployment_set_state(r->s, id, state, reason);
    if (rc == 0) moted_log(r->m, "info", "deployment %lld: %s -> %s (%s)", (long long)id, d.state, state, reason);
    return rc;
}

int deploy_advance(struct moted_rollout *r, int64_t id)
{
    int rc;
    ROLLOUT_TX(r->s, rc, advance_tx(r, id));
    return rc;
}

int deploy_tick(struct moted_rollout *r)
{
    static const char *const live[] = {"compiling", "canary", "rolling_out"};
    for (size_t k = 0; k < 3; k++) {
        int64_t *ids = NULL;
        size_t n = 0;
        if (mote_store_deployment_ids(r->s, live[k], &ids, &n) != 0) return -1;
        for (size_t i = 0; i < n; i++)
            if (deploy_advance(r, ids[i]) != 0) {
                free(ids);
                return -1;
            }
        free(ids);
    }
    return 0;
}

static int promote_tx(struct moted_rollout *r, int64_t id, char *err, size_t errlen)
{
    mote_deployment_rec d;
    int g = mote_store_deployment_get(r->s, id, &d);
    if (g != 0) return g;
    if (!rollout_is(d.state, "canary_done")) {
        snprintf(err, errlen, "deployment %lld is %s: only a finished, healthy canary (canary_done) can be promoted",
                 (long long)id, d.state);
        return 2;
    }
    return mote_store_deployment_set_state(r->s, id, "rolling_out", "promoted");
}

int deploy_promote(struct moted_rollout *r, int64_t id, char *err, size_t errlen)
{
    int rc;
    ROLLOUT_TX(r->s, rc, promote_tx(r, id, err, errlen));
    if (rc == 0) rc = deploy_advance(r, id);
    if (rc < 0) snprintf(err, errlen, "%s", mote_store_error(r->s));
    return rc;
}

static int rollback_tx(struct moted_rollout *r, int64_t id, const char *reason, char *err, size_t errlen)
{
    mote_deployment_rec d;
    int g = mote_store_deployment_get(r->s, id, &d);
    if (g != 0) return g;
    if (rollout_is(d.state, "rolled_back")) {
        snprintf(err, errlen, "deployment %lld is already rolled back", (long long)id);
        return 2;
    }
    return rollback_rows(r, id, reason);
}

int deploy_rollback(struct moted_rollout *r, int64_t id, const char *reason, char *err, size_t errlen)
{
    int rc;
    ROLLOUT_TX(r->s, rc, rollback_tx(r, id, reason, err, errlen));
    if (rc < 0) snprintf(err, errlen, "%s", mote_store_error(r->s));
    return rc;
}

json_t *deploy_json(struct moted_rollout *r, int64_t id, int with_devices, int *found)
{
    mote_deployment_rec d;
    int g = mote_store_deployment_get(r->s, id, &d);
    *found = g == 0;
    if (g != 0) return NULL;
    mote_model_rec m;
    memset(&m, 0, sizeof m);
    int have = mote_store_model_get_id(r->s, d.model_id, &m) == 0;
    mote_dd_rec *rows = NULL;
    size_t n = 0;
    if (mote_store_dd_list(r->s, id, &rows, &n) != 0) {
        mote_model_free(&m);
        return NULL;
    }
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:f,s:b,s:s,s:s,s:s,s:s}", "id", (json_int_t)d.id, "model",
                          have ? m.name : "", "version", have ? m.version : "", "group", d.group, "strategy",
                          d.strategy, "canary_percent", d.canary_percent, "max_failure_rate", d.max_failure_rate,
                          "auto_promote", d.auto_promote, "state", d.state, "reason", d.reason, "created", d.created,
                          "updated", d.updated);
    mote_model_free(&m);
    static const char *const states[] = {"pending",      "offered",     "confirmed", "failed",
                                         "incompatible", "rolled_back", "superseded"};
    json_t *counts = json_object(), *devs = json_array();
    for (size_t k = 0; k < 7; k++) {
        json_int_t c = 0;
        for (size_t i = 0; i < n; i++) c += rollout_is(rows[i].state, states[k]);
        json_object_set_new(counts, states[k], json_integer(c));
    }
    for (size_t i = 0; i < n && with_devices; i++)
        json_array_append_new(devs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", rows[i].device, "phase",
                                              rows[i].phase, "state", rows[i].state, "reason", rows[i].reason,
                                              "artifact", rows[i].artifact, "target", rows[i].target));
    free(rows);
    if (!o) {
        json_decref(counts);
        json_decref(devs);
        return NULL;
    }
    json_object_set_new(o, "counts", counts);
    if (with_devices) json_object_set_new(o, "devices", devs);
    else json_decref(devs);
    return o;
}
