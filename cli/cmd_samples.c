/* mote sampling (which device groups send inputs back) and mote samples (list, pull, label them). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "subcmd.h"

static int group_path(const char *cmd, const char *group, char *path, size_t len)
{
    char g[200];
    if (client_escape(group, g, sizeof g)) {
        fprintf(stderr, "mote %s: group name too long\n", cmd);
        return -1;
    }
    snprintf(path, len, "/v1/sampling/%s", g);
    return 0;
}

static int put_policy(const mote_client *c, const char *cmd, const char *group, json_t *policy)
{
    char path[300];
    if (group_path(cmd, group, path, sizeof path)) {
        json_decref(policy);
        return 2;
    }
    char *body = json_dumps(policy, JSON_COMPACT);
    json_decref(policy);
    long st;
    json_t *resp;
    int rc = body ? client_request(c, cmd, "PUT", path, body, strlen(body), &st, &resp) : -1;
    free(body);
    if (rc) return 1;
    if (st != 200) return client_fail(cmd, st, resp);
    if (c->json) return client_print_json(resp);
    json_t *p = json_object_get(resp, "policy");
    if (json_integer_value(json_object_get(p, "max_per_hour")) == 0) printf("sampling off for group %s\n", group);
    else
        printf("group %s sends inputs under confidence %g and %g of the others, at most %lld an hour per device\n",
               group, json_number_value(json_object_get(p, "max_confidence")),
               json_number_value(json_object_get(p, "random_rate")),
               (long long)json_integer_value(json_object_get(p, "max_per_hour")));
    json_decref(resp);
    return 0;
}

static int sampling_set(const mote_client *c, int argc, char **argv)
{
    if (argc < 3) return CLI_SUBCMD_USAGE;
    json_t *p = json_pack("{s:f, s:f, s:i}", "max_confidence", 0.0, "random_rate", 0.0, "max_per_hour", 60);
    for (int i = 3; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        double x = v ? strtod(v, &end) : 0;
        if (!v || *end) {
            fprintf(stderr, "mote sampling set: %s needs a number\n", a);
            json_decref(p);
            return 2;
        }
        if (!strcmp(a, "--max-confidence")) json_object_set_new(p, "max_confidence", json_real(x));
        else if (!strcmp(a, "--random-rate")) json_object_set_new(p, "random_rate", json_real(x));
        else if (!strcmp(a, "--max-per-hour")) json_object_set_new(p, "max_per_hour", json_integer((json_int_t)x));
        else {
            fprintf(stderr, "mote sampling set: unexpected argument '%s' (see --help)\n", a);
            json_decref(p);
            return 2;
        }
    }
    return put_policy(c, "sampling set", argv[2], p);
}

static int sampling_off(const mote_client *c, int argc, char **argv)
{
    if (argc != 3) return CLI_SUBCMD_USAGE;
    return put_policy(c, "sampling off", argv[2], json_pack("{s:i}", "max_per_hour", 0));
}

static int sampling_show(const mote_client *c, int argc, char **argv)
{
    if (argc != 3) return CLI_SUBCMD_USAGE;
    char path[300];
    if (group_path("sampling show", argv[2], path, sizeof path)) return 2;
    long st;
    json_t *resp;
    if (client_request(c, "sampling show", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("sampling show", st, resp);
    return client_print_json(resp);
}

static const cli_subcmd sampling_subs[] = {
    {"set", sampling_set, "set GROUP [--max-confidence P] [--random-rate R] [--max-per-hour N]"},
    {"off", sampling_off, "off GROUP"},
    {"show", sampling_show, "show GROUP"},
};

static const cli_group sampling_group = {
    "sampling", sampling_subs, sizeof sampling_subs / sizeof sampling_subs[0],
    "Asks the devices of a group (tag) to send inputs back: those their model was less sure of\n"
    "than --max-confidence (top-1 probability), and --random-rate of the others, at most\n"
    "--max-per-hour per device (default 60). Off by default (privacy): no input leaves a device\n"
    "unless its group asks. They arrive as samples (mote samples) to label.\n"
    "Server and token also come from $MOTE_SERVER and $MOTE_TOKEN / $MOTE_TOKEN_FILE.\n"};

int cmd_sampling(int argc, char **argv)
{
    return cli_group_run(&sampling_group, argc, argv);
}

static int samples_list(const mote_client *c, int argc, char **argv)
{
    char path[1024] = "/v1/samples?", n[384], v[192];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        size_t used = strlen(path);
        if (!strcmp(a, "--unlabelled")) {
            snprintf(path + used, sizeof path - used, "unlabelled=1&");
            continue;
        }
        if (!val) return CLI_SUBCMD_USAGE;
        if (!strcmp(a, "--model") && !client_escape(val, n, sizeof n))
            snprintf(path + used, sizeof path - used, "model=%s&", n);
        else if (!strcmp(a, "--version") && !client_escape(val, v, sizeof v))
            snprintf(path + used, sizeof path - used, "version=%s&", v);
        else if (!strcmp(a, "--after")) snprintf(path + used, sizeof path - used, "after=%lld&", atoll(val));
        else if (!strcmp(a, "--limit")) snprintf(path + used, sizeof path - used, "limit=%lld&", atoll(val));
        else return CLI_SUBCMD_USAGE;
        i++;
    }
    long st;
    json_t *resp;
    if (client_request(c, "samples list", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("samples list", st, resp);
    if (c->json) return client_print_json(resp);
    json_t *s;
    size_t i;
    printf("%6s %-20s %-12s %-8s %6s %6s %6s  %s\n", "id", "device", "model", "version", "class", "conf", "label",
           "created");
    json_array_foreach(json_object_get(resp, "samples"), i, s) {
        json_t *label = json_object_get(s, "label");
        char lab[16] = "-";
        if (json_is_integer(label)) snprintf(lab, sizeof lab, "%lld", (long long)json_integer_value(label));
        const char *model = json_string_value(json_object_get(s, "model"));
        const char *version = json_string_value(json_object_get(s, "version"));
        printf("%6lld %-20s %-12s %-8s %6lld %6.3f %6s  %s\n", (long long)json_integer_value(json_object_get(s, "id")),
               json_string_value(json_object_get(s, "device")), model ? model : "?", version ? version : "?",
               (long long)json_integer_value(json_object_get(s, "class")),
               json_number_value(json_object_get(s, "confidence")), lab,
               json_string_value(json_object_get(s, "created")));
    }
    json_decref(resp);
    return 0;
}

static int samples_pull(const mote_client *c, int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[3], "-o")) return CLI_SUBCMD_USAGE;
    char path[64];
    snprintf(path, sizeof path, "/v1/samples/%lld/input", atoll(argv[2]));
    uint8_t *data = NULL;
    size_t len = 0;
    long st;
    if (client_download(c, "samples pull", path, &st, &data, &len)) return 1;
    if (st != 200) {
        json_t *resp = json_loadb((const char *)data, len, 0, NULL);
        free(data);
        return client_fail("samples pull", st, resp);
    }
    int rc = cli_write_file(argv[4], data, len);
    free(data);
    if (!rc && !c->json) printf("wrote %s (%zu bytes)\n", argv[4], len);
    return rc ? 1 : 0;
}

/* label ID LABEL, or label --file CSV (lines "id,label": one request, all or none) */
static int samples_label(const mote_client *c, int argc, char **argv)
{
    long st;
    json_t *resp;
    if (argc == 4 && strcmp(argv[2], "--file")) {
        char path[64], body[64], *end;
        long label = strtol(argv[3], &end, 10);
        if (*end || label < 0) {
            fprintf(stderr, "mote samples label: LABEL must be a class number, got %s\n", argv[3]);
            return 2;
        }
        snprintf(path, sizeof path, "/v1/samples/%lld/label", atoll(argv[2]));
        snprintf(body, sizeof body, "{\"label\":%ld}", label);
        if (client_request(c, "samples label", "PUT", path, body, strlen(body), &st, &resp)) return 1;
    } else if (argc == 4) {
        FILE *f = fopen(argv[3], "r");
        if (!f) {
            perror(argv[3]);
            return 1;
        }
        json_t *ls = json_array();
        long long id, label;
        char line[128];
        int lineno = 0;
        while (fgets(line, sizeof line, f)) {
            lineno++;
            if (line[0] == '#' || line[0] == '\n') continue;
            if (sscanf(line, "%lld,%lld", &id, &label) != 2) {
                fprintf(stderr, "mote samples label: %s:%d: expected ID,LABEL\n", argv[3], lineno);
                fclose(f);
                json_decref(ls);
                return 1;
            }
            json_array_append_new(ls, json_pack("{s:I, s:I}", "id", (json_int_t)id, "label", (json_int_t)label));
        }
        fclose(f);
        json_t *req = json_pack("{s:o}", "labels", ls);
        char *body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        int rc = body ? client_request(c, "samples label", "POST", "/v1/samples/labels", body, strlen(body), &st,
                                       &resp)
                      : -1;
        free(body);
        if (rc) return 1;
    } else {
        return CLI_SUBCMD_USAGE;
    }
    if (st != 200) return client_fail("samples label", st, resp);
    if (c->json) return client_print_json(resp);
    json_decref(resp);
    printf("labelled\n");
    return 0;
}

static int samples_dataset(const mote_client *c, int argc, char **argv)
{
    json_t *req = json_object();
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *a = argv[i];
        const char *key = !strcmp(a, "--model")           ? "model"
                          : !strcmp(a, "--model-version") ? "model_version"
                          : !strcmp(a, "--name")          ? "name"
                          : !strcmp(a, "--version")       ? "version"
                          : !strcmp(a, "--parent")        ? "parent"
                                                          : NULL;
        if (!key) {
            json_decref(req);
            return CLI_SUBCMD_USAGE;
        }
        json_object_set_new(req, key, json_string(argv[i + 1]));
    }
    if (argc % 2) {
        json_decref(req);
        return CLI_SUBCMD_USAGE;
    }
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    long st;
    json_t *resp;
    int rc = body ? client_request(c, "samples dataset", "POST", "/v1/datasets/from-samples", body, strlen(body), &st,
                                   &resp)
                  : -1;
    free(body);
    if (rc) return 1;
    if (st != 200 && st != 201) return client_fail("samples dataset", st, resp);
    if (c->json) return client_print_json(resp);
    printf("dataset %s %s: %lld files (sha256 %s)\n", json_string_value(json_object_get(resp, "name")),
           json_string_value(json_object_get(resp, "version")),
           (long long)json_integer_value(json_object_get(resp, "files")),
           json_string_value(json_object_get(resp, "sha256")));
    json_decref(resp);
    return 0;
}

static const cli_subcmd samples_subs[] = {
    {"list", samples_list, "list [--model NAME --version V] [--unlabelled] [--after ID] [--limit N]"},
    {"pull", samples_pull, "pull ID -o FILE"},
    {"label", samples_label, "label ID LABEL | label --file IDS_LABELS.csv"},
    {"dataset", samples_dataset,
     "dataset --model NAME --model-version V --name DATASET --version DV [--parent NAME/V]"},
};

static const cli_group samples_group = {
    "samples", samples_subs, sizeof samples_subs / sizeof samples_subs[0],
    "The inputs devices sent back (mote sampling), with the class their model predicted and its\n"
    "confidence: list them, download one, label them (one, or a CSV of ID,LABEL lines in one\n"
    "request: all or none), and make a dataset version of a model version's labelled samples\n"
    "(a labelled folder: s<ID>.bin files and y_labels.csv, as mote classify and quantize read;\n"
    "--parent records its lineage).\n"
    "Server and token also come from $MOTE_SERVER and $MOTE_TOKEN / $MOTE_TOKEN_FILE.\n"};

int cmd_samples(int argc, char **argv)
{
    return cli_group_run(&samples_group, argc, argv);
}
