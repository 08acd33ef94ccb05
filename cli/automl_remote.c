/* The AutoML job subcommands of mote automl: submit a search to moted (a
 * local folder is pushed as a dataset version named by its content first),
 * watch it, list, cancel, fetch its log and report. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "automl_remote.h"
#include "cli.h"
#include "client.h"
#include "dataset_tar.h"
#include "subcmd.h"

static const char *const remote_subs[] = {"submit", "status", "jobs", "cancel", "log", "report"};

int automl_remote_sub(const char *name)
{
    for (size_t i = 0; i < sizeof remote_subs / sizeof remote_subs[0]; i++)
        if (!strcmp(name, remote_subs[i])) return 1;
    return 0;
}

static double parse_budget(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (!(v > 0)) return -1;
    if (!*end || !strcmp(end, "s")) return v;
    if (!strcmp(end, "m")) return 60 * v;
    if (!strcmp(end, "h")) return 3600 * v;
    return -1;
}

/* Push folder dir as dataset `name`, version = the first 12 hex digits of its tar's sha256 (the same files
 * give the same version). */
static int push_folder(const mote_client *c, const char *dir, const char *name, char version[16])
{
    uint8_t *tar, hash[crypto_hash_sha256_BYTES];
    size_t len;
    long files, st;
    if (dataset_tar("automl submit", dir, &tar, &len, &files)) return -1;
    crypto_hash_sha256(hash, tar, len);
    for (int i = 0; i < 6; i++) snprintf(version + 2 * i, 3, "%02x", hash[i]);
    char n[384], path[600];
    if (client_escape(name, n, sizeof n)) {
        fprintf(stderr, "mote automl submit: dataset name too long\n");
        free(tar);
        return -1;
    }
    snprintf(path, sizeof path, "/v1/datasets?name=%s&version=%s", n, version);
    json_t *resp;
    int rc = client_upload(c, "automl submit", path, "application/x-tar", tar, len, &st, &resp);
    free(tar);
    if (rc) return -1;
    if (st != 200 && st != 201) {
        client_fail("automl submit", st, resp);
        return -1;
    }
    if (!c->json)
        fprintf(stderr, "dataset %s %s: %ld files, %zu bytes (%s)\n", name, version, files, len,
                st == 201 ? "uploaded" : "already stored");
    json_decref(resp);
    return 0;
}

/* The last path component of dir, as a dataset name (letters, digits, '.', '_', '-'). */
static void folder_name(const char *dir, char *out, size_t outlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t start = n;
    while (start > 0 && dir[start - 1] != '/') start--;
    size_t k = 0;
    for (size_t i = start; i < n && k + 1 < outlen; i++) {
        char ch = dir[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                 ch == '-' || (ch == '.' && k > 0);
        out[k++] = ok ? ch : '_';
    }
    if (!k) snprintf(out, outlen, "dataset");
    else out[k] = 0;
}

static const char *const int_fields[][2] = {
    {"--seed", "seed"}, {"--bracket", "bracket"}, {"--brackets", "brackets"}, {"--min-epochs", "min_epochs"},
    {"--max-epochs", "max_epochs"}, {"--threads", "threads"}};
static const char *const num_fields[][2] = {
    {"--max-latency-ms", "max_latency_ms"}, {"--max-ram", "max_ram_kb"}, {"--max-flash", "max_flash_kb"}};

static int watch(const mote_client *c, long long id);

static int submit(const mote_client *c, int argc, char **argv)
{
    const char *data = NULL, *dataset = NULL, *version = NULL, *dataset_name = NULL;
    int wait = 0;
    json_t *req = json_object(), *args = json_array();
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int taken = 0;
        for (size_t k = 0; k < sizeof int_fields / sizeof int_fields[0] && v; k++)
            if (!strcmp(a, int_fields[k][0])) {
                char *end;
                long long x = strtoll(v, &end, 10);
                if (*end) {
                    fprintf(stderr, "mote automl submit: %s wants an integer, got %s\n", a, v);
                    goto usage;
                }
                json_object_set_new(req, int_fields[k][1], json_integer(x));
                taken = 2;
            }
        for (size_t k = 0; k < sizeof num_fields / sizeof num_fields[0] && v; k++)
            if (!strcmp(a, num_fields[k][0])) {
                char *end;
                double x = strtod(v, &end);
                if (*end) {
                    fprintf(stderr, "mote automl submit: %s wants a number, got %s\n", a, v);
                    goto usage;
                }
                json_object_set_new(req, num_fields[k][1], json_real(x));
                taken = 2;
            }
        if (taken) {
            i++;
            continue;
        }
        if (!strcmp(a, "--wait")) wait = 1;
        else if (!strcmp(a, "--data") && v) data = argv[++i];
        else if (!strcmp(a, "--dataset") && v) dataset = argv[++i];
        else if (!strcmp(a, "--version") && v) version = argv[++i];
        else if (!strcmp(a, "--dataset-name") && v) dataset_name = argv[++i];
        else if (!strcmp(a, "--budget") && v) {
            double b = parse_budget(argv[++i]);
            if (b < 1) {
                fprintf(stderr, "mote automl submit: --budget wants a time like 90s, 20m or 1h, got %s\n", argv[i]);
                goto usage;
            }
            json_object_set_new(req, "budget_s", json_integer((json_int_t)b));
        } else if ((!strcmp(a, "--task") || !strcmp(a, "--target") || !strcmp(a, "--objective") ||
                    !strcmp(a, "--model") || !strcmp(a, "--model-version")) && v) {
            json_object_set_new(req, !strcmp(a, "--model-version") ? "model_version" : a + 2, json_string(argv[++i]));
        } else if (!strncmp(a, "--", 2)) {
            /* a dataset option of mote automl: the server checks it against its list */
            json_array_append_new(args, json_string(a));
            if (v && strncmp(v, "--", 2)) json_array_append_new(args, json_string(argv[++i]));
        } else {
            fprintf(stderr, "mote automl submit: unexpected argument '%s' (see mote automl submit --help)\n", a);
            goto usage;
        }
    }
    if (!data == !dataset || (dataset && !version)) {
        fprintf(stderr, "mote automl submit: needs --data DIR (uploaded as a dataset version) or --dataset NAME "
                        "--version V (stored already)\n");
        goto usage;
    }
    char name[128], ver[16];
    if (data) {
        folder_name(dataset_name ? dataset_name : data, name, sizeof name);
        if (push_folder(c, data, name, ver)) goto fail;
        dataset = name;
        version = ver;
    }
    json_object_set_new(req, "dataset", json_string(dataset));
    json_object_set_new(req, "version", json_string(version));
    if (json_array_size(args)) json_object_set(req, "args", args);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    json_decref(args);
    if (!body) return 1;
    long st;
    json_t *resp;
    int rc = client_request(c, "automl submit", "POST", "/v1/automl", body, strlen(body), &st, &resp);
    free(body);
    if (rc) return 1;
    if (st != 202) return client_fail("automl submit", st, resp);
    long long id = json_integer_value(json_object_get(resp, "id"));
    if (!wait && c->json) return client_print_json(resp);
    if (!c->json) printf("automl job %lld queued (mote automl status %lld --wait)\n", id, id);
    json_decref(resp);
    return wait ? watch(c, id) : 0;
usage:
    json_decref(req);
    json_decref(args);
    return 2;
fail:
    json_decref(req);
    json_decref(args);
    return 1;
}

static int job_path(const char *cmd, const char *id, const char *tail, char *path, size_t len)
{
    char *end;
    long long v = strtoll(id, &end, 10);
    if (*end || v <= 0) {
        fprintf(stderr, "mote automl %s: '%s' is not a job id\n", cmd, id);
        return -1;
    }
    snprintf(path, len, "/v1/automl/%lld%s", v, tail);
    return 0;
}

static void print_job(json_t *j)
{
    json_t *res = json_object_get(j, "result");
    const char *err = json_string_value(json_object_get(j, "error"));
    const char *prog = json_string_value(json_object_get(j, "progress"));
    json_t *spec = json_object_get(j, "spec");
    printf("automl job %lld: %s\n  dataset %s %s, task %s, target %s\n",
           (long long)json_integer_value(json_object_get(j, "id")), json_string_value(json_object_get(j, "state")),
           json_string_value(json_object_get(json_object_get(j, "dataset"), "name")),
           json_string_value(json_object_get(json_object_get(j, "dataset"), "version")),
           json_string_value(json_object_get(spec, "task")), json_string_value(json_object_get(spec, "target")));
    if (prog) printf("  last status: %s\n", prog);
    if (err) printf("  error: %s\n", err);
    if (json_is_object(res)) {
        json_t *m = json_object_get(res, "model"), *ch = json_object_get(res, "chosen");
        printf("  published model %s %s (%lld bytes)\n  chosen %s: val %.2f %%, test int8 %.2f %%, %.2f ms, "
               "flash %.1f KB, RAM %.1f KB\n  %lld trials, %zu on the Pareto front, %.0f s\n",
               json_string_value(json_object_get(m, "name")), json_string_value(json_object_get(m, "version")),
               (long long)json_integer_value(json_object_get(m, "size")),
               json_string_value(json_object_get(ch, "candidate")),
               100 * json_number_value(json_object_get(ch, "val_accuracy")),
               100 * json_number_value(json_object_get(ch, "test_int8")), json_number_value(json_object_get(ch, "ms")),
               json_number_value(json_object_get(ch, "flash")) / 1024, json_number_value(json_object_get(ch, "ram")) / 1024,
               (long long)json_integer_value(json_object_get(res, "trials")),
               json_array_size(json_object_get(res, "pareto")), json_number_value(json_object_get(res, "seconds")));
    }
}

/* Poll job id every 2 s until it is final, its status line on stderr (redrawn in place on a terminal). */
static int watch(const mote_client *c, long long id)
{
    char path[64], last[300] = "";
    snprintf(path, sizeof path, "/v1/automl/%lld", id);
    int tty = isatty(2);
    for (;;) {
        long st;
        json_t *resp;
        if (client_request(c, "automl status", "GET", path, NULL, 0, &st, &resp)) return 1;
        if (st != 200) return client_fail("automl status", st, resp);
        const char *state = json_string_value(json_object_get(resp, "state"));
        const char *prog = json_string_value(json_object_get(resp, "progress"));
        int final = state && strcmp(state, "queued") && strcmp(state, "running");
        char line[300];
        snprintf(line, sizeof line, "job %lld %s%s%.250s", id, state ? state : "?", prog ? ": " : "",
                 prog ? prog : "");
        if (strcmp(line, last)) {
            if (tty) fprintf(stderr, "\r\033[K%s", line);
            else fprintf(stderr, "%s\n", line);
            snprintf(last, sizeof last, "%s", line);
        }
        if (final) {
            if (tty) fputc('\n', stderr);
            int ok = !strcmp(state, "done");
            if (c->json) client_print_json(resp);
            else {
                print_job(resp);
                json_decref(resp);
            }
            return ok ? 0 : 1;
        }
        json_decref(resp);
        nanosleep(&(struct timespec){2, 0}, NULL);
    }
}

static int status(const mote_client *c, int argc, char **argv)
{
    int wait = argc == 4 && !strcmp(argv[3], "--wait");
    if (argc != 3 && !wait) return CLI_SUBCMD_USAGE;
    char path[64];
    if (job_path("status", argv[2], "", path, sizeof path)) return 2;
    if (wait) return watch(c, strtoll(argv[2], NULL, 10));
    long st;
    json_t *resp;
    if (client_request(c, "automl status", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("automl status", st, resp);
    if (c->json) return client_print_json(resp);
    print_job(resp);
    json_decref(resp);
    return 0;
}

static int jobs(const mote_client *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 2) return CLI_SUBCMD_USAGE;
    long st;
    json_t *resp;
    if (client_request(c, "automl jobs", "GET", "/v1/automl", NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("automl jobs", st, resp);
    if (c->json) return client_print_json(resp);
    json_t *j;
    size_t i;
    printf("%5s %-10s %-28s %-14s %-28s %s\n", "id", "state", "dataset", "target", "model", "created");
    json_array_foreach(json_object_get(resp, "jobs"), i, j) {
        char ds[200], model[200];
        json_t *d = json_object_get(j, "dataset"), *m = json_object_get(json_object_get(j, "result"), "model");
        if (!m) m = json_object_get(j, "model");
        snprintf(ds, sizeof ds, "%s %s", json_string_value(json_object_get(d, "name")),
                 json_string_value(json_object_get(d, "version")));
        snprintf(model, sizeof model, "%s %s", json_string_value(json_object_get(m, "name")),
                 json_string_value(json_object_get(m, "version")) ? json_string_value(json_object_get(m, "version"))
                                                                   : "");
        printf("%5lld %-10s %-28s %-14s %-28s %s\n", (long long)json_integer_value(json_object_get(j, "id")),
               json_string_value(json_object_get(j, "state")), ds,
               json_string_value(json_object_get(json_object_get(j, "spec"), "target")), model,
               json_string_value(json_object_get(j, "created")));
    }
    json_decref(resp);
    return 0;
}

static int cancel(const mote_client *c, int argc, char **argv)
{
    if (argc != 3) return CLI_SUBCMD_USAGE;
    char path[64];
    if (job_path("cancel", argv[2], "/cancel", path, sizeof path)) return 2;
    long st;
    json_t *resp;
    if (client_request(c, "automl cancel", "POST", path, "{}", 2, &st, &resp)) return 1;
    if (st != 200) return client_fail("automl cancel", st, resp);
    if (c->json) return client_print_json(resp);
    printf("automl job %s cancelled\n", argv[2]);
    json_decref(resp);
    return 0;
}

/* log ID (to stdout) and report ID -o FILE.html */
static int fetch(const mote_client *c, int argc, char **argv)
{
    int report = !strcmp(argv[1], "report");
    const char *out = NULL;
    if (report && argc == 5 && !strcmp(argv[3], "-o")) out = argv[4];
    if (report ? !out : argc != 3) return CLI_SUBCMD_USAGE;
    char path[64];
    if (job_path(argv[1], argv[2], report ? "/report" : "/log", path, sizeof path)) return 2;
    uint8_t *data = NULL;
    size_t len = 0;
    long st;
    if (client_download(c, report ? "automl report" : "automl log", path, &st, &data, &len)) return 1;
    if (st != 200) {
        json_t *resp = json_loadb((const char *)data, len, 0, NULL);
        free(data);
        return client_fail(report ? "automl report" : "automl log", st, resp);
    }
    int rc = 0;
    if (report) {
        rc = cli_write_file(out, data, len);
        if (!rc) printf("wrote %s (%zu bytes)\n", out, len);
    } else if (len && fwrite(data, 1, len, stdout) != len) {
        rc = 1;
    }
    free(data);
    return rc ? 1 : 0;
}

static const cli_subcmd subs[] = {
    {"submit", submit,
     "submit (--data DIR [--dataset-name N] | --dataset NAME --version V) --task T --target P\n"
     "                       [--budget 20m] [--max-latency-ms X] [--max-ram KB] [--max-flash KB]\n"
     "                       [--objective O] [--seed N] [--bracket N] [--brackets N] [--min-epochs N]\n"
     "                       [--max-epochs N] [--threads N] [--model NAME] [--model-version V]\n"
     "                       [dataset options of mote automl] [--wait]"},
    {"status", status, "status ID [--wait]"},
    {"jobs", jobs, "jobs"},
    {"cancel", cancel, "cancel ID"},
    {"log", fetch, "log ID"},
    {"report", fetch, "report ID -o FILE.html"},
};

static const cli_group group = {
    "automl", subs, sizeof subs / sizeof subs[0],
    "The search of `mote automl` as a job of moted. submit --data DIR pushes the folder as a\n"
    "dataset version first (named by its content: the same files are uploaded once); the job\n"
    "searches on the server, which publishes the chosen model in its repository as MODEL (default\n"
    "DATASET-automl) VERSION (default automl-ID) with its lineage (dataset version, options,\n"
    "trial) in the metadata. --wait watches the job's status line until it ends (exit 0 when\n"
    "done, 1 when failed or cancelled). A job that a stopped server left running resumes when it\n"
    "starts again. The local search is `mote automl --data DIR ...` (mote automl --help).\n"
    "Server and token also come from $MOTE_SERVER and $MOTE_TOKEN / $MOTE_TOKEN_FILE.\n"};

int cmd_automl_remote(int argc, char **argv)
{
    return cli_group_run(&group, argc, argv);
}
