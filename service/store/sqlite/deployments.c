/* SQLite: deployments and the state of each device in a deployment
 * (deployment_devices). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

/* ---- deployments ---- */

#define DEP_COLS \
    "id, model_id, grp, strategy, canary_percent, max_failure_rate, auto_promote, state, reason, created, updated"

static int deployment_add(mote_store *s, mote_deployment_rec *d)
{
    mote_store_now(d->created);
    memcpy(d->updated, d->created, sizeof d->updated);
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO deployments(model_id, grp, strategy, canary_percent,"
                                        " max_failure_rate, auto_promote, state, reason, created, updated)"
                                        " VALUES(?,?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    const char *t[] = {d->state, d->reason, d->created, d->updated};
    if (sqlite3_bind_int64(st, 1, d->model_id) || store_bind_text(st, 2, d->group) ||
        store_bind_text(st, 3, d->strategy) || sqlite3_bind_int(st, 4, d->canary_percent) ||
        sqlite3_bind_double(st, 5, d->max_failure_rate) || sqlite3_bind_int(st, 6, d->auto_promote) ||
        store_bind_texts(st, 7, t, 4))
        return store_fail_st(s, st, "deployment add");
    if (store_step_done(s, st, "deployment add")) return -1;
    d->id = sqlite3_last_insert_rowid(store_db(s));
    return 0;
}

static int deployment_for_joiner(mote_store *s, const char *device, int64_t *id)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT d.id FROM deployments d JOIN device_tags t ON t.tag=d.grp"
                                        " WHERE t.device=? AND d.state<>'rolled_back' ORDER BY d.id DESC LIMIT 1");
    if (!st) return -1;
    if (store_bind_text(st, 1, device)) return store_fail_st(s, st, "deployment of a joining device");
    int r = store_step_one(s, st, "deployment of a joining device");
    if (r == 0) *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return r;
}

static int deployment_get(mote_store *s, int64_t id, mote_deployment_rec *d)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DEP_COLS " FROM deployments WHERE id=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, id)) return store_fail_st(s, st, "deployment get");
    int r = store_step_one(s, st, "deployment get");
    if (r == 0) {
        memset(d, 0, sizeof *d);
        d->id = sqlite3_column_int64(st, 0);
        d->model_id = sqlite3_column_int64(st, 1);
        store_col_text(st, 2, d->group, sizeof d->group);
        store_col_text(st, 3, d->strategy, sizeof d->strategy);
        d->canary_percent = sqlite3_column_int(st, 4);
        d->max_failure_rate = sqlite3_column_double(st, 5);
        d->auto_promote = sqlite3_column_int(st, 6);
        store_col_text(st, 7, d->state, sizeof d->state);
        store_col_text(st, 8, d->reason, sizeof d->reason);
        store_col_text(st, 9, d->created, sizeof d->created);
        store_col_text(st, 10, d->updated, sizeof d->updated);
    }
    sqlite3_finalize(st);
    return r;
}

static int deployment_set_state(mote_store *s, int64_t id, const char *state, const char *reason)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "UPDATE deployments SET state=?, reason=?, updated=? WHERE id=?");
    if (!st) return -1;
    const char *t[] = {state, reason, now};
    if (store_bind_texts(st, 1, t, 3) || sqlite3_bind_int64(st, 4, id)) return store_fail_st(s, st, "deployment state");
    return store_step_done(s, st, "deployment state");
}

static int deployment_ids(mote_store *s, const char *state, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, state ? "SELECT id FROM deployments WHERE state=? ORDER BY id"
                                              : "SELECT id FROM deployments ORDER BY id");
    if (!st) return -1;
    if (state && store_bind_text(st, 1, state)) return store_fail_st(s, st, "deployment list");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            int64_t *p = realloc(*ids, cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                free(*ids);
                *ids = NULL;
                return mote_store_fail(s, "deployment list: out of memory");
            }
            *ids = p;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return store_fail_st(s, st, "deployment list");
    }
    sqlite3_finalize(st);
    return 0;
}

static json_t *deployment_counts(mote_store *s)
{
    static const char *const keys[] = {"compiling", "canary", "canary_done", "rolling_out", "complete", "rolled_back"};
    return store_count_by(s, "SELECT state, COUNT(*) FROM deployments GROUP BY state", keys, 6);
}

/* ---- deployment_devices ---- */

#define DD_COLS "deployment, device, phase, rank, state, reason, target, job, artifact, previous, updated"

static void dd_row(sqlite3_stmt *st, mote_dd_rec *r)
{
    memset(r, 0, sizeof *r);
    r->deployment = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, r->device, sizeof r->device);
    store_col_text(st, 2, r->phase, sizeof r->phase);
    r->rank = sqlite3_column_int(st, 3);
    store_col_text(st, 4, r->state, sizeof r->state);
    store_col_text(st, 5, r->reason, sizeof r->reason);
    store_col_text(st, 6, r->target, sizeof r->target);
    r->job = sqlite3_column_int64(st, 7);
    store_col_text(st, 8, r->artifact, sizeof r->artifact);
    store_col_text(st, 9, r->previous, sizeof r->previous);
    store_col_text(st, 10, r->updated, sizeof r->updated);
}

static int dd_add(mote_store *s, const mote_dd_rec *r)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO deployment_devices(" DD_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    const char *t1[] = {r->device, r->phase};
    const char *t2[] = {r->state, r->reason, r->target};
    const char *t3[] = {r->artifact, r->previous, now};
    if (sqlite3_bind_int64(st, 1, r->deployment) || store_bind_texts(st, 2, t1, 2) || sqlite3_bind_int(st, 4, r->rank) ||
        store_bind_texts(st, 5, t2, 3) || sqlite3_bind_int64(st, 8, r->job) || store_bind_texts(st, 9, t3, 3))
        return store_fail_st(s, st, "deployment device add");
    return store_step_done(s, st, "deployment device add");
}

static int dd_get(mote_store *s, int64_t deployment, const char *device, mote_dd_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DD_COLS " FROM deployment_devices WHERE deployment=? AND device=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, deployment) || store_bind_text(st, 2, device))
        return store_fail_st(s, st, "deployment device get");
    int r = store_step_one(s, st, "deployment device get");
    if (r == 0) dd_row(st, out);
    sqlite3_finalize(st);
    return r;
}

static int dd_list(mote_store *s, int64_t deployment, mote_dd_rec **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, "SELECT " DD_COLS " FROM deployment_devices WHERE deployment=? ORDER BY rank");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, deployment)) return store_fail_st(s, st, "deployment devices");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            mote_dd_rec *p = realloc(*rows, cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                free(*rows);
                *rows = NULL;
                *n = 0;
                return mote_store_fail(s, "deployment devices: out of memory");
            }
            *rows = p;
        }
        dd_row(st, &(*rows)[(*n)++]);
    }
    if (rc != SQLITE_DONE) {
        free(*rows);
        *rows = NULL;
        *n = 0;
        return store_fail_st(s, st, "deployment devices");
    }
    sqlite3_finalize(st);
    return 0;
}

static int dd_update(mote_store *s, const mote_dd_rec *r)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "UPDATE deployment_devices SET phase=?, state=?, reason=?, target=?, job=?,"
                                        " artifact=?, previous=?, updated=? WHERE deployment=? AND device=?");
    if (!st) return -1;
    const char *t1[] = {r->phase, r->state, r->reason, r->target};
    const char *t2[] = {r->artifact, r->previous, now};
    if (store_bind_texts(st, 1, t1, 4) || sqlite3_bind_int64(st, 5, r->job) || store_bind_texts(st, 6, t2, 3) ||
        sqlite3_bind_int64(st, 9, r->deployment) || store_bind_text(st, 10, r->device))
        return store_fail_st(s, st, "deployment device update");
    return store_step_done(s, st, "deployment device update");
}

static int dd_current(mote_store *s, const char *device, mote_dd_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DD_COLS " FROM deployment_devices WHERE device=?"
                                        " AND state<>'superseded' ORDER BY deployment DESC LIMIT 1");
    if (!st) return -1;
    if (store_bind_text(st, 1, device)) return store_fail_st(s, st, "device deployment");
    int r = store_step_one(s, st, "device deployment");
    if (r == 0) dd_row(st, out);
    sqlite3_finalize(st);
    return r;
}

static int dd_supersede(mote_store *s, const char *device, int64_t deployment)
{
    char now[32], reason[64];
    mote_store_now(now);
    snprintf(reason, sizeof reason, "superseded by deployment %lld", (long long)deployment);
    sqlite3_stmt *st = store_prepare(s, "UPDATE deployment_devices SET state='superseded', reason=?, updated=?"
                                        " WHERE device=? AND deployment<? AND state IN ('pending','offered')");
    if (!st) return -1;
    if (store_bind_text(st, 1, reason) || store_bind_text(st, 2, now) || store_bind_text(st, 3, device) ||
        sqlite3_bind_int64(st, 4, deployment))
        return store_fail_st(s, st, "supersede");
    return store_step_done(s, st, "supersede");
}

static int dd_device_has_artifact(mote_store *s, const char *device, const char *sha256)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT 1 FROM deployment_devices WHERE device=? AND (artifact=? OR previous=?)"
                                        " LIMIT 1");
    if (!st) return -1;
    if (store_bind_text(st, 1, device) || store_bind_text(st, 2, sha256) || store_bind_text(st, 3, sha256))
        return store_fail_st(s, st, "artifact access");
    int r = store_step_one(s, st, "artifact access");
    sqlite3_finalize(st);
    return r;
}

const mote_store_deployment_ops sqlite_deployment_ops = {
    .add = deployment_add,
    .get = deployment_get,
    .set_state = deployment_set_state,
    .ids = deployment_ids,
    .for_joiner = deployment_for_joiner,
    .counts = deployment_counts,
    .dd_add = dd_add,
    .dd_get = dd_get,
    .dd_list = dd_list,
    .dd_update = dd_update,
    .dd_current = dd_current,
    .dd_supersede = dd_supersede,
    .dd_device_has_artifact = dd_device_has_artifact,
};
