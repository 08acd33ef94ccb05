/* SQLite: monitoring's tables: baselines of model versions, alerts, sampling policies and samples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

static int baseline_set(mote_store *s, int64_t model_id, json_t *stats)
{
    char *text = json_dumps(stats, JSON_COMPACT);
    if (!text) return mote_store_fail(s, "baseline of model %lld: cannot be encoded", (long long)model_id);
    sqlite3_stmt *st = store_prepare(s, "INSERT OR REPLACE INTO baselines(model_id, stats) VALUES(?,?)");
    int r = -1;
    if (st && !sqlite3_bind_int64(st, 1, model_id) && !store_bind_text(st, 2, text))
        r = store_step_done(s, st, "baseline set");
    else if (st)
        r = store_fail_st(s, st, "baseline set");
    free(text);
    return r;
}

static int baseline_get(mote_store *s, int64_t model_id, json_t **stats)
{
    *stats = NULL;
    sqlite3_stmt *st = store_prepare(s, "SELECT stats FROM baselines WHERE model_id=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, model_id)) return store_fail_st(s, st, "baseline get");
    int r = store_step_one(s, st, "baseline get");
    if (r == 0 && !(*stats = store_col_json(st, 0))) r = mote_store_fail(s, "baseline of model %lld: not JSON",
                                                                         (long long)model_id);
    sqlite3_finalize(st);
    return r;
}

static int alert_open(mote_store *s, mote_alert_rec *a)
{
    mote_store_now(a->started);
    memcpy(a->updated, a->started, sizeof a->updated);
    snprintf(a->state, sizeof a->state, "firing");
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO alerts(model_id, grp, signal, state, value, threshold, message,"
                                        " started, updated) VALUES(?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    const char *t1[] = {a->group, a->signal, a->state}, *t2[] = {a->message, a->started, a->updated};
    if (sqlite3_bind_int64(st, 1, a->model_id) || store_bind_texts(st, 2, t1, 3) ||
        sqlite3_bind_double(st, 5, a->value) || sqlite3_bind_double(st, 6, a->threshold) ||
        store_bind_texts(st, 7, t2, 3))
        return store_fail_st(s, st, "alert open");
    if (store_step_done(s, st, "alert open")) return -1;
    a->id = sqlite3_last_insert_rowid(store_db(s));
    return 0;
}

static int alert_update(mote_store *s, int64_t id, double value, int resolve)
{
    char now[32];
    mote_store_now(now);
    /* resolved stays '' while firing; resolving sets it to now */
    sqlite3_stmt *st = store_prepare(s, "UPDATE alerts SET value=?1, updated=?2,"
                                        " state=CASE WHEN ?3 THEN 'resolved' ELSE state END,"
                                        " resolved=CASE WHEN ?3 THEN ?2 ELSE resolved END"
                                        " WHERE id=?4 AND state='firing'");
    if (!st) return -1;
    if (sqlite3_bind_double(st, 1, value) || store_bind_text(st, 2, now) || sqlite3_bind_int(st, 3, resolve != 0) ||
        sqlite3_bind_int64(st, 4, id))
        return store_fail_st(s, st, "alert update");
    return store_step_done(s, st, "alert update");
}

#define ALERT_COLS \
    "a.id, a.model_id, a.grp, a.signal, a.state, a.value, a.threshold, a.message, a.started, a.updated, a.resolved"

static void alert_row(sqlite3_stmt *st, mote_alert_rec *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    a->model_id = sqlite3_column_int64(st, 1);
    store_col_text(st, 2, a->group, sizeof a->group);
    store_col_text(st, 3, a->signal, sizeof a->signal);
    store_col_text(st, 4, a->state, sizeof a->state);
    a->value = sqlite3_column_double(st, 5);
    a->threshold = sqlite3_column_double(st, 6);
    store_col_text(st, 7, a->message, sizeof a->message);
    store_col_text(st, 8, a->started, sizeof a->started);
    store_col_text(st, 9, a->updated, sizeof a->updated);
    store_col_text(st, 10, a->resolved, sizeof a->resolved);
}

static json_t *alert_list(mote_store *s, const char *state)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " ALERT_COLS ", m.name, m.version FROM alerts a"
                                        " JOIN models m ON m.id = a.model_id WHERE ?1 = '' OR a.state = ?1"
                                        " ORDER BY a.id DESC LIMIT 1000");
    if (!st) return NULL;
    if (store_bind_text(st, 1, state ? state : "")) {
        store_fail_st(s, st, "alert list");
        return NULL;
    }
    json_t *arr = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        mote_alert_rec a;
        alert_row(st, &a);
        json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:s, s:o}", "id", (json_int_t)a.id,
                              "model", (const char *)sqlite3_column_text(st, 11), "version",
                              (const char *)sqlite3_column_text(st, 12), "group", a.group, "signal", a.signal,
                              "state", a.state, "value", a.value, "threshold", a.threshold, "message", a.message,
                              "started", a.started, "updated", a.updated, "resolved",
                              a.resolved[0] ? json_string(a.resolved) : json_null());
        if (!o || json_array_append_new(arr, o)) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "alert list");
        json_decref(arr);
        arr = NULL;
    }
    sqlite3_finalize(st);
    return arr;
}

static int alert_firing(mote_store *s, mote_alert_rec **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, "SELECT " ALERT_COLS " FROM alerts a WHERE a.state='firing' ORDER BY a.id");
    if (!st) return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            mote_alert_rec *g = realloc(*out, cap * sizeof *g);
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            *out = g;
        }
        alert_row(st, &(*out)[(*n)++]);
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "firing alerts");
        sqlite3_finalize(st);
        free(*out);
        *out = NULL;
        *n = 0;
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

/* ---- sampling policies and samples ---- */

static int sampling_set(mote_store *s, const char *group, json_t *policy)
{
    if (!policy) {
        sqlite3_stmt *st = store_prepare(s, "DELETE FROM sampling WHERE grp=?");
        if (!st) return -1;
        if (store_bind_text(st, 1, group)) return store_fail_st(s, st, "sampling delete");
        return store_step_done(s, st, "sampling delete");
    }
    char *text = json_dumps(policy, JSON_COMPACT);
    if (!text) return mote_store_fail(s, "sampling of %s: cannot be encoded", group);
    sqlite3_stmt *st = store_prepare(s, "INSERT OR REPLACE INTO sampling(grp, policy) VALUES(?,?)");
    int r = -1;
    if (st && !store_bind_text(st, 1, group) && !store_bind_text(st, 2, text)) r = store_step_done(s, st, "sampling set");
    else if (st) r = store_fail_st(s, st, "sampling set");
    free(text);
    return r;
}

static int sampling_get(mote_store *s, const char *group, json_t **policy)
{
    *policy = NULL;
    sqlite3_stmt *st = store_prepare(s, "SELECT policy FROM sampling WHERE grp=?");
    if (!st) return -1;
    if (store_bind_text(st, 1, group)) return store_fail_st(s, st, "sampling get");
    int r = store_step_one(s, st, "sampling get");
    if (r == 0 && !(*policy = store_col_json(st, 0))) r = mote_store_fail(s, "sampling of %s: not JSON", group);
    sqlite3_finalize(st);
    return r;
}

#define SAMPLE_COLS "s.id, s.device, s.model_id, s.class, s.confidence, s.sha256, s.size, s.label, s.created, s.labelled"

static void sample_row(sqlite3_stmt *st, mote_sample_rec *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, r->device, sizeof r->device);
    r->model_id = sqlite3_column_int64(st, 2);
    r->cls = sqlite3_column_int(st, 3);
    r->confidence = sqlite3_column_double(st, 4);
    store_col_text(st, 5, r->sha256, sizeof r->sha256);
    r->size = sqlite3_column_int64(st, 6);
    r->label = sqlite3_column_int(st, 7);
    store_col_text(st, 8, r->created, sizeof r->created);
    store_col_text(st, 9, r->labelled, sizeof r->labelled);
}

static int sample_add(mote_store *s, mote_sample_rec *r)
{
    mote_store_now(r->created);
    r->label = -1;
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO samples(device, model_id, class, confidence, sha256, size,"
                                        " created) VALUES(?,?,?,?,?,?,?)");
    if (!st) return -1;
    if (store_bind_text(st, 1, r->device) || sqlite3_bind_int64(st, 2, r->model_id) ||
        sqlite3_bind_int(st, 3, r->cls) || sqlite3_bind_double(st, 4, r->confidence) ||
        store_bind_text(st, 5, r->sha256) || sqlite3_bind_int64(st, 6, r->size) || store_bind_text(st, 7, r->created))
        return store_fail_st(s, st, "sample add");
    if (store_step_done(s, st, "sample add")) return -1;
    r->id = sqlite3_last_insert_rowid(store_db(s));
    return 0;
}

static int sample_get(mote_store *s, int64_t id, mote_sample_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " SAMPLE_COLS " FROM samples s WHERE s.id=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, id)) return store_fail_st(s, st, "sample get");
    int r = store_step_one(s, st, "sample get");
    if (r == 0) sample_row(st, out);
    sqlite3_finalize(st);
    return r;
}

static json_t *sample_list(mote_store *s, int64_t model_id, int unlabelled, int64_t after, int limit)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " SAMPLE_COLS ", m.name, m.version FROM samples s"
                                        " LEFT JOIN models m ON m.id = s.model_id"
                                        " WHERE s.id > ?1 AND (?2 = 0 OR s.model_id = ?2) AND (?3 = 0 OR s.label < 0)"
                                        " ORDER BY s.id LIMIT ?4");
    if (!st) return NULL;
    if (sqlite3_bind_int64(st, 1, after) || sqlite3_bind_int64(st, 2, model_id) || sqlite3_bind_int(st, 3, unlabelled) ||
        sqlite3_bind_int(st, 4, limit)) {
        store_fail_st(s, st, "sample list");
        return NULL;
    }
    json_t *arr = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        mote_sample_rec r;
        sample_row(st, &r);
        const char *name = (const char *)sqlite3_column_text(st, 10), *version = (const char *)sqlite3_column_text(st, 11);
        json_t *o = json_pack("{s:I, s:s, s:o, s:o, s:i, s:f, s:s, s:I, s:o, s:s, s:o}", "id", (json_int_t)r.id,
                              "device", r.device, "model", name ? json_string(name) : json_null(), "version",
                              version ? json_string(version) : json_null(), "class", r.cls, "confidence",
                              r.confidence, "sha256", r.sha256, "size", (json_int_t)r.size, "label",
                              r.label >= 0 ? json_integer(r.label) : json_null(), "created", r.created, "labelled",
                              r.labelled[0] ? json_string(r.labelled) : json_null());
        if (!o || json_array_append_new(arr, o)) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "sample list");
        json_decref(arr);
        arr = NULL;
    }
    sqlite3_finalize(st);
    return arr;
}

static int sample_label(mote_store *s, int64_t id, int label)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "UPDATE samples SET label=?, labelled=? WHERE id=?");
    if (!st) return -1;
    if (sqlite3_bind_int(st, 1, label) || store_bind_text(st, 2, now) || sqlite3_bind_int64(st, 3, id))
        return store_fail_st(s, st, "sample label");
    if (store_step_done(s, st, "sample label")) return -1;
    return sqlite3_changes(store_db(s)) ? 0 : 1;
}

static int sample_labelled(mote_store *s, int64_t model_id, mote_sample_rec **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, "SELECT " SAMPLE_COLS " FROM samples s WHERE s.label >= 0"
                                        " AND (?1 = 0 OR s.model_id = ?1) ORDER BY s.id");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, model_id)) return store_fail_st(s, st, "labelled samples");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            mote_sample_rec *g = realloc(*out, cap * sizeof *g);
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            *out = g;
        }
        sample_row(st, &(*out)[(*n)++]);
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "labelled samples");
        sqlite3_finalize(st);
        free(*out);
        *out = NULL;
        *n = 0;
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

const mote_store_monitor_ops sqlite_monitor_ops = {
    .baseline_set = baseline_set,
    .baseline_get = baseline_get,
    .alert_open = alert_open,
    .alert_update = alert_update,
    .alert_list = alert_list,
    .alert_firing = alert_firing,
    .sampling_set = sampling_set,
    .sampling_get = sampling_get,
    .sample_add = sample_add,
    .sample_get = sample_get,
    .sample_list = sample_list,
    .sample_label = sample_label,
    .sample_labelled = sample_labelled,
};
