/* Which target profile a device gets (docs/service.md, registration), and the
 * profile fields a compile job records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/profile.h"
#include "rollout/rollout.h"

static int core_from_name(const char *s, mote_core *c)
{
    for (int i = 0; i < MOTE_CORE_COUNT; i++)
        if (!strcmp(mote_core_name((mote_core)i), s)) {
            *c = (mote_core)i;
            return 0;
        }
    return -1;
}

static int feature_bit(const char *s)
{
    for (int i = 0; i < MOTE_FEAT_COUNT; i++)
        if (!strcmp(mote_feature_name(i), s)) return i;
    return -1;
}

/* A non-negative integer field of obj. */
static int get_uint(json_t *obj, const char *key, const char *where, int required, size_t *out, char *err,
                    size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (!required) return 0;
        snprintf(err, errlen, "%s.%s: missing", where, key);
        return -1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (json_int_t)1 << 40) {
        snprintf(err, errlen, "%s.%s: must be a non-negative integer", where, key);
        return -1;
    }
    *out = (size_t)json_integer_value(v);
    return 0;
}

/* Core, features, RAM and flash of the facts (what a profile must match). */
static int facts_profile(json_t *facts, mote_profile *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (!json_is_object(facts)) {
        snprintf(err, errlen, "facts: must be an object");
        return -1;
    }
    json_t *core = json_object_get(facts, "core");
    if (!json_is_string(core)) {
        snprintf(err, errlen, "facts.core: missing or not a string");
        return -1;
    }
    if (core_from_name(json_string_value(core), &p->core) != 0) {
        snprintf(err, errlen, "facts.core: unknown core '%s'", json_string_value(core));
        return -1;
    }
    size_t clock = 0;
    if (get_uint(facts, "ram_kb", "facts", 1, &p->ram_kb, err, errlen) ||
        get_uint(facts, "flash_kb", "facts", 1, &p->flash_kb, err, errlen) ||
        get_uint(facts, "clock_mhz", "facts", 0, &clock, err, errlen))
        return -1;
    p->clock_mhz = (unsigned)clock;
    json_t *feats = json_object_get(facts, "features");
    if (feats && !json_is_array(feats)) {
        snprintf(err, errlen, "facts.features: must be an array of strings");
        return -1;
    }
    size_t i;
    json_t *f;
    json_array_foreach(feats, i, f) {
        int bit = json_is_string(f) ? feature_bit(json_string_value(f)) : -1;
        if (bit < 0) {
            snprintf(err, errlen, "facts.features[%zu]: unknown feature %s", i,
                     json_is_string(f) ? json_string_value(f) : "(not a string)");
            return -1;
        }
        p->features |= 1u << bit;
    }
    int wide = p->core == MOTE_CORE_X86_64 || p->core == MOTE_CORE_AARCH64;
    p->ptr_bytes = wide ? 8 : 4;
    p->stack_kb = wide ? 65536 : 4;
    snprintf(p->name, sizeof p->name, "facts-%s-%zuk-%zuk", mote_core_name(p->core), p->ram_kb, p->flash_kb);
    snprintf(p->board, sizeof p->board, "device facts");
    snprintf(p->emulator, sizeof p->emulator, "none");
    return 0;
}

/* A hint is a profile name, never a path: devices must not make the server read files. */
static int plain_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 48 && !strchr(s, '/') && !(n >= 7 && !strcmp(s + n - 7, ".target")) && s[0] != '.';
}

int rollout_pick_profile(json_t *facts, const char *hint, mote_profile *out, char *err, size_t errlen)
{
    mote_profile want, p;
    if (facts_profile(facts, &want, err, errlen) != 0) return -1;
    char e[512];
    if (hint && plain_name(hint) && mote_profile_find(hint, &p, e, sizeof e) == 0 && p.core == want.core &&
        p.features == want.features) {
        *out = p;
        return 0;
    }
    mote_profile *all = NULL;
    size_t n = 0;
    if (mote_profile_list(&all, &n, e, sizeof e) != 0) {
        snprintf(err, errlen, "targets: %s", e);
        return -1;
    }
    const mote_profile *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const mote_profile *c = &all[i];
        /* A limit of 0 means unlimited: such a profile suits only a device that reports no limit either. */
        int ram_ok = c->ram_kb ? (!want.ram_kb || c->ram_kb <= want.ram_kb) : !want.ram_kb;
        int flash_ok = c->flash_kb ? (!want.flash_kb || c->flash_kb <= want.flash_kb) : !want.flash_kb;
        if (c->core != want.core || c->features != want.features || !ram_ok || !flash_ok) continue;
        if (!best || c->ram_kb > best->ram_kb || (c->ram_kb == best->ram_kb && c->flash_kb > best->flash_kb))
            best = c;
    }
    *out = best ? *best : want;
    free(all);
    return 0;
}

int rollout_profile_resolve(const char *name, json_t *facts, mote_profile *p, char *err, size_t errlen)
{
    if (!strncmp(name, "facts-", 6)) return facts_profile(facts, p, err, errlen);
    if (!plain_name(name)) {
        snprintf(err, errlen, "profile: '%s' is not a profile name", name);
        return -1;
    }
    return mote_profile_find(name, p, err, errlen);
}

int rollout_profile_json(const mote_profile *p, char *out, size_t len)
{
    char feats[256];
    mote_profile_features_str(p, feats, sizeof feats);
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:i,s:i}", "name", p->name, "core", mote_core_name(p->core),
                          "features", feats, "ram_kb", (json_int_t)p->ram_kb, "flash_kb", (json_int_t)p->flash_kb,
                          "stack_kb", (json_int_t)p->stack_kb, "ptr_bytes", p->ptr_bytes, "clock_mhz",
                          (int)p->clock_mhz);
    if (!o) return -1;
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!s) return -1;
    int ok = strlen(s) < len;
    if (ok) memcpy(out, s, strlen(s) + 1);
    free(s);
    return ok ? 0 : -1;
}

int rollout_profile_from_json(const char *text, mote_profile *p, char *err, size_t errlen)
{
    json_t *o = json_loads(text, 0, NULL);
    const char *name = NULL, *core = NULL, *feats = NULL;
    json_int_t ram = 0, flash = 0, stack = 0;
    int ptr = 0, clock = 0;
    memset(p, 0, sizeof *p);
    if (!o || json_unpack(o, "{s:s,s:s,s:s,s:I,s:I,s:I,s:i,s:i}", "name", &name, "core", &core, "features", &feats,
                          "ram_kb", &ram, "flash_kb", &flash, "stack_kb", &stack, "ptr_bytes", &ptr, "clock_mhz",
                          &clock) != 0 ||
        core_from_name(core, &p->core) != 0) {
        snprintf(err, errlen, "job profile: malformed");
        json_decref(o);
        return -1;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->board, sizeof p->board, "%s", name);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", feats);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        int bit = feature_bit(t);
        if (bit >= 0) p->features |= 1u << bit;
    }
    p->ram_kb = (size_t)ram;
    p->flash_kb = (size_t)flash;
    p->stack_kb = (size_t)stack;
    p->ptr_bytes = ptr;
    p->clock_mhz = (unsigned)clock;
    snprintf(p->emulator, sizeof p->emulator, "none");
    json_decref(o);
    return 0;
}
