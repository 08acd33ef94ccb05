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
                     "bytes INTEGER, curve TEXT)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        am_store_close(s);
        return NULL;
    }
    /* a store from before learning curves were kept: the column added (an error when it is there) */
    sqlite3_exec(s->db, "ALTER TABLE trials ADD COLUMN curve TEXT", NULL, NULL, NULL);
    return s;
}

/* The curve as text, one "train_loss train_acc val_loss val_acc" group per epoch, ';' between: small, and
 * NaN (no validation) survives as "nan". */
static char *curve_text(const am_trial *t)
{
    size_t cap = 96 * (size_t)t->n_curve + 1, n = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = 0;
    for (int i = 0; i < t->n_curve; i++) {
        const tr_epoch_report *e = &t->curve[i];
        n += (size_t)snprintf(s + n, cap - n, "%s%.6g %.6g %.6g %.6g", i ? ";" : "", e->train_loss, e->train_accuracy,
                              e->val_loss, e->val_accuracy);
    }
    return s;
}

static void curve_parse(am_trial *t, const char *s)
{
    free(t->curve);
    t->curve = NULL;
    t->n_curve = 0;
    if (!s || !*s) return;
    int n = 1;
    for (const char *p = s; *p; p++) n += *p == ';';
    if (!(t->curve = calloc((size_t)n, sizeof *t->curve))) return;
    for (const char *p = s; p && *p && t->n_curve < n; p = strchr(p, ';'), p = p ? p + 1 : NULL) {
        tr_epoch_report *e = &t->curve[t->n_curve];
        if (sscanf(p, "%lf %lf %lf %lf", &e->train_loss, &e->train_accuracy, &e->val_loss, &e->val_accuracy) != 4) break;
        e->epoch = ++t->n_curve;
    }
    for (int i = 0; i < t->n_curve; i++) t->curve[i].epochs = t->n_curve;
}

const char *const am_whys[AM_WHY_COUNT] = {"does not fit the device", "over --max-latency-ms", "over --max-ram",
                                            "over --max-flash", "cannot be built (front end or architecture)"};

int am_store_get(am_store *s, am_trial *t)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT fits, why, flash, ram, ms, epochs, val, test_int8, test_float, seconds, bytes, curve "
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
        curve_parse(t, (const char *)sqlite3_column_text(st, 11));
    }
    sqlite3_finalize(st);
    return found;
}

int am_store_put(am_store *s, const am_trial *t, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO trials (key, fits, why, flash, ram, ms, epochs, val, test_int8, test_float, "
                                       "seconds, bytes, curve) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL);
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
        char *curve = curve_text(t);
        if (curve) sqlite3_bind_text(st, 13, curve, -1, SQLITE_TRANSIENT);
        else sqlite3_bind_null(st, 13);
        free(curve);
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
