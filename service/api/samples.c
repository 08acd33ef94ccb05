/* The feedback loop's endpoints: sampling policies per device group, the
 * inputs devices send back (only when their group asks), listing and
 * labelling them (one or a batch), and a dataset version made of the
 * labelled ones, with its lineage. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/common.h"
#include "automl/automl.h"
#include "driver/inspect_json.h"
#include "monitor/monitor.h"
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

static void policy_put(moted *m, const moted_req *r, moted_resp *resp)
{
    if (!api_ident(r->params[0], 63)) {
        moted_resp_error(resp, 400, "group: 1 to 63 letters, digits, '.', '_' or '-' are required");
        return;
    }
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    char err[256];
    if (mon_policy_check(j, err, sizeof err) != 0) moted_resp_error(resp, 400, "%s", err);
    else if (moted_monitor_set_policy(moted_monitor_of(m), r->params[0], j, err, sizeof err) != 0)
        moted_resp_error(resp, 500, "%s", err);
    else
        moted_resp_json(resp, 200, json_pack("{s:s, s:O}", "group", r->params[0], "policy", j));
    json_decref(j);
}

static void policy_get(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *p = NULL;
    int g = mote_store_sampling_get(moted_store(m), r->params[0], &p);
    if (g < 0) api_storage_error(m, resp, "sampling");
    else if (g == 1) moted_resp_error(resp, 404, "group %s: no sampling policy (sampling is off)", r->params[0]);
    else moted_resp_json(resp, 200, json_pack("{s:s, s:o}", "group", r->params[0], "policy", p));
}

/* POST /v1/device/samples {"artifact","class","confidence_permille","input_b64"} */
static void sample_upload(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    mote_device_rec d;
    json_t *policy = NULL;
    if (mote_store_device_get(moted_store(m), r->device_id, &d) != 0) {
        api_storage_error(m, resp, r->device_id);
        json_decref(j);
        return;
    }
    policy = moted_monitor_device_policy(moted_monitor_of(m), d.tags);
    mote_device_free(&d);
    const char *artifact = json_string_value(json_object_get(j, "artifact"));
    const char *b64 = json_string_value(json_object_get(j, "input_b64"));
    json_t *cls = json_object_get(j, "class"), *conf = json_object_get(j, "confidence_permille");
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!policy) {
        moted_resp_error(resp, 409, "sampling is off for this device's groups: inputs are not taken");
    } else if (!artifact || !json_is_integer(cls) || json_integer_value(cls) < 0 || !json_is_integer(conf) ||
               json_integer_value(conf) < 0 || json_integer_value(conf) > 1000) {
        moted_resp_error(resp, 400, "artifact, class (>= 0) and confidence_permille (0..1000) are required");
    } else if (!b64 || !(bytes = malloc(strlen(b64) / 4 * 3 + 3)) ||
               sodium_base642bin(bytes, strlen(b64) / 4 * 3 + 3, b64, strlen(b64), NULL, &len, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) != 0 ||
               len == 0) {
        moted_resp_error(resp, 400, "input_b64: standard base64 of the input bytes is required");
    } else {
        mote_sample_rec s;
        memset(&s, 0, sizeof s);
        snprintf(s.device, sizeof s.device, "%s", r->device_id);
        mote_artifact_rec a;
        if (mote_is_sha256_hex(artifact) && mote_store_artifact_get(moted_store(m), artifact, NULL, &a) == 0)
            s.model_id = a.model_id;
        s.cls = (int)json_integer_value(cls);
        s.confidence = (double)json_integer_value(conf) / 1000.0;
        s.size = (int64_t)len;
        if (mote_store_blob_put(moted_store(m), bytes, len, s.sha256) != 0 || mote_store_sample_add(moted_store(m), &s))
            api_storage_error(m, resp, "sample");
        else
            moted_resp_json(resp, 201, json_pack("{s:I}", "id", (json_int_t)s.id));
    }
    free(bytes);
    json_decref(policy);
    json_decref(j);
}

/* ?model=NAME&version=V (both or neither) -> the model id (0: any); -1 with the answer set. */
static int64_t model_filter(moted *m, const moted_req *r, moted_resp *resp)
{
    const char *name = moted_req_query(r, "model"), *version = moted_req_query(r, "version");
    if (!name && !version) return 0;
    mote_model_rec rec;
    int g = name && version ? mote_store_model_get(moted_store(m), name, version, &rec) : 2;
    if (g == 2) moted_resp_error(resp, 400, "model and version: give both, or neither");
    else if (g == 1) moted_resp_error(resp, 404, "model %s/%s: not in the repository", name, version);
    else if (g < 0) api_storage_error(m, resp, "samples");
    if (g != 0) return -1;
    mote_model_free(&rec);
    return rec.id;
}

static void sample_list(moted *m, const moted_req *r, moted_resp *resp)
{
    int64_t model = model_filter(m, r, resp);
    if (model < 0) return;
    const char *after = moted_req_query(r, "after"), *limit = moted_req_query(r, "limit");
    const char *unl = moted_req_query(r, "unlabelled");
    long long a = after ? atoll(after) : 0, l = limit ? atoll(limit) : 100;
    if (a < 0 || l < 1 || l > 1000) {
        moted_resp_error(resp, 400, "after (>= 0) and limit (1..1000) are required to be integers");
        return;
    }
    json_t *arr = mote_store_sample_list(moted_store(m), model, unl && strcmp(unl, "0"), a, (int)l);
    if (!arr) api_storage_error(m, resp, "samples");
    else moted_resp_json(resp, 200, json_pack("{s:o}", "samples", arr));
}

static void sample_input(moted *m, const moted_req *r, moted_resp *resp)
{
    int64_t id;
    mote_sample_rec s;
    int g = parse_id(r->params[0], &id) ? 1 : mote_store_sample_get(moted_store(m), id, &s);
    char path[1200];
    if (g < 0) api_storage_error(m, resp, "sample");
    else if (g == 1) moted_resp_error(resp, 404, "sample %s: unknown", r->params[0]);
    else if (mote_store_blob_path(moted_store(m), s.sha256, path, sizeof path) != 0) api_storage_error(m, resp, "sample");
    else moted_resp_file(resp, r, path);
}

/* Label one sample inside the caller's transaction: 0, or -1 with the answer set. */
static int label_one(moted *m, moted_resp *resp, json_int_t id, json_t *label)
{
    if (!json_is_integer(label) || json_integer_value(label) < 0 || json_integer_value(label) > 65535) {
        moted_resp_error(resp, 400, "label of sample %lld: an integer class from 0 to 65535 is required",
                         (long long)id);
        return -1;
    }
    int g = mote_store_sample_label(moted_store(m), id, (int)json_integer_value(label));
    if (g < 0) api_storage_error(m, resp, "label");
    else if (g == 1) moted_resp_error(resp, 404, "sample %lld: unknown", (long long)id);
    return g ? -1 : 0;
}

static void sample_label(moted *m, const moted_req *r, moted_resp *resp)
{
    int64_t id;
    if (parse_id(r->params[0], &id)) {
        moted_resp_error(resp, 404, "sample %s: unknown", r->params[0]);
        return;
    }
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    if (label_one(m, resp, id, json_object_get(j, "label")) == 0)
        moted_resp_json(resp, 200, json_pack("{s:I, s:O}", "id", (json_int_t)id, "label", json_object_get(j, "label")));
    json_decref(j);
}

/* POST /v1/samples/labels {"labels":[{"id","label"}]}: all or none. */
static void sample_labels(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    json_t *ls = json_object_get(j, "labels"), *e;
    size_t i;
    if (!json_is_array(ls) || json_array_size(ls) == 0 || json_array_size(ls) > 10000) {
        moted_resp_error(resp, 400, "labels: an array of 1 to 10000 {\"id\",\"label\"} is required");
        json_decref(j);
        return;
    }
    if (mote_store_begin(moted_store(m)) != 0) {
        api_storage_error(m, resp, "labels");
        json_decref(j);
        return;
    }
    int bad = 0;
    json_array_foreach(ls, i, e) {
        json_t *id = json_object_get(e, "id");
        if (!json_is_integer(id)) {
            moted_resp_error(resp, 400, "labels[%zu].id: an integer is required", i);
            bad = 1;
        } else {
            bad = label_one(m, resp, json_integer_value(id), json_object_get(e, "label")) != 0;
        }
        if (bad) break;
    }
    if (bad) mote_store_rollback(moted_store(m));
    else if (mote_store_commit(moted_store(m)) != 0) api_storage_error(m, resp, "labels");
    else moted_resp_json(resp, 200, json_pack("{s:I}", "labelled", (json_int_t)json_array_size(ls)));
    json_decref(j);
}

typedef struct {
    uint8_t *data;
    size_t len, cap;
} membuf;

static la_ssize_t mem_write(struct archive *a, void *user, const void *buf, size_t n)
{
    membuf *b = user;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n) cap *= 2;
        uint8_t *g = realloc(b->data, cap);
        if (!g) {
            archive_set_error(a, ENOMEM, "out of memory");
            return -1;
        }
        b->data = g;
        b->cap = cap;
    }
    memcpy(b->data + b->len, buf, n);
    b->len += n;
    return (la_ssize_t)n;
}

static int tar_add(struct archive *a, const char *name, const void *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    int r = archive_write_header(a, e) == ARCHIVE_OK && archive_write_data(a, data, len) == (la_ssize_t)len ? 0 : -1;
    archive_entry_free(e);
    return r;
}

/* The labelled samples of model_id as a labelled folder's tar: s<ID>.bin and y_labels.csv (file,classes,label). */
static int samples_tar(moted *m, int64_t model_id, int classes, membuf *out, size_t *n, char *err, size_t errlen)
{
    mote_sample_rec *rows = NULL;
    if (mote_store_sample_labelled(moted_store(m), model_id, &rows, n) != 0) {
        snprintf(err, errlen, "storage: %s", mote_store_error(moted_store(m)));
        return -1;
    }
    if (*n == 0) {
        snprintf(err, errlen, "no labelled samples of this model version");
        free(rows);
        return -1;
    }
    struct archive *a = archive_write_new();
    char *csv = malloc(*n * 48 + 1);
    size_t clen = 0;
    int r = a && csv && archive_write_set_format_pax_restricted(a) == ARCHIVE_OK &&
                    archive_write_open(a, out, NULL, mem_write, NULL) == ARCHIVE_OK
                ? 0
                : -1;
    for (size_t i = 0; r == 0 && i < *n; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        char name[40];
        snprintf(name, sizeof name, "s%lld.bin", (long long)rows[i].id);
        if (mote_store_blob_get(moted_store(m), rows[i].sha256, &data, &len) != 0) r = -1;
        else r = tar_add(a, name, data, len);
        free(data);
        clen += (size_t)snprintf(csv + clen, 48, "%s,%d,%d\n", name, classes, rows[i].label);
    }
    if (r == 0) r = tar_add(a, "y_labels.csv", csv, clen);
    if (a && archive_write_close(a) != ARCHIVE_OK) r = -1;
    if (r) snprintf(err, errlen, "cannot make the tar: %s", a ? archive_error_string(a) : "out of memory");
    if (a) archive_write_free(a);
    free(csv);
    free(rows);
    return r;
}

/* POST /v1/datasets/from-samples {"name","version","model","model_version","parent"?} */
static void dataset_from_samples(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *version = json_string_value(json_object_get(j, "version"));
    const char *model = json_string_value(json_object_get(j, "model"));
    const char *mver = json_string_value(json_object_get(j, "model_version"));
    const char *parent = json_string_value(json_object_get(j, "parent"));
    mote_model_rec mr;
    membuf tar = {0};
    uint8_t *bytes = NULL;
    size_t blen = 0, n = 0;
    char err[512];
    mote_dataset_rec d;
    memset(&d, 0, sizeof d);
    memset(&mr, 0, sizeof mr);
    int g;
    if (!name || !api_ident(name, 127) || !version || !api_ident(version, 63)) {
        moted_resp_error(resp, 400, "name, version: 1 to 127 (63) letters, digits, '.', '_' or '-' are required");
        goto out;
    }
    if (!model || !mver || (g = mote_store_model_get(moted_store(m), model, mver, &mr)) == 1) {
        moted_resp_error(resp, model && mver ? 404 : 400, "model, model_version: a model version in the repository "
                                                          "is required");
        goto out;
    }
    if (g < 0) {
        api_storage_error(m, resp, "dataset");
        goto out;
    }
    if (parent) {
        char pn[200];
        const char *slash = strchr(parent, '/');
        mote_dataset_rec p;
        if (!slash || strlen(parent) >= sizeof pn) {
            moted_resp_error(resp, 400, "parent: NAME/VERSION of a stored dataset is required");
            goto out;
        }
        snprintf(pn, sizeof pn, "%.*s", (int)(slash - parent), parent);
        if (mote_store_dataset_get(moted_store(m), pn, slash + 1, &p) != 0) {
            moted_resp_error(resp, 404, "parent: dataset %s is not in the store", parent);
            goto out;
        }
        mote_dataset_free(&p);
        snprintf(d.parent, sizeof d.parent, "%s", parent);
    }
    /* classes: the model's output 0 elements (what y_labels.csv's second column says) */
    if (mote_store_blob_get(moted_store(m), mr.sha256, &bytes, &blen) != 0) {
        api_storage_error(m, resp, "dataset");
        goto out;
    }
    json_t *insp = mote_inspect_json_bytes(bytes, blen, mr.name, err, sizeof err);
    json_t *shape = json_object_get(json_array_get(json_object_get(insp, "outputs"), 0), "shape");
    json_int_t classes = json_array_size(shape) ? 1 : 0;
    for (size_t i = 0; i < json_array_size(shape); i++) classes *= json_integer_value(json_array_get(shape, i));
    json_decref(insp);
    if (samples_tar(m, mr.id, (int)classes, &tar, &n, err, sizeof err) != 0) {
        moted_resp_error(resp, strncmp(err, "no labelled", 11) ? 500 : 409, "%s", err);
        goto out;
    }
    if (moted_dataset_check(tar.data, tar.len, &d.files, &d.bytes, err, sizeof err) != 0 ||
        mote_store_blob_put(moted_store(m), tar.data, tar.len, d.sha256) != 0) {
        api_storage_error(m, resp, "dataset");
        goto out;
    }
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.version, sizeof d.version, "%s", version);
    d.size = (int64_t)tar.len;
    d.metadata = json_pack("{s:{s:s, s:s, s:I}}", "from_samples", "model", mr.name, "version", mr.version, "samples",
                           (json_int_t)n);
    char made[65];
    memcpy(made, d.sha256, sizeof made);
    g = mote_store_dataset_add(moted_store(m), &d);
    if (g < 0) api_storage_error(m, resp, "dataset");
    else if (g == 1 && strcmp(made, d.sha256))
        moted_resp_error(resp, 409, "dataset %s/%s exists with other bytes", name, version);
    else {
        mote_dataset_rec stored;
        if (mote_store_dataset_get(moted_store(m), name, version, &stored) != 0) api_storage_error(m, resp, "dataset");
        else {
            moted_resp_json(resp, g == 1 ? 200 : 201, mote_dataset_json(&stored));
            mote_dataset_free(&stored);
        }
    }
out:
    free(bytes);
    free(tar.data);
    mote_dataset_free(&d);
    mote_model_free(&mr);
    json_decref(j);
}

static const moted_route routes[] = {
    {"PUT", "/v1/sampling/{group}", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, policy_put},
    {"GET", "/v1/sampling/{group}", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, policy_get},
    {"POST", "/v1/device/samples", MOTED_ROLE_DEVICE, MOTED_BODY_JSON, sample_upload},
    {"GET", "/v1/samples", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, sample_list},
    {"GET", "/v1/samples/{id}/input", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, sample_input},
    {"PUT", "/v1/samples/{id}/label", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, sample_label},
    {"POST", "/v1/samples/labels", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, sample_labels},
    {"POST", "/v1/datasets/from-samples", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, dataset_from_samples},
};
const moted_api_table api_samples_table = {routes, sizeof routes / sizeof routes[0]};
