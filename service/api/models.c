/* Model repository endpoints: push a version (validated by the importer),
 * list, show (with the inspect document), download the model file. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/inspect_json.h"
#include "api/common.h"
#include "monitor/monitor.h"
#include "moted_ctx.h"
#include "store/store.h"

/* Decode a base64 string field; 0 ok, -1 with a 400 set. */
static int b64_field(json_t *v, const char *field, moted_resp *resp, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const char *s = json_string_value(v);
    if (!s) {
        moted_resp_error(resp, 400, "%s: a base64 string is required", field);
        return -1;
    }
    size_t n = json_string_length(v), max = n / 4 * 3 + 3;
    uint8_t *b = malloc(max);
    const char *end = NULL;
    if (!b) {
        moted_resp_error(resp, 500, "%s: out of memory", field);
        return -1;
    }
    if (sodium_base642bin(b, max, s, n, " \r\n", len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n) {
        free(b);
        moted_resp_error(resp, 400, "%s: not valid base64 (standard alphabet, padded)", field);
        return -1;
    }
    if (*len == 0) {
        free(b);
        moted_resp_error(resp, 400, "%s: empty", field);
        return -1;
    }
    *out = b;
    return 0;
}

/* Sum of "bytes" over an inspect document's "inputs" or "outputs". */
static json_int_t io_bytes(json_t *doc, const char *key)
{
    json_int_t n = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(doc, key), i, t) n += json_integer_value(json_object_get(t, "bytes"));
    return n;
}

/* The model version document; inspect (owned) may be NULL. */
static json_t *model_doc(moted *m, const mote_model_rec *r, json_t *inspect)
{
    json_t *baseline = NULL;
    int has_baseline = mote_store_baseline_get(moted_store(m), r->id, &baseline) == 0;
    json_decref(baseline);
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:O, s:s, s:b}", "name", r->name, "version", r->version, "sha256",
                          r->sha256, "size", (json_int_t)r->size, "metadata",
                          r->metadata ? r->metadata : json_object(), "created", r->created, "selftest",
                          r->selftest_in[0] != 0);
    if (o && inspect) json_object_set(o, "inspect", inspect);
    if (o) json_object_set_new(o, "baseline", json_boolean(has_baseline));
    json_decref(inspect);
    return o;
}

static void model_push(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    uint8_t *model = NULL, *st_in = NULL, *st_out = NULL;
    size_t model_len = 0, in_len = 0, out_len = 0;
    json_t *doc = NULL;
    mote_model_rec rec;
    memset(&rec, 0, sizeof rec);
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *version = json_string_value(json_object_get(j, "version"));
    json_t *meta = json_object_get(j, "metadata"), *st = json_object_get(j, "selftest");
    if (!name || !api_ident(name, sizeof rec.name - 1)) {
        moted_resp_error(resp, 400, "name: 1 to %zu letters, digits, '.', '_' or '-' are required", sizeof rec.name - 1);
        goto out;
    }
    if (!version || !api_ident(version, sizeof rec.version - 1)) {
        moted_resp_error(resp, 400, "version: 1 to %zu letters, digits, '.', '_' or '-' are required",
                         sizeof rec.version - 1);
        goto out;
    }
    if (meta && !json_is_object(meta)) {
        moted_resp_error(resp, 400, "metadata: must be an object");
        goto out;
    }
    if (st && !json_is_null(st) && !json_is_object(st)) {
        moted_resp_error(resp, 400, "selftest: must be an object {\"input_b64\",\"expected_b64\"}");
        goto out;
    }
    /* model_b64: the model file in any format the compiler's front door reads;
     * tflite_b64 is its older, TFLite-only name, still accepted. */
    const char *file_field = json_object_get(j, "model_b64") || !json_object_get(j, "tflite_b64") ? "model_b64"
                                                                                                    : "tflite_b64";
    if (b64_field(json_object_get(j, file_field), file_field, resp, &model, &model_len) != 0) goto out;
    if (json_is_object(st) &&
        (b64_field(json_object_get(st, "input_b64"), "selftest.input_b64", resp, &st_in, &in_len) != 0 ||
         b64_field(json_object_get(st, "expected_b64"), "selftest.expected_b64", resp, &st_out, &out_len) != 0))
        goto out;
    char label[200], err[768];
    snprintf(label, sizeof label, "%s/%s", name, version);
    doc = mote_inspect_json_bytes(model, model_len, label, err, sizeof err);
    if (!doc) {
        moted_resp_error(resp, 422, "%s", err);
        goto out;
    }
    if (st_in) {
        json_int_t want_in = io_bytes(doc, "inputs"), want_out = io_bytes(doc, "outputs");
        if ((json_int_t)in_len != want_in || (json_int_t)out_len != want_out) {
            moted_resp_error(resp, 400, "selftest: %zu input and %zu expected bytes, the model takes %lld and gives %lld",
                             in_len, out_len, (long long)want_in, (long long)want_out);
            goto out;
        }
    }
    /* The baseline of drift monitoring: mote_stats_json's window on the version's evaluation data. */
    json_t *baseline = json_object_get(j, "baseline");
    mon_window bw;
    if (baseline && mon_window_parse(baseline, &bw, err, sizeof err) != 0) {
        moted_resp_error(resp, 400, "baseline: %s", err);
        goto out;
    }
    if (baseline && bw.n <= 0) {
        moted_resp_error(resp, 400, "baseline: no inferences in it (window.n is 0)");
        goto out;
    }
    /* Blobs first: a row only ever names complete files. */
    if (mote_store_blob_put(moted_store(m), model, model_len, rec.sha256) != 0 ||
        (st_in && (mote_store_blob_put(moted_store(m), st_in, in_len, rec.selftest_in) != 0 ||
                   mote_store_blob_put(moted_store(m), st_out, out_len, rec.selftest_out) != 0))) {
        api_storage_error(m, resp, label);
        goto out;
    }
    char pushed[65];
    memcpy(pushed, rec.sha256, sizeof pushed);
    snprintf(rec.name, sizeof rec.name, "%s", name);
    snprintf(rec.version, sizeof rec.version, "%s", version);
    rec.size = (int64_t)model_len;
    rec.metadata = meta ? json_incref(meta) : json_object();
    int rc = mote_store_model_add(moted_store(m), &rec);
    if (rc < 0) {
        api_storage_error(m, resp, label);
        goto out;
    }
    if (rc == 1 && strcmp(rec.sha256, pushed) != 0) {
        moted_resp_error(resp, 409, "%s: published already with sha256 %s; a published version never changes (pushed %s)",
                         label, rec.sha256, pushed);
        goto out;
    }
    if (baseline && mote_store_baseline_set(moted_store(m), rec.id, baseline) != 0) {
        api_storage_error(m, resp, label);
        goto out;
    }
    mote_model_rec now;
    if (mote_store_model_get(moted_store(m), name, version, &now) != 0) {
        api_storage_error(m, resp, label);
        goto out;
    }
    if (rc == 0) moted_log(m, "info", "model %s stored: sha256 %s, %zu bytes", label, pushed, model_len);
    moted_resp_json(resp, rc == 0 ? 201 : 200, model_doc(m, &now, json_incref(doc)));
    mote_model_free(&now);
out:
    mote_model_free(&rec);
    json_decref(doc);
    free(model);
    free(st_in);
    free(st_out);
    json_decref(j);
}

static void model_list(moted *m, const moted_req *r, moted_resp *resp)
{
    (void)r;
    json_t *flat = mote_store_model_list(moted_store(m));
    if (!flat) {
        api_storage_error(m, resp, "model list");
        return;
    }
    /* Rows come ordered by name: group consecutive ones. */
    json_t *models = json_array(), *cur = NULL;
    const char *cur_name = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(flat, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (!cur_name || strcmp(cur_name, name) != 0) {
            cur = json_array();
            json_array_append_new(models, json_pack("{s:s, s:o}", "name", name, "versions", cur));
            cur_name = name;
        }
        json_array_append_new(cur, json_pack("{s:O, s:O, s:O, s:O}", "version", json_object_get(v, "version"), "sha256",
                                             json_object_get(v, "sha256"), "size", json_object_get(v, "size"),
                                             "created", json_object_get(v, "created")));
    }
    moted_resp_json(resp, 200, json_pack("{s:o}", "models", models));
    json_decref(flat);
}

/* The version named by the route's {name}/{version}; 0, or -1 with 404/500 set. */
static int lookup(moted *m, const moted_req *r, moted_resp *resp, mote_model_rec *rec)
{
    int rc = mote_store_model_get(moted_store(m), r->params[0], r->params[1], rec);
    if (rc == 1) moted_resp_error(resp, 404, "model %.128s/%.64s: no such version", r->params[0], r->params[1]);
    else if (rc < 0) api_storage_error(m, resp, "model lookup");
    return rc == 0 ? 0 : -1;
}

static void model_show(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_model_rec rec;
    if (lookup(m, r, resp, &rec) != 0) return;
    uint8_t *data = NULL;
    size_t len = 0;
    char label[200], err[768];
    snprintf(label, sizeof label, "%s/%s", rec.name, rec.version);
    if (mote_store_blob_get(moted_store(m), rec.sha256, &data, &len) != 0) {
        api_storage_error(m, resp, label);
        mote_model_free(&rec);
        return;
    }
    json_t *doc = mote_inspect_json_bytes(data, len, label, err, sizeof err);
    free(data);
    if (!doc) {
        moted_log(m, "error", "%s: stored model no longer imports: %s", label, err);
        moted_resp_error(resp, 500, "%s", err);
    } else {
        moted_resp_json(resp, 200, model_doc(m, &rec, doc));
    }
    mote_model_free(&rec);
}

static void model_file(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_model_rec rec;
    if (lookup(m, r, resp, &rec) != 0) return;
    char path[1200];
    if (mote_store_blob_path(moted_store(m), rec.sha256, path, sizeof path) != 0) api_storage_error(m, resp, rec.name);
    else moted_resp_file(resp, r, path);
    mote_model_free(&rec);
}

static const moted_route routes[] = {
    {"POST", "/v1/models", MOTED_ROLE_ADMIN, MOTED_BODY_MODEL, model_push},
    {"GET", "/v1/models", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, model_list},
    {"GET", "/v1/models/{name}/{version}", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, model_show},
    {"GET", "/v1/models/{name}/{version}/file", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, model_file},
    {"GET", "/v1/models/{name}/{version}/tflite", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, model_file}, /* older name */
};
const moted_api_table api_models_table = {routes, sizeof routes / sizeof routes[0]};
