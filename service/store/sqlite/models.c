/* SQLite: the model repository, one row per published name+version, bytes in blobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define MODEL_COLS "id, name, version, sha256, size, selftest_in, selftest_out, created, metadata"

static void model_row(sqlite3_stmt *st, mote_model_rec *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, m->name, sizeof m->name);
    store_col_text(st, 2, m->version, sizeof m->version);
    store_col_text(st, 3, m->sha256, sizeof m->sha256);
    m->size = sqlite3_column_int64(st, 4);
    store_col_text(st, 5, m->selftest_in, sizeof m->selftest_in);
    store_col_text(st, 6, m->selftest_out, sizeof m->selftest_out);
    store_col_text(st, 7, m->created, sizeof m->created);
    m->metadata = store_col_json(st, 8);
    if (!m->metadata) m->metadata = json_object();
}

/* Run a one-row model query; 0 with *out filled, 1 when there is no row. */
static int model_one(mote_store *s, sqlite3_stmt *st, mote_model_rec *out)
{
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        model_row(st, out);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? 1 : store_sql_fail(s, "model lookup");
    }
    sqlite3_finalize(st);
    return ret;
}

static int model_get(mote_store *s, const char *name, const char *version, mote_model_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " MODEL_COLS " FROM models WHERE name=? AND version=?");
    if (!st) return -1;
    if (store_bind_text(st, 1, name) || store_bind_text(st, 2, version)) {
        sqlite3_finalize(st);
        return store_sql_fail(s, "model lookup");
    }
    return model_one(s, st, out);
}

static int model_get_id(mote_store *s, int64_t id, mote_model_rec *out)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " MODEL_COLS " FROM models WHERE id=?");
    if (!st) return -1;
    if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
        sqlite3_finalize(st);
        return store_sql_fail(s, "model lookup");
    }
    return model_one(s, st, out);
}

static int model_add(mote_store *s, mote_model_rec *m)
{
    if (mote_store_begin(s) != 0) return -1;
    mote_model_rec old;
    int r = model_get(s, m->name, m->version, &old);
    if (r == 0) {
        /* Published already: report the existing row, change nothing. */
        m->id = old.id;
        memcpy(m->sha256, old.sha256, sizeof m->sha256);
        memcpy(m->created, old.created, sizeof m->created);
        m->size = old.size;
        mote_model_free(&old);
        return mote_store_commit(s) == 0 ? 1 : -1;
    }
    if (r < 0) {
        mote_store_rollback(s);
        return -1;
    }
    mote_store_now(m->created);
    char *meta = m->metadata ? json_dumps(m->metadata, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("{}");
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO models(name, version, sha256, size, selftest_in, selftest_out,"
                                        " metadata, created) VALUES(?,?,?,?,?,?,?,?)");
    if (!meta || !st || store_bind_text(st, 1, m->name) || store_bind_text(st, 2, m->version) ||
        store_bind_text(st, 3, m->sha256) || sqlite3_bind_int64(st, 4, m->size) != SQLITE_OK ||
        store_bind_text(st, 5, m->selftest_in) || store_bind_text(st, 6, m->selftest_out) ||
        store_bind_text(st, 7, meta) || store_bind_text(st, 8, m->created)) {
        if (st) store_sql_fail(s, "model add");
        else if (!meta) mote_store_fail(s, "model %s/%s: metadata cannot be encoded", m->name, m->version);
        sqlite3_finalize(st);
        free(meta);
        mote_store_rollback(s);
        return -1;
    }
    free(meta);
    if (store_step_done(s, st, "model add") != 0) {
        mote_store_rollback(s);
        return -1;
    }
    m->id = sqlite3_last_insert_rowid(store_db(s));
    return mote_store_commit(s);
}

static json_t *model_list(mote_store *s)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT name, version, sha256, size, created FROM models ORDER BY name, id");
    if (!st) return NULL;
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", (const char *)sqlite3_column_text(st, 0),
                              "version", (const char *)sqlite3_column_text(st, 1), "sha256",
                              (const char *)sqlite3_column_text(st, 2), "size",
                              (json_int_t)sqlite3_column_int64(st, 3), "created",
                              (const char *)sqlite3_column_text(st, 4));
        if (!o || json_array_append_new(a, o) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "model list");
        json_decref(a);
        a = NULL;
    }
    sqlite3_finalize(st);
    return a;
}

const mote_store_model_ops sqlite_model_ops = {
    .add = model_add,
    .get = model_get,
    .get_id = model_get_id,
    .list = model_list,
};
