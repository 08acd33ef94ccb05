/* The SQLite schema: its migrations, applied in order at open, and the
 * version a database is at (PRAGMA user_version = migrations applied). */
#include <stdio.h>

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

/* Migration 2: the rollout's tables. deployment_devices.rank is the canary
 * order; jobs keep the profile they compile for, so a queued job survives a
 * change of targets/. An artifact is one signed manifest: two model versions
 * with the same bytes share the blob (sha256) but not the row (version,
 * self-test differ). */
static const char schema_rollout[] =
    "CREATE TABLE jobs(id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL REFERENCES models(id),"
    " target TEXT NOT NULL, profile TEXT NOT NULL, format TEXT NOT NULL, cache_key TEXT NOT NULL,"
    " state TEXT NOT NULL, refused INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',"
    " log TEXT NOT NULL DEFAULT '', artifact TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,"
    " updated TEXT NOT NULL);"
    "CREATE INDEX jobs_state ON jobs(state, id);"
    "CREATE TABLE artifacts(cache_key TEXT PRIMARY KEY, sha256 TEXT NOT NULL,"
    " model_id INTEGER NOT NULL REFERENCES models(id), target TEXT NOT NULL, format TEXT NOT NULL,"
    " size INTEGER NOT NULL, manifest TEXT NOT NULL, signature TEXT NOT NULL, selftest_in TEXT NOT NULL,"
    " selftest_out TEXT NOT NULL, created TEXT NOT NULL);"
    "CREATE INDEX artifacts_sha ON artifacts(sha256);"
    "CREATE TABLE deployments(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " model_id INTEGER NOT NULL REFERENCES models(id), grp TEXT NOT NULL, strategy TEXT NOT NULL,"
    " canary_percent INTEGER NOT NULL, max_failure_rate REAL NOT NULL, auto_promote INTEGER NOT NULL,"
    " state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', created TEXT NOT NULL, updated TEXT NOT NULL);"
    "CREATE INDEX deployments_state ON deployments(state, id);"
    "CREATE TABLE deployment_devices(deployment INTEGER NOT NULL REFERENCES deployments(id),"
    " device TEXT NOT NULL, phase TEXT NOT NULL, rank INTEGER NOT NULL, state TEXT NOT NULL,"
    " reason TEXT NOT NULL DEFAULT '', target TEXT NOT NULL DEFAULT '', job INTEGER NOT NULL DEFAULT 0,"
    " artifact TEXT NOT NULL DEFAULT '', previous TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL,"
    " PRIMARY KEY(deployment, device));"
    "CREATE INDEX deployment_devices_device ON deployment_devices(device, deployment);";

/* Migration 3: the model side's tables. A dataset version is one tar blob;
 * parent is the version it was derived from (lineage). An AutoML job keeps
 * its options as JSON (they are the search's, not the store's, to check) and
 * its result the same way. */
static const char schema_automl[] =
    "CREATE TABLE datasets(id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, size INTEGER NOT NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    " parent TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL,"
    " UNIQUE(name, version));"
    "CREATE TABLE automl_jobs(id INTEGER PRIMARY KEY AUTOINCREMENT, dataset TEXT NOT NULL,"
    " dataset_version TEXT NOT NULL, model TEXT NOT NULL, model_version TEXT NOT NULL, spec TEXT NOT NULL,"
    " state TEXT NOT NULL, progress TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', result TEXT,"
    " created TEXT NOT NULL, updated TEXT NOT NULL);"
    "CREATE INDEX automl_jobs_state ON automl_jobs(state, id);";

/* Migration 4: monitoring. A baseline is a model version's inference statistics on its evaluation data; an
 * alert is one signal of one model version in one device group crossing its threshold, until it resolves. */
static const char schema_monitor[] =
    "CREATE TABLE baselines(model_id INTEGER PRIMARY KEY REFERENCES models(id), stats TEXT NOT NULL);"
    "CREATE TABLE alerts(id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL REFERENCES models(id),"
    " grp TEXT NOT NULL, signal TEXT NOT NULL, state TEXT NOT NULL, value REAL NOT NULL, threshold REAL NOT NULL,"
    " message TEXT NOT NULL DEFAULT '', started TEXT NOT NULL, updated TEXT NOT NULL,"
    " resolved TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX alerts_state ON alerts(state, id);";

/* Migration 5: the feedback loop. A sampling policy per device group (JSON, as the API takes it); a sample is
 * one input a device sent back (bytes in a blob), with the prediction it got and, once labelled, its label. */
static const char schema_samples[] =
    "CREATE TABLE sampling(grp TEXT PRIMARY KEY, policy TEXT NOT NULL);"
    "CREATE TABLE samples(id INTEGER PRIMARY KEY AUTOINCREMENT, device TEXT NOT NULL, model_id INTEGER NOT NULL,"
    " class INTEGER NOT NULL, confidence REAL NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
    " label INTEGER NOT NULL DEFAULT -1, labelled TEXT NOT NULL DEFAULT '', created TEXT NOT NULL);"
    "CREATE INDEX samples_model ON samples(model_id, id);";

static const char *const migrations[] = {schema_core, schema_rollout, schema_automl, schema_monitor, schema_samples};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* PRAGMA user_version of db; -1 when it cannot be read. */
static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return version;
}

/* Apply the migrations past PRAGMA user_version, each in its own transaction. */
int store_migrate(sqlite3 *db, char *err, size_t errlen)
{
    for (;;) {
        int version = user_version(db);
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
        if (store_exec(db, "BEGIN IMMEDIATE", e, sizeof e) != 0) {
            snprintf(err, errlen, "moted.db: migration %d: %s", version + 1, e);
            return -1;
        }
        /* Another process may have migrated while we waited for the lock. */
        if (user_version(db) != version) {
            store_exec(db, "ROLLBACK", e, sizeof e);
            continue;
        }
        if (store_exec(db, migrations[version], e, sizeof e) != 0 || store_exec(db, sql, e, sizeof e) != 0 ||
            store_exec(db, "COMMIT", e, sizeof e) != 0) {
            char e2[64];
            store_exec(db, "ROLLBACK", e2, sizeof e2);
            snprintf(err, errlen, "moted.db: migration %d: %s", version + 1, e);
            return -1;
        }
    }
}

int store_schema_version(mote_store *s, int *version)
{
    sqlite3 *db = store_db(s);
    if (!db) return -1;
    *version = user_version(db);
    return *version < 0 ? store_sql_fail(s, "schema version") : 0;
}
