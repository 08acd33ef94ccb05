/* The SQLite backend's internals, shared by the files of store/sqlite/ only: the store,
 * the per-thread connection, statement helpers and each file's table of
 * calls (store/backend.h). Nothing outside this folder sees a SQLite type. */
#ifndef MOTED_STORE_SQLITE_H
#define MOTED_STORE_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/backend.h"

/* One connection per thread: SQLite connections must not be shared between
 * threads in the middle of a statement, and WAL lets them read in parallel. */
typedef struct store_conn {
    sqlite3 *db;
    int tx_depth;        /* nesting count of mote_store_begin */
    char err[512];       /* this thread's last error */
    struct store_conn *next;
    struct sqlite_store *owner;
} store_conn;

typedef struct sqlite_store {
    struct mote_store base; /* first: a mote_store * is a sqlite_store * */
    pthread_key_t key;      /* -> store_conn of the calling thread */
    pthread_mutex_t mu;     /* guards conns */
    store_conn *conns;      /* every open connection, closed by mote_store_close */
} sqlite_store;

/* Connection of the calling thread, opened on first use; NULL on failure
 * (then the message is in the thread's error slot, or the store failed). */
store_conn *store_conn_get(mote_store *s);
/* The calling thread's database handle (NULL when it cannot be opened). */
sqlite3 *store_db(mote_store *s);
/* Run SQL text (several statements) on db: 0, or -1 with SQLite's message in err. */
int store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Prepare sql on the calling thread's connection; NULL with the error set. */
sqlite3_stmt *store_prepare(mote_store *s, const char *sql);
/* Step a statement that returns no rows and finalize it: 0, or -1 with the error set. */
int store_step_done(mote_store *s, sqlite3_stmt *st, const char *what);
/* Step a query expected to give at most one row: 0 row (st left on it), 1 none, -1 error. */
int store_step_one(mote_store *s, sqlite3_stmt *st, const char *what);
/* Record the connection's current SQLite error under `what`; returns -1. */
int store_sql_fail(mote_store *s, const char *what);
/* store_sql_fail, then finalize st; returns -1. */
int store_fail_st(mote_store *s, sqlite3_stmt *st, const char *what);
/* Bind helpers that check the result (0 / -1): one text, or n texts from parameter first on. */
int store_bind_text(sqlite3_stmt *st, int i, const char *v);
int store_bind_texts(sqlite3_stmt *st, int first, const char *const *v, int n);
/* Copy column i (text or NULL) into a buffer, truncating. */
void store_col_text(sqlite3_stmt *st, int i, char *out, size_t len);
/* Column i parsed as JSON (NULL when NULL or not JSON). */
json_t *store_col_json(sqlite3_stmt *st, int i);
/* {"key":count} of a "SELECT key, COUNT(*) ... GROUP BY key" query, with every one of keys present (0). */
json_t *store_count_by(mote_store *s, const char *sql, const char *const *keys, size_t n_keys);

/* Schema (schema.c): apply the migrations past PRAGMA user_version; the version reached. */
int store_migrate(sqlite3 *db, char *err, size_t errlen);
int store_schema_version(mote_store *s, int *version);

/* The tables of calls of models.c, devices.c, jobs.c, deployments.c, automl.c and monitor.c. */
extern const mote_store_model_ops sqlite_model_ops;
extern const mote_store_device_ops sqlite_device_ops;
extern const mote_store_job_ops sqlite_job_ops;
extern const mote_store_deployment_ops sqlite_deployment_ops;
extern const mote_store_automl_ops sqlite_automl_ops;
extern const mote_store_monitor_ops sqlite_monitor_ops;

#endif
