/* Operations endpoints: health, Prometheus metrics, API tokens, device telemetry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/common.h"
#include "monitor/monitor.h"
#include "moted_ctx.h"
#include "rollout/rollout.h"
#include "store/store.h"

static void health(moted *m, const moted_req *r, moted_resp *resp)
{
    (void)r;
    if (mote_store_ping(moted_store(m)) != 0) {
        moted_log(m, "error", "health: %s", mote_store_error(moted_store(m)));
        moted_resp_json(resp, 503, json_pack("{s:s, s:s}", "status", "unavailable", "error", "database does not answer"));
        return;
    }
    moted_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

static void metrics(moted *m, const moted_req *r, moted_resp *resp)
{
    (void)r;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        moted_resp_error(resp, 500, "metrics: out of memory");
        return;
    }
    moted_http_metrics(moted_http_of(m), f);
    int64_t n = 0;
    if (mote_store_device_count(moted_store(m), &n) == 0)
        fprintf(f, "# HELP mote_devices Registered devices.\n# TYPE mote_devices gauge\nmote_devices %lld\n",
                (long long)n);
    fprintf(f,
            "# HELP mote_telemetry_reports_total Telemetry reports received from devices.\n"
            "# TYPE mote_telemetry_reports_total counter\nmote_telemetry_reports_total %llu\n",
            (unsigned long long)moted_telemetry_reports(m));
    moted_rollout_metrics(moted_rollout_of(m), f);
    moted_monitor_metrics(moted_monitor_of(m), f);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        moted_resp_error(resp, 500, "metrics: out of memory");
        return;
    }
    moted_resp_bytes(resp, 200, "text/plain; version=0.0.4", buf, len);
    free(buf);
}

static void token_create(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *role = json_string_value(json_object_get(j, "role"));
    if (!name || !api_printable(name, 63)) {
        moted_resp_error(resp, 400, "name: a string of 1 to 63 printable characters is required");
    } else if (!role || (strcmp(role, "admin") != 0 && strcmp(role, "enroll") != 0)) {
        moted_resp_error(resp, 400, "role: must be \"admin\" or \"enroll\"");
    } else {
        char tok[65], hash[65];
        mote_random_hex32(tok);
        mote_sha256_hex(tok, 64, hash);
        if (mote_store_token_add(moted_store(m), name, role, hash) != 0) {
            moted_log(m, "error", "token %s: %s", name, mote_store_error(moted_store(m)));
            moted_resp_error(resp, 500, "storage: %s", mote_store_error(moted_store(m)));
        } else {
            moted_log(m, "info", "token '%s' (%s) created", name, role);
            moted_resp_json(resp, 201, json_pack("{s:s, s:s, s:s}", "token", tok, "name", name, "role", role));
        }
    }
    json_decref(j);
}

/* {"inferences":N,"latency_us_mean":x,"latency_us_max":y,"histogram":[counts]
 *  [,"artifact":SHA,"window":{...}]}: the window (mote/infer_stats.h) goes to the drift monitor. */
static void telemetry(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    json_t *inf = json_object_get(j, "inferences"), *mean = json_object_get(j, "latency_us_mean"),
           *max = json_object_get(j, "latency_us_max"), *hist = json_object_get(j, "histogram");
    const char *bad = NULL;
    if (!json_is_integer(inf) || json_integer_value(inf) < 0) bad = "inferences: a non-negative integer is required";
    else if (!json_is_number(mean) || json_number_value(mean) < 0)
        bad = "latency_us_mean: a non-negative number is required";
    else if (!json_is_number(max) || json_number_value(max) < 0)
        bad = "latency_us_max: a non-negative number is required";
    else if (hist && !json_is_array(hist)) bad = "histogram: an array of counts is required";
    else if (hist && json_array_size(hist) > 1024) bad = "histogram: more than 1024 classes";
    if (!bad && hist) {
        size_t i;
        json_t *v;
        json_array_foreach(hist, i, v) if (!json_is_integer(v) || json_integer_value(v) < 0)
        {
            bad = "histogram: every entry must be a non-negative integer";
            break;
        }
    }
    json_t *window = json_object_get(j, "window"), *artifact = json_object_get(j, "artifact");
    char werr[256];
    if (!bad && artifact && !json_is_string(artifact)) bad = "artifact: a string (sha256 hex, or \"\") is required";
    if (!bad && window) {
        int rc = moted_monitor_ingest(moted_monitor_of(m), r->device_id, json_string_value(artifact), window, werr,
                                      sizeof werr);
        if (rc != 0 && !strncmp(werr, "window", 6)) bad = werr;
        else if (rc != 0) moted_log(m, "error", "telemetry %s: %s", r->device_id, werr);
    }
    if (bad) {
        moted_resp_error(resp, 400, "%s", bad);
        json_decref(j);
        return;
    }
    json_t *t = json_pack("{s:O, s:O, s:O, s:o}", "inferences", inf, "latency_us_mean", mean, "latency_us_max", max,
                          "histogram", hist ? json_incref(hist) : json_array());
    int rc = t ? mote_store_device_telemetry(moted_store(m), r->device_id, t) : -1;
    json_decref(t);
    json_decref(j);
    if (rc < 0) {
        moted_log(m, "error", "telemetry %s: %s", r->device_id, mote_store_error(moted_store(m)));
        moted_resp_error(resp, 500, "storage: %s", mote_store_error(moted_store(m)));
    } else if (rc == 1) {
        moted_resp_error(resp, 404, "device %s: unknown", r->device_id);
    } else {
        moted_count_telemetry(m);
        /* The answer carries the sampling policy of the device's groups, when one asks for inputs. */
        mote_device_rec d;
        json_t *policy = NULL;
        if (mote_store_device_get(moted_store(m), r->device_id, &d) == 0) {
            policy = moted_monitor_device_policy(moted_monitor_of(m), d.tags);
            mote_device_free(&d);
        }
        if (policy) moted_resp_json(resp, 200, json_pack("{s:o}", "sampling", policy));
        else moted_resp_empty(resp, 204);
    }
}

static const moted_route routes[] = {
    {"GET", "/health", 0, MOTED_BODY_JSON, health},
    {"GET", "/metrics", 0, MOTED_BODY_JSON, metrics},
    {"POST", "/v1/tokens", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, token_create},
    {"POST", "/v1/device/telemetry", MOTED_ROLE_DEVICE, MOTED_BODY_JSON, telemetry},
};
const moted_api_table api_ops_table = {routes, sizeof routes / sizeof routes[0]};
