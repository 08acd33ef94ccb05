/* moted storage interface. Everything the server keeps goes through these
 * calls, so another backend (PostgreSQL via libpq, for several server nodes)
 * means another implementation of this header and of store_rollout.h; the
 * SQLite one is store_sqlite*.c. Calls are safe from several threads.
 * Return convention: 0 ok, 1 not found (where it says so), -1 error with a
 * one-line message in the store's last error (mote_store_error). */
#ifndef MOTED_STORE_H
#define MOTED_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mote_store mote_store;

/* Open (creating if needed) the database in data_dir, apply pending schema
 * migrations. NULL with a message in err. */
mote_store *mote_store_open(const char *data_dir, char *err, size_t errlen);
void mote_store_close(mote_store *s);
/* Last error of the calling thread on this store. */
const char *mote_store_error(mote_store *s);
/* 0 when the database answers (health check). */
int mote_store_ping(mote_store *s);

/* ---- content-addressed blobs: DIR/blobs/AB/SHA256 ---- */
/* sha256 of data as 64 lowercase hex digits (the blobs' names; also token and key hashes). */
void mote_sha256_hex(const void *data, size_t len, char out[65]);
/* Is h 64 lowercase hex digits? (NULL: no) */
int mote_is_sha256_hex(const char *h);
/* Write data (temp file, fsync, rename); hex_out gets the 64-hex sha256. Idempotent. */
int mote_store_blob_put(mote_store *s, const void *data, size_t len, char hex_out[65]);
/* Path of a blob (whether or not it exists); 1 if it does not exist. */
int mote_store_blob_path(mote_store *s, const char *hex, char *path, size_t pathlen);
/* Whole blob in a malloc'ed buffer; 1 if absent. */
int mote_store_blob_get(mote_store *s, const char *hex, uint8_t **data, size_t *len);

/* ---- tokens (sha256 of the token is stored) ---- */
int mote_store_token_add(mote_store *s, const char *name, const char *role, const char *token_hex);
/* Role ("admin", "enroll") of a token; 1 if unknown. */
int mote_store_token_role(mote_store *s, const char *token_hex, char *role, size_t rolelen);

/* ---- model repository ---- */
typedef struct {
    int64_t id;
    char name[128], version[64];
    char sha256[65];          /* the .tflite blob */
    int64_t size;
    char selftest_in[65];     /* blobs, "" when none was pushed */
    char selftest_out[65];
    char created[32];         /* ISO 8601 UTC */
    json_t *metadata;         /* owned: json_decref via mote_model_free */
} mote_model_rec;
void mote_model_free(mote_model_rec *m);
/* Insert a version; 1 if name+version exists (m->id/sha256 then hold the existing row). */
int mote_store_model_add(mote_store *s, mote_model_rec *m);
int mote_store_model_get(mote_store *s, const char *name, const char *version, mote_model_rec *out);
int mote_store_model_get_id(mote_store *s, int64_t id, mote_model_rec *out);
/* Every version, ordered by name then creation: a JSON array of {name, version, sha256, size, created}. */
json_t *mote_store_model_list(mote_store *s);

/* ---- device registry ---- */
/* Longest self-test output a device reports, in base64 characters + 1 (6 KB of output bytes). */
#define MOTED_OUTPUT_B64_MAX 8193
typedef struct {
    char id[24];              /* "d-" + 16 hex */
    char name[64];
    char profile[64];         /* target profile name the server chose */
    json_t *facts;            /* owned */
    json_t *tags;             /* owned: array of strings */
    char created[32], last_seen[32];
    /* what the device last reported */
    char state[24];           /* "registered", "running", "failed", ... */
    char artifact[65];        /* active artifact sha256, "" if none */
    char selftest_output_b64[MOTED_OUTPUT_B64_MAX];
    json_t *telemetry;        /* owned, may be NULL */
    /* what the active artifact is ("" when unknown): set by mote_store_device_running */
    char target[64], model[128], version[64];
} mote_device_rec;
void mote_device_free(mote_device_rec *d);
/* Insert; the credential's sha256 is stored. */
int mote_store_device_add(mote_store *s, const mote_device_rec *d, const char *cred_hash_hex);
/* Device id of a credential hash (and its last_seen, when last_seen is not NULL); 1 if unknown. */
int mote_store_device_auth(mote_store *s, const char *cred_hash_hex, char id[24], char last_seen[32]);
int mote_store_device_get(mote_store *s, const char *id, mote_device_rec *out);
/* Devices (JSON array of device objects as in docs/service.md), all or those carrying tag. */
json_t *mote_store_device_list(mote_store *s, const char *tag);
/* The device object of one id (as in the list); NULL with *rc = 1 when unknown, -1 on error. */
json_t *mote_store_device_doc(mote_store *s, const char *id, int *rc);
/* Ids of the devices carrying tag, sorted; *ids malloc'ed array of char[24]. */
int mote_store_device_ids_by_tag(mote_store *s, const char *tag, char (**ids)[24], size_t *n);
int mote_store_device_set_tags(mote_store *s, const char *id, json_t *tags);
/* Record a status report: state, active artifact (NULL = unchanged), self-test output (NULL = unchanged). */
int mote_store_device_report(mote_store *s, const char *id, const char *state, const char *artifact,
                             const char *output_b64);
int mote_store_device_telemetry(mote_store *s, const char *id, json_t *telemetry);
/* Set last_seen to now. Given the stored value (from mote_store_device_auth), it writes nothing when
 * that is already this second, so a device polling several times a second takes no write lock. */
int mote_store_device_seen(mote_store *s, const char *id, const char *stored_last_seen);
/* Record what the device's active artifact is (target profile, model, version), shown by the device
 * documents; call it with mote_store_device_report when a device confirms an artifact. */
int mote_store_device_running(mote_store *s, const char *id, const char *target, const char *model,
                              const char *version);
/* Number of registered devices (the mote_devices gauge). */
int mote_store_device_count(mote_store *s, int64_t *n);

/* ---- transactions (nest by counting; the outermost commits) ---- */
int mote_store_begin(mote_store *s);
/* A read transaction (one consistent snapshot, no write lock); commit or roll back as usual. */
int mote_store_begin_read(mote_store *s);
int mote_store_commit(mote_store *s);
void mote_store_rollback(mote_store *s);

/* SQLite handle of the calling thread, for store_rollout.c (same backend). */
struct sqlite3;
struct sqlite3 *mote_store_db(mote_store *s);
/* Set the calling thread's last error (for store_rollout.c); returns -1. */
int mote_store_fail(mote_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Current time as ISO 8601 UTC ("2026-01-31T12:00:00Z"). */
void mote_store_now(char out[32]);

/* Schema migrations, applied in order by mote_store_open (PRAGMA user_version):
 * 1 = the core tables (store_sqlite.c), 2 = this SQL text of the rollout tables
 * (defined in store_rollout.c). */
extern const char mote_store_rollout_schema[];

#endif
