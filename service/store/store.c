/* The store handle: opening picks a backend (store/backend.h), every other
 * call goes to that backend's tables. Also what no backend needs to repeat:
 * errors, the time format, freeing records, the device document. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/backend.h"

/* The backends of this build, the default first. */
static const mote_store_backend *const backends[] = {&mote_store_sqlite};

mote_store *mote_store_open_backend(const char *backend, const char *data_dir, char *err, size_t errlen)
{
    const mote_store_backend *be = backends[0];
    if (backend) {
        size_t i, n = sizeof backends / sizeof backends[0];
        for (i = 0; i < n && strcmp(backends[i]->name, backend) != 0; i++) continue;
        if (i == n) {
            snprintf(err, errlen, "store backend '%.64s': not built in (this build has: sqlite)", backend);
            return NULL;
        }
        be = backends[i];
    }
    if (!data_dir || !*data_dir || strlen(data_dir) >= sizeof ((mote_store *)0)->dir) {
        snprintf(err, errlen, "data dir: missing or too long");
        return NULL;
    }
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", data_dir, strerror(errno));
        return NULL;
    }
    return be->open(data_dir, err, errlen);
}

mote_store *mote_store_open(const char *data_dir, char *err, size_t errlen)
{
    return mote_store_open_backend(NULL, data_dir, err, errlen);
}

void mote_store_close(mote_store *s)
{
    if (s) s->ops->core->close(s);
}

const char *mote_store_error(mote_store *s)
{
    return s->ops->core->error(s);
}

int mote_store_fail(mote_store *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->ops->core->set_error(s, msg);
    return -1;
}

void mote_store_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)) snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* ---- records ---- */

void mote_model_free(mote_model_rec *m)
{
    if (!m) return;
    json_decref(m->metadata);
    m->metadata = NULL;
}

void mote_device_free(mote_device_rec *d)
{
    if (!d) return;
    json_decref(d->facts);
    json_decref(d->tags);
    json_decref(d->telemetry);
    d->facts = d->tags = d->telemetry = NULL;
}

json_t *mote_device_json(const mote_device_rec *d)
{
    json_t *tel = d->telemetry ? json_incref(d->telemetry) : json_null();
    json_t *facts = d->facts ? json_incref(d->facts) : json_object();
    json_t *tags = d->tags ? json_incref(d->tags) : json_array();
#define STR_OR_NULL(x) ((x)[0] ? json_string(x) : json_null())
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id", d->id, "name",
                     d->name, "profile", d->profile, "tags", tags, "facts", facts, "created", d->created, "last_seen",
                     d->last_seen, "state", d->state, "artifact", STR_OR_NULL(d->artifact), "target",
                     STR_OR_NULL(d->target), "model", STR_OR_NULL(d->model), "version", STR_OR_NULL(d->version),
                     "selftest_output_b64", STR_OR_NULL(d->selftest_output_b64), "telemetry", tel);
#undef STR_OR_NULL
}

/* ---- the calls of store.h, each to the backend's table ---- */

int mote_store_ping(mote_store *s)
{
    return s->ops->core->ping(s);
}

int mote_store_schema_version(mote_store *s, int *version)
{
    return s->ops->core->schema_version(s, version);
}

int mote_store_begin(mote_store *s)
{
    return s->ops->core->begin(s);
}

int mote_store_begin_read(mote_store *s)
{
    return s->ops->core->begin_read(s);
}

int mote_store_commit(mote_store *s)
{
    return s->ops->core->commit(s);
}

void mote_store_rollback(mote_store *s)
{
    s->ops->core->rollback(s);
}

int mote_store_token_add(mote_store *s, const char *name, const char *role, const char *token_hex)
{
    return s->ops->core->token_add(s, name, role, token_hex);
}

int mote_store_token_role(mote_store *s, const char *token_hex, char *role, size_t rolelen)
{
    return s->ops->core->token_role(s, token_hex, role, rolelen);
}

int mote_store_model_add(mote_store *s, mote_model_rec *m)
{
    return s->ops->models->add(s, m);
}

int mote_store_model_get(mote_store *s, const char *name, const char *version, mote_model_rec *out)
{
    return s->ops->models->get(s, name, version, out);
}

int mote_store_model_get_id(mote_store *s, int64_t id, mote_model_rec *out)
{
    return s->ops->models->get_id(s, id, out);
}

json_t *mote_store_model_list(mote_store *s)
{
    return s->ops->models->list(s);
}

int mote_store_device_add(mote_store *s, const mote_device_rec *d, const char *cred_hash_hex)
{
    return s->ops->devices->add(s, d, cred_hash_hex);
}

int mote_store_device_auth(mote_store *s, const char *cred_hash_hex, char id[24], char last_seen[32])
{
    return s->ops->devices->auth(s, cred_hash_hex, id, last_seen);
}

int mote_store_device_get(mote_store *s, const char *id, mote_device_rec *out)
{
    return s->ops->devices->get(s, id, out);
}

json_t *mote_store_device_list(mote_store *s, const char *tag)
{
    return s->ops->devices->list(s, tag);
}

json_t *mote_store_device_doc(mote_store *s, const char *id, int *rc)
{
    return s->ops->devices->doc(s, id, rc);
}

int mote_store_device_ids_by_tag(mote_store *s, const char *tag, char (**ids)[24], size_t *n)
{
    return s->ops->devices->ids_by_tag(s, tag, ids, n);
}

int mote_store_device_set_tags(mote_store *s, const char *id, json_t *tags)
{
    return s->ops->devices->set_tags(s, id, tags);
}

int mote_store_device_report(mote_store *s, const char *id, const char *state, const char *artifact,
                             const char *output_b64)
{
    return s->ops->devices->report(s, id, state, artifact, output_b64);
}

int mote_store_device_telemetry(mote_store *s, const char *id, json_t *telemetry)
{
    return s->ops->devices->telemetry(s, id, telemetry);
}

int mote_store_device_seen(mote_store *s, const char *id, const char *stored_last_seen)
{
    return s->ops->devices->seen(s, id, stored_last_seen);
}

int mote_store_device_running(mote_store *s, const char *id, const char *target, const char *model,
                              const char *version)
{
    return s->ops->devices->running(s, id, target, model, version);
}

int mote_store_device_count(mote_store *s, int64_t *n)
{
    return s->ops->devices->count(s, n);
}

int mote_store_job_add(mote_store *s, mote_job_rec *j)
{
    return s->ops->jobs->add(s, j);
}

int mote_store_job_get(mote_store *s, int64_t id, mote_job_rec *out)
{
    return s->ops->jobs->get(s, id, out);
}

int mote_store_job_claim(mote_store *s, mote_job_rec *out)
{
    return s->ops->jobs->claim(s, out);
}

int mote_store_job_finish(mote_store *s, const mote_job_rec *j)
{
    return s->ops->jobs->finish(s, j);
}

int mote_store_job_requeue_running(mote_store *s)
{
    return s->ops->jobs->requeue_running(s);
}

json_t *mote_store_job_counts(mote_store *s)
{
    return s->ops->jobs->counts(s);
}

int mote_store_artifact_add(mote_store *s, const mote_artifact_rec *a)
{
    return s->ops->jobs->artifact_add(s, a);
}

int mote_store_artifact_get(mote_store *s, const char *sha256, const char *target, mote_artifact_rec *out)
{
    return s->ops->jobs->artifact_get(s, sha256, target, out);
}

int mote_store_artifact_by_key(mote_store *s, const char *cache_key, mote_artifact_rec *out)
{
    return s->ops->jobs->artifact_by_key(s, cache_key, out);
}

int mote_store_deployment_add(mote_store *s, mote_deployment_rec *d)
{
    return s->ops->deployments->add(s, d);
}

int mote_store_deployment_get(mote_store *s, int64_t id, mote_deployment_rec *out)
{
    return s->ops->deployments->get(s, id, out);
}

int mote_store_deployment_set_state(mote_store *s, int64_t id, const char *state, const char *reason)
{
    return s->ops->deployments->set_state(s, id, state, reason);
}

int mote_store_deployment_ids(mote_store *s, const char *state, int64_t **ids, size_t *n)
{
    return s->ops->deployments->ids(s, state, ids, n);
}

int mote_store_deployment_for_joiner(mote_store *s, const char *device, int64_t *id)
{
    return s->ops->deployments->for_joiner(s, device, id);
}

json_t *mote_store_deployment_counts(mote_store *s)
{
    return s->ops->deployments->counts(s);
}

int mote_store_dd_add(mote_store *s, const mote_dd_rec *r)
{
    return s->ops->deployments->dd_add(s, r);
}

int mote_store_dd_get(mote_store *s, int64_t deployment, const char *device, mote_dd_rec *out)
{
    return s->ops->deployments->dd_get(s, deployment, device, out);
}

int mote_store_dd_list(mote_store *s, int64_t deployment, mote_dd_rec **rows, size_t *n)
{
    return s->ops->deployments->dd_list(s, deployment, rows, n);
}

int mote_store_dd_update(mote_store *s, const mote_dd_rec *r)
{
    return s->ops->deployments->dd_update(s, r);
}

int mote_store_dd_current(mote_store *s, const char *device, mote_dd_rec *out)
{
    return s->ops->deployments->dd_current(s, device, out);
}

int mote_store_dd_supersede(mote_store *s, const char *device, int64_t deployment)
{
    return s->ops->deployments->dd_supersede(s, device, deployment);
}

int mote_store_dd_device_has_artifact(mote_store *s, const char *device, const char *sha256)
{
    return s->ops->deployments->dd_device_has_artifact(s, device, sha256);
}

/* ---- datasets and AutoML jobs ---- */

void mote_dataset_free(mote_dataset_rec *d)
{
    if (!d) return;
    json_decref(d->metadata);
    d->metadata = NULL;
}

json_t *mote_dataset_json(const mote_dataset_rec *d)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:O, s:s}", "name", d->name, "version", d->version,
                     "sha256", d->sha256, "size", (json_int_t)d->size, "files", (json_int_t)d->files, "bytes",
                     (json_int_t)d->bytes, "parent", d->parent[0] ? json_string(d->parent) : json_null(),
                     "metadata", d->metadata ? d->metadata : json_object(), "created", d->created);
}

int mote_store_dataset_add(mote_store *s, mote_dataset_rec *d)
{
    return s->ops->automl->dataset_add(s, d);
}

int mote_store_dataset_get(mote_store *s, const char *name, const char *version, mote_dataset_rec *out)
{
    return s->ops->automl->dataset_get(s, name, version, out);
}

json_t *mote_store_dataset_list(mote_store *s)
{
    return s->ops->automl->dataset_list(s);
}

void mote_automl_free(mote_automl_rec *j)
{
    if (!j) return;
    json_decref(j->spec);
    json_decref(j->result);
    j->spec = j->result = NULL;
}

json_t *mote_automl_json(const mote_automl_rec *j)
{
#define STR_OR_NULL(x) ((x)[0] ? json_string(x) : json_null())
    return json_pack("{s:I, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:O, s:o, s:o, s:O, s:s, s:s}", "id", (json_int_t)j->id,
                     "state", j->state, "dataset", "name", j->dataset, "version", j->dataset_version, "model", "name",
                     j->model, "version", j->model_version, "spec", j->spec ? j->spec : json_object(), "progress",
                     STR_OR_NULL(j->progress), "error", STR_OR_NULL(j->error), "result",
                     j->result ? j->result : json_null(), "created", j->created, "updated", j->updated);
#undef STR_OR_NULL
}

int mote_store_automl_add(mote_store *s, mote_automl_rec *j)
{
    return s->ops->automl->add(s, j);
}

int mote_store_automl_get(mote_store *s, int64_t id, mote_automl_rec *out)
{
    return s->ops->automl->get(s, id, out);
}

json_t *mote_store_automl_list(mote_store *s)
{
    return s->ops->automl->list(s);
}

int mote_store_automl_claim(mote_store *s, mote_automl_rec *out)
{
    return s->ops->automl->claim(s, out);
}

int mote_store_automl_progress(mote_store *s, int64_t id, const char *line)
{
    return s->ops->automl->progress(s, id, line);
}

int mote_store_automl_finish(mote_store *s, int64_t id, const char *state, const char *error, json_t *result)
{
    return s->ops->automl->finish(s, id, state, error, result);
}

int mote_store_automl_requeue_running(mote_store *s)
{
    return s->ops->automl->requeue_running(s);
}

/* ---- monitoring ---- */

int mote_store_baseline_set(mote_store *s, int64_t model_id, json_t *stats)
{
    return s->ops->monitor->baseline_set(s, model_id, stats);
}

int mote_store_baseline_get(mote_store *s, int64_t model_id, json_t **stats)
{
    return s->ops->monitor->baseline_get(s, model_id, stats);
}

int mote_store_alert_open(mote_store *s, mote_alert_rec *a)
{
    return s->ops->monitor->alert_open(s, a);
}

int mote_store_alert_update(mote_store *s, int64_t id, double value, int resolve)
{
    return s->ops->monitor->alert_update(s, id, value, resolve);
}

json_t *mote_store_alert_list(mote_store *s, const char *state)
{
    return s->ops->monitor->alert_list(s, state);
}

int mote_store_alert_firing(mote_store *s, mote_alert_rec **out, size_t *n)
{
    return s->ops->monitor->alert_firing(s, out, n);
}

int mote_store_sampling_set(mote_store *s, const char *group, json_t *policy)
{
    return s->ops->monitor->sampling_set(s, group, policy);
}

int mote_store_sampling_get(mote_store *s, const char *group, json_t **policy)
{
    return s->ops->monitor->sampling_get(s, group, policy);
}

int mote_store_sample_add(mote_store *s, mote_sample_rec *r)
{
    return s->ops->monitor->sample_add(s, r);
}

int mote_store_sample_get(mote_store *s, int64_t id, mote_sample_rec *out)
{
    return s->ops->monitor->sample_get(s, id, out);
}

json_t *mote_store_sample_list(mote_store *s, int64_t model_id, int unlabelled, int64_t after, int limit)
{
    return s->ops->monitor->sample_list(s, model_id, unlabelled, after, limit);
}

int mote_store_sample_label(mote_store *s, int64_t id, int label)
{
    return s->ops->monitor->sample_label(s, id, label);
}

int mote_store_sample_labelled(mote_store *s, int64_t model_id, mote_sample_rec **out, size_t *n)
{
    return s->ops->monitor->sample_labelled(s, model_id, out, n);
}
