/* mote device: the server's device registry (list, show, tag). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "subcmd.h"

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : "-";
}

static void tags_str(json_t *tags, char *out, size_t len)
{
    size_t i, o = 0;
    json_t *t;
    out[0] = 0;
    json_array_foreach(tags, i, t) {
        int n = snprintf(out + o, len - o, "%s%s", i ? "," : "", json_string_value(t) ? json_string_value(t) : "");
        if (n < 0 || (size_t)n >= len - o) break;
        o += (size_t)n;
    }
    if (!o) snprintf(out, len, "-");
}

static int list(const mote_client *c, int argc, char **argv)
{
    char path[512] = "/v1/devices";
    if (argc == 4 && !strcmp(argv[2], "--tag")) {
        char t[384];
        if (client_escape(argv[3], t, sizeof t)) return 2;
        snprintf(path, sizeof path, "/v1/devices?tag=%s", t);
    } else if (argc != 2) {
        fprintf(stderr, "mote device list: unexpected argument '%s'\n", argv[2]);
        return 2;
    }
    long st;
    json_t *resp;
    if (client_request(c, "device list", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("device list", st, resp);
    if (c->json) return client_print_json(resp);
    json_t *devs = json_object_get(resp, "devices"), *d;
    size_t i;
    printf("%-20s %-12s %-16s %-16s %-12s %-14s %-20s %s\n", "id", "name", "profile", "tags", "state", "model",
           "last seen", "artifact");
    json_array_foreach(devs, i, d) {
        char tags[128], model[160], art[20];
        tags_str(json_object_get(d, "tags"), tags, sizeof tags);
        if (json_string_value(json_object_get(d, "model")))
            snprintf(model, sizeof model, "%s@%s", str(d, "model"), str(d, "version"));
        else snprintf(model, sizeof model, "-");
        snprintf(art, sizeof art, "%.12s", str(d, "artifact"));
        printf("%-20s %-12s %-16s %-16s %-12s %-14s %-20s %s\n", str(d, "id"), str(d, "name"), str(d, "profile"),
               tags, str(d, "state"), model, str(d, "last_seen"), art);
    }
    printf("%zu device(s)\n", json_array_size(devs));
    json_decref(resp);
    return 0;
}

static int device_path(const char *id, const char *tail, char *path, size_t len)
{
    char e[128];
    if (client_escape(id, e, sizeof e)) {
        fprintf(stderr, "mote device: id too long\n");
        return -1;
    }
    snprintf(path, len, "/v1/devices/%s%s", e, tail);
    return 0;
}

static int show(const mote_client *c, int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "mote device show: needs ID\n");
        return 2;
    }
    char path[256];
    if (device_path(argv[2], "", path, sizeof path)) return 2;
    long st;
    json_t *resp;
    if (client_request(c, "device show", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("device show", st, resp);
    if (c->json) return client_print_json(resp);
    char tags[256];
    tags_str(json_object_get(resp, "tags"), tags, sizeof tags);
    json_t *f = json_object_get(resp, "facts"), *t = json_object_get(resp, "telemetry");
    printf("id        %s (%s)\nprofile   %s\ntags      %s\nfacts     core %s, %lld MHz, RAM %lld KB, flash %lld KB, "
           "runtime ABI %lld\nstate     %s\nmodel     %s %s\nartifact  %s (target %s)\nlast seen %s\n",
           str(resp, "id"), str(resp, "name"), str(resp, "profile"), tags, str(f, "core"),
           (long long)json_integer_value(json_object_get(f, "clock_mhz")),
           (long long)json_integer_value(json_object_get(f, "ram_kb")),
           (long long)json_integer_value(json_object_get(f, "flash_kb")),
           (long long)json_integer_value(json_object_get(f, "runtime_abi")), str(resp, "state"), str(resp, "model"),
           str(resp, "version"), str(resp, "artifact"), str(resp, "target"), str(resp, "last_seen"));
    if (json_is_object(t))
        printf("telemetry %lld inferences, latency mean %.0f us, max %.0f us\n",
               (long long)json_integer_value(json_object_get(t, "inferences")),
               json_number_value(json_object_get(t, "latency_us_mean")),
               json_number_value(json_object_get(t, "latency_us_max")));
    json_decref(resp);
    return 0;
}

static int tag(const mote_client *c, int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "mote device tag: needs ID TAG[,TAG...]\n");
        return 2;
    }
    char path[256];
    if (device_path(argv[2], "/tags", path, sizeof path)) return 2;
    json_t *tags = json_array();
    char *list = strdup(argv[3]), *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(tags, json_string(t));
    free(list);
    json_t *req = json_pack("{s:o}", "tags", tags);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    long st;
    json_t *resp;
    int rc = client_request(c, "device tag", "PUT", path, body, body ? strlen(body) : 0, &st, &resp);
    free(body);
    if (rc) return 1;
    if (st != 200) return client_fail("device tag", st, resp);
    if (c->json) return client_print_json(resp);
    printf("%s tagged %s\n", argv[2], argv[3]);
    json_decref(resp);
    return 0;
}

static const cli_subcmd subs[] = {
    {"list", list, "list [--tag TAG]"},
    {"show", show, "show ID"},
    {"tag", tag, "tag ID TAG[,TAG...]"},
};

static const cli_group group = {
    "device", subs, sizeof subs / sizeof subs[0],
    "Lists registered devices with the profile the server chose for them, the model they run\n"
    "and their last report; shows one; replaces a device's tags (deployments target a tag).\n"};

int cmd_device(int argc, char **argv)
{
    return cli_group_run(&group, argc, argv);
}
