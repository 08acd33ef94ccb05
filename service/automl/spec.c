/* A job's search options: which fields a POST /v1/automl may carry, their
 * ranges, and the `mote automl` command line they become. The dataset
 * options (args) pass through to the child only from a fixed list, so a
 * request can never choose the child's output folder or other files. */
#include <stdio.h>
#include <string.h>

#include "automl/automl.h"
#include "target/profile.h"

typedef struct {
    const char *field, *option;
    int integer;
    double lo, hi;
} num_opt;

static const num_opt nums[] = {
    {"budget_s", "--budget", 1, 1, 7 * 86400},
    {"seed", "--seed", 1, 0, 2147483647},
    {"max_latency_ms", "--max-latency-ms", 0, 1e-3, 1e6},
    {"max_ram_kb", "--max-ram", 0, 1e-3, 1e7},
    {"max_flash_kb", "--max-flash", 0, 1e-3, 1e7},
    {"bracket", "--bracket", 1, 2, 243},
    {"brackets", "--brackets", 1, 1, 10000},
    {"min_epochs", "--min-epochs", 1, 1, 10000},
    {"max_epochs", "--max-epochs", 1, 1, 10000},
    {"threads", "--threads", 1, 1, 64},
};
#define N_NUMS (sizeof nums / sizeof nums[0])

/* The training data options of `mote automl` (cli/train_cli.h) a job may pass; 1: takes a value. */
static const struct {
    const char *name;
    int value;
} data_opts[] = {
    {"--label-column", 1}, {"--group-column", 1}, {"--split-column", 1}, {"--file-column", 1},
    {"--split", 1}, {"--test-group", 1}, {"--labels", 1}, {"--sample-rate", 1},
    {"--seconds", 1}, {"--stride-ms", 1}, {"--frame-strides", 1}, {"--bins", 1},
    {"--lower-hz", 1}, {"--upper-hz", 1}, {"--noise-reduction", 0}, {"--no-normalize", 0},
    {"--normalize-features", 0}, {"--no-normalize-features", 0}, {"--window", 1}, {"--hop", 1},
    {"--axes", 1}, {"--bands", 1}, {"--rate", 1}, {"--value-scale", 1},
    {"--raw", 0},
};
#define N_DATA_OPTS (sizeof data_opts / sizeof data_opts[0])

static const num_opt *find_num(const char *field)
{
    for (size_t i = 0; i < N_NUMS; i++)
        if (!strcmp(nums[i].field, field)) return &nums[i];
    return NULL;
}

static int check_args(json_t *args, char *err, size_t errlen)
{
    if (!json_is_array(args) || json_array_size(args) > 64) {
        snprintf(err, errlen, "args: an array of at most 64 strings (dataset options of mote automl) is required");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(args); i++) {
        const char *a = json_string_value(json_array_get(args, i));
        if (!a || strlen(a) > 256) {
            snprintf(err, errlen, "args[%zu]: a string of at most 256 bytes is required", i);
            return -1;
        }
        size_t k;
        for (k = 0; k < N_DATA_OPTS && strcmp(data_opts[k].name, a); k++) continue;
        if (k == N_DATA_OPTS) {
            snprintf(err, errlen, "args[%zu]: '%.64s' is not a dataset option a job may pass (see mote automl "
                     "--help, \"Data\" and the front ends)", i, a);
            return -1;
        }
        if (data_opts[k].value) {
            const char *v = json_string_value(json_array_get(args, i + 1));
            if (!v || strlen(v) > 256) {
                snprintf(err, errlen, "args[%zu]: %s needs a value (a string of at most 256 bytes)", i, a);
                return -1;
            }
            i++;
        }
    }
    return 0;
}

int moted_automl_spec_check(json_t *spec, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(spec, key, v) {
        const num_opt *n = find_num(key);
        if (n) {
            double x = json_number_value(v);
            if (!json_is_number(v) || (n->integer && !json_is_integer(v)) || !(x >= n->lo && x <= n->hi)) {
                snprintf(err, errlen, "%s: %s from %g to %g is required", key, n->integer ? "an integer" : "a number",
                         n->lo, n->hi);
                return -1;
            }
        } else if (!strcmp(key, "task")) {
            const char *t = json_string_value(v);
            if (!t || (strcmp(t, "audio") && strcmp(t, "motion") && strcmp(t, "image"))) {
                snprintf(err, errlen, "task: \"audio\", \"motion\" or \"image\" is required");
                return -1;
            }
        } else if (!strcmp(key, "objective")) {
            const char *t = json_string_value(v);
            /* energy needs power figures the profiles do not have yet (docs/automl.md) */
            if (!t || (strcmp(t, "accuracy") && strcmp(t, "latency"))) {
                snprintf(err, errlen, "objective: \"accuracy\" or \"latency\" is required");
                return -1;
            }
        } else if (!strcmp(key, "target")) {
            const char *t = json_string_value(v);
            mote_profile p;
            char e[256];
            /* a profile name only: a path would let a request read the server's files */
            if (!t || !*t || strchr(t, '/') || strchr(t, '.') || mote_profile_find(t, &p, e, sizeof e) != 0) {
                snprintf(err, errlen, "target: a known profile name is required (mote targets lists them)");
                return -1;
            }
        } else if (!strcmp(key, "args")) {
            if (check_args(v, err, errlen)) return -1;
        } else {
            snprintf(err, errlen, "%s: unknown field (see docs/service.md, AutoML jobs)", key);
            return -1;
        }
    }
    if (!json_object_get(spec, "task") || !json_object_get(spec, "target")) {
        snprintf(err, errlen, "%s: required", json_object_get(spec, "task") ? "target" : "task");
        return -1;
    }
    return 0;
}

int moted_automl_argv(const json_t *spec, const char *exe, const char *data, const char *out, char **argv, int max,
                      char *buf, size_t buflen)
{
    int n = 0;
    size_t used = 0;
#define ARG(s)                                                                                                    \
    do {                                                                                                          \
        if (n + 2 > max) return -1;                                                                               \
        argv[n++] = (char *)(s);                                                                                  \
    } while (0)
    ARG(exe);
    ARG("automl");
    ARG("--data");
    ARG(data);
    ARG("-o");
    ARG(out);
    ARG("--task");
    ARG(json_string_value(json_object_get(spec, "task")));
    ARG("--target");
    ARG(json_string_value(json_object_get(spec, "target")));
    const char *objective = json_string_value(json_object_get(spec, "objective"));
    if (objective) {
        ARG("--objective");
        ARG(objective);
    }
    for (size_t i = 0; i < N_NUMS; i++) {
        json_t *v = json_object_get(spec, nums[i].field);
        if (!v) continue;
        int w = snprintf(buf + used, buflen - used, nums[i].integer ? "%.0f%s" : "%g%s", json_number_value(v),
                         !strcmp(nums[i].field, "budget_s") ? "s" : "");
        if (w < 0 || (size_t)w >= buflen - used) return -1;
        ARG(nums[i].option);
        ARG(buf + used);
        used += (size_t)w + 1;
    }
    json_t *args = json_object_get(spec, "args");
    for (size_t i = 0; i < json_array_size(args); i++) ARG(json_string_value(json_array_get(args, i)));
    ARG("--json");
    ARG("--progress");
#undef ARG
    argv[n] = NULL;
    return 0;
}
