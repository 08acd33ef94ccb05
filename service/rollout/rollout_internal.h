/* Rollout internals shared by rollout.c, compile_svc.c, deploy.c and
 * api_rollout.c. Everything takes the rollout state, so the unit test drives
 * the same code without HTTP. */
#ifndef MOTED_ROLLOUT_INTERNAL_H
#define MOTED_ROLLOUT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "moted_internal.h"
#include "rollout/rollout.h"
#include "store/store.h"
#include "target/profile.h"

struct moted_rollout {
    moted *m;
    mote_store *s;
    uint8_t pk[32], sk[64];  /* Ed25519 (libsodium layout) */
    char pk_hex[65];
    pthread_mutex_t mu;      /* guards stop, wake; with cv */
    pthread_cond_t cv;
    int stop, wake;
    pthread_t *workers;
    int n_workers, started_workers, ticker_started;
    pthread_t ticker;
    atomic_uint_fast64_t polls;
};

/* ---- keys and manifests (rollout.c) ---- */
/* Load DATA/keys/signing.key (or make the pair): 0, or -1 with a message. */
int rollout_keys(const char *data_dir, uint8_t pk[32], uint8_t sk[64], char *err, size_t errlen);
/* The manifest text of docs/service.md; -1 when it does not fit out. */
int rollout_manifest(char *out, size_t len, const char *sha256, int64_t size, const char *format,
                     const char *target, const char *model, const char *version, const char *st_in_sha,
                     const char *st_out_sha);
/* Ed25519 over exactly the manifest bytes, as 128 hex. */
void rollout_sign(const struct moted_rollout *r, const char *manifest, char sig_hex[129]);
/* Wake the workers (a job was queued) and the ticker. */
void rollout_wake(struct moted_rollout *r);
/* Prepare r (keys, no threads) on a store and data dir: the unit test's entry. */
int rollout_init(struct moted_rollout *r, moted *m, mote_store *s, const char *data_dir, char *err, size_t errlen);

/* ---- profiles (profile_pick.c) ---- */
/* The profile's fields that a compile depends on, as compact JSON with sorted keys. */
int rollout_profile_json(const mote_profile *p, char *out, size_t len);
int rollout_profile_from_json(const char *json, mote_profile *p, char *err, size_t errlen);
/* Profile named name: a targets/ file, or one made from facts ("facts-..."). */
int rollout_profile_resolve(const char *name, json_t *facts, mote_profile *p, char *err, size_t errlen);
/* moted_pick_profile without the server (fills p too when not NULL). */
int rollout_pick_profile(json_t *facts, const char *hint, mote_profile *p, char *err, size_t errlen);

/* ---- compile jobs (compile_svc.c) ---- */
/* Queue a compile of a model version for a profile and format ("mote"|"c");
 * a cached artifact makes the job "done" at once. 0 with *job, -1 with err. */
int compile_submit(struct moted_rollout *r, const mote_model_rec *model, const mote_profile *p, const char *format,
                   int64_t *job, char *err, size_t errlen);
/* Run the oldest queued job: 0 ran one, 1 none queued, -1 storage error. */
int compile_run_next(struct moted_rollout *r);
/* The job document of GET /v1/jobs/N. */
json_t *compile_job_json(struct moted_rollout *r, const mote_job_rec *j);
/* {"sha256","size","format","target","manifest","signature"} */
json_t *compile_artifact_json(const mote_artifact_rec *a);

/* ---- deployments (deploy.c) ---- */
typedef struct {
    char group[64];
    char strategy[12];
    int canary_percent;
    double max_failure_rate;
    int auto_promote;
} deploy_params;
/* 0 with *id; 1 no device carries the group (err says so); -1 error. */
int deploy_create(struct moted_rollout *r, const mote_model_rec *model, const deploy_params *p, int64_t *id,
                  char *err, size_t errlen);
/* Advance one deployment (one transaction); advance every live one. */
int deploy_advance(struct moted_rollout *r, int64_t id);
/* A device registered or was tagged: it joins the newest deployment of its groups (deploy.c). */
int deploy_join(struct moted_rollout *r, const char *device, char *err, size_t errlen);
int deploy_tick(struct moted_rollout *r);
/* 0 done, 1 unknown id, 2 not allowed in this state (409, err says why), -1 error. */
int deploy_promote(struct moted_rollout *r, int64_t id, char *err, size_t errlen);
int deploy_rollback(struct moted_rollout *r, int64_t id, const char *reason, char *err, size_t errlen);
/* What the device should install: 0 with the artifact and deployment, 1 nothing. */
int deploy_offer(struct moted_rollout *r, const char *device, mote_artifact_rec *a, int64_t *deployment);
/* A status report: 0 ok, 1 unknown deployment/device pair (404), 2 conflict (409), -1 error. */
int deploy_report(struct moted_rollout *r, const char *device, int64_t deployment, const char *artifact,
                  const char *state, const char *reason, const char *output_b64, char *err, size_t errlen);
/* The deployment document; NULL with *found = 0 when unknown. */
json_t *deploy_json(struct moted_rollout *r, int64_t id, int with_devices, int *found);

/* ---- helpers of deploy*.c ---- */
static inline int rollout_is(const char *a, const char *b)
{
    return !strcmp(a, b);
}
/* Run expr (an int: < 0 error) in a transaction of s, result in rc; rolled back on error. */
#define ROLLOUT_TX_WITH(begin, s, rc, expr)             \
    do {                                                 \
        if (begin(s) != 0) return -1;                    \
        (rc) = (expr);                                   \
        if ((rc) < 0) mote_store_rollback(s);            \
        else if (mote_store_commit(s) != 0) (rc) = -1;   \
    } while (0)
#define ROLLOUT_TX(s, rc, expr) ROLLOUT_TX_WITH(mote_store_begin, s, rc, expr)
/* expr only reads */
#define ROLLOUT_READ_TX(s, rc, expr) ROLLOUT_TX_WITH(mote_store_begin_read, s, rc, expr)

#endif
