/* moted storage interface. Everything the server keeps goes through these
 * calls; no database type appears here. The handle is opaque: mote_store_open
 * picks a backend (store/backend.h), and each backend lives in its own folder
 * (store/sqlite/ today). Blobs and the data dir's small files are plain files,
 * the same for every backend (blobs.c, files.c). Calls are safe from several
 * threads. Return convention: 0 ok, 1 not found (where it says so), -1 error
 * with a one-line message in the store's last error (mote_store_error).
 * Strings in records are fixed-size fields, so callers free only what a call
 * says is theirs (JSON members via the *_free calls, the list arrays). */
#ifndef MOTED_STORE_H
#define MOTED_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mote_store mote_store;

/* Open (creating if needed) the store of data_dir with the default backend
 * (SQLite, DIR/moted.db), applying pending schema migrations. NULL with a
 * message in err. */
mote_store *mote_store_open(const char *data_dir, char *err, size_t errlen);
/* The same with a backend named: "sqlite" (NULL: the default). An unknown or
 * unbuilt backend ("postgres" is not implemented yet) fails with a message. */
mote_store *mote_store_open_backend(const char *backend, const char *data_dir, char *err, size_t errlen);
void mote_store_close(mote_store *s);
/* Last error of the calling thread on this store. */
const char *mote_store_error(mote_store *s);
/* Set the calling thread's last error on this store; returns -1. */
int mote_store_fail(mote_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 when the database answers (health check). */
int mote_store_ping(mote_store *s);
/* The schema version the database is at (the number of migrations applied). */
int mote_store_schema_version(mote_store *s, int *version);
/* Current time as ISO 8601 UTC ("2026-01-31T12:00:00Z"), the format of every stored time. */
void mote_store_now(char out[32]);

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

/* ---- small files of the data dir (keys, tokens, port) ---- */
/* Write a small file atomically (temp + fsync + rename + fsync of the folder) with mode. */
int mote_write_file_atomic(const char *path, const void *data, size_t len, int mode, char *err, size_t errlen);
/* 64 hex of 32 random bytes (tokens, credentials). */
void mote_random_hex32(char out[65]);

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
/* The device document of docs/service.md (empty strings as null); NULL when out of memory. */
json_t *mote_device_json(const mote_device_rec *d);
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

/* ---- datasets: named, versioned; each version is one tar blob of a dataset folder ---- */
typedef struct {
    int64_t id;
    char name[128], version[64];
    char sha256[65];          /* the tar blob */
    int64_t size;             /* bytes of the tar */
    int64_t files;            /* regular files in it */
    int64_t bytes;            /* their total size */
    char parent[200];         /* "NAME/VERSION" this version was derived from, "" for none (lineage) */
    char created[32];
    json_t *metadata;         /* owned: json_decref via mote_dataset_free */
} mote_dataset_rec;
void mote_dataset_free(mote_dataset_rec *d);
/* The dataset document of docs/service.md; NULL when out of memory. */
json_t *mote_dataset_json(const mote_dataset_rec *d);
/* Insert a version; 1 if name+version exists (d->id, sha256, size, created then hold the existing row). */
int mote_store_dataset_add(mote_store *s, mote_dataset_rec *d);
int mote_store_dataset_get(mote_store *s, const char *name, const char *version, mote_dataset_rec *out);
/* Every version, ordered by name then creation: a JSON array of dataset documents. */
json_t *mote_store_dataset_list(mote_store *s);

/* ---- AutoML jobs: a search run by moted on a stored dataset (service/automl/) ---- */
typedef struct {
    int64_t id;
    char dataset[128], dataset_version[64];
    char model[128], model_version[64]; /* what the chosen model is published as */
    json_t *spec;             /* owned: the search's options as submitted */
    char state[12];           /* "queued" | "running" | "done" | "failed" | "cancelled" */
    char progress[256];       /* the search's last status line */
    char error[512];
    json_t *result;           /* owned, NULL until done: the chosen trial and the search summary */
    char created[32], updated[32];
} mote_automl_rec;
void mote_automl_free(mote_automl_rec *j);
/* The job document of docs/service.md; NULL when out of memory. */
json_t *mote_automl_json(const mote_automl_rec *j);
/* Insert as "queued" (id, state, created, updated are set). */
int mote_store_automl_add(mote_store *s, mote_automl_rec *j);
int mote_store_automl_get(mote_store *s, int64_t id, mote_automl_rec *out);
/* Every job, newest first: a JSON array of job documents. */
json_t *mote_store_automl_list(mote_store *s);
/* Take the oldest queued job and mark it running; 1 when none is queued. */
int mote_store_automl_claim(mote_store *s, mote_automl_rec *out);
/* Record a running job's status line. */
int mote_store_automl_progress(mote_store *s, int64_t id, const char *line);
/* Final state "done" (result), "failed" (error) or "cancelled" (error says why) of a queued or running job;
 * 1 when the job is unknown or already final (nothing changes). */
int mote_store_automl_finish(mote_store *s, int64_t id, const char *state, const char *error, json_t *result);
/* Jobs left "running" by a stopped server go back to "queued" (they resume from their search state). */
int mote_store_automl_requeue_running(mote_store *s);

/* ---- monitoring: baselines and alerts (service/monitor/) ---- */
/* A model version's baseline: the inference statistics of its evaluation data (mote/infer_stats.h's JSON). */
int mote_store_baseline_set(mote_store *s, int64_t model_id, json_t *stats);
/* *stats (owned) or 1 when the version has none. */
int mote_store_baseline_get(mote_store *s, int64_t model_id, json_t **stats);

typedef struct {
    int64_t id;
    int64_t model_id;
    char group[64];           /* device tag */
    char signal[24];          /* "class_psi", "confidence_psi", "input_shift", ... */
    char state[12];           /* "firing" | "resolved" */
    double value, threshold;  /* the value that fired it (then the latest), the threshold crossed */
    char message[256];
    char started[32], updated[32], resolved[32];
} mote_alert_rec;
/* Insert a firing alert (id, state, started, updated are set). */
int mote_store_alert_open(mote_store *s, mote_alert_rec *a);
/* Latest value of a firing alert; resolve = 1 ends it. */
int mote_store_alert_update(mote_store *s, int64_t id, double value, int resolve);
/* Alerts (state NULL: all), newest first, as a JSON array of alert documents with model name and version. */
json_t *mote_store_alert_list(mote_store *s, const char *state);
/* Ids, model ids, groups and signals of the firing alerts (to restore the monitor's state at start). */
int mote_store_alert_firing(mote_store *s, mote_alert_rec **out, size_t *n);

/* ---- the feedback loop: sampling policies per device group, and the inputs devices sent back ---- */
/* The policy of a group ({"max_confidence","random_rate","max_per_hour"}); NULL policy deletes it. */
int mote_store_sampling_set(mote_store *s, const char *group, json_t *policy);
/* *policy (owned), or 1 when the group has none. */
int mote_store_sampling_get(mote_store *s, const char *group, json_t **policy);

typedef struct {
    int64_t id;
    char device[24];
    int64_t model_id;         /* the model version that saw it (0: unknown artifact) */
    int cls;                  /* its prediction */
    double confidence;
    char sha256[65];          /* the input bytes: a blob */
    int64_t size;
    int label;                /* -1 until labelled */
    char created[32], labelled[32];
} mote_sample_rec;
int mote_store_sample_add(mote_store *s, mote_sample_rec *r); /* sets id, created */
int mote_store_sample_get(mote_store *s, int64_t id, mote_sample_rec *out);
/* Samples with id > after, of model_id (0: any), only unlabelled ones if asked, oldest first, at most limit:
 * a JSON array of sample documents (with the model's name and version). */
json_t *mote_store_sample_list(mote_store *s, int64_t model_id, int unlabelled, int64_t after, int limit);
/* Label a sample (label >= 0); 1 when unknown. */
int mote_store_sample_label(mote_store *s, int64_t id, int label);
/* Every labelled sample of model_id (0: any), oldest first; *out malloc'ed. */
int mote_store_sample_labelled(mote_store *s, int64_t model_id, mote_sample_rec **out, size_t *n);

/* ---- transactions (nest by counting; the outermost commits) ---- */
int mote_store_begin(mote_store *s);
/* A read transaction (one consistent snapshot, no write lock); commit or roll back as usual. */
int mote_store_begin_read(mote_store *s);
int mote_store_commit(mote_store *s);
void mote_store_rollback(mote_store *s);

/* ---- compile jobs: a queue that survives restarts ---- */
typedef struct {
    int64_t id;
    int64_t model_id;
    char target[64];      /* profile name */
    char profile[1024];   /* the profile's fields as compact JSON (what the job compiles for) */
    char format[8];       /* "mote" | "c" */
    char cache_key[65];
    char state[12];       /* "queued" | "running" | "done" | "failed" */
    int refused;          /* failed because the compiler refused (does not fit, unknown op, ABI) */
    char error[512];
    char log[2048];
    char artifact[65];    /* sha256 when done */
    char created[32], updated[32];
} mote_job_rec;

/* Insert (id is set). A job may be inserted already "done" (cache hit). */
int mote_store_job_add(mote_store *s, mote_job_rec *j);
int mote_store_job_get(mote_store *s, int64_t id, mote_job_rec *out);
/* Take the oldest queued job and mark it running; 1 when none is queued. */
int mote_store_job_claim(mote_store *s, mote_job_rec *out);
/* Final state of a job: state "done" with artifact, or "failed" with error. */
int mote_store_job_finish(mote_store *s, const mote_job_rec *j);
/* Jobs left "running" by a stopped server go back to "queued". */
int mote_store_job_requeue_running(mote_store *s);
/* {"queued":n,"running":n,"done":n,"failed":n} */
json_t *mote_store_job_counts(mote_store *s);

/* ---- signed artifacts (the bytes are a blob named by sha256) ---- */
typedef struct {
    char sha256[65];
    int64_t model_id;
    char target[64];
    char format[8];
    int64_t size;
    char manifest[1024];   /* the signed text */
    char signature[129];   /* Ed25519, hex */
    char cache_key[65];
    char selftest_in[65];  /* blobs of the self-test vector */
    char selftest_out[65];
    char created[32];
} mote_artifact_rec;

/* Insert; 0 also when the cache key exists already. Two model versions with
 * the same bytes give two artifacts (manifests) of one sha256. */
int mote_store_artifact_add(mote_store *s, const mote_artifact_rec *a);
/* An artifact with these bytes built for target (NULL: any target), the newest
 * of several (one .mote file may suit several profiles); 1 if unknown. */
int mote_store_artifact_get(mote_store *s, const char *sha256, const char *target, mote_artifact_rec *out);
/* The artifact of one compile (model version, profile, format); 1 if unknown. */
int mote_store_artifact_by_key(mote_store *s, const char *cache_key, mote_artifact_rec *out);

/* ---- deployments ---- */
typedef struct {
    int64_t id;
    int64_t model_id;
    char group[64];        /* device tag */
    char strategy[12];     /* "all" | "canary" */
    int canary_percent;
    double max_failure_rate;
    int auto_promote;
    char state[16];        /* compiling canary canary_done rolling_out complete rolled_back */
    char reason[512];
    char created[32], updated[32];
} mote_deployment_rec;

int mote_store_deployment_add(mote_store *s, mote_deployment_rec *d); /* sets id, created, updated */
int mote_store_deployment_get(mote_store *s, int64_t id, mote_deployment_rec *out);
int mote_store_deployment_set_state(mote_store *s, int64_t id, const char *state, const char *reason);
/* Ids, oldest first; state NULL = all. *ids malloc'ed. */
int mote_store_deployment_ids(mote_store *s, const char *state, int64_t **ids, size_t *n);
/* The newest deployment to one of the device's groups (tags) that is not rolled back: the one a device
 * joins when it registers or is tagged later. 1 if none. */
int mote_store_deployment_for_joiner(mote_store *s, const char *device, int64_t *id);
/* {"compiling":n,...} for the states that have deployments. */
json_t *mote_store_deployment_counts(mote_store *s);

/* One device in one deployment. */
typedef struct {
    int64_t deployment;
    char device[24];
    char phase[8];         /* "canary" | "rollout" */
    int rank;              /* position in sha256(deployment, device) order */
    char state[16];        /* pending offered confirmed failed incompatible rolled_back superseded */
    char reason[512];
    char target[64];
    int64_t job;           /* compile job for target, 0 = none */
    char artifact[65];     /* what the deployment installs ("" until compiled) */
    char previous[65];     /* what the device ran when first offered */
    char updated[32];
} mote_dd_rec;

int mote_store_dd_add(mote_store *s, const mote_dd_rec *r);
/* 1 if the device is not in the deployment. */
int mote_store_dd_get(mote_store *s, int64_t deployment, const char *device, mote_dd_rec *out);
/* Rows of a deployment in rank order; *rows malloc'ed. */
int mote_store_dd_list(mote_store *s, int64_t deployment, mote_dd_rec **rows, size_t *n);
/* Write phase, state, reason, target, job, artifact and previous of the row. */
int mote_store_dd_update(mote_store *s, const mote_dd_rec *r);
/* The row of the newest deployment that is not superseded for the device; 1 if none. */
int mote_store_dd_current(mote_store *s, const char *device, mote_dd_rec *out);
/* Rows of older deployments of the device that are pending or offered become
 * "superseded" (by deployment). */
int mote_store_dd_supersede(mote_store *s, const char *device, int64_t deployment);
/* 0 if sha256 is the artifact or previous artifact of a row of the device, 1 if not. */
int mote_store_dd_device_has_artifact(mote_store *s, const char *device, const char *sha256);

#endif
