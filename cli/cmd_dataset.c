/* mote dataset: the server's dataset store (push a folder, list, show, pull the tar). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "dataset_tar.h"
#include "subcmd.h"

static int push(const mote_client *c, int argc, char **argv)
{
    const char *dir = NULL, *name = NULL, *version = NULL, *parent = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--name") && has) name = argv[++i];
        else if (!strcmp(a, "--version") && has) version = argv[++i];
        else if (!strcmp(a, "--parent") && has) parent = argv[++i];
        else if (a[0] != '-' && !dir) dir = a;
        else {
            fprintf(stderr, "mote dataset push: unexpected argument '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!dir || !name || !version) {
        fprintf(stderr, "mote dataset push: needs DIR, --name and --version\n");
        return 2;
    }
    char n[384], v[192], p[600] = "", path[1400];
    if (client_escape(name, n, sizeof n) || client_escape(version, v, sizeof v) ||
        (parent && client_escape(parent, p, sizeof p))) {
        fprintf(stderr, "mote dataset push: name, version or parent too long\n");
        return 2;
    }
    snprintf(path, sizeof path, "/v1/datasets?name=%s&version=%s%s%s", n, v, parent ? "&parent=" : "", p);
    uint8_t *tar;
    size_t len;
    long files, st;
    if (dataset_tar("dataset push", dir, &tar, &len, &files)) return 1;
    json_t *resp;
    int rc = client_upload(c, "dataset push", path, "application/x-tar", tar, len, &st, &resp);
    free(tar);
    if (rc) return 1;
    if (st != 200 && st != 201) return client_fail("dataset push", st, resp);
    if (c->json) return client_print_json(resp);
    printf("%s dataset %s %s from %s: %ld files, %zu bytes (sha256 %s)\n",
           st == 201 ? "published" : "already published:", name, version, dir, files, len,
           json_string_value(json_object_get(resp, "sha256")));
    json_decref(resp);
    return 0;
}

static int list(const mote_client *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 2) return CLI_SUBCMD_USAGE;
    long st;
    json_t *resp;
    if (client_request(c, "dataset list", "GET", "/v1/datasets", NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("dataset list", st, resp);
    if (c->json) return client_print_json(resp);
    json_t *d;
    size_t i;
    printf("%-24s %-12s %8s %12s  %-20s %s\n", "name", "version", "files", "bytes", "created", "parent");
    json_array_foreach(json_object_get(resp, "datasets"), i, d) {
        const char *parent = json_string_value(json_object_get(d, "parent"));
        printf("%-24s %-12s %8lld %12lld  %-20s %s\n", json_string_value(json_object_get(d, "name")),
               json_string_value(json_object_get(d, "version")),
               (long long)json_integer_value(json_object_get(d, "files")),
               (long long)json_integer_value(json_object_get(d, "bytes")),
               json_string_value(json_object_get(d, "created")), parent ? parent : "-");
    }
    json_decref(resp);
    return 0;
}

static int version_path(const char *cmd, const char *name, const char *version, const char *tail, char *path,
                        size_t len)
{
    char n[384], v[192];
    if (client_escape(name, n, sizeof n) || client_escape(version, v, sizeof v)) {
        fprintf(stderr, "mote %s: dataset name or version too long\n", cmd);
        return -1;
    }
    snprintf(path, len, "/v1/datasets/%s/%s%s", n, v, tail);
    return 0;
}

static int show(const mote_client *c, int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "mote dataset show: needs NAME VERSION\n");
        return 2;
    }
    char path[700];
    if (version_path("dataset show", argv[2], argv[3], "", path, sizeof path)) return 2;
    long st;
    json_t *resp;
    if (client_request(c, "dataset show", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("dataset show", st, resp);
    if (c->json) return client_print_json(resp);
    const char *parent = json_string_value(json_object_get(resp, "parent"));
    printf("dataset  %s %s\nsha256   %s\nfiles    %lld (%lld bytes; tar %lld bytes)\nparent   %s\ncreated  %s\n",
           json_string_value(json_object_get(resp, "name")), json_string_value(json_object_get(resp, "version")),
           json_string_value(json_object_get(resp, "sha256")),
           (long long)json_integer_value(json_object_get(resp, "files")),
           (long long)json_integer_value(json_object_get(resp, "bytes")),
           (long long)json_integer_value(json_object_get(resp, "size")), parent ? parent : "-",
           json_string_value(json_object_get(resp, "created")));
    json_decref(resp);
    return 0;
}

static int pull(const mote_client *c, int argc, char **argv)
{
    if (argc != 6 || strcmp(argv[4], "-o")) {
        fprintf(stderr, "mote dataset pull: needs NAME VERSION -o FILE.tar\n");
        return 2;
    }
    char path[700];
    if (version_path("dataset pull", argv[2], argv[3], "/file", path, sizeof path)) return 2;
    uint8_t *data = NULL;
    size_t len = 0;
    long st;
    if (client_download(c, "dataset pull", path, &st, &data, &len)) return 1;
    if (st != 200) {
        json_t *resp = json_loadb((const char *)data, len, 0, NULL);
        free(data);
        return client_fail("dataset pull", st, resp);
    }
    int rc = cli_write_file(argv[5], data, len);
    free(data);
    if (rc) return 1;
    if (!c->json) printf("wrote %s (%zu bytes)\n", argv[5], len);
    else client_print_json(json_pack("{s:s, s:I}", "file", argv[5], "bytes", (json_int_t)len));
    return 0;
}

static const cli_subcmd subs[] = {
    {"push", push, "push DIR --name NAME --version VERSION [--parent NAME/VERSION]"},
    {"list", list, "list"},
    {"show", show, "show NAME VERSION"},
    {"pull", pull, "pull NAME VERSION -o FILE.tar"},
};

static const cli_group group = {
    "dataset", subs, sizeof subs / sizeof subs[0],
    "Publishes a dataset folder to moted as a version (a tar of its files, names sorted, so the\n"
    "same files give the same bytes; a version never changes once published), lists and shows\n"
    "versions, downloads one as a tar. --parent records the version it was derived from\n"
    "(lineage). AutoML jobs (mote automl submit) search on a stored version.\n"
    "Server and token also come from $MOTE_SERVER and $MOTE_TOKEN / $MOTE_TOKEN_FILE.\n"};

int cmd_dataset(int argc, char **argv)
{
    return cli_group_run(&group, argc, argv);
}
