/* The device side of a deployment: what a polling device is offered, and
 * what its status reports change. One transaction each, then the deployment
 * is advanced (deploy.c). */
#include <stdio.h>
#include <string.h>

#include "rollout/deploy.h"

/* Does the deployment's state let this phase install? */
static int phase_live(const char *dep_state, const char *phase)
{
    if (rollout_is(dep_state, "rolling_out") || rollout_is(dep_state, "complete")) return 1;
    return rollout_is(phase, "canary") && (rollout_is(dep_state, "canary") || rollout_is(dep_state, "canary_done"));
}

/* What the device is offered: 0 with *a and *dep, 1 nothing. Without may_write it returns 2 where it
 * would have to write, so a poll that changes nothing (nearly all of them) never takes the write lock. */
static int offer_tx(struct moted_rollout *r, const char *device, mote_artifact_rec *a, int64_t *dep, int *confirmed,
                    int may_write)
{
    mote_dd_rec row;
    int g = mote_store_dd_current(r->s, device, &row);
    if (g != 0) return g;
    mote_deployment_rec d;
    if ((g = mote_store_deployment_get(r->s, row.deployment, &d)) != 0) return g;
    mote_device_rec dev;
    memset(&dev, 0, sizeof dev);
    if ((g = mote_store_device_get(r->s, device, &dev)) != 0) return g;
    char active[65];
    snprintf(active, sizeof active, "%s", dev.artifact);
    mote_device_free(&dev);
    if (rollout_is(row.state, "rolled_back")) {
        /* The bytes it ran before; any manifest of them verifies. */
        if (!row.previous[0] || rollout_is(row.previous, active)) return 1;
        *dep = row.deployment;
        return mote_store_artifact_get(r->s, row.previous, row.target, a);
    }
    if (!(rollout_is(row.state, "pending") || rollout_is(row.state, "offered")) || !row.artifact[0] ||
        !phase_live(d.state, row.phase))
        return 1;
    /* This deployment's manifest (model version, self-test) even when other versions share the bytes. */
    mote_job_rec j;
    g = mote_store_job_get(r->s, row.job, &j);
    if (g == 0) g = mote_store_artifact_by_key(r->s, j.cache_key, a);
    if (g > 0) g = mote_store_artifact_get(r->s, row.artifact, row.target, a);
    if (g != 0) return g;
    if (rollout_is(row.artifact, active)) {
        if (!may_write) return 2;
        /* Already running these bytes (from an earlier deployment): nothing to install, but the
         * device now runs this deployment's model version. */
        snprintf(row.state, sizeof row.state, "confirmed");
        snprintf(row.reason, sizeof row.reason, "already running the artifact");
        *confirmed = 1;
        mote_model_rec m;
        memset(&m, 0, sizeof m);
        int mg = mote_store_model_get_id(r->s, d.model_id, &m);
        int rc = mg < 0 || (mg == 0 && mote_store_device_running(r->s, device, a->target, m.name, m.version) != 0) ||
                 mote_store_dd_update(r->s, &row) != 0;
        mote_model_free(&m);
        return rc ? -1 : 1;
    }
    if (rollout_is(row.state, "pending")) {
        if (!may_write) return 2;
        snprintf(row.previous, sizeof row.previous, "%s", active);
        snprintf(row.state, sizeof row.state, "offered");
        if (mote_store_dd_update(r->s, &row) != 0) return -1;
    }
    *dep = row.deployment;
    return 0;
}

int deploy_offer(struct moted_rollout *r, const char *device, mote_artifact_rec *a, int64_t *deployment)
{
    int rc, confirmed = 0;
    mote_dd_rec row;
    atomic_fetch_add(&r->polls, 1);
    ROLLOUT_READ_TX(r->s, rc, offer_tx(r, device, a, deployment, &confirmed, 0));
    if (rc == 2) ROLLOUT_TX(r->s, rc, offer_tx(r, device, a, deployment, &confirmed, 1));
    if (confirmed && mote_store_dd_current(r->s, device, &row) == 0 && deploy_advance(r, row.deployment) != 0)
        return -1;
    return rc;
}

static int report_tx(struct moted_rollout *r, const char *device, int64_t dep, const char *artifact,
                     const char *state, const char *reason, const char *output_b64, char *err, size_t errlen)
{
    mote_dd_rec row;
    int g = mote_store_dd_get(r->s, dep, device, &row);
    if (g != 0) {
        if (g > 0) snprintf(err, errlen, "deployment: %lld does not include device %s", (long long)dep, device);
        return g;
    }
    int open = rollout_is(row.state, "pending") || rollout_is(row.state, "offered");
    int retry = (rollout_is(row.state, "confirmed") || rollout_is(row.state, "failed")) &&
                rollout_is(artifact, row.artifact);
    int back = rollout_is(row.state, "rolled_back");
    if (open && !rollout_is(artifact, row.artifact)) {
        snprintf(err, errlen, "artifact: deployment %lld offers %s, not %s", (long long)dep,
                 row.artifact[0] ? row.artifact : "nothing yet", artifact);
        return 2;
    }
    int confirmed = rollout_is(state, "confirmed");
    if (mote_store_device_report(r->s, device, confirmed ? "running" : state, confirmed ? artifact : NULL,
                                 output_b64) != 0)
        return -1;
    if (confirmed) {
        /* What it runs now: this deployment's model, or (a roll-back) what an artifact of these bytes for its
         * target was built from. */
        int64_t model_id = 0;
        mote_deployment_rec d;
        mote_artifact_rec a;
        if (rollout_is(artifact, row.artifact) && mote_store_deployment_get(r->s, dep, &d) == 0) model_id = d.model_id;
        else if (mote_store_artifact_get(r->s, artifact, row.target, &a) == 0) model_id = a.model_id;
        mote_model_rec m;
        memset(&m, 0, sizeof m);
        if (model_id && mote_store_model_get_id(r->s, model_id, &m) == 0) {
            int rc = mote_store_device_running(r->s, device, row.target, m.name, m.version);
            mote_model_free(&m);
            if (rc != 0) return -1;
        }
    }
    if ((open || retry) && !rollout_is(state, "downloading")) {
        snprintf(row.state, sizeof row.state, "%s", state);
        snprintf(row.reason, sizeof row.reason, "%s", confirmed ? "" : reason);
    } else if (open) {
        snprintf(row.state, sizeof row.state, "offered");
    } else if (back && rollout_is(artifact, row.previous) && !rollout_is(state, "downloading")) {
        if (confirmed) snprintf(row.reason, sizeof row.reason, "restored the previous artifact");
        else snprintf(row.reason, sizeof row.reason, "roll-back failed: %s", reason);
    } else {
        return 0;
    }
    return mote_store_dd_update(r->s, &row);
}

int deploy_report(struct moted_rollout *r, const char *device, int64_t deployment, const char *artifact,
                  const char *state, const char *reason, const char *output_b64, char *err, size_t errlen)
{
    int rc;
    if (!rollout_is(state, "downloading") && !rollout_is(state, "confirmed") && !rollout_is(state, "failed")) {
        snprintf(err, errlen, "state: must be downloading, confirmed or failed, not \"%s\"", state);
        return 2;
    }
    ROLLOUT_TX(r->s, rc, report_tx(r, device, deployment, artifact, state, reason ? reason : "", output_b64, err, errlen));
    if (rc == 0) rc = deploy_advance(r, deployment);
    if (rc < 0) snprintf(err, errlen, "%s", mote_store_error(r->s));
    return rc;
}
