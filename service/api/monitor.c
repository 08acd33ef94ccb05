/* Monitoring endpoints: the alerts, and one model version's drift by device group. */
#include <stdio.h>
#include <string.h>

#include "api/common.h"
#include "monitor/monitor.h"
#include "moted_ctx.h"
#include "store/store.h"

static void alerts(moted *m, const moted_req *r, moted_resp *resp)
{
    const char *state = moted_req_query(r, "state");
    if (state && strcmp(state, "firing") && strcmp(state, "resolved")) {
        moted_resp_error(resp, 400, "state: \"firing\" or \"resolved\" (or none, for all)");
        return;
    }
    json_t *a = mote_store_alert_list(moted_store(m), state);
    if (!a) api_storage_error(m, resp, "alerts");
    else moted_resp_json(resp, 200, json_pack("{s:o}", "alerts", a));
}

static void drift(moted *m, const moted_req *r, moted_resp *resp)
{
    mote_model_rec rec;
    int g = mote_store_model_get(moted_store(m), r->params[0], r->params[1], &rec);
    if (g < 0) {
        api_storage_error(m, resp, r->params[0]);
        return;
    }
    if (g == 1) {
        moted_resp_error(resp, 404, "model %s/%s: not in the repository", r->params[0], r->params[1]);
        return;
    }
    json_t *doc = moted_monitor_status(moted_monitor_of(m), rec.id);
    if (doc) {
        json_object_set_new(doc, "model", json_string(rec.name));
        json_object_set_new(doc, "version", json_string(rec.version));
    }
    mote_model_free(&rec);
    if (!doc) moted_resp_error(resp, 500, "drift: out of memory");
    else moted_resp_json(resp, 200, doc);
}

static const moted_route routes[] = {
    {"GET", "/v1/alerts", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, alerts},
    {"GET", "/v1/models/{name}/{version}/drift", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, drift},
};
const moted_api_table api_monitor_table = {routes, sizeof routes / sizeof routes[0]};
