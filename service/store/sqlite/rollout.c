/* SQLite implementation of store_rollout.h: jobs, artifacts, deployments and
 * deployment_devices (schema migration 2). */
#include "store/store_rollout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

/* Migration 2. deployment_devices.rank is the canary order; jobs keep the
 * profile they compile for, so a queued job survives a change of targets/.
 * An artifact is one signed manifest: two model versions with the same bytes
 * share the blob (sha256) but not the row (version, self-test differ). */
const char mote_store_rollout_schema[] =
    "CREATE TABLE jobs(id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL REFERENCES models(id),"
    " target TEXT NOT NULL, profile TEXT NOT NULL, format TEXT NOT NULL, cache_key TEXT NOT NULL,"
    " state TEXT NOT NULL, refused INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',"
    " log TEXT NOT NULL DEFAULT '', artifact TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,"
    " updated TEXT NOT NULL);"
    "CREATE INDEX jobs_state ON jobs(state, id);"
    "CREATE TABLE artifacts(cache_key TEXT PRIMARY KEY, sha256 TEXT NOT NULL,"
    " model_id INTEGER NOT NULL REFERENCES models(id), target TEXT NOT NULL, format TEXT NOT NULL,"
    " size INTEGER NOT NULL, manifest TEXT NOT NULL, signature TEXT NOT NULL, selftest_in TEXT NOT NULL,"
    " selftest_out TEXT NOT NULL, created TEXT NOT NULL);"
    "CREATE INDEX artifacts_sha ON artifacts(sha256);"
    "CREATE TABLE deployments(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " model_id INTEGER NOT NULL REFERENCES models(id), grp TEXT NOT NULL, strategy TEXT NOT NULL,"
    " canary_percent INTEGER NOT NULL, max_failure_rate REAL NOT NULL, auto_promote INTEGER NOT NULL,"
    " state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', created TEXT NOT NULL, updated TEXT NOT NULL);"
    "CREATE INDEX deployments_state ON deployments(state, id);"
    "CREATE TABLE deployment_devices(deployment INTEGER NOT NULL REFERENCES deployments(id),"
    " device TEXT NOT NULL, phase TEXT NOT NULL, rank INTEGER NOT NULL, state TEXT NOT NULL,"
    " reason TEXT NOT NULL DEFAULT '', target TEXT NOT NULL DEFAULT '', job INTEGER NOT NULL DEFAULT 0,"
    " artifact TEXT NOT NULL DEFAULT '', previous TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL,"
    " PRIMARY KEY(deployment, device));"
    "CREATE INDEX deployment_devices_device ON deployment_devices(device, deployment);";

/* ---- small helpers ---- */

static int bind_all_text(sqlite3_stmt *st, int first, const char *const *v, int n)
{
    for (int i = 0; i < n; i++)
        if (store_bind_text(st, first + i, v[i])) return -1;
    return 0;
}

static int fail_st(mote_store *s, sqlite3_stmt *st, const char *what)
{
    int r = store_sql_fail(s, what);
    sqlite3_finalize(st);
    return r;
}

/* Step a query expected to give at most one row: 0 row (st left on it), 1 none, -1 error. */
static int step_one(mote_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc == SQLITE_DONE) return 1;
    return store_sql_fail(s, what);
}

/* ---- jobs ---- */

#define JOB_COLS "id, model_id, target, profile, format, cache_key, state, refused, error, log, artifact, created, updated"

static void job_row(sqlite3_stmt *st, mote_job_rec *j)
{
    memset(j, 0, sizeof *j);
    j->id = sqlite3_column_int64(st, 0);
    j->model_id = sqlite3_column_int64(st, 1);
    store_col_text(st, 2, j->target, sizeof j->target);
    store_col_text(st, 3, j->profile, sizeof j->profile);
    store_col_text(st, 4, j->format, sizeof j->format);
    store_col_text(st, 5, j->cache_key, sizeof j->cache_key);
    store_col_text(st, 6, j->state, sizeof j->state);
    j->refused = sqlite3_column_int(st, 7);
    store_col_text(st, 8, j->error, sizeof j->error);
    store_col_text(st, 9, j->log, sizeof j->log);
    store_col_text(st, 10, j->artifact, sizeof j->artifact);
    store_col_text(st, 11, j->created, sizeof j->created);
    store_col_text(st, 12, j->updated, sizeof j->updated);
}

int mote_store_job_add(mote_store *s, mote_job_rec *j)
{
    mote_store_now(j->created);
    memcpy(j->updated, j->created, sizeof j->updated);
    sqlite3_stmt *st = store_prepare(s,
                                     "INSERT INTO jobs(model_id, target, profile, format, cache_key, state, refused,"
                                     " error, log, artifact, created, updated) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    const char *t1[] = {j->target, j->profile, j->format, j->cache_key, j->state};
    const char *t2[] = {j->error, j->log, j->artifact, j->created, j->updated};
    if (sqlite3_bind_int64(st, 1, j->model_id) || bind_all_text(st, 2, t1, 5) || sqlite3_bind_int(st, 7, j->refused) ||
        bind_all_text(st, 8, t2, 5))
        return fail_st(s, st, "job add");
    if (store_step_done(s, st, "job add")) return -1;
    j->id = sqlite3_last_insert_rowid(mote_store_db(s));
    return 0;
}

int mote_store_job_get(mote_store *s, int64_t id, mote_job_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " JOB_COLS " FROM jobs WHERE id=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, id)) return fail_st(s, st, "job get");
    int r = step_one(s, st, "job get");
    if (r == 0) job_row(st, out);
    sqlite3_finalize(st);
    return r;
}

int mote_store_job_claim(mote_store *s, mote_job_rec *out)
{
    if (mote_store_begin(s)) return -1;
    sqlite3_stmt *st = store_prepare(s, "SELECT " JOB_COLS " FROM jobs WHERE state='queued' ORDER BY id LIMIT 1");
    int r = st ? step_one(s, st, "job claim") : -1;
    if (r == 0) job_row(st, out);
    sqlite3_finalize(st);
    if (r == 0) {
        mote_store_now(out->updated);
        snprintf(out->state, sizeof out->state, "running");
        sqlite3_stmt *u = store_prepare(s, "UPDATE jobs SET state='running', updated=? WHERE id=?");
        if (!u) r = -1;
        else if (store_bind_text(u, 1, out->updated) || sqlite3_bind_int64(u, 2, out->id)) r = fail_st(s, u, "job claim");
        else r = store_step_done(s, u, "job claim");
    }
    if (r < 0) {
        mote_store_rollback(s);
        return -1;
    }
    return mote_store_commit(s) ? -1 : r;
}

int mote_store_job_finish(mote_store *s, const mote_job_rec *j)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st =
        store_prepare(s, "UPDATE jobs SET state=?, refused=?, error=?, log=?, artifact=?, updated=? WHERE id=?");
    if (!st) return -1;
    const char *t[] = {j->error, j->log, j->artifact, now};
    if (store_bind_text(st, 1, j->state) || sqlite3_bind_int(st, 2, j->refused) || bind_all_text(st, 3, t, 4) ||
        sqlite3_bind_int64(st, 7, j->id))
        return fail_st(s, st, "job finish");
    return store_step_done(s, st, "job finish");
}

int mote_store_job_requeue_running(mote_store *s)
{
    sqlite3_stmt *st = store_prepare(s, "UPDATE jobs SET state='queued' WHERE state='running'");
    return st ? store_step_done(s, st, "job requeue") : -1;
}

static json_t *count_by(mote_store *s, const char *sql, const char *const *keys, size_t n_keys)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n_keys; i++) json_object_set_new(o, keys[i], json_integer(0));
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st) {
        json_decref(o);
        return NULL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        if (k) json_object_set_new(o, k, json_integer(sqlite3_column_int64(st, 1)));
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "count");
        json_decref(o);
        o = NULL;
    }
    sqlite3_finalize(st);
    return o;
}

json_t *mote_store_job_counts(mote_store *s)
{
    static const char *const keys[] = {"queued", "running", "done", "failed"};
    return count_by(s, "SELECT state, COUNT(*) FROM jobs GROUP BY state", keys, 4);
}

/* ---- artifacts ---- */

#define ART_COLS \
    "sha256, model_id, target, format, size, manifest, signature, cache_key, selftest_in, selftest_out, created"

int mote_store_artifact_add(mote_store *s, const mote_artifact_rec *a)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "INSERT OR IGNORE INTO artifacts(" ART_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    const char *t1[] = {a->target, a->format};
    const char *t2[] = {a->manifest, a->signature, a->cache_key, a->selftest_in, a->selftest_out, now};
    if (store_bind_text(st, 1, a->sha256) || sqlite3_bind_int64(st, 2, a->model_id) || bind_all_text(st, 3, t1, 2) ||
        sqlite3_bind_int64(st, 5, a->size) || bind_all_text(st, 6, t2, 6))
        return fail_st(s, st, "artifact add");
    return store_step_done(s, st, "artifact add");
}

static int artifact_where(mote_store *s, const char *sql, const char *key, const char *key2, mote_artifact_rec *a)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st) return -1;
    if (store_bind_text(st, 1, key) || (key2 && store_bind_text(st, 2, key2))) return fail_st(s, st, "artifact get");
    int r = step_one(s, st, "artifact get");
    if (r == 0) {
        memset(a, 0, sizeof *a);
        store_col_text(st, 0, a->sha256, sizeof a->sha256);
        a->model_id = sqlite3_column_int64(st, 1);
        store_col_text(st, 2, a->target, sizeof a->target);
        store_col_text(st, 3, a->format, sizeof a->format);
        a->size = sqlite3_column_int64(st, 4);
        store_col_text(st, 5, a->manifest, sizeof a->manifest);
        store_col_text(st, 6, a->signature, sizeof a->signature);
        store_col_text(st, 7, a->cache_key, sizeof a->cache_key);
        store_col_text(st, 8, a->selftest_in, sizeof a->selftest_in);
        store_col_text(st, 9, a->selftest_out, sizeof a->selftest_out);
        store_col_text(st, 10, a->created, sizeof a->created);
    }
    sqlite3_finalize(st);
    return r;
}

int mote_store_artifact_get(mote_store *s, const char *sha256, const char *target, mote_artifact_rec *out)
{
    if (!target)
        return artifact_where(s, "SELECT " ART_COLS " FROM artifacts WHERE sha256=? ORDER BY created DESC, rowid DESC"
                                 " LIMIT 1", sha256, NULL, out);
    return artifact_where(s, "SELECT " ART_COLS " FROM artifacts WHERE sha256=? AND target=?"
                             " ORDER BY created DESC, rowid DESC LIMIT 1", sha256, target, out);
}

int mote_store_artifact_by_key(mote_store *s, const char *cache_key, mote_artifact_rec *out)
{
    return artifact_where(s, "SELECT " ART_COLS " FROM artifacts WHERE cache_key=?", cache_key, NULL, out);
}

/* ---- deployments ---- */

#define DEP_COLS \
    "id, model_id, grp, strategy, canary_percent, max_failure_rate, auto_promote, state, reason, created, updated"

int mote_store_deployment_add(mote_store *s, mote_deployment_rec *d)
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
        bind_all_text(st, 7, t, 4))
        return fail_st(s, st, "deployment add");
    if (store_step_done(s, st, "deployment add")) return -1;
    d->id = sqlite3_last_insert_rowid(mote_store_db(s));
    return 0;
}

int mote_store_deployment_for_joiner(mote_store *s, const char *device, int64_t *id)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT d.id FROM deployments d JOIN device_tags t ON t.tag=d.grp"
                                        " WHERE t.device=? AND d.state<>'rolled_back' ORDER BY d.id DESC LIMIT 1");
    if (!st) return -1;
    if (store_bind_text(st, 1, device)) return fail_st(s, st, "deployment of a joining device");
    int r = step_one(s, st, "deployment of a joining device");
    if (r == 0) *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return r;
}

int mote_store_deployment_get(mote_store *s, int64_t id, mote_deployment_rec *d)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DEP_COLS " FROM deployments WHERE id=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, id)) return fail_st(s, st, "deployment get");
    int r = step_one(s, st, "deployment get");
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

int mote_store_deployment_set_state(mote_store *s, int64_t id, const char *state, const char *reason)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "UPDATE deployments SET state=?, reason=?, updated=? WHERE id=?");
    if (!st) return -1;
    const char *t[] = {state, reason, now};
    if (bind_all_text(st, 1, t, 3) || sqlite3_bind_int64(st, 4, id)) return fail_st(s, st, "deployment state");
    return store_step_done(s, st, "deployment state");
}

int mote_store_deployment_ids(mote_store *s, const char *state, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, state ? "SELECT id FROM deployments WHERE state=? ORDER BY id"
                                              : "SELECT id FROM deployments ORDER BY id");
    if (!st) return -1;
    if (state && store_bind_text(st, 1, state)) return fail_st(s, st, "deployment list");
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
        return fail_st(s, st, "deployment list");
    }
    sqlite3_finalize(st);
    return 0;
}

json_t *mote_store_deployment_counts(mote_store *s)
{
    static const char *const keys[] = {"compiling", "canary", "canary_done", "rolling_out", "complete", "rolled_back"};
    return count_by(s, "SELECT state, COUNT(*) FROM deployments GROUP BY state", keys, 6);
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

int mote_store_dd_add(mote_store *s, const mote_dd_rec *r)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO deployment_devices(" DD_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    const char *t1[] = {r->device, r->phase};
    const char *t2[] = {r->state, r->reason, r->target};
    const char *t3[] = {r->artifact, r->previous, now};
    if (sqlite3_bind_int64(st, 1, r->deployment) || bind_all_text(st, 2, t1, 2) || sqlite3_bind_int(st, 4, r->rank) ||
        bind_all_text(st, 5, t2, 3) || sqlite3_bind_int64(st, 8, r->job) || bind_all_text(st, 9, t3, 3))
        return fail_st(s, st, "deployment device add");
    return store_step_done(s, st, "deployment device add");
}

int mote_store_dd_get(mote_store *s, int64_t deployment, const char *device, mote_dd_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DD_COLS " FROM deployment_devices WHERE deployment=? AND device=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, deployment) || store_bind_text(st, 2, device))
        return fail_st(s, st, "deployment device get");
    int r = step_one(s, st, "deployment device get");
    if (r == 0) dd_row(st, out);
    sqlite3_finalize(st);
    return r;
}

int mote_store_dd_list(mote_store *s, int64_t deployment, mote_dd_rec **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, "SELECT " DD_COLS " FROM deployment_devices WHERE deployment=? ORDER BY rank");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, deployment)) return fail_st(s, st, "deployment devices");
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
        return fail_st(s, st, "deployment devices");
    }
    sqlite3_finalize(st);
    return 0;
}

int mote_store_dd_update(mote_store *s, const mote_dd_rec *r)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "UPDATE deployment_devices SET phase=?, state=?, reason=?, target=?, job=?,"
                                        " artifact=?, previous=?, updated=? WHERE deployment=? AND device=?");
    if (!st) return -1;
    const char *t1[] = {r->phase, r->state, r->reason, r->target};
    const char *t2[] = {r->artifact, r->previous, now};
    if (bind_all_text(st, 1, t1, 4) || sqlite3_bind_int64(st, 5, r->job) || bind_all_text(st, 6, t2, 3) ||
        sqlite3_bind_int64(st, 9, r->deployment) || store_bind_text(st, 10, r->device))
        return fail_st(s, st, "deployment device update");
    return store_step_done(s, st, "deployment device update");
}

int mote_store_dd_current(mote_store *s, const char *device, mote_dd_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DD_COLS " FROM deployment_devices WHERE device=?"
                                        " AND state<>'superseded' ORDER BY deployment DESC LIMIT 1");
    if (!st) return -1;
    if (store_bind_text(st, 1, device)) return fail_st(s, st, "device deployment");
    int r = step_one(s, st, "device deployment");
    if (r == 0) dd_row(st, out);
    sqlite3_finalize(st);
    return r;
}

int mote_store_dd_supersede(mote_store *s, const char *device, int64_t deployment)
{
    char now[32], reason[64];
    mote_store_now(now);
    snprintf(reason, sizeof reason, "superseded by deployment %lld", (long long)deployment);
    sqlite3_stmt *st = store_prepare(s, "UPDATE deployment_devices SET state='superseded', reason=?, updated=?"
                                        " WHERE device=? AND deployment<? AND state IN ('pending','offered')");
    if (!st) return -1;
    if (store_bind_text(st, 1, reason) || store_bind_text(st, 2, now) || store_bind_text(st, 3, device) ||
        sqlite3_bind_int64(st, 4, deployment))
        return fail_st(s, st, "supersede");
    return store_step_done(s, st, "supersede");
}

int mote_store_dd_device_has_artifact(mote_store *s, const char *device, const char *sha256)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT 1 FROM deployment_devices WHERE device=? AND (artifact=? OR previous=?)"
                                        " LIMIT 1");
    if (!st) return -1;
    if (store_bind_text(st, 1, device) || store_bind_text(st, 2, sha256) || store_bind_text(st, 3, sha256))
        return fail_st(s, st, "artifact access");
    int r = step_one(s, st, "artifact access");
    sqlite3_finalize(st);
    return r;
}
