/* What a storage backend implements (for store/<backend>/ only; callers use
 * store.h). A backend is a folder: its open function makes a store whose first
 * member is struct mote_store, with ops pointing at its tables below, and it
 * has one line in store.c's list of backends. store.c turns every mote_store_*
 * call into ops->area->call(s, ...), so a call here has the meaning, return
 * convention and locking of the store.h call of the same name. Blobs and the
 * data dir's files are not here: they are files, the same for every backend. */
#ifndef MOTED_STORE_BACKEND_H
#define MOTED_STORE_BACKEND_H

#include "store/store.h"

/* Connection, errors, schema, transactions and tokens. */
typedef struct {
    void (*close)(mote_store *s);
    /* The calling thread's last error on s, and setting it (msg is one line). */
    const char *(*error)(mote_store *s);
    void (*set_error)(mote_store *s, const char *msg);
    int (*ping)(mote_store *s);
    int (*schema_version)(mote_store *s, int *version);
    int (*begin)(mote_store *s);
    int (*begin_read)(mote_store *s);
    int (*commit)(mote_store *s);
    void (*rollback)(mote_store *s);
    int (*token_add)(mote_store *s, const char *name, const char *role, const char *token_hex);
    int (*token_role)(mote_store *s, const char *token_hex, char *role, size_t rolelen);
} mote_store_core_ops;

typedef struct {
    int (*add)(mote_store *s, mote_model_rec *m);
    int (*get)(mote_store *s, const char *name, const char *version, mote_model_rec *out);
    int (*get_id)(mote_store *s, int64_t id, mote_model_rec *out);
    json_t *(*list)(mote_store *s);
} mote_store_model_ops;

typedef struct {
    int (*add)(mote_store *s, const mote_device_rec *d, const char *cred_hash_hex);
    int (*auth)(mote_store *s, const char *cred_hash_hex, char id[24], char last_seen[32]);
    int (*get)(mote_store *s, const char *id, mote_device_rec *out);
    json_t *(*list)(mote_store *s, const char *tag);
    json_t *(*doc)(mote_store *s, const char *id, int *rc);
    int (*ids_by_tag)(mote_store *s, const char *tag, char (**ids)[24], size_t *n);
    int (*set_tags)(mote_store *s, const char *id, json_t *tags);
    int (*report)(mote_store *s, const char *id, const char *state, const char *artifact, const char *output_b64);
    int (*telemetry)(mote_store *s, const char *id, json_t *telemetry);
    int (*seen)(mote_store *s, const char *id, const char *stored_last_seen);
    int (*running)(mote_store *s, const char *id, const char *target, const char *model, const char *version);
    int (*count)(mote_store *s, int64_t *n);
} mote_store_device_ops;

/* Compile jobs and the artifacts they make. */
typedef struct {
    int (*add)(mote_store *s, mote_job_rec *j);
    int (*get)(mote_store *s, int64_t id, mote_job_rec *out);
    int (*claim)(mote_store *s, mote_job_rec *out);
    int (*finish)(mote_store *s, const mote_job_rec *j);
    int (*requeue_running)(mote_store *s);
    json_t *(*counts)(mote_store *s);
    int (*artifact_add)(mote_store *s, const mote_artifact_rec *a);
    int (*artifact_get)(mote_store *s, const char *sha256, const char *target, mote_artifact_rec *out);
    int (*artifact_by_key)(mote_store *s, const char *cache_key, mote_artifact_rec *out);
} mote_store_job_ops;

/* Deployments and their per-device rows. */
typedef struct {
    int (*add)(mote_store *s, mote_deployment_rec *d);
    int (*get)(mote_store *s, int64_t id, mote_deployment_rec *out);
    int (*set_state)(mote_store *s, int64_t id, const char *state, const char *reason);
    int (*ids)(mote_store *s, const char *state, int64_t **ids, size_t *n);
    int (*for_joiner)(mote_store *s, const char *device, int64_t *id);
    json_t *(*counts)(mote_store *s);
    int (*dd_add)(mote_store *s, const mote_dd_rec *r);
    int (*dd_get)(mote_store *s, int64_t deployment, const char *device, mote_dd_rec *out);
    int (*dd_list)(mote_store *s, int64_t deployment, mote_dd_rec **rows, size_t *n);
    int (*dd_update)(mote_store *s, const mote_dd_rec *r);
    int (*dd_current)(mote_store *s, const char *device, mote_dd_rec *out);
    int (*dd_supersede)(mote_store *s, const char *device, int64_t deployment);
    int (*dd_device_has_artifact)(mote_store *s, const char *device, const char *sha256);
} mote_store_deployment_ops;

/* Datasets and AutoML jobs. */
typedef struct {
    int (*dataset_add)(mote_store *s, mote_dataset_rec *d);
    int (*dataset_get)(mote_store *s, const char *name, const char *version, mote_dataset_rec *out);
    json_t *(*dataset_list)(mote_store *s);
    int (*add)(mote_store *s, mote_automl_rec *j);
    int (*get)(mote_store *s, int64_t id, mote_automl_rec *out);
    json_t *(*list)(mote_store *s);
    int (*claim)(mote_store *s, mote_automl_rec *out);
    int (*progress)(mote_store *s, int64_t id, const char *line);
    int (*finish)(mote_store *s, int64_t id, const char *state, const char *error, json_t *result);
    int (*requeue_running)(mote_store *s);
} mote_store_automl_ops;

/* Monitoring: baselines, alerts, sampling policies and samples. */
typedef struct {
    int (*baseline_set)(mote_store *s, int64_t model_id, json_t *stats);
    int (*baseline_get)(mote_store *s, int64_t model_id, json_t **stats);
    int (*alert_open)(mote_store *s, mote_alert_rec *a);
    int (*alert_update)(mote_store *s, int64_t id, double value, int resolve);
    json_t *(*alert_list)(mote_store *s, const char *state);
    int (*alert_firing)(mote_store *s, mote_alert_rec **out, size_t *n);
    int (*sampling_set)(mote_store *s, const char *group, json_t *policy);
    int (*sampling_get)(mote_store *s, const char *group, json_t **policy);
    int (*sample_add)(mote_store *s, mote_sample_rec *r);
    int (*sample_get)(mote_store *s, int64_t id, mote_sample_rec *out);
    json_t *(*sample_list)(mote_store *s, int64_t model_id, int unlabelled, int64_t after, int limit);
    int (*sample_label)(mote_store *s, int64_t id, int label);
    int (*sample_labelled)(mote_store *s, int64_t model_id, mote_sample_rec **out, size_t *n);
} mote_store_monitor_ops;

typedef struct {
    const mote_store_core_ops *core;
    const mote_store_model_ops *models;
    const mote_store_device_ops *devices;
    const mote_store_job_ops *jobs;
    const mote_store_deployment_ops *deployments;
    const mote_store_automl_ops *automl;
    const mote_store_monitor_ops *monitor;
} mote_store_ops;

/* The part of every store that is the same for all backends. */
struct mote_store {
    const mote_store_ops *ops;
    char dir[1024]; /* the data dir: blobs live in DIR/blobs whatever the database */
};

/* One backend: its name (for mote_store_open_backend) and how it opens the
 * store of a data dir (which exists): it sets ops and dir; NULL with a
 * message in err. */
typedef struct {
    const char *name;
    mote_store *(*open)(const char *data_dir, char *err, size_t errlen);
} mote_store_backend;

/* The backends built in, each defined in its folder: SQLite (store/sqlite/).
 * PostgreSQL (store/postgres/, for several server nodes on one database) is
 * not implemented yet; it would be declared here and listed in store.c. */
extern const mote_store_backend mote_store_sqlite;

#endif
