/* SQLite: the device registry (identity, credential hash, facts, tags, what
 * the device last reported). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define DEVICE_COLS                                                                                           \
    "d.id, d.name, d.profile, d.facts, d.tags, d.created, d.last_seen, d.state, d.artifact,"                  \
    " d.selftest_output_b64, d.telemetry, d.target, d.model, d.version"

static void device_row(sqlite3_stmt *st, mote_device_rec *d)
{
    memset(d, 0, sizeof *d);
    store_col_text(st, 0, d->id, sizeof d->id);
    store_col_text(st, 1, d->name, sizeof d->name);
    store_col_text(st, 2, d->profile, sizeof d->profile);
    d->facts = store_col_json(st, 3);
    d->tags = store_col_json(st, 4);
    store_col_text(st, 5, d->created, sizeof d->created);
    store_col_text(st, 6, d->last_seen, sizeof d->last_seen);
    store_col_text(st, 7, d->state, sizeof d->state);
    store_col_text(st, 8, d->artifact, sizeof d->artifact);
    store_col_text(st, 9, d->selftest_output_b64, sizeof d->selftest_output_b64);
    d->telemetry = store_col_json(st, 10);
    store_col_text(st, 11, d->target, sizeof d->target);
    store_col_text(st, 12, d->model, sizeof d->model);
    store_col_text(st, 13, d->version, sizeof d->version);
    if (!d->facts) d->facts = json_object();
    if (!d->tags) d->tags = json_array();
}

/* The device document of the row st is on. */
static json_t *device_json(sqlite3_stmt *st)
{
    mote_device_rec d;
    device_row(st, &d);
    json_t *o = mote_device_json(&d);
    mote_device_free(&d);
    return o;
}

static int bind_tags(mote_store *s, const char *id, json_t *tags)
{
    sqlite3_stmt *st = store_prepare(s, "DELETE FROM device_tags WHERE device=?");
    if (!st) return -1;
    if (store_bind_text(st, 1, id) || store_step_done(s, st, "device tags") != 0) return -1;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (!json_is_string(t)) return mote_store_fail(s, "device %s: tags[%zu] is not a string", id, i);
        st = store_prepare(s, "INSERT OR IGNORE INTO device_tags(device, tag) VALUES(?,?)");
        if (!st) return -1;
        if (store_bind_text(st, 1, id) || store_bind_text(st, 2, json_string_value(t))) {
            sqlite3_finalize(st);
            return store_sql_fail(s, "device tags");
        }
        if (store_step_done(s, st, "device tags") != 0) return -1;
    }
    return 0;
}

static int device_add(mote_store *s, const mote_device_rec *d, const char *cred_hash_hex)
{
    char now[32];
    mote_store_now(now);
    json_t *tags = d->tags ? d->tags : json_array();
    char *facts = d->facts ? json_dumps(d->facts, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("{}");
    char *tagtxt = json_dumps(tags, JSON_COMPACT | JSON_ENCODE_ANY);
    int ret = -1;
    if (!facts || !tagtxt) {
        mote_store_fail(s, "device %s: facts or tags cannot be encoded", d->id);
        goto out;
    }
    if (mote_store_begin(s) != 0) goto out;
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO devices(id, name, profile, cred_hash, facts, tags, created,"
                                        " last_seen, state) VALUES(?,?,?,?,?,?,?,?,'registered')");
    if (!st) goto fail;
    if (store_bind_text(st, 1, d->id) || store_bind_text(st, 2, d->name) || store_bind_text(st, 3, d->profile) ||
        store_bind_text(st, 4, cred_hash_hex) || store_bind_text(st, 5, facts) || store_bind_text(st, 6, tagtxt) ||
        store_bind_text(st, 7, now) || store_bind_text(st, 8, now)) {
        sqlite3_finalize(st);
        store_sql_fail(s, "device add");
        goto fail;
    }
    if (store_step_done(s, st, "device add") != 0 || bind_tags(s, d->id, tags) != 0) goto fail;
    ret = mote_store_commit(s);
    goto out;
fail:
    mote_store_rollback(s);
out:
    if (tags != d->tags) json_decref(tags);
    free(facts);
    free(tagtxt);
    return ret;
}

static int device_auth(mote_store *s, const char *cred_hash_hex, char id[24], char last_seen[32])
{
    sqlite3_stmt *st = store_prepare(s, "SELECT id, last_seen FROM devices WHERE cred_hash=?");
    if (!st) return -1;
    if (store_bind_text(st, 1, cred_hash_hex)) {
        sqlite3_finalize(st);
        return store_sql_fail(s, "device auth");
    }
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        store_col_text(st, 0, id, 24);
        if (last_seen) store_col_text(st, 1, last_seen, 32);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? 1 : store_sql_fail(s, "device auth");
    }
    sqlite3_finalize(st);
    return ret;
}

static int device_get(mote_store *s, const char *id, mote_device_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DEVICE_COLS " FROM devices d WHERE d.id=?");
    if (!st) return -1;
    if (store_bind_text(st, 1, id)) {
        sqlite3_finalize(st);
        return store_sql_fail(s, "device lookup");
    }
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        device_row(st, out);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? 1 : store_sql_fail(s, "device lookup");
    }
    sqlite3_finalize(st);
    return ret;
}

static json_t *device_list(mote_store *s, const char *tag)
{
    sqlite3_stmt *st =
        tag ? store_prepare(s, "SELECT " DEVICE_COLS " FROM devices d JOIN device_tags t ON t.device=d.id"
                               " WHERE t.tag=? ORDER BY d.rowid")
            : store_prepare(s, "SELECT " DEVICE_COLS " FROM devices d ORDER BY d.rowid");
    if (!st) return NULL;
    if (tag && store_bind_text(st, 1, tag)) {
        sqlite3_finalize(st);
        store_sql_fail(s, "device list");
        return NULL;
    }
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = device_json(st);
        if (!o || json_array_append_new(a, o) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_NOMEM) mote_store_fail(s, "device list: out of memory");
        else store_sql_fail(s, "device list");
        json_decref(a);
        a = NULL;
    }
    sqlite3_finalize(st);
    return a;
}

static json_t *device_doc(mote_store *s, const char *id, int *rc)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " DEVICE_COLS " FROM devices d WHERE d.id=?");
    *rc = -1;
    if (!st) return NULL;
    if (store_bind_text(st, 1, id)) {
        sqlite3_finalize(st);
        store_sql_fail(s, "device lookup");
        return NULL;
    }
    json_t *o = NULL;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        o = device_json(st);
        *rc = o ? 0 : mote_store_fail(s, "device %s: out of memory", id);
    } else if (r == SQLITE_DONE) {
        *rc = 1;
    } else {
        store_sql_fail(s, "device lookup");
    }
    sqlite3_finalize(st);
    return o;
}

static int device_ids_by_tag(mote_store *s, const char *tag, char (**ids)[24], size_t *n)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, "SELECT device FROM device_tags WHERE tag=? ORDER BY device");
    if (!st) return -1;
    if (store_bind_text(st, 1, tag)) {
        sqlite3_finalize(st);
        return store_sql_fail(s, "device ids");
    }
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char(*g)[24] = realloc(*ids, nc * sizeof **ids);
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            *ids = g;
            cap = nc;
        }
        store_col_text(st, 0, (*ids)[*n], 24);
        (*n)++;
    }
    int ret = 0;
    if (rc != SQLITE_DONE) {
        ret = rc == SQLITE_NOMEM ? mote_store_fail(s, "device ids: out of memory") : store_sql_fail(s, "device ids");
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    sqlite3_finalize(st);
    return ret;
}

/* UPDATE devices SET <set> WHERE id=?: binds the texts in order, then the id. 1 if no such device. */
static int device_update(mote_store *s, const char *id, const char *sql, const char *const *vals, int n)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st) return -1;
    for (int i = 0; i < n; i++)
        if (store_bind_text(st, i + 1, vals[i])) {
            sqlite3_finalize(st);
            return store_sql_fail(s, "device update");
        }
    if (store_bind_text(st, n + 1, id)) {
        sqlite3_finalize(st);
        return store_sql_fail(s, "device update");
    }
    if (store_step_done(s, st, "device update") != 0) return -1;
    return sqlite3_changes(store_db(s)) > 0 ? 0 : 1;
}

static int device_set_tags(mote_store *s, const char *id, json_t *tags)
{
    char *txt = json_dumps(tags, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!txt) return mote_store_fail(s, "device %s: tags cannot be encoded", id);
    if (mote_store_begin(s) != 0) {
        free(txt);
        return -1;
    }
    const char *v[] = {txt};
    int r = device_update(s, id, "UPDATE devices SET tags=? WHERE id=?", v, 1);
    free(txt);
    if (r == 0) r = bind_tags(s, id, tags);
    if (r != 0) {
        mote_store_rollback(s);
        return r;
    }
    return mote_store_commit(s);
}

static int device_report(mote_store *s, const char *id, const char *state, const char *artifact,
                             const char *output_b64)
{
    char now[32];
    mote_store_now(now);
    const char *v[] = {state, now, artifact ? artifact : "", artifact ? "1" : "0", output_b64 ? output_b64 : "",
                       output_b64 ? "1" : "0"};
    return device_update(s, id,
                         "UPDATE devices SET state=?, last_seen=?,"
                         " artifact=CASE WHEN ?4='1' THEN ?3 ELSE artifact END,"
                         " selftest_output_b64=CASE WHEN ?6='1' THEN ?5 ELSE selftest_output_b64 END WHERE id=?7",
                         v, 6);
}

static int device_running(mote_store *s, const char *id, const char *target, const char *model,
                              const char *version)
{
    const char *v[] = {target, model, version};
    return device_update(s, id, "UPDATE devices SET target=?, model=?, version=? WHERE id=?", v, 3);
}

static int device_telemetry(mote_store *s, const char *id, json_t *telemetry)
{
    char *txt = json_dumps(telemetry, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!txt) return mote_store_fail(s, "device %s: telemetry cannot be encoded", id);
    char now[32];
    mote_store_now(now);
    const char *v[] = {txt, now};
    int r = device_update(s, id, "UPDATE devices SET telemetry=?, last_seen=? WHERE id=?", v, 2);
    free(txt);
    return r;
}

static int device_seen(mote_store *s, const char *id, const char *stored_last_seen)
{
    char now[32];
    mote_store_now(now);
    if (stored_last_seen && !strcmp(stored_last_seen, now)) return 0;
    const char *v[] = {now};
    return device_update(s, id, "UPDATE devices SET last_seen=?1 WHERE id=?2 AND last_seen<>?1", v, 1) < 0 ? -1 : 0;
}

static int device_count(mote_store *s, int64_t *n)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM devices");
    if (!st) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_sql_fail(s, "device count");
}

const mote_store_device_ops sqlite_device_ops = {
    .add = device_add,
    .auth = device_auth,
    .get = device_get,
    .list = device_list,
    .doc = device_doc,
    .ids_by_tag = device_ids_by_tag,
    .set_tags = device_set_tags,
    .report = device_report,
    .telemetry = device_telemetry,
    .seen = device_seen,
    .running = device_running,
    .count = device_count,
};
