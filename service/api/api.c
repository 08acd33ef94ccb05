/* The API as the request engine sees it: the route tables in matching order,
 * the token check, and the helpers the handlers share. */
#include <stdio.h>
#include <string.h>

#include "api/common.h"
#include "moted_ctx.h"
#include "store/store.h"

const moted_api_table *const moted_api_tables[] = {&api_ops_table,     &api_models_table, &api_devices_table,
                                                   &api_rollout_table, &api_datasets_table, &api_automl_table,
                                                   &api_monitor_table, &api_samples_table};
const size_t moted_api_n_tables = sizeof moted_api_tables / sizeof moted_api_tables[0];

int moted_api_authenticate(moted *m, const char *token, moted_role *role, char device_id[24], char *err,
                           size_t errlen)
{
    mote_store *s = moted_store(m);
    char hash[65], name[16], seen[32];
    *role = MOTED_ROLE_NONE;
    mote_sha256_hex(token, strlen(token), hash);
    /* Devices first: they make nearly all requests. */
    int r = mote_store_device_auth(s, hash, device_id, seen);
    if (r == 0) {
        *role = MOTED_ROLE_DEVICE;
        if (mote_store_device_seen(s, device_id, seen) != 0)
            moted_log(m, "warn", "device %s: last_seen: %s", device_id, mote_store_error(s));
    } else if (r == 1) {
        r = mote_store_token_role(s, hash, name, sizeof name);
        if (r == 0 && !strcmp(name, "admin")) *role = MOTED_ROLE_ADMIN;
        else if (r == 0 && !strcmp(name, "enroll")) *role = MOTED_ROLE_ENROLL;
    }
    if (r < 0) {
        snprintf(err, errlen, "%s", mote_store_error(s));
        return -1;
    }
    return 0;
}

void api_storage_error(moted *m, moted_resp *resp, const char *what)
{
    moted_log(m, "error", "%s: %s", what, mote_store_error(moted_store(m)));
    moted_resp_error(resp, 500, "storage: %s", mote_store_error(moted_store(m)));
}

int api_printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e) return 0;
    return 1;
}

int api_ident(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || s[0] == '.') return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}
