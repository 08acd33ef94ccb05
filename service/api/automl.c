/* AutoML job endpoints: submit a search on a stored dataset, list, show (with
 * its live status line and, once done, the published model), cancel, and its
 * log and HTML report. The search itself is automl/'s. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/common.h"
#include "automl/automl.h"
#include "moted_ctx.h"
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

/* Take an optional identifier field out of body into out; -1 with a 400 set when it is not one. */
static int take_ident(json_t *body, const char *key, char *out, size_t outlen, moted_resp *resp)
{
    json_t *v = json_object_get(body, key);
    if (!v) return 0;
    const char *s = json_string_value(v);
    if (!s || !api_ident(s, outlen - 1)) {
        moted_resp_error(resp, 400, "%s: 1 to %zu letters, digits, '.', '_' or '-' are required", key, outlen - 1);
        return -1;
    }
    snprintf(out, outlen, "%s", s);
    json_object_del(body, key);
    return 0;
}

static void automl_submit(moted *m, const moted_req *r, moted_resp *resp)
{
    if (!moted_automl_enabled(moted_automl_of(m))) {
        moted_resp_error(resp, 503, "AutoML jobs: this server was not started by `mote serve`, which runs them");
        return;
    }
    json_t *body = moted_req_json(r, resp);
    if (!body) return;
    mote_automl_rec j;
    memset(&j, 0, sizeof j);
    char err[512];
    if (take_ident(body, "dataset", j.dataset, sizeof j.dataset, resp) ||
        take_ident(body, "version", j.dataset_version, sizeof j.dataset_version, resp) ||
        take_ident(body, "model", j.model, sizeof j.model, resp) ||
        take_ident(body, "model_version", j.model_version, sizeof j.model_version, resp))
        goto out;
    if (!j.dataset[0] || !j.dataset_version[0]) {
        moted_resp_error(resp, 400, "%s: required (a dataset stored by POST /v1/datasets)",
                         j.dataset[0] ? "version" : "dataset");
        goto out;
    }
    if (moted_automl_spec_check(body, err, sizeof err) != 0) {
        moted_resp_error(resp, 400, "%s", err);
        goto out;
    }
    mote_dataset_rec ds;
    int g = mote_store_dataset_get(moted_store(m), j.dataset, j.dataset_version, &ds);
    if (g < 0) {
        api_storage_error(m, resp, "automl submit");
        goto out;
    }
    if (g == 1) {
        moted_resp_error(resp, 404, "dataset %s/%s: not in the store", j.dataset, j.dataset_version);
        goto out;
    }
    mote_dataset_free(&ds);
    if (!j.model[0]) snprintf(j.model, sizeof j.model, "%.120s-automl", j.dataset);
    if (j.model_version[0]) {
        mote_model_rec old;
        g = mote_store_model_get(moted_store(m), j.model, j.model_version, &old);
        if (g == 0) mote_model_free(&old);
        if (g < 0) {
            api_storage_error(m, resp, "automl submit");
            goto out;
        }
        if (g == 0) {
            moted_resp_error(resp, 409, "model %s/%s exists already: choose another model_version", j.model,
                             j.model_version);
            goto out;
        }
    }
    j.spec = json_incref(body);
    if (mote_store_automl_add(moted_store(m), &j) != 0) {
        api_storage_error(m, resp, "automl submit");
        goto out;
    }
    moted_automl_wake(moted_automl_of(m));
    moted_resp_json(resp, 202, mote_automl_json(&j));
out:
    mote_automl_free(&j);
    json_decref(body);
}

static void automl_list(moted *m, const moted_req *r, moted_resp *resp)
{
    (void)r;
    json_t *a = mote_store_automl_list(moted_store(m));
    if (!a) api_storage_error(m, resp, "automl list");
    else moted_resp_json(resp, 200, json_pack("{s:o}", "jobs", a));
}

/* The job of the route's {id}: 0, or -1 with the answer set. */
static int lookup(moted *m, const moted_req *r, moted_resp *resp, mote_automl_rec *j)
{
    int64_t id;
    if (parse_id(r->params[0], &id)) {
        moted_resp_error(resp, 404, "automl job %s: not a job id", r->params[0]);
        return -1;
    }
    int g = mote_store_automl_get(moted_store(m), id, j);
    if (g < 0) api_storage_error(m, resp, "automl job");
    else if (g == 1) moted_resp_error(resp, 404, "automl job %lld: unknown", (long long)id);
    return g ? -1 : 0;
}

static void automl_get(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_automl_rec j;
    if (lookup(m, r, resp, &j) != 0) return;
    moted_resp_json(resp, 200, mote_automl_json(&j));
    mote_automl_free(&j);
}

static void automl_cancel(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_automl_rec j;
    if (lookup(m, r, resp, &j) != 0) return;
    int f = mote_store_automl_finish(moted_store(m), j.id, "cancelled", "cancelled by a request", NULL);
    mote_automl_free(&j);
    if (f < 0) {
        api_storage_error(m, resp, "automl cancel");
        return;
    }
    if (lookup(m, r, resp, &j) != 0) return;
    if (f == 1) moted_resp_error(resp, 409, "automl job %lld: already %s", (long long)j.id, j.state);
    else moted_resp_json(resp, 200, mote_automl_json(&j));
    moted_automl_wake(moted_automl_of(m));
    mote_automl_free(&j);
}

/* A file of the job's folder, with a content type; 404 until the search wrote it. */
static void job_file(moted *m, const moted_req *r, moted_resp *resp, const char *leaf)
{
    mote_automl_rec j;
    if (lookup(m, r, resp, &j) != 0) return;
    char path[1200];
    struct stat st;
    if (moted_automl_path(moted_automl_of(m), j.id, leaf, path, sizeof path) != 0 || stat(path, &st) != 0)
        moted_resp_error(resp, 404, "automl job %lld: no %s yet", (long long)j.id, leaf);
    else
        moted_resp_file(resp, r, path);
    mote_automl_free(&j);
}

static void automl_log(moted *m, const moted_req *r, moted_resp *resp)
{
    job_file(m, r, resp, "log.txt");
    if (resp->status == 200) resp->content_type = "text/plain; charset=utf-8";
}

static void automl_report(moted *m, const moted_req *r, moted_resp *resp)
{
    job_file(m, r, resp, "out/report.html");
    if (resp->status == 200) resp->content_type = "text/html; charset=utf-8";
}

static const moted_route routes[] = {
    {"POST", "/v1/automl", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, automl_submit},
    {"GET", "/v1/automl", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, automl_list},
    {"GET", "/v1/automl/{id}", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, automl_get},
    {"POST", "/v1/automl/{id}/cancel", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, automl_cancel},
    {"GET", "/v1/automl/{id}/log", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, automl_log},
    {"GET", "/v1/automl/{id}/report", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, automl_report},
};
const moted_api_table api_automl_table = {routes, sizeof routes / sizeof routes[0]};
