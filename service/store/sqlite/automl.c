/* SQLite: datasets (one row per name+version, bytes in a tar blob) and the
 * AutoML jobs that search on them (a queue that survives restarts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

/* ---- datasets ---- */

#define DATASET_COLS "id, name, version, sha256, size, files, bytes, parent, metadata, created"

static void dataset_row(sqlite3_stmt *st, mote_dataset_rec *d)
{
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, d->name, sizeof d->name);
    store_col_text(st, 2, d->version, sizeof d->version);
    store_col_text(st, 3, d->sha256, sizeof d->sha256);
    d->size = sqlite3_column_int64(st, 4);
    d->files = sqlite3_column_int64(st, 5);
    d->bytes = sqlite3_column_int64(st, 6);
    store_col_text(st, 7, d->parent, sizeof d->parent);
    d->metadata = store_col_json(st, 8);
    if (!d->metadata) d->metadata = json_object();
    store_col_text(st, 9, d->created, sizeof d->created);
}

static int dataset_get(mote_store *s, const char *name, const char *version, mote_dataset_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DATASET_COLS " FROM datasets WHERE name=? AND version=?");
    if (!st) return -1;
    if (store_bind_text(st, 1, name) || store_bind_text(st, 2, version)) return store_fail_st(s, st, "dataset get");
    int r = store_step_one(s, st, "dataset get");
    if (r == 0) dataset_row(st, out);
    sqlite3_finalize(st);
    return r;
}

static int dataset_add(mote_store *s, mote_dataset_rec *d)
{
    if (mote_store_begin(s) != 0) return -1;
    mote_dataset_rec old;
    int r = dataset_get(s, d->name, d->version, &old);
    if (r == 0) {
        /* Published already: report the existing row, change nothing. */
        d->id = old.id;
        memcpy(d->sha256, old.sha256, sizeof d->sha256);
        memcpy(d->created, old.created, sizeof d->created);
        d->size = old.size;
        mote_dataset_free(&old);
        return mote_store_commit(s) == 0 ? 1 : -1;
    }
    if (r < 0) {
        mote_store_rollback(s);
        return -1;
    }
    mote_store_now(d->created);
    char *meta = d->metadata ? json_dumps(d->metadata, JSON_COMPACT) : strdup("{}");
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO datasets(name, version, sha256, size, files, bytes, parent,"
                                        " metadata, created) VALUES(?,?,?,?,?,?,?,?,?)");
    const char *t[] = {d->parent, meta, d->created};
    if (!meta || !st || store_bind_text(st, 1, d->name) || store_bind_text(st, 2, d->version) ||
        store_bind_text(st, 3, d->sha256) || sqlite3_bind_int64(st, 4, d->size) ||
        sqlite3_bind_int64(st, 5, d->files) || sqlite3_bind_int64(st, 6, d->bytes) || store_bind_texts(st, 7, t, 3)) {
        if (st) store_fail_st(s, st, "dataset add");
        else if (!meta) mote_store_fail(s, "dataset %s/%s: metadata cannot be encoded", d->name, d->version);
        free(meta);
        mote_store_rollback(s);
        return -1;
    }
    free(meta);
    if (store_step_done(s, st, "dataset add") != 0) {
        mote_store_rollback(s);
        return -1;
    }
    d->id = sqlite3_last_insert_rowid(store_db(s));
    return mote_store_commit(s);
}

static json_t *dataset_list(mote_store *s)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DATASET_COLS " FROM datasets ORDER BY name, id");
    if (!st) return NULL;
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        mote_dataset_rec d;
        dataset_row(st, &d);
        json_t *o = mote_dataset_json(&d);
        mote_dataset_free(&d);
        if (!o || json_array_append_new(a, o) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "dataset list");
        json_decref(a);
        a = NULL;
    }
    sqlite3_finalize(st);
    return a;
}

/* ---- AutoML jobs ---- */

#define AUTOML_COLS                                                                                            \
    "id, dataset, dataset_version, model, model_version, spec, state, progress, error, result, created, updated"

static void automl_row(sqlite3_stmt *st, mote_automl_rec *j)
{
    memset(j, 0, sizeof *j);
    j->id = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, j->dataset, sizeof j->dataset);
    store_col_text(st, 2, j->dataset_version, sizeof j->dataset_version);
    store_col_text(st, 3, j->model, sizeof j->model);
    store_col_text(st, 4, j->model_version, sizeof j->model_version);
    j->spec = store_col_json(st, 5);
    store_col_text(st, 6, j->state, sizeof j->state);
    store_col_text(st, 7, j->progress, sizeof j->progress);
    store_col_text(st, 8, j->error, sizeof j->error);
    j->result = store_col_json(st, 9);
    store_col_text(st, 10, j->created, sizeof j->created);
    store_col_text(st, 11, j->updated, sizeof j->updated);
}

static int automl_add(mote_store *s, mote_automl_rec *j)
{
    mote_store_now(j->created);
    memcpy(j->updated, j->created, sizeof j->updated);
    snprintf(j->state, sizeof j->state, "queued");
    char *spec = json_dumps(j->spec ? j->spec : json_object(), JSON_COMPACT);
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO automl_jobs(dataset, dataset_version, model, model_version,"
                                        " spec, state, created, updated) VALUES(?,?,?,?,?,?,?,?)");
    const char *t[] = {j->dataset, j->dataset_version, j->model, j->model_version, spec, j->state, j->created,
                       j->updated};
    if (!spec || !st || store_bind_texts(st, 1, t, 8)) {
        if (st) store_fail_st(s, st, "automl job add");
        else if (!spec) mote_store_fail(s, "automl job: spec cannot be encoded");
        free(spec);
        return -1;
    }
    free(spec);
    if (store_step_done(s, st, "automl job add")) return -1;
    j->id = sqlite3_last_insert_rowid(store_db(s));
    return 0;
}

static int automl_get(mote_store *s, int64_t id, mote_automl_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " AUTOML_COLS " FROM automl_jobs WHERE id=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, id)) return store_fail_st(s, st, "automl job get");
    int r = store_step_one(s, st, "automl job get");
    if (r == 0) automl_row(st, out);
    sqlite3_finalize(st);
    return r;
}

static json_t *automl_list(mote_store *s)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " AUTOML_COLS " FROM automl_jobs ORDER BY id DESC");
    if (!st) return NULL;
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        mote_automl_rec j;
        automl_row(st, &j);
        json_t *o = mote_automl_json(&j);
        mote_automl_free(&j);
        if (!o || json_array_append_new(a, o) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "automl job list");
        json_decref(a);
        a = NULL;
    }
    sqlite3_finalize(st);
    return a;
}

/* Run an UPDATE with the time as parameter 1 and the id last (parameter n_texts + 2), texts between. */
static int automl_update(mote_store *s, const char *sql, const char *const *texts, int n_texts, int64_t id,
                         const char *what, int *changed)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st) return -1;
    if (store_bind_text(st, 1, now) || (n_texts && store_bind_texts(st, 2, texts, n_texts)) ||
        sqlite3_bind_int64(st, n_texts + 2, id))
        return store_fail_st(s, st, what);
    if (store_step_done(s, st, what)) return -1;
    if (changed) *changed = sqlite3_changes(store_db(s));
    return 0;
}

static int automl_claim(mote_store *s, mote_automl_rec *out)
{
    if (mote_store_begin(s)) return -1;
    sqlite3_stmt *st =
        store_prepare(s, "SELECT " AUTOML_COLS " FROM automl_jobs WHERE state='queued' ORDER BY id LIMIT 1");
    int r = st ? store_step_one(s, st, "automl job claim") : -1;
    if (r == 0) automl_row(st, out);
    sqlite3_finalize(st);
    if (r == 0) {
        snprintf(out->state, sizeof out->state, "running");
        r = automl_update(s, "UPDATE automl_jobs SET state='running', updated=? WHERE id=?", NULL, 0, out->id,
                          "automl job claim", NULL);
        if (r) mote_automl_free(out);
    }
    if (r < 0) {
        mote_store_rollback(s);
        return -1;
    }
    return mote_store_commit(s) ? -1 : r;
}

static int automl_progress(mote_store *s, int64_t id, const char *line)
{
    const char *t[] = {line};
    return automl_update(s, "UPDATE automl_jobs SET updated=?, progress=? WHERE id=? AND state='running'", t, 1, id,
                         "automl job progress", NULL);
}

static int automl_finish(mote_store *s, int64_t id, const char *state, const char *error, json_t *result)
{
    char *res = result ? json_dumps(result, JSON_COMPACT) : NULL;
    if (result && !res) return mote_store_fail(s, "automl job %lld: result cannot be encoded", (long long)id);
    const char *t[] = {state, error ? error : "", res};
    int changed = 0;
    int r = automl_update(s,
                          "UPDATE automl_jobs SET updated=?, state=?, error=?, result=? WHERE id=?"
                          " AND state IN ('queued','running')",
                          t, 3, id, "automl job finish", &changed);
    free(res);
    return r ? -1 : changed ? 0 : 1;
}

static int automl_requeue_running(mote_store *s)
{
    char e[256];
    if (store_exec(store_db(s), "UPDATE automl_jobs SET state='queued' WHERE state='running'", e, sizeof e))
        return mote_store_fail(s, "automl job requeue: %s", e);
    return 0;
}

const mote_store_automl_ops sqlite_automl_ops = {
    .dataset_add = dataset_add,
    .dataset_get = dataset_get,
    .dataset_list = dataset_list,
    .add = automl_add,
    .get = automl_get,
    .list = automl_list,
    .claim = automl_claim,
    .progress = automl_progress,
    .finish = automl_finish,
    .requeue_running = automl_requeue_running,
};
