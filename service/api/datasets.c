/* Dataset endpoints: upload a version (a tar of the dataset's folder, checked
 * entry by entry before it is kept), list, show, download. Versions never
 * change once published, like model versions. */
#include <stdio.h>
#include <string.h>

#include "api/common.h"
#include "automl/automl.h"
#include "moted_ctx.h"
#include "store/store.h"

static int name_version(const char *name, const char *version, moted_resp *resp)
{
    if (!name || !api_ident(name, 127)) {
        moted_resp_error(resp, 400, "name: 1 to 127 letters, digits, '.', '_' or '-' are required");
        return -1;
    }
    if (!version || !api_ident(version, 63)) {
        moted_resp_error(resp, 400, "version: 1 to 63 letters, digits, '.', '_' or '-' are required");
        return -1;
    }
    return 0;
}

/* POST /v1/datasets?name=N&version=V[&parent=N/V], body: the tar. */
static void dataset_push(moted *m, const moted_req *r, moted_resp *resp)
{
    const char *name = moted_req_query(r, "name"), *version = moted_req_query(r, "version");
    const char *parent = moted_req_query(r, "parent");
    if (name_version(name, version, resp)) return;
    mote_dataset_rec rec;
    memset(&rec, 0, sizeof rec);
    if (parent) {
        char pn[200];
        const char *slash = strchr(parent, '/');
        mote_dataset_rec p;
        if (!slash || strlen(parent) >= sizeof pn) {
            moted_resp_error(resp, 400, "parent: NAME/VERSION of a stored dataset is required");
            return;
        }
        snprintf(pn, sizeof pn, "%.*s", (int)(slash - parent), parent);
        int g = mote_store_dataset_get(moted_store(m), pn, slash + 1, &p);
        if (g < 0) {
            api_storage_error(m, resp, parent);
            return;
        }
        if (g == 1) {
            moted_resp_error(resp, 404, "parent: dataset %s is not in the store", parent);
            return;
        }
        mote_dataset_free(&p);
        snprintf(rec.parent, sizeof rec.parent, "%s", parent);
    }
    char err[512], label[200];
    snprintf(label, sizeof label, "%s/%s", name, version);
    if (moted_dataset_check(r->body, r->body_len, &rec.files, &rec.bytes, err, sizeof err) != 0) {
        moted_resp_error(resp, 400, "%s", err);
        return;
    }
    snprintf(rec.name, sizeof rec.name, "%s", name);
    snprintf(rec.version, sizeof rec.version, "%s", version);
    rec.size = (int64_t)r->body_len;
    if (mote_store_blob_put(moted_store(m), r->body, r->body_len, rec.sha256) != 0) {
        api_storage_error(m, resp, label);
        return;
    }
    char pushed[65];
    memcpy(pushed, rec.sha256, sizeof pushed);
    int a = mote_store_dataset_add(moted_store(m), &rec);
    if (a < 0) api_storage_error(m, resp, label);
    else if (a == 1 && strcmp(pushed, rec.sha256))
        moted_resp_error(resp, 409, "dataset %s exists with other bytes (a published version never changes)", label);
    else {
        mote_dataset_rec stored;
        if (mote_store_dataset_get(moted_store(m), name, version, &stored) != 0) api_storage_error(m, resp, label);
        else {
            moted_resp_json(resp, a == 1 ? 200 : 201, mote_dataset_json(&stored));
            mote_dataset_free(&stored);
        }
    }
    mote_dataset_free(&rec);
}

static void dataset_list(moted *m, const moted_req *r, moted_resp *resp)
{
    (void)r;
    json_t *a = mote_store_dataset_list(moted_store(m));
    if (!a) api_storage_error(m, resp, "dataset list");
    else moted_resp_json(resp, 200, json_pack("{s:o}", "datasets", a));
}

/* The dataset of the route's {name}/{version}: 0, or -1 with the answer set. */
static int lookup(moted *m, const moted_req *r, moted_resp *resp, mote_dataset_rec *rec)
{
    int g = mote_store_dataset_get(moted_store(m), r->params[0], r->params[1], rec);
    if (g < 0) api_storage_error(m, resp, r->params[0]);
    else if (g == 1) moted_resp_error(resp, 404, "dataset %s/%s: not in the store", r->params[0], r->params[1]);
    return g ? -1 : 0;
}

static void dataset_get(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_dataset_rec rec;
    if (lookup(m, r, resp, &rec) != 0) return;
    moted_resp_json(resp, 200, mote_dataset_json(&rec));
    mote_dataset_free(&rec);
}

static void dataset_file(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_dataset_rec rec;
    if (lookup(m, r, resp, &rec) != 0) return;
    char path[1200];
    if (mote_store_blob_path(moted_store(m), rec.sha256, path, sizeof path) != 0) api_storage_error(m, resp, rec.name);
    else moted_resp_file(resp, r, path);
    mote_dataset_free(&rec);
}

static const moted_route routes[] = {
    {"POST", "/v1/datasets", MOTED_ROLE_ADMIN, MOTED_BODY_DATASET, dataset_push},
    {"GET", "/v1/datasets", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, dataset_list},
    {"GET", "/v1/datasets/{name}/{version}", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, dataset_get},
    {"GET", "/v1/datasets/{name}/{version}/file", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, dataset_file},
};
const moted_api_table api_datasets_table = {routes, sizeof routes / sizeof routes[0]};
