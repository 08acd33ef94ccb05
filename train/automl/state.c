/* The trial store (internal.h): one SQLite table keyed by the candidate's text, written after every cost
 * check and every training, read back when a stopped run starts again. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct am_store {
    sqlite3 *db;
};

am_store *am_store_open(const char *path, char *err, size_t errlen)
{
    am_store *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (sqlite3_open(path, &s->db) != SQLITE_OK ||
        sqlite3_exec(s->db,
                     "CREATE TABLE IF NOT EXISTS trials(key TEXT PRIMARY KEY, fits INTEGER, why TEXT, flash REAL, "
                     "ram REAL, ms REAL, epochs INTEGER, val REAL, test_int8 REAL, test_float REAL, seconds REAL, "
                     "bytes INTEGER)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        am_store_close(s);
        return NULL;
    }
    return s;
}

const char *const am_whys[AM_WHY_COUNT] = {"does not fit the device", "over --max-latency-ms", "over --max-ram",
                                            "over --max-flash", "cannot be built (front end or architecture)"};

int am_store_get(am_store *s, am_trial *t)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT fits, why, flash, ram, ms, epochs, val, test_int8, test_float, seconds, bytes "
                                  "FROM trials WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, t->key, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        t->fits = sqlite3_column_int(st, 0);
        const char *w = (const char *)sqlite3_column_text(st, 1);
        t->why = NULL;
        for (int i = 0; w && i < AM_WHY_COUNT; i++)
            if (!strcmp(w, am_whys[i])) t->why = am_whys[i];
        t->flash = sqlite3_column_double(st, 2);
        t->ram = sqlite3_column_double(st, 3);
        t->ms = sqlite3_column_double(st, 4);
        t->epochs = sqlite3_column_int(st, 5);
        t->val_accuracy = sqlite3_column_double(st, 6);
        t->test_int8 = sqlite3_column_double(st, 7);
        t->test_float = sqlite3_column_double(st, 8);
        t->seconds = sqlite3_column_double(st, 9);
        t->int8_bytes = (size_t)sqlite3_column_int64(st, 10);
    }
    sqlite3_finalize(st);
    return found;
}

int am_store_put(am_store *s, const am_trial *t, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO trials VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, t->key, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, t->fits);
        if (t->why) sqlite3_bind_text(st, 3, t->why, -1, SQLITE_STATIC);
        else sqlite3_bind_null(st, 3);
        sqlite3_bind_double(st, 4, t->flash);
        sqlite3_bind_double(st, 5, t->ram);
        sqlite3_bind_double(st, 6, t->ms);
        sqlite3_bind_int(st, 7, t->epochs);
        sqlite3_bind_double(st, 8, t->val_accuracy);
        sqlite3_bind_double(st, 9, t->test_int8);
        sqlite3_bind_double(st, 10, t->test_float);
        sqlite3_bind_double(st, 11, t->seconds);
        sqlite3_bind_int64(st, 12, (sqlite3_int64)t->int8_bytes);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK) snprintf(err, errlen, "automl.db: %s", sqlite3_errmsg(s->db));
    return rc == SQLITE_OK ? 0 : -1;
}

void am_store_close(am_store *s)
{
    if (!s) return;
    sqlite3_close(s->db);
    free(s);
}
