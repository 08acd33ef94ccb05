/* mote deploy: roll a model version out to a device group and follow it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "subcmd.h"

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : "-";
}

static long long num(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void print_line(json_t *d)
{
    json_t *c = json_object_get(d, "counts");
    printf("deployment %lld  %s@%s -> %s  %-11s  pending %lld  offered %lld  confirmed %lld  failed %lld  "
           "incompatible %lld  rolled back %lld%s%s\n",
           num(d, "id"), str(d, "model"), str(d, "version"), str(d, "group"), str(d, "state"), num(c, "pending"),
           num(c, "offered"), num(c, "confirmed"), num(c, "failed"), num(c, "incompatible"), num(c, "rolled_back"),
           json_string_value(json_object_get(d, "reason")) && *str(d, "reason") != '-' ? "  reason: " : "",
           json_string_value(json_object_get(d, "reason")) && *str(d, "reason") != '-' ? str(d, "reason") : "");
}

static int get_deployment(const mote_client *c, const char *cmd, const char *id, json_t **out)
{
    char path[128];
    char *end = NULL;
    long long v = strtoll(id, &end, 10);
    if (!end || *end || v < 1) {
        fprintf(stderr, "mote %s: deployment id must be a positive number, got '%s'\n", cmd, id);
        return 2;
    }
    snprintf(path, sizeof path, "/v1/deployments/%lld", v);
    long st;
    if (client_request(c, cmd, "GET", path, NULL, 0, &st, out)) return 1;
    if (st != 200) return client_fail(cmd, st, *out);
    return 0;
}

static int is_final(const char *state)
{
    return !strcmp(state, "complete") || !strcmp(state, "rolled_back");
}

static int watch(const mote_client *c, const char *id, double timeout)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char last[512] = "";
    for (;;) {
        json_t *d;
        int rc = get_deployment(c, "deploy watch", id, &d);
        if (rc == 2) return 2;
        if (!rc) {
            const char *state = str(d, "state");
            if (!c->json) {
                char *line = NULL;
                size_t len = 0;
                FILE *mem = open_memstream(&line, &len);
                json_t *cnt = json_object_get(d, "counts");
                if (mem) {
                    fprintf(mem, "%s %lld %lld %lld %lld", state, num(cnt, "offered"), num(cnt, "confirmed"),
                            num(cnt, "failed"), num(cnt, "rolled_back"));
                    fclose(mem);
                }
                if (line && strcmp(line, last)) {
                    print_line(d);
                    fflush(stdout);
                    snprintf(last, sizeof last, "%s", line);
                }
                free(line);
            }
            if (is_final(state)) {
                int ok = !strcmp(state, "complete");
                if (c->json) client_print_json(d);
                else json_decref(d);
                return ok ? 0 : 1;
            }
            json_decref(d);
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - t0.tv_nsec) > timeout) {
            fprintf(stderr, "mote deploy watch: deployment %s not finished after %.0f s\n", id, timeout);
            return 1;
        }
        nanosleep(&(struct timespec){0, 250 * 1000 * 1000}, NULL);
    }
}

static int create(const mote_client *c, int argc, char **argv)
{
    const char *group = NULL, *strategy = "canary";
    long canary = 10;
    double max_fail = 0.2;
    int auto_promote = 0, do_watch = 0;
    if (argc < 4) {
        fprintf(stderr, "mote deploy create: needs NAME VERSION --group TAG\n");
        return 2;
    }
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        char *end = NULL;
        if (!strcmp(a, "--group") && has) group = argv[++i];
        else if (!strcmp(a, "--strategy") && has) strategy = argv[++i];
        else if (!strcmp(a, "--canary") && has) {
            canary = strtol(argv[++i], &end, 10);
            if (!end || *end || canary < 1 || canary > 100) {
                fprintf(stderr, "mote deploy create: --canary expects a whole percentage 1..100, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--max-failure-rate") && has) {
            max_fail = strtod(argv[++i], &end);
            if (!end || *end || max_fail < 0 || max_fail > 1) {
                fprintf(stderr, "mote deploy create: --max-failure-rate expects a number in [0, 1], got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--auto-promote")) auto_promote = 1;
        else if (!strcmp(a, "--watch")) do_watch = 1;
        else {
            fprintf(stderr, "mote deploy create: unexpected argument '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!group) {
        fprintf(stderr, "mote deploy create: --group TAG is required\n");
        return 2;
    }
    if (strcmp(strategy, "all") && strcmp(strategy, "canary")) {
        fprintf(stderr, "mote deploy create: --strategy is 'all' or 'canary', got '%s'\n", strategy);
        return 2;
    }
    json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:b}", "model", argv[2], "version", argv[3], "group",
                            group, "strategy", strategy, "canary_percent", (json_int_t)canary, "max_failure_rate", max_fail,
                            "auto_promote", auto_promote);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    long st;
    json_t *resp;
    int rc = client_request(c, "deploy create", "POST", "/v1/deployments", body, body ? strlen(body) : 0, &st, &resp);
    free(body);
    if (rc) return 1;
    if (st != 201) return client_fail("deploy create", st, resp);
    char id[32];
    snprintf(id, sizeof id, "%lld", num(resp, "id"));
    if (!do_watch) {
        if (c->json) return client_print_json(resp);
        print_line(resp);
        json_decref(resp);
        return 0;
    }
    json_decref(resp);
    return watch(c, id, 600);
}

static int list(const mote_client *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 2) return CLI_SUBCMD_USAGE;
    long st;
    json_t *resp;
    if (client_request(c, "deploy list", "GET", "/v1/deployments", NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("deploy list", st, resp);
    if (c->json) return client_print_json(resp);
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(resp, "deployments"), i, d) print_line(d);
    json_decref(resp);
    return 0;
}

static int show(const mote_client *c, int argc, char **argv)
{
    if (argc != 3) return CLI_SUBCMD_USAGE;
    json_t *d;
    int rc = get_deployment(c, "deploy show", argv[2], &d);
    if (rc) return rc;
    if (c->json) return client_print_json(d);
    print_line(d);
    json_t *dev;
    size_t i;
    json_array_foreach(json_object_get(d, "devices"), i, dev) {
        printf("  %-20s %-8s %-13s %-16s %.12s  %s\n", str(dev, "id"), str(dev, "phase"), str(dev, "state"),
               str(dev, "target"), str(dev, "artifact"), json_string_value(json_object_get(dev, "reason")) ? str(dev, "reason") : "");
    }
    json_decref(d);
    return 0;
}

static int action(const mote_client *c, const char *what, const char *id)
{
    char cmd[32], path[128];
    snprintf(cmd, sizeof cmd, "deploy %s", what);
    char *end = NULL;
    long long v = strtoll(id, &end, 10);
    if (!end || *end || v < 1) {
        fprintf(stderr, "mote %s: deployment id must be a positive number, got '%s'\n", cmd, id);
        return 2;
    }
    snprintf(path, sizeof path, "/v1/deployments/%lld/%s", v, what);
    long st;
    json_t *resp;
    if (client_request(c, cmd, "POST", path, "{}", 2, &st, &resp)) return 1;
    if (st != 200) return client_fail(cmd, st, resp);
    if (c->json) return client_print_json(resp);
    print_line(resp);
    json_decref(resp);
    return 0;
}

static int promote(const mote_client *c, int argc, char **argv)
{
    return argc == 3 ? action(c, "promote", argv[2]) : CLI_SUBCMD_USAGE;
}

static int rollback(const mote_client *c, int argc, char **argv)
{
    return argc == 3 ? action(c, "rollback", argv[2]) : CLI_SUBCMD_USAGE;
}

/* watch ID [--timeout SECONDS] */
static int watch_cmd(const mote_client *c, int argc, char **argv)
{
    if (argc != 3 && !(argc == 5 && !strcmp(argv[3], "--timeout"))) return CLI_SUBCMD_USAGE;
    double t = 600;
    if (argc == 5) {
        char *end = NULL;
        t = strtod(argv[4], &end);
        if (!end || *end || t <= 0) {
            fprintf(stderr, "mote deploy watch: --timeout expects seconds, got '%s'\n", argv[4]);
            return 2;
        }
    }
    return watch(c, argv[2], t);
}

static const cli_subcmd subs[] = {
    {"create", create,
     "create NAME VERSION --group TAG [--strategy all|canary] [--canary PCT]\n"
     "                        [--max-failure-rate R] [--auto-promote] [--watch]"},
    {"list", list, "list"},
    {"show", show, "show ID"},
    {"watch", watch_cmd, "watch ID [--timeout SECONDS]"},
    {"promote", promote, "promote ID"},
    {"rollback", rollback, "rollback ID"},
};

static const cli_group group = {
    "deploy", subs, sizeof subs / sizeof subs[0],
    "A deployment compiles the model version for every device profile in the group (devices it\n"
    "does not fit are marked incompatible, with the reason), offers it to a canary share first\n"
    "(strategy canary, default 10%) and to everyone after `promote` (or at once with\n"
    "--auto-promote, or with strategy all). If the share of devices that fail verification or\n"
    "the self-test exceeds --max-failure-rate (default 0.2), the server halts the rollout and\n"
    "every device goes back to the model it ran before.\n"
    "watch prints progress until the deployment completes (exit 0), is rolled back (exit 1) or\n"
    "the timeout passes (exit 1; default 600 s); with --json it prints the final state.\n"};

int cmd_deploy(int argc, char **argv)
{
    return cli_group_run(&group, argc, argv);
}
