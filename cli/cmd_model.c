/* mote model: the server's model repository (push, list, show, pull). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "cli.h"
#include "client.h"
#include "subcmd.h"

/* Base64 of a file's bytes as a new JSON string; NULL with a message. */
static json_t *file_b64(const char *path)
{
    size_t len = 0;
    uint8_t *data = cli_read_file(path, &len);
    if (!data) return NULL;
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(n);
    json_t *j = NULL;
    if (s) {
        sodium_bin2base64(s, n, data, len, sodium_base64_VARIANT_ORIGINAL);
        j = json_string(s);
    }
    free(s);
    free(data);
    if (!j) fprintf(stderr, "mote model: out of memory encoding %s\n", path);
    return j;
}

static int push(const mote_client *c, int argc, char **argv)
{
    const char *file = NULL, *name = NULL, *version = NULL, *st_in = NULL, *st_out = NULL, *baseline_dir = NULL;
    cli_input_conv conv = {CLI_FROM_RAW, 1.0, 0.0};
    json_t *meta = json_object();
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        int r = cli_input_option(&conv, argc, argv, &i, "model push");
        if (r < 0) {
            json_decref(meta);
            return 2;
        }
        if (r) continue;
        if (!strcmp(a, "--name") && has) name = argv[++i];
        else if (!strcmp(a, "--baseline") && has) baseline_dir = argv[++i];
        else if (!strcmp(a, "--version") && has) version = argv[++i];
        else if (!strcmp(a, "--meta") && has) {
            const char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq || eq == kv) {
                fprintf(stderr, "mote model push: --meta expects KEY=VALUE, got '%s'\n", kv);
                json_decref(meta);
                return 2;
            }
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
            json_object_set_new(meta, key, json_string(eq + 1));
        } else if (!strcmp(a, "--selftest") && i + 2 < argc) {
            st_in = argv[++i];
            st_out = argv[++i];
        } else if (a[0] != '-' && !file) file = a;
        else {
            fprintf(stderr, "mote model push: unexpected argument '%s' (see --help)\n", a);
            json_decref(meta);
            return 2;
        }
    }
    if (!file || !name || !version) {
        fprintf(stderr, "mote model push: needs MODEL.tflite, --name and --version\n");
        json_decref(meta);
        return 2;
    }
    json_t *req = json_pack("{s:s, s:s, s:o}", "name", name, "version", version, "metadata", meta);
    json_t *b64 = file_b64(file);
    if (!req || !b64) {
        json_decref(req);
        json_decref(b64);
        return 1;
    }
    json_object_set_new(req, "model_b64", b64);
    if (baseline_dir) {
        json_t *bl;
        if (cli_baseline(file, baseline_dir, &conv, "model push", &bl) != 0) {
            json_decref(req);
            return 1;
        }
        json_object_set_new(req, "baseline", bl);
    }
    if (st_in) {
        json_t *in = file_b64(st_in), *out = file_b64(st_out);
        if (!in || !out) {
            json_decref(in);
            json_decref(out);
            json_decref(req);
            return 1;
        }
        json_object_set_new(req, "selftest", json_pack("{s:o, s:o}", "input_b64", in, "expected_b64", out));
    }
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body) return 1;
    long st;
    json_t *resp;
    int rc = client_request(c, "model push", "POST", "/v1/models", body, strlen(body), &st, &resp);
    free(body);
    if (rc) return 1;
    if (st != 200 && st != 201) return client_fail("model push", st, resp);
    if (c->json) return client_print_json(resp);
    const char *sha = json_string_value(json_object_get(resp, "sha256"));
    printf("%s %s %s from %s (sha256 %s)\n", st == 201 ? "published" : "already published:", name, version, file,
           sha ? sha : "?");
    json_decref(resp);
    return 0;
}

static int list(const mote_client *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 2) return CLI_SUBCMD_USAGE;
    long st;
    json_t *resp;
    if (client_request(c, "model list", "GET", "/v1/models", NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("model list", st, resp);
    if (c->json) return client_print_json(resp);
    json_t *models = json_object_get(resp, "models"), *m;
    size_t i;
    printf("%-24s %-12s %10s  %-20s %s\n", "name", "version", "bytes", "created", "sha256");
    json_array_foreach(models, i, m) {
        json_t *v;
        size_t k;
        json_array_foreach(json_object_get(m, "versions"), k, v) {
            printf("%-24s %-12s %10lld  %-20s %s\n", json_string_value(json_object_get(m, "name")),
                   json_string_value(json_object_get(v, "version")),
                   (long long)json_integer_value(json_object_get(v, "size")),
                   json_string_value(json_object_get(v, "created")), json_string_value(json_object_get(v, "sha256")));
        }
    }
    json_decref(resp);
    return 0;
}

static int version_path(const char *cmd, const char *name, const char *version, const char *tail, char *path,
                        size_t len)
{
    char n[384], v[192];
    if (client_escape(name, n, sizeof n) || client_escape(version, v, sizeof v)) {
        fprintf(stderr, "mote %s: model name or version too long\n", cmd);
        return -1;
    }
    snprintf(path, len, "/v1/models/%s/%s%s", n, v, tail);
    return 0;
}

static int show(const mote_client *c, int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "mote model show: needs NAME VERSION\n");
        return 2;
    }
    char path[700];
    if (version_path("model show", argv[2], argv[3], "", path, sizeof path)) return 2;
    long st;
    json_t *resp;
    if (client_request(c, "model show", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("model show", st, resp);
    if (c->json) return client_print_json(resp);
    json_t *insp = json_object_get(resp, "inspect");
    printf("model     %s %s\nsha256    %s\nbytes     %lld\ncreated   %s\nself-test %s\n",
           json_string_value(json_object_get(resp, "name")), json_string_value(json_object_get(resp, "version")),
           json_string_value(json_object_get(resp, "sha256")),
           (long long)json_integer_value(json_object_get(resp, "size")),
           json_string_value(json_object_get(resp, "created")),
           json_is_true(json_object_get(resp, "selftest")) ? "pushed with the model" : "made by the server");
    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(resp, "metadata"), key, val) {
        printf("meta      %s = %s\n", key, json_is_string(val) ? json_string_value(val) : "(json)");
    }
    if (insp) {
        json_t *ops = json_object_get(insp, "ops");
        printf("operators %zu\n", json_array_size(ops));
        json_t *macs = json_object_get(json_object_get(insp, "totals"), "macs");
        if (json_is_integer(macs)) printf("MACs      %lld\n", (long long)json_integer_value(macs));
        json_t *arena = json_object_get(insp, "arena_bytes");
        if (json_is_integer(arena)) printf("arena     %lld bytes (host plan)\n", (long long)json_integer_value(arena));
    }
    json_decref(resp);
    return 0;
}

static int pull(const mote_client *c, int argc, char **argv)
{
    const char *out = NULL;
    if (argc == 6 && !strcmp(argv[4], "-o")) out = argv[5];
    if (!out) {
        fprintf(stderr, "mote model pull: needs NAME VERSION -o FILE\n");
        return 2;
    }
    char path[700];
    if (version_path("model pull", argv[2], argv[3], "/file", path, sizeof path)) return 2;
    uint8_t *data = NULL;
    size_t len = 0;
    long st;
    if (client_download(c, "model pull", path, &st, &data, &len)) return 1;
    if (st != 200) {
        json_t *resp = json_loadb((const char *)data, len, 0, NULL);
        free(data);
        return client_fail("model pull", st, resp);
    }
    int rc = cli_write_file(out, data, len);
    free(data);
    if (rc) return 1;
    if (!c->json) printf("wrote %s (%zu bytes)\n", out, len);
    else client_print_json(json_pack("{s:s, s:I}", "file", out, "bytes", (json_int_t)len));
    return 0;
}

/* drift NAME VERSION: the drift monitor's last window of each device group, signal by signal. */
static int drift(const mote_client *c, int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "mote model drift: needs NAME VERSION\n");
        return 2;
    }
    char path[700];
    if (version_path("model drift", argv[2], argv[3], "/drift", path, sizeof path)) return 2;
    long st;
    json_t *resp;
    if (client_request(c, "model drift", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("model drift", st, resp);
    if (c->json) return client_print_json(resp);
    printf("model %s %s: %s; a window is %lld inferences\n", argv[2], argv[3],
           json_is_true(json_object_get(resp, "baseline")) ? "baseline pushed"
                                                          : "no baseline (only errors and latency are watched)",
           (long long)json_integer_value(json_object_get(resp, "window")));
    json_t *g;
    size_t i;
    json_array_foreach(json_object_get(resp, "groups"), i, g) {
        printf("group %s: %lld windows\n", json_string_value(json_object_get(g, "group")),
               (long long)json_integer_value(json_object_get(g, "windows")));
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(g, "signals"), key, v) {
            json_t *val = json_object_get(v, "value");
            char num[32] = "-";
            if (json_is_number(val)) snprintf(num, sizeof num, "%.4f", json_number_value(val));
            printf("  %-15s %9s  fire > %-6g clear < %-6g %s\n", key, num,
                   json_number_value(json_object_get(v, "fire")), json_number_value(json_object_get(v, "clear")),
                   json_string_value(json_object_get(v, "state")));
        }
    }
    json_decref(resp);
    return 0;
}

static const cli_subcmd subs[] = {
    {"push", push,
     "push MODEL.tflite --name NAME --version VERSION [--meta KEY=VALUE]...\n"
     "                       [--selftest INPUT.bin EXPECTED.bin]\n"
     "                       [--baseline DIR [--from raw|u8|i8|f32 --in-scale S --in-zero-point Z]]"},
    {"list", list, "list"},
    {"show", show, "show NAME VERSION"},
    {"pull", pull, "pull NAME VERSION -o FILE"},
    {"drift", drift, "drift NAME VERSION"},
};

static const cli_group group = {
    "model", subs, sizeof subs / sizeof subs[0],
    "Publishes a model version to moted (a version never changes once published: pushing the\n"
    "same bytes again is accepted, different bytes are refused), lists and shows versions\n"
    "(show includes the `mote inspect --json` data), downloads the model file.\n"
    "--selftest gives the input and the expected output bytes every device must reproduce\n"
    "before it switches to this version; without it the server makes a vector itself.\n"
    "--baseline runs the model over a labelled folder (y_labels.csv, as mote classify reads)\n"
    "and sends the statistics devices report (classes, confidence, input features): drift\n"
    "monitoring compares the field with them (docs/monitoring.md).\n"
    "Server and token also come from $MOTE_SERVER and $MOTE_TOKEN / $MOTE_TOKEN_FILE.\n"};

int cmd_model(int argc, char **argv)
{
    return cli_group_run(&group, argc, argv);
}
