/* SQLite store internals shared by store_*.c: the store, the per-thread
 * connection and statement helpers. */
#ifndef MOTED_STORE_INTERNAL_H
#define MOTED_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

/* One connection per thread: SQLite connections must not be shared between
 * threads in the middle of a statement, and WAL lets them read in parallel. */
typedef struct store_conn {
    sqlite3 *db;
    int tx_depth;        /* nesting count of mote_store_begin */
    char err[512];       /* this thread's last error */
    struct store_conn *next;
    struct mote_store *owner;
} store_conn;

struct mote_store {
    char dir[1024];
    pthread_key_t key;   /* -> store_conn of the calling thread */
    pthread_mutex_t mu;  /* guards conns */
    store_conn *conns;   /* every open connection, closed by mote_store_close */
};

/* Connection of the calling thread, opened on first use; NULL on failure
 * (then the message is in the thread's error slot, or the store failed). */
store_conn *store_conn_get(mote_store *s);
/* Prepare sql on the calling thread's connection; NULL with the error set. */
sqlite3_stmt *store_prepare(mote_store *s, const char *sql);
/* Step a statement that returns no rows and finalize it: 0, or -1 with the error set. */
int store_step_done(mote_store *s, sqlite3_stmt *st, const char *what);
/* Record the connection's current SQLite error under `what`; returns -1. */
int store_sql_fail(mote_store *s, const char *what);
/* Bind helpers that check the result (0 / -1). */
int store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Copy column i (text or NULL) into a buffer, truncating. */
void store_col_text(sqlite3_stmt *st, int i, char *out, size_t len);
/* Column i parsed as JSON (NULL when NULL or not JSON). */
json_t *store_col_json(sqlite3_stmt *st, int i);

#endif
