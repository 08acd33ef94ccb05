/* moted rollout storage: compile jobs, artifacts, deployments and the state
 * of each device in a deployment. Same conventions as store.h (0 ok, 1 not
 * found where it says so, -1 error in mote_store_error); another backend
 * implements these calls next to store.h's. Strings are fixed-size fields so
 * callers free nothing but the arrays the list calls return. */
#ifndef MOTED_STORE_ROLLOUT_H
#define MOTED_STORE_ROLLOUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* SQL of schema migration 2 (the store's migration runner applies it). */
extern const char mote_store_rollout_schema[];

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
