/* cli_baseline: every input of a labelled folder through the host runtime, into mote_infer_stats. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "baseline.h"
#include "host_model.h"
#include "mote/infer_stats.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int cli_baseline(const char *model_path, const char *dir, const cli_input_conv *conv, const char *cmd, json_t **out)
{
    char err[512];
    *out = NULL;
    mote_host_model *hm = mote_host_model_load(model_path, err, sizeof err);
    if (!hm) {
        fprintf(stderr, "mote %s: %s\n", cmd, err);
        return -1;
    }
    cli_labelled set;
    cli_sample *samples = NULL;
    long n = 0;
    int rc = -1;
    if (cli_labelled_open(dir, 0, -1, cmd, &set) != 0) {
        mote_host_model_free(hm);
        return -1;
    }
    mote_infer_stats *st = calloc(1, sizeof *st);
    char *text = malloc(16384);
    if (!st || !text) {
        fprintf(stderr, "mote %s: out of memory\n", cmd);
        goto out;
    }
    if (cli_labelled_samples(&set, &samples, &n, cmd) != 0) goto out;
    mote_tensor *tin = &hm->m.tensors[hm->m.inputs[0]];
    for (long i = 0; i < n; i++) {
        if (cli_labelled_input(&set, &samples[i], tin, conv, tin->data, cmd) != 0) goto out;
        uint64_t t0 = now_us();
        mote_invoke(&hm->m);
        mote_stats_add(st, &hm->m, now_us() - t0, 1, NULL);
    }
    if (mote_stats_json(st, text, 16384) == 0 || !(*out = json_loads(text, 0, NULL))) {
        fprintf(stderr, "mote %s: the baseline of %s does not encode\n", cmd, dir);
        goto out;
    }
    rc = 0;
out:
    free(text);
    free(st);
    free(samples);
    cli_labelled_free(&set);
    mote_host_model_free(hm);
    return rc;
}
