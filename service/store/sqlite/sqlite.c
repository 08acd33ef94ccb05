/* SQLite store: opening, per-thread connections, schema migrations,
 * transactions, errors and tokens. Models, devices and blobs live in
 * store_models.c, store_devices.c and store_blobs.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/sqlite/sqlite_store.h"

/* Migration 1: the core tables. Tags live in their own table so that a
 * group lookup is an index search; devices.tags keeps the order given. */
static const char schema_core[] =
    "CREATE TABLE tokens(hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, created TEXT NOT NULL);"
    "CREATE TABLE models(id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, size INTEGER NOT NULL, selftest_in TEXT NOT NULL DEFAULT '',"
    " selftest_out TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL,"
    " UNIQUE(name, version));"
    "CREATE TABLE devices(id TEXT PRIMARY KEY, name TEXT NOT NULL, profile TEXT NOT NULL,"
    " cred_hash TEXT NOT NULL UNIQUE, facts TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',"
    " created TEXT NOT NULL, last_seen TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'registered',"
    " artifact TEXT NOT NULL DEFAULT '', selftest_output_b64 TEXT NOT NULL DEFAULT '', telemetry TEXT,"
    " target TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '', version TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE device_tags(device TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    " tag TEXT NOT NULL, PRIMARY KEY(tag, device));";

static const char *const migrations[] = {schema_core, mote_store_rollout_schema};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* Error of a thread that has no connection (opening it failed). */
static _Thread_local char orphan_err[512];

void mote_store_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)) snprintf(out, 32, "1970-01-01T00:00:00Z");
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

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
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
        exec_sql(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", e, sizeof e) != 0) {
        snprintf(err, errlen, "%.300s: %.200s", path, e);
        sqlite3_close_v2(db);
        return NULL;
    }
    return db;
}

store_conn *store_conn_get(mote_store *s)
{
    store_conn *c = pthread_getspecific(s->key);
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
    c->owner = s;
    if (pthread_setspecific(s->key, c) != 0) {
        snprintf(orphan_err, sizeof orphan_err, "%.400s/moted.db: cannot keep a connection for this thread", s->dir);
        sqlite3_close_v2(c->db);
        free(c);
        return NULL;
    }
    pthread_mutex_lock(&s->mu);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->mu);
    return c;
}

int mote_store_fail(mote_store *s, const char *fmt, ...)
{
    store_conn *c = s ? pthread_getspecific(s->key) : NULL;
    char *buf = c ? c->err : orphan_err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof c->err, fmt, ap);
    va_end(ap);
    return -1;
}

int store_sql_fail(mote_store *s, const char *what)
{
    store_conn *c = pthread_getspecific(s->key);
    if (!c) return -1; /* orphan_err says why there is no connection */
    return mote_store_fail(s, "moted.db: %s: %s", what, sqlite3_errmsg(c->db));
}

const char *mote_store_error(mote_store *s)
{
    store_conn *c = s ? pthread_getspecific(s->key) : NULL;
    return c ? c->err : orphan_err;
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

int store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
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

struct sqlite3 *mote_store_db(mote_store *s)
{
    store_conn *c = store_conn_get(s);
    return c ? c->db : NULL;
}

/* Apply the migrations past PRAGMA user_version, each in its own transaction. */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    for (;;) {
        sqlite3_stmt *st = NULL;
        int version = -1;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (version < 0) {
            snprintf(err, errlen, "moted.db: cannot read the schema version: %s", sqlite3_errmsg(db));
            return -1;
        }
        if (version > N_MIGRATIONS) {
            snprintf(err, errlen, "moted.db: schema version %d is newer than this moted's (%d)", version,
                     N_MIGRATIONS);
            return -1;
        }
        if (version == N_MIGRATIONS) return 0;
        char e[400], sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", version + 1);
        if (exec_sql(db, "BEGIN IMMEDIATE", e, sizeof e) != 0) {
            snprintf(err, errlen, "moted.db: migration %d: %s", version + 1, e);
            return -1;
        }
        /* Another process may have migrated while we waited for the lock. */
        int again = -1;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            again = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (again != version) {
            exec_sql(db, "ROLLBACK", e, sizeof e);
            continue;
        }
        if (exec_sql(db, migrations[version], e, sizeof e) != 0 || exec_sql(db, sql, e, sizeof e) != 0 ||
            exec_sql(db, "COMMIT", e, sizeof e) != 0) {
            char e2[64];
            exec_sql(db, "ROLLBACK", e2, sizeof e2);
            snprintf(err, errlen, "moted.db: migration %d: %s", version + 1, e);
            return -1;
        }
    }
}

mote_store *mote_store_open(const char *data_dir, char *err, size_t errlen)
{
    if (!data_dir || !*data_dir || strlen(data_dir) >= sizeof ((mote_store *)0)->dir) {
        snprintf(err, errlen, "data dir: missing or too long");
        return NULL;
    }
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", data_dir, strerror(errno));
        return NULL;
    }
    /* Allocation statistics take a global mutex on every SQLite malloc; moted does not read them. Only
     * possible before SQLite initializes: later calls fail harmlessly. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    mote_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(s->dir, sizeof s->dir, "%s", data_dir);
    if (pthread_key_create(&s->key, conn_destroy) != 0) {
        snprintf(err, errlen, "cannot create a thread key");
        free(s);
        return NULL;
    }
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        snprintf(err, errlen, "cannot create a mutex");
        pthread_key_delete(s->key);
        free(s);
        return NULL;
    }
    char e[600];
    store_conn *c = store_conn_get(s);
    if (!c) {
        snprintf(err, errlen, "%s", orphan_err);
        mote_store_close(s);
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
        mote_store_close(s);
        return NULL;
    }
    if (migrate(c->db, e, sizeof e) != 0) {
        snprintf(err, errlen, "%s/%s", data_dir, e);
        mote_store_close(s);
        return NULL;
    }
    return s;
}

void mote_store_close(mote_store *s)
{
    if (!s) return;
    /* Threads that still exist keep a dangling value under the key; deleting
     * the key first means no destructor runs for it any more. */
    pthread_key_delete(s->key);
    store_conn *c = s->conns;
    while (c) {
        store_conn *n = c->next;
        sqlite3_close_v2(c->db);
        free(c);
        c = n;
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int mote_store_ping(mote_store *s)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM tokens");
    if (!st) return -1;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_sql_fail(s, "ping");
}

/* ---- transactions ---- */

int mote_store_begin(mote_store *s)
{
    store_conn *c = store_conn_get(s);
    if (!c) return -1;
    if (c->tx_depth == 0 && sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_sql_fail(s, "begin");
    c->tx_depth++;
    return 0;
}

int mote_store_begin_read(mote_store *s)
{
    store_conn *c = store_conn_get(s);
    if (!c) return -1;
    if (c->tx_depth == 0 && sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return store_sql_fail(s, "begin");
    c->tx_depth++;
    return 0;
}

int mote_store_commit(mote_store *s)
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

void mote_store_rollback(mote_store *s)
{
    store_conn *c = store_conn_get(s);
    if (!c || c->tx_depth == 0) return;
    /* An inner rollback abandons the whole transaction; the outer commit then fails. */
    c->tx_depth = 0;
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- tokens ---- */

int mote_store_token_add(mote_store *s, const char *name, const char *role, const char *token_hex)
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

int mote_store_token_role(mote_store *s, const char *token_hex, char *role, size_t rolelen)
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
