/* Sampling policies per device group: checked, stored, and cached in the
 * monitor (every telemetry answer needs the policy of the device's groups,
 * policies change rarely). Off unless set: inputs never leave a device
 * unless its group asks for them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/internal.h"
#include "store/store.h"

int mon_policy_check(json_t *p, char *err, size_t errlen)
{
    if (!json_is_object(p)) {
        snprintf(err, errlen, "an object {\"max_confidence\",\"random_rate\",\"max_per_hour\"} is required");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(p, key, v) {
        double x = json_number_value(v), hi = !strcmp(key, "max_per_hour") ? 3600 : 1;
        if (strcmp(key, "max_confidence") && strcmp(key, "random_rate") && strcmp(key, "max_per_hour")) {
            snprintf(err, errlen, "%s: unknown field (max_confidence, random_rate, max_per_hour)", key);
            return -1;
        }
        if (!json_is_number(v) || x < 0 || x > hi || (hi > 1 && !json_is_integer(v))) {
            snprintf(err, errlen, "%s: %s from 0 to %g is required", key, hi > 1 ? "an integer" : "a number", hi);
            return -1;
        }
    }
    if (!json_object_get(p, "max_per_hour")) {
        snprintf(err, errlen, "max_per_hour: required (0 turns sampling off)");
        return -1;
    }
    return 0;
}

/* The cached policy of group (loaded from the store on first use); NULL: none. Under mon->mu. */
static json_t *cached(moted_monitor *mon, const char *group)
{
    for (size_t i = 0; i < mon->n_policies; i++)
        if (!strcmp(mon->policies[i].group, group)) return mon->policies[i].policy;
    json_t *p = NULL;
    if (mote_store_sampling_get(mon->s, group, &p) < 0) return NULL; /* not cached: asked again next time */
    if (mon_grow((void **)&mon->policies, mon->n_policies, &mon->cap_policies, sizeof *mon->policies)) {
        json_decref(p);
        return NULL;
    }
    snprintf(mon->policies[mon->n_policies].group, sizeof mon->policies[0].group, "%s", group);
    mon->policies[mon->n_policies++].policy = p;
    return p;
}

int moted_monitor_set_policy(moted_monitor *mon, const char *group, json_t *policy, char *err, size_t errlen)
{
    int off = !policy || json_integer_value(json_object_get(policy, "max_per_hour")) == 0;
    pthread_mutex_lock(&mon->mu);
    int r = mote_store_sampling_set(mon->s, group, off ? NULL : policy);
    if (r == 0) {
        json_t *old = cached(mon, group);
        for (size_t i = 0; i < mon->n_policies; i++)
            if (mon->policies[i].policy == old && !strcmp(mon->policies[i].group, group)) {
                json_decref(old);
                mon->policies[i].policy = off ? NULL : json_deep_copy(policy);
            }
    } else {
        snprintf(err, errlen, "storage: %s", mote_store_error(mon->s));
    }
    pthread_mutex_unlock(&mon->mu);
    return r;
}

json_t *moted_monitor_device_policy(moted_monitor *mon, json_t *tags)
{
    json_t *out = NULL;
    pthread_mutex_lock(&mon->mu);
    for (size_t i = 0; !out && i < json_array_size(tags); i++) {
        const char *g = json_string_value(json_array_get(tags, i));
        json_t *p = g ? cached(mon, g) : NULL;
        if (!p) continue;
        out = json_pack("{s:i, s:i, s:i}", "max_confidence_permille",
                        (int)(1000 * json_number_value(json_object_get(p, "max_confidence")) + 0.5), "random_permille",
                        (int)(1000 * json_number_value(json_object_get(p, "random_rate")) + 0.5), "max_per_hour",
                        (int)json_integer_value(json_object_get(p, "max_per_hour")));
    }
    pthread_mutex_unlock(&mon->mu);
    return out;
}
