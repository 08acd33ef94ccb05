/* SQLite: compile jobs (a queue that survives restarts) and the signed
 * artifacts they make. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

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

static int job_add(mote_store *s, mote_job_rec *j)
{
    mote_store_now(j->created);
    memcpy(j->updated, j->created, sizeof j->updated);
    sqlite3_stmt *st = store_prepare(s,
                                     "INSERT INTO jobs(model_id, target, profile, format, cache_key, state, refused,"
                                     " error, log, artifact, created, updated) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    const char *t1[] = {j->target, j->profile, j->format, j->cache_key, j->state};
    const char *t2[] = {j->error, j->log, j->artifact, j->created, j->updated};
    if (sqlite3_bind_int64(st, 1, j->model_id) || store_bind_texts(st, 2, t1, 5) || sqlite3_bind_int(st, 7, j->refused) ||
        store_bind_texts(st, 8, t2, 5))
        return store_fail_st(s, st, "job add");
    if (store_step_done(s, st, "job add")) return -1;
    j->id = sqlite3_last_insert_rowid(store_db(s));
    return 0;
}

static int job_get(mote_store *s, int64_t id, mote_job_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " JOB_COLS " FROM jobs WHERE id=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, id)) return store_fail_st(s, st, "job get");
    int r = store_step_one(s, st, "job get");
    if (r == 0) job_row(st, out);
    sqlite3_finalize(st);
    return r;
}

static int job_claim(mote_store *s, mote_job_rec *out)
{
    if (mote_store_begin(s)) return -1;
    sqlite3_stmt *st = store_prepare(s, "SELECT " JOB_COLS " FROM jobs WHERE state='queued' ORDER BY id LIMIT 1");
    int r = st ? store_step_one(s, st, "job claim") : -1;
    if (r == 0) job_row(st, out);
    sqlite3_finalize(st);
    if (r == 0) {
        mote_store_now(out->updated);
        snprintf(out->state, sizeof out->state, "running");
        sqlite3_stmt *u = store_prepare(s, "UPDATE jobs SET state='running', updated=? WHERE id=?");
        if (!u) r = -1;
        else if (store_bind_text(u, 1, out->updated) || sqlite3_bind_int64(u, 2, out->id)) r = store_fail_st(s, u, "job claim");
        else r = store_step_done(s, u, "job claim");
    }
    if (r < 0) {
        mote_store_rollback(s);
        return -1;
    }
    return mote_store_commit(s) ? -1 : r;
}

static int job_finish(mote_store *s, const mote_job_rec *j)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st =
        store_prepare(s, "UPDATE jobs SET state=?, refused=?, error=?, log=?, artifact=?, updated=? WHERE id=?");
    if (!st) return -1;
    const char *t[] = {j->error, j->log, j->artifact, now};
    if (store_bind_text(st, 1, j->state) || sqlite3_bind_int(st, 2, j->refused) || store_bind_texts(st, 3, t, 4) ||
        sqlite3_bind_int64(st, 7, j->id))
        return store_fail_st(s, st, "job finish");
    return store_step_done(s, st, "job finish");
}

static int job_requeue_running(mote_store *s)
{
    sqlite3_stmt *st = store_prepare(s, "UPDATE jobs SET state='queued' WHERE state='running'");
    return st ? store_step_done(s, st, "job requeue") : -1;
}

static json_t *job_counts(mote_store *s)
{
    static const char *const keys[] = {"queued", "running", "done", "failed"};
    return store_count_by(s, "SELECT state, COUNT(*) FROM jobs GROUP BY state", keys, 4);
}

/* ---- artifacts ---- */

#define ART_COLS \
    "sha256, model_id, target, format, size, manifest, signature, cache_key, selftest_in, selftest_out, created"

static int artifact_add(mote_store *s, const mote_artifact_rec *a)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "INSERT OR IGNORE INTO artifacts(" ART_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    const char *t1[] = {a->target, a->format};
    const char *t2[] = {a->manifest, a->signature, a->cache_key, a->selftest_in, a->selftest_out, now};
    if (store_bind_text(st, 1, a->sha256) || sqlite3_bind_int64(st, 2, a->model_id) || store_bind_texts(st, 3, t1, 2) ||
        sqlite3_bind_int64(st, 5, a->size) || store_bind_texts(st, 6, t2, 6))
        return store_fail_st(s, st, "artifact add");
    return store_step_done(s, st, "artifact add");
}

static int artifact_where(mote_store *s, const char *sql, const char *key, const char *key2, mote_artifact_rec *a)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st) return -1;
    if (store_bind_text(st, 1, key) || (key2 && store_bind_text(st, 2, key2))) return store_fail_st(s, st, "artifact get");
    int r = store_step_one(s, st, "artifact get");
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

static int artifact_get(mote_store *s, const char *sha256, const char *target, mote_artifact_rec *out)
{
    if (!target)
        return artifact_where(s, "SELECT " ART_COLS " FROM artifacts WHERE sha256=? ORDER BY created DESC, rowid DESC"
                                 " LIMIT 1", sha256, NULL, out);
    return artifact_where(s, "SELECT " ART_COLS " FROM artifacts WHERE sha256=? AND target=?"
                             " ORDER BY created DESC, rowid DESC LIMIT 1", sha256, target, out);
}

static int artifact_by_key(mote_store *s, const char *cache_key, mote_artifact_rec *out)
{
    return artifact_where(s, "SELECT " ART_COLS " FROM artifacts WHERE cache_key=?", cache_key, NULL, out);
}

const mote_store_job_ops sqlite_job_ops = {
    .add = job_add,
    .get = job_get,
    .claim = job_claim,
    .finish = job_finish,
    .requeue_running = job_requeue_running,
    .counts = job_counts,
    .artifact_add = artifact_add,
    .artifact_get = artifact_get,
    .artifact_by_key = artifact_by_key,
};
