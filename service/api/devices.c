/* Device registry endpoints: registration with the enrollment token, list,
 * show, tags. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/common.h"
#include "moted_ctx.h"
#include "rollout/rollout.h"
#include "store/store.h"

#define MAX_TAGS 32
#define MAX_TAG_LEN 63

/* Tags: an array of at most MAX_TAGS distinct printable strings without ','.
 * 0, or -1 with a 400 set. */
static int check_tags(json_t *tags, moted_resp *resp)
{
    if (!json_is_array(tags)) {
        moted_resp_error(resp, 400, "tags: an array of strings is required");
        return -1;
    }
    if (json_array_size(tags) > MAX_TAGS) {
        moted_resp_error(resp, 400, "tags: at most %d", MAX_TAGS);
        return -1;
    }
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *s = json_string_value(t);
        if (!s || !api_printable(s, MAX_TAG_LEN) || strchr(s, ',')) {
            moted_resp_error(resp, 400, "tags[%zu]: 1 to %d printable characters without ',' are required", i,
                             MAX_TAG_LEN);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (!strcmp(json_string_value(json_array_get(tags, k)), s)) {
                moted_resp_error(resp, 400, "tags[%zu]: '%s' appears twice", i, s);
                return -1;
            }
    }
    return 0;
}

static void device_register(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    mote_device_rec d;
    memset(&d, 0, sizeof d);
    const char *name = json_string_value(json_object_get(j, "name"));
    json_t *hint = json_object_get(j, "profile"), *tags = json_object_get(j, "tags"), *facts = json_object_get(j, "facts");
    char err[512];
    mote_profile p;
    if (!name || !api_printable(name, sizeof d.name - 1)) {
        moted_resp_error(resp, 400, "name: 1 to %zu printable characters are required", sizeof d.name - 1);
    } else if (hint && !json_is_null(hint) && (!json_is_string(hint) || json_string_length(hint) >= sizeof d.profile)) {
        moted_resp_error(resp, 400, "profile: a profile name (string) is expected");
    } else if (!json_is_object(facts)) {
        moted_resp_error(resp, 400, "facts: an object is required (core, ram_kb, flash_kb, features, ...)");
    } else if (tags && check_tags(tags, resp) != 0) {
        /* 400 set */
    } else if (rollout_pick_profile(facts, json_string_value(hint), &p, err, sizeof err) != 0) {
        moted_resp_error(resp, 400, "facts: %s", err);
    } else {
        snprintf(d.profile, sizeof d.profile, "%s", p.name);
        unsigned char idb[8];
        randombytes_buf(idb, sizeof idb);
        char idhex[17], cred[65], hash[65];
        sodium_bin2hex(idhex, sizeof idhex, idb, sizeof idb);
        snprintf(d.id, sizeof d.id, "d-%s", idhex);
        snprintf(d.name, sizeof d.name, "%s", name);
        d.facts = facts;
        d.tags = tags;
        mote_random_hex32(cred);
        mote_sha256_hex(cred, 64, hash);
        if (mote_store_device_add(moted_store(m), &d, hash) != 0) {
            api_storage_error(m, resp, d.id);
        } else {
            moted_log(m, "info", "device %s '%s' registered, profile %s", d.id, d.name, d.profile);
            moted_rollout_device_joined(moted_rollout_of(m), d.id);
            moted_resp_json(resp, 201, json_pack("{s:s, s:s, s:s, s:s}", "id", d.id, "credential", cred, "profile",
                                                 d.profile, "server_key", moted_rollout_key_hex(moted_rollout_of(m))));
        }
        sodium_memzero(cred, sizeof cred);
    }
    json_decref(j);
}

static void device_list(moted *m, const moted_req *r, moted_resp *resp)
{
    const char *tag = moted_req_query(r, "tag");
    json_t *a = mote_store_device_list(moted_store(m), tag && *tag ? tag : NULL);
    if (!a) {
        api_storage_error(m, resp, "device list");
        return;
    }
    moted_resp_json(resp, 200, json_pack("{s:o}", "devices", a));
}

static void device_show(moted *m, const moted_req *r, moted_resp *resp)
{
    int rc;
    json_t *doc = mote_store_device_doc(moted_store(m), r->params[0], &rc);
    if (rc == 1) moted_resp_error(resp, 404, "device %.64s: unknown", r->params[0]);
    else if (rc < 0) api_storage_error(m, resp, r->params[0]);
    else moted_resp_json(resp, 200, doc);
}

static void device_tags(moted *m, const moted_req *r, moted_resp *resp)
{
    json_t *j = moted_req_json(r, resp);
    if (!j) return;
    json_t *tags = json_object_get(j, "tags");
    if (check_tags(tags, resp) == 0) {
        int rc = mote_store_device_set_tags(moted_store(m), r->params[0], tags);
        if (rc == 1) moted_resp_error(resp, 404, "device %.64s: unknown", r->params[0]);
        else if (rc < 0) api_storage_error(m, resp, r->params[0]);
        else {
            moted_rollout_device_joined(moted_rollout_of(m), r->params[0]);
            device_show(m, r, resp);
        }
    }
    json_decref(j);
}

static const moted_route routes[] = {
    {"POST", "/v1/devices", MOTED_ROLE_ADMIN | MOTED_ROLE_ENROLL, MOTED_BODY_JSON, device_register},
    {"GET", "/v1/devices", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, device_list},
    {"GET", "/v1/devices/{id}", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, device_show},
    {"PUT", "/v1/devices/{id}/tags", MOTED_ROLE_ADMIN, MOTED_BODY_JSON, device_tags},
};
const moted_api_table api_devices_table = {routes, sizeof routes / sizeof routes[0]};
