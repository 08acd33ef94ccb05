/* The SQLite backend (store/backend.h): opening, per-thread connections,
 * errors, statement helpers, transactions and tokens. The schema is in
 * schema.c; models, devices, jobs and deployments in their own files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

/* Error of a thread that has no connection (opening it failed). */
static _Thread_local char orphan_err[512];

static sqlite_store *sq(mote_store *s)
{
    return (sqlite_store *)s;
}

static void conn_destroy(void *p)
{
    store_conn *c = p, **pp;
    if (!c) return;
    pthread_mutex_lock(&c->owner->mu);
    for (pp = &c->owner->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    pthread_mutex_unlock(&c->owner->mu);
    sqlite3_close_v2(c->db);
    free(c);
}

int store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

static sqlite3 *open_db(const char *dir, char *err, size_t errlen)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/moted.db", dir);
    sqlite3 *db = NULL;
    /* One connection per thread (store_conn_get), so no connection mutex. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%.300s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close_v2(db);
        return NULL;
    }
    char e[400];
    /* WAL (set once, kept in the file) lets readers run beside one writer;
     * NORMAL sync in WAL loses no committed transaction when the process dies. */
    if (sqlite3_busy_timeout(db, 10000) != SQLITE_OK ||
        store_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", e, sizeof e) != 0) {
        snprintf(err, errlen, "%.300s: %.200s", path, e);
        sqlite3_close_v2(db);
        return NULL;
    }
    return db;
}

store_conn *store_conn_get(mote_store *s)
{
    sqlite_store *q = sq(s);
    store_conn *c = pthread_getspecific(q->key);
    if (c) return c;
    c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(orphan_err, sizeof orphan_err, "out of memory");
        return NULL;
    }
    c->db = open_db(s->dir, orphan_err, sizeof orphan_err);
    if (!c->db) {
        free(c);
        return NULL;
    }
    c->owner = q;
    if (pthread_setspecific(q->key, c) != 0) {
        snprintf(orphan_err, sizeof orphan_err, "%.400s/moted.db: cannot keep a connection for this thread", s->dir);
        sqlite3_close_v2(c->db);
        free(c);
        return NULL;
    }
    pthread_mutex_lock(&q->mu);
    c->next = q->conns;
    q->conns = c;
    pthread_mutex_unlock(&q->mu);
    return c;
}

sqlite3 *store_db(mote_store *s)
{
    store_conn *c = store_conn_get(s);
    return c ? c->db : NULL;
}

static void set_error(mote_store *s, const char *msg)
{
    store_conn *c = pthread_getspecific(sq(s)->key);
    if (c) snprintf(c->err, sizeof c->err, "%s", msg);
    else snprintf(orphan_err, sizeof orphan_err, "%s", msg);
}

static const char *error(mote_store *s)
{
    store_conn *c = pthread_getspecific(sq(s)->key);
    return c ? c->err : orphan_err;
}

int store_sql_fail(mote_store *s, const char *what)
{
    store_conn *c = pthread_getspecific(sq(s)->key);
    if (!c) return -1; /* orphan_err says why there is no connection */
    return mote_store_fail(s, "moted.db: %s: %s", what, sqlite3_errmsg(c->db));
}

int store_fail_st(mote_store *s, sqlite3_stmt *st, const char *what)
{
    int r = store_sql_fail(s, what);
    sqlite3_finalize(st);
    return r;
}

sqlite3_stmt *store_prepare(mote_store *s, const char *sql)
{
    store_conn *c = store_conn_get(s);
    if (!c) return NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        store_sql_fail(s, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

int store_step_done(mote_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_sql_fail(s, what);
    sqlite3_finalize(st);
    return ret;
}

int store_step_one(mote_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc == SQLITE_DONE) return 1;
    return store_sql_fail(s, what);
}

int store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
}

int store_bind_texts(sqlite3_stmt *st, int first, const char *const *v, int n)
{
    for (int i = 0; i < n; i++)
        if (store_bind_text(st, first + i, v[i])) return -1;
    return 0;
}

void store_col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, len, "%s", t ? (const char *)t : "");
}

json_t *store_col_json(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
}

json_t *store_count_by(mote_store *s, const char *sql, const char *const *keys, size_t n_keys)
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

static void close_store(mote_store *s)
{
    sqlite_store *q = sq(s);
    /* Threads that still exist keep a dangling value under the key; deleting
     * the key first means no destructor runs for it any more. */
    pthread_key_delete(q->key);
    store_conn *c = q->conns;
    while (c) {
        store_conn *n = c->next;
        sqlite3_close_v2(c->db);
        free(c);
        c = n;
    }
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static const mote_store_ops sqlite_ops;

static mote_store *open_store(const char *data_dir, char *err, size_t errlen)
{
    /* Allocation statistics take a global mutex on every SQLite malloc; moted does not read them. Only
     * possible before SQLite initializes: later calls fail harmlessly. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite_store *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    mote_store *s = &q->base;
    s->ops = &sqlite_ops;
    snprintf(s->dir, sizeof s->dir, "%s", data_dir);
    if (pthread_key_create(&q->key, conn_destroy) != 0) {
        snprintf(err, errlen, "cannot create a thread key");
        free(q);
        return NULL;
    }
    if (pthread_mutex_init(&q->mu, NULL) != 0) {
        snprintf(err, errlen, "cannot create a mutex");
        pthread_key_delete(q->key);
        free(q);
        return NULL;
    }
    char e[600];
    store_conn *c = store_conn_get(s);
    if (!c) {
        snprintf(err, errlen, "%s", orphan_err);
        close_store(s);
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    const char *mode = NULL;
    if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        mode = (const char *)sqlite3_column_text(st, 0);
    int wal = mode && !strcmp(mode, "wal");
    sqlite3_finalize(st);
    if (!wal) {
        snprintf(err, errlen, "%s/moted.db: cannot switch to WAL mode: %s", data_dir, sqlite3_errmsg(c->db));
        close_store(s);
        return NULL;
    }
    if (store_migrate(c->db, e, sizeof e) != 0) {
        snprintf(err, errlen, "%s/%s", data_dir, e);
        close_store(s);
        return NULL;
    }
    return s;
}

static int ping(mote_store *s)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM tokens");
    if (!st) return -1;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_sql_fail(s, "ping");
}

/* ---- transactions ---- */

static int begin_with(mote_store *s, const char *sql)
{
    store_conn *c = store_conn_get(s);
    if (!c) return -1;
    if (c->tx_depth == 0 && sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_sql_fail(s, "begin");
    c->tx_depth++;
    return 0;
}

static int begin(mote_store *s)
{
    return begin_with(s, "BEGIN IMMEDIATE");
}

/* A read transaction takes no write lock until it writes (it does not). */
static int begin_read(mote_store *s)
{
    return begin_with(s, "BEGIN");
}

static int commit(mote_store *s)
{
    store_conn *c = store_conn_get(s);
    if (!c) return -1;
    if (c->tx_depth == 0) return mote_store_fail(s, "moted.db: commit without a transaction (rolled back)");
    if (--c->tx_depth > 0) return 0;
    if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int r = store_sql_fail(s, "commit");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    return 0;
}

static void rollback(mote_store *s)
{
    store_conn *c = store_conn_get(s);
    if (!c || c->tx_depth == 0) return;
    /* An inner rollback abandons the whole transaction; the outer commit then fails. */
    c->tx_depth = 0;
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- tokens ---- */

static int token_add(mote_store *s, const char *name, const char *role, const char *token_hex)
{
    char now[32];
    mote_store_now(now);
    sqlite3_stmt *st = store_prepare(s, "INSERT OR IGNORE INTO tokens(hash, name, role, created) VALUES(?,?,?,?)");
    if (!st) return -1;
    if (store_bind_text(st, 1, token_hex) || store_bind_text(st, 2, name) || store_bind_text(st, 3, role) ||
        store_bind_text(st, 4, now)) {
        sqlite3_finalize(st);
        return store_sql_fail(s, "token add");
    }
    return store_step_done(s, st, "token add");
}

static int token_role(mote_store *s, const char *token_hex, char *role, size_t rolelen)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT role FROM tokens WHERE hash=?");
    if (!st) return -1;
    if (store_bind_text(st, 1, token_hex)) {
        sqlite3_finalize(st);
        return store_sql_fail(s, "token lookup");
    }
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        store_col_text(st, 0, role, rolelen);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? 1 : store_sql_fail(s, "token lookup");
    }
    sqlite3_finalize(st);
    return ret;
}

static const mote_store_core_ops core_ops = {
    .close = close_store,
    .error = error,
    .set_error = set_error,
    .ping = ping,
    .schema_version = store_schema_version,
    .begin = begin,
    .begin_read = begin_read,
    .commit = commit,
    .rollback = rollback,
    .token_add = token_add,
    .token_role = token_role,
};

static const mote_store_ops sqlite_ops = {
    .core = &core_ops,
    .models = &sqlite_model_ops,
    .devices = &sqlite_device_ops,
    .jobs = &sqlite_job_ops,
    .deployments = &sqlite_deployment_ops,
    .automl = &sqlite_automl_ops,
    .monitor = &sqlite_monitor_ops,
};

const mote_store_backend mote_store_sqlite = {.name = "sqlite", .open = open_store};
