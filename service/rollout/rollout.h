/* moted rollout: compile jobs, signed artifacts, deployments and the device
 * update protocol (docs/service.md). moted.c starts it after the store is
 * open; the handlers of api/ call it. Everything takes the rollout, so the
 * unit test drives the same code without HTTP. */
#ifndef MOTED_ROLLOUT_H
#define MOTED_ROLLOUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "moted.h"
#include "store/store.h"
#include "target/profile.h"

typedef struct moted_rollout moted_rollout;

/* Load or create the Ed25519 key pair in data_dir/keys, put compile jobs
 * found 'running' back to 'queued', start the compile workers (workers <= 0:
 * 1) and the deployment ticker. m is the server whose log it writes to.
 * NULL with a one-line message in err. */
moted_rollout *moted_rollout_start(moted *m, mote_store *s, const char *data_dir, int workers, char *err,
                                   size_t errlen);
/* Stop and join the threads (a running job finishes first), free. NULL ok. */
void moted_rollout_stop(moted_rollout *r);
/* The server's Ed25519 public key, 64 hex ("" for NULL). */
const char *moted_rollout_key_hex(const moted_rollout *r);
/* Prometheus text lines: mote_deployments{state}, mote_jobs{state} (gauges),
 * mote_update_polls_total (counter), with their # HELP/# TYPE lines. */
void moted_rollout_metrics(moted_rollout *r, FILE *out);

/* ---- target profiles (profile.c) ---- */
/* Choose the target profile for a device (docs/service.md): the hint when it
 * names a profile whose core and features equal the facts'; otherwise the
 * profile in the targets directories with that core and features and the
 * largest RAM and flash within the device's; otherwise a profile made from the
 * facts, named "facts-<core>-<ram>k-<flash>k". 0 ok; -1 with a message naming
 * the bad fact (missing/unknown core, ...). */
int rollout_pick_profile(json_t *facts, const char *hint, mote_profile *p, char *err, size_t errlen);
/* Profile named name: a targets/ file, or one made from facts ("facts-..."). */
int rollout_profile_resolve(const char *name, json_t *facts, mote_profile *p, char *err, size_t errlen);

/* ---- compile jobs (jobs.c) ---- */
/* Queue a compile of a model version for a profile and format ("mote"|"c");
 * a cached artifact makes the job "done" at once. 0 with *job, -1 with err. */
int compile_submit(moted_rollout *r, const mote_model_rec *model, const mote_profile *p, const char *format,
                   int64_t *job, char *err, size_t errlen);
/* The job document of GET /v1/jobs/N. */
json_t *compile_job_json(moted_rollout *r, const mote_job_rec *j);

/* ---- deployments (deploy.c, deploy_device.c) ---- */
typedef struct {
    char group[64];
    char strategy[12];
    int canary_percent;
    double max_failure_rate;
    int auto_promote;
} deploy_params;
/* 0 with *id; 1 no device carries the group (err says so); -1 error. */
int deploy_create(moted_rollout *r, const mote_model_rec *model, const deploy_params *p, int64_t *id, char *err,
                  size_t errlen);
/* 0 done, 1 unknown id, 2 not allowed in this state (409, err says why), -1 error. */
int deploy_promote(moted_rollout *r, int64_t id, char *err, size_t errlen);
int deploy_rollback(moted_rollout *r, int64_t id, const char *reason, char *err, size_t errlen);
/* A device polls for an update (counted in mote_update_polls_total): 0 with
 * the artifact to install and its deployment, 1 nothing, -1 error. */
int deploy_offer(moted_rollout *r, const char *device, mote_artifact_rec *a, int64_t *deployment);
/* A status report: 0 ok, 1 unknown deployment/device pair (404), 2 conflict (409), -1 error. */
int deploy_report(moted_rollout *r, const char *device, int64_t deployment, const char *artifact,
                  const char *state, const char *reason, const char *output_b64, char *err, size_t errlen);
/* The deployment document; NULL with *found = 0 when unknown. */
json_t *deploy_json(moted_rollout *r, int64_t id, int with_devices, int *found);
/* A device registered or its tags changed: it joins the newest deployment of its groups that is not
 * rolled back (docs/service.md, "Devices that join later"). Failures are logged: the registration or
 * tag change itself stands. */
void moted_rollout_device_joined(moted_rollout *r, const char *device);

#endif
