/* HTTP handlers of the rollout: compile jobs, artifacts, deployments and the
 * device update protocol (docs/service.md). They validate and translate; the
 * decisions live in rollout/ (rollout/rollout.h). */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/common.h"
#include "moted_ctx.h"
#include "rollout/rollout.h"
#include "store/store.h"

static int parse_id(const char *s, int64_t *id)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v <= 0) return -1;
    *id = v;
    return 0;
}

/* Optional string field: NULL when absent; -1 (400 set) when of another type. */
static int opt_str(json_t *o, const char *key, const char **out, moted_resp *resp)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) return 0;
    if (!json_is_string(v)) {
        moted_resp_error(resp, 400, "%s: must be a string", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int req_str(json_t *o, const char *key, const char **out, moted_resp *resp)
{
    if (opt_str(o, key, out, resp) != 0) return -1;
    if (!*out || !**out) {
        moted_resp_error(resp, 400, "%s: missing", key);
        return -1;
    }
    return 0;
}

/* The model version named by the body's "model" and "version"; 404/400 set on failure. */
static int body_model(moted *m, json_t *body, mote_model_rec *model, moted_resp *resp)
{
    const char *name, *version;
    if (req_str(body, "model", &name, resp) || req_str(body, "version", &version, resp)) return -1;
    memset(model, 0, sizeof *model);
    int g = mote_store_model_get(moted_store(m), name, version, model);
    if (g > 0) moted_resp_error(resp, 404, "model: %s version %s not found", name, version);
    if (g < 0) moted_resp_error(resp, 500, "%s", mote_store_error(moted_store(m)));
    return g == 0 ? 0 : -1;
}

static void h_compile(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *body = moted_req_json(r, resp);
    if (!body) return;
    mote_model_rec model;
    memset(&model, 0, sizeof model);
    const char *profile, *format;
    json_t *facts = json_object_get(body, "facts");
    char err[1024];
    mote_profile p;
    int64_t job;
    if (opt_str(body, "profile", &profile, resp) || opt_str(body, "format", &format, resp)) goto out;
    if (!format) format = "mote";
    if (strcmp(format, "mote") && strcmp(format, "c")) {
        moted_resp_error(resp, 400, "format: must be \"mote\" or \"c\", not \"%s\"", format);
        goto out;
    }
    if (facts) {
        if (rollout_pick_profile(facts, profile, &p, err, sizeof err) != 0) {
            moted_resp_error(resp, 400, "%s", err);
            goto out;
        }
    } else if (!profile) {
        moted_resp_error(resp, 400, "profile: missing (give \"profile\" or \"facts\")");
        goto out;
    } else if (rollout_profile_resolve(profile, NULL, &p, err, sizeof err) != 0) {
        moted_resp_error(resp, 400, "profile: %s", err);
        goto out;
    }
    if (body_model(m, body, &model, resp) != 0) goto out;
    if (compile_submit(moted_rollout_of(m), &model, &p, format, &job, err, sizeof err) != 0) {
        moted_resp_error(resp, 500, "%s", err);
        goto out;
    }
    moted_resp_json(resp, 202, json_pack("{s:I}", "job", (json_int_t)job));
out:
    mote_model_free(&model);
    json_decref(body);
}

static void h_job(moted *m, const moted_req *r, moted_resp *resp)
{
    int64_t id;
    mote_job_rec j;
    int g = parse_id(r->params[0], &id) ? 1 : mote_store_job_get(moted_store(m), id, &j);
    if (g > 0) {
        moted_resp_error(resp, 404, "job: %s not found", r->params[0]);
        return;
    }
    if (g < 0) {
        moted_resp_error(resp, 500, "%s", mote_store_error(moted_store(m)));
        return;
    }
    json_t *o = compile_job_json(moted_rollout_of(m), &j);
    if (!o) {
        moted_resp_error(resp, 500, "job %s: cannot describe it", r->params[0]);
        return;
    }
    moted_resp_json(resp, 200, o);
}

static void h_artifact(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_store *s = moted_store(m);
    const char *sha = r->params[0];
    mote_artifact_rec a;
    int g = mote_is_sha256_hex(sha) ? mote_store_artifact_get(s, sha, NULL, &a) : 1;
    if (g > 0) {
        moted_resp_error(resp, 404, "artifact: %s not found", sha);
        return;
    }
    if (g < 0) {
        moted_resp_error(resp, 500, "%s", mote_store_error(s));
        return;
    }
    if (r->role == MOTED_ROLE_DEVICE) {
        /* A device sees what it was offered or runs, nothing else. */
        int may = mote_store_dd_device_has_artifact(s, r->device_id, sha);
        if (may > 0) {
            mote_device_rec d;
            memset(&d, 0, sizeof d);
            if (mote_store_device_get(s, r->device_id, &d) == 0 && !strcmp(d.artifact, sha)) may = 0;
            mote_device_free(&d);
        }
        if (may < 0) {
            moted_resp_error(resp, 500, "%s", mote_store_error(s));
            return;
        }
        if (may > 0) {
            moted_resp_error(resp, 403, "artifact: %s was not offered to device %s", sha, r->device_id);
            return;
        }
    }
    char path[1200];
    if (mote_store_blob_path(s, sha, path, sizeof path) != 0) {
        moted_resp_error(resp, 500, "artifact %s: blob missing", sha);
        return;
    }
    moted_resp_file(resp, r, path);
}

/* Optional number field within [lo, hi]. */
static int opt_num(json_t *o, const char *key, double lo, double hi, int integer, double *out, moted_resp *resp)
{
    json_t *v = json_object_get(o, key);
    if (!v) return 0;
    if (integer ? !json_is_integer(v) : !json_is_number(v)) {
        moted_resp_error(resp, 400, "%s: must be %s", key, integer ? "an integer" : "a number");
        return -1;
    }
    double x = json_number_value(v);
    if (x < lo || x > hi) {
        moted_resp_error(resp, 400, "%s: %g is outside [%g, %g]", key, x, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static void h_deploy_create(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *body = moted_req_json(r, resp);
    if (!body) return;
    mote_model_rec model;
    memset(&model, 0, sizeof model);
    deploy_params p;
    memset(&p, 0, sizeof p);
    const char *group, *strategy;
    double pct = 10, rate = 0.2;
    json_t *ap = json_object_get(body, "auto_promote");
    char err[1024];
    int64_t id;
    if (req_str(body, "group", &group, resp) || opt_str(body, "strategy", &strategy, resp) ||
        opt_num(body, "canary_percent", 1, 100, 1, &pct, resp) ||
        opt_num(body, "max_failure_rate", 0, 1, 0, &rate, resp))
        goto out;
    if (ap && !json_is_boolean(ap)) {
        moted_resp_error(resp, 400, "auto_promote: must be true or false");
        goto out;
    }
    if (!strategy) strategy = "all";
    if (strcmp(strategy, "all") && strcmp(strategy, "canary")) {
        moted_resp_error(resp, 400, "strategy: must be \"all\" or \"canary\", not \"%s\"", strategy);
        goto out;
    }
    if (strlen(group) >= sizeof p.group) {
        moted_resp_error(resp, 400, "group: longer than %zu bytes", sizeof p.group - 1);
        goto out;
    }
    if (body_model(m, body, &model, resp) != 0) goto out;
    snprintf(p.group, sizeof p.group, "%s", group);
    snprintf(p.strategy, sizeof p.strategy, "%s", strategy);
    p.canary_percent = (int)pct;
    p.max_failure_rate = rate;
    p.auto_promote = json_is_true(ap);
    int rc = deploy_create(moted_rollout_of(m), &model, &p, &id, err, sizeof err);
    if (rc > 0) moted_resp_error(resp, 409, "%s", err);
    else if (rc < 0) moted_resp_error(resp, 500, "%s", err);
    else {
        int found;
        json_t *o = deploy_json(moted_rollout_of(m), id, 1, &found);
        if (o) moted_resp_json(resp, 201, o);
        else moted_resp_error(resp, 500, "deployment %lld: cannot describe it", (long long)id);
    }
out:
    mote_model_free(&model);
    json_decref(body);
}

static void h_deploy_list(moted *m, const moted_req *r, moted_resp *resp)
{
    (void)r;
    int64_t *ids = NULL;
    size_t n = 0;
    if (mote_store_deployment_ids(moted_store(m), NULL, &ids, &n) != 0)
        {
        moted_resp_error(resp, 500, "%s", mote_store_error(moted_store(m)));
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        int found;
        json_t *o = deploy_json(moted_rollout_of(m), ids[i], 0, &found);
        if (o) json_array_append_new(arr, o);
    }
    free(ids);
    moted_resp_json(resp, 200, json_pack("{s:o}", "deployments", arr));
}

static void send_deployment(moted *m, int64_t id, int status, moted_resp *resp)
{
    int found;
    json_t *o = deploy_json(moted_rollout_of(m), id, 1, &found);
    if (o) moted_resp_json(resp, status, o);
    else if (!found) moted_resp_error(resp, 404, "deployment: %lld not found", (long long)id);
    else moted_resp_error(resp, 500, "%s", mote_store_error(moted_store(m)));
}

static void h_deploy_get(moted *m, const moted_req *r, moted_resp *resp)
{
    int64_t id;
    if (parse_id(r->params[0], &id)) {
        moted_resp_error(resp, 404, "deployment: %s not found", r->params[0]);
        return;
    }
    send_deployment(m, id, 200, resp);
}

static void h_deploy_action(moted *m, const moted_req *r, moted_resp *resp, int promote)
{
    int64_t id;
    char err[1024] = "";
    if (parse_id(r->params[0], &id)) {
        moted_resp_error(resp, 404, "deployment: %s not found", r->params[0]);
        return;
    }
    int rc = promote ? deploy_promote(moted_rollout_of(m), id, err, sizeof err)
                     : deploy_rollback(moted_rollout_of(m), id, "rolled back on request", err, sizeof err);
    if (rc == 1) {
        moted_resp_error(resp, 404, "deployment: %s not found", r->params[0]);
        return;
    }
    if (rc == 2) {
        moted_resp_error(resp, 409, "%s", err);
        return;
    }
    if (rc < 0) {
        moted_resp_error(resp, 500, "%s", err);
        return;
    }
    send_deployment(m, id, 200, resp);
}

static void h_promote(moted *m, const moted_req *r, moted_resp *resp)
{
    h_deploy_action(m, r, resp, 1);
}

static void h_rollback(moted *m, const moted_req *r, moted_resp *resp)
{
    h_deploy_action(m, r, resp, 0);
}

static json_t *blob_b64(mote_store *s, const char *sha)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (mote_store_blob_get(s, sha, &data, &len) != 0) return NULL;
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b = malloc(cap);
    json_t *v = NULL;
    if (b) {
        sodium_bin2base64(b, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
        v = json_string(b);
    }
    free(b);
    free(data);
    return v;
}

static void h_update(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_store *s = moted_store(m);
    mote_artifact_rec a;
    int64_t dep = 0;
    int rc = deploy_offer(moted_rollout_of(m), r->device_id, &a, &dep);
    if (rc > 0) {
        moted_resp_empty(resp, 204);
        return;
    }
    if (rc < 0) {
        moted_resp_error(resp, 500, "%s", mote_store_error(s));
        return;
    }
    json_t *in = blob_b64(s, a.selftest_in), *out = blob_b64(s, a.selftest_out);
    if (!in || !out) {
        json_decref(in);
        json_decref(out);
        {
        moted_resp_error(resp, 500, "artifact %s: self-test vector missing", a.sha256);
        return;
    }
    }
    char url[128];
    snprintf(url, sizeof url, "/v1/artifacts/%s", a.sha256);
    moted_resp_json(resp, 200,
                    json_pack("{s:I,s:s,s:s,s:s,s:{s:o,s:o}}", "deployment", (json_int_t)dep, "manifest", a.manifest,
                              "signature", a.signature, "artifact_url", url, "selftest", "input_b64", in,
                              "expected_b64", out));
}

static void h_status(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *body = moted_req_json(r, resp);
    if (!body) return;
    const char *artifact, *state, *reason, *output;
    json_t *dep = json_object_get(body, "deployment");
    char err[1024] = "";
    if (!json_is_integer(dep) || json_integer_value(dep) <= 0) {
        moted_resp_error(resp, 400, "deployment: must be a deployment id");
        goto out;
    }
    if (req_str(body, "artifact", &artifact, resp) || req_str(body, "state", &state, resp) ||
        opt_str(body, "reason", &reason, resp) || opt_str(body, "output_b64", &output, resp))
        goto out;
    if (!mote_is_sha256_hex(artifact)) {
        moted_resp_error(resp, 400, "artifact: must be 64 lowercase hex digits");
        goto out;
    }
    if (output && strlen(output) >= MOTED_OUTPUT_B64_MAX) {
        moted_resp_error(resp, 400, "output_b64: longer than %d characters", MOTED_OUTPUT_B64_MAX - 1);
        goto out;
    }
    int rc = deploy_report(moted_rollout_of(m), r->device_id, json_integer_value(dep), artifact, state, reason, output, err,
                           sizeof err);
    if (rc == 0) moted_resp_empty(resp, 204);
    else if (rc == 1) moted_resp_error(resp, 404, "%s", err);
    else if (rc == 2) moted_resp_error(resp, strncmp(err, "state:", 6) ? 409 : 400, "%s", err);
    else moted_resp_error(resp, 500, "%s", err);
out:
    json_decref(body);
}

static const moted_route routes[] = {
    {"POST", "/v1/compile", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, h_compile},
    {"GET", "/v1/jobs/{id}", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, h_job},
    {"GET", "/v1/artifacts/{sha}", MOTED_ROLE_ADMIN | MOTED_ROLE_DEVICE, MOTED_BODY_JSON, h_artifact},
    {"POST", "/v1/deployments", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, h_deploy_create},
    {"GET", "/v1/deployments", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, h_deploy_list},
    {"GET", "/v1/deployments/{id}", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, h_deploy_get},
    {"POST", "/v1/deployments/{id}/promote", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, h_promote},
    {"POST", "/v1/deployments/{id}/rollback", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, h_rollback},
    {"GET", "/v1/device/update", MOTED_ROLE_DEVICE, MOTED_BODY_JSON, h_update},
    {"POST", "/v1/device/status", MOTED_ROLE_DEVICE, MOTED_BODY_JSON, h_status},
};
const moted_api_table api_rollout_table = {routes, sizeof routes / sizeof routes[0]};
