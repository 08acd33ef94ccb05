/* Dataset and front-end options of mote train and mote eval (train_cli.h). */
#include "train_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int number(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(s, &end);
    if (*s == 0 || *end || !(d >= lo && d <= hi)) {
        fprintf(stderr, "mote %s: %s %s: not a number in %g..%g\n", cmd, opt, s, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

int train_cli_data_option(tp_config *c, int argc, char **argv, int *i, const char *cmd)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--noise-reduction")) return c->audio.noise_reduction = 1;
    if (!strcmp(a, "--no-normalize")) return !(c->audio.normalize = 0);
    if (!strcmp(a, "--normalize-features")) return c->audio.normalize_features = 1;
    if (!strcmp(a, "--no-normalize-features")) return !(c->audio.normalize_features = 0);
    if (!strcmp(a, "--raw")) return c->raw_motion = 1;
    const char **str = NULL;
    struct {
        const char *name;
        int *dst;
        double lo, hi;
    } ints[] = {{"--sample-rate", &c->audio.sample_rate, 1000, 192000}, {"--stride-ms", &c->audio.stride_ms, 1, 1000},
                {"--frame-strides", &c->audio.frame_strides, 1, 8},       {"--bins", &c->audio.bins, 1, 128},
                {"--window", &c->ds.window, 2, 100000},                   {"--hop", &c->ds.stride, 1, 100000},
                {"--axes", &c->ds.channels, 1, 64},                       {"--bands", &c->motion.bands, 0, 64},
                {"--rate", &c->ds.sample_rate, 1, 1000000}};
    if (!strcmp(a, "--data")) str = &c->data;
    else if (!strcmp(a, "--task")) str = &c->task;
    else if (!strcmp(a, "--label-column")) str = &c->ds.label_column;
    else if (!strcmp(a, "--group-column")) str = &c->ds.group_column;
    else if (!strcmp(a, "--split-column")) str = &c->ds.split_column;
    else if (!strcmp(a, "--file-column")) str = &c->ds.file_column;
    else if (!strcmp(a, "--labels")) str = &c->ds.labels;
    else if (!strcmp(a, "--test-group")) str = &c->test_group;
    size_t k = 0;
    for (; k < sizeof ints / sizeof ints[0] && strcmp(a, ints[k].name); k++) {}
    int known = str || k < sizeof ints / sizeof ints[0] || !strcmp(a, "--split") || !strcmp(a, "--seconds") ||
                !strcmp(a, "--lower-hz") || !strcmp(a, "--upper-hz") || !strcmp(a, "--value-scale");
    if (!known) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "mote %s: %s needs a value\n", cmd, a);
        return -1;
    }
    const char *v = argv[++*i];
    double d = 0;
    if (str) {
        *str = v;
        return 1;
    }
    if (k < sizeof ints / sizeof ints[0]) {
        if (number(cmd, a, v, ints[k].lo, ints[k].hi, &d)) return -1;
        if (d != (int)d) {
            fprintf(stderr, "mote %s: %s %s: not a whole number\n", cmd, a, v);
            return -1;
        }
        *ints[k].dst = (int)d;
        if (!strcmp(a, "--sample-rate")) c->ds.sample_rate = (int)d;
        if (!strcmp(a, "--axes")) c->motion.axes = (int)d;
        if (!strcmp(a, "--window")) c->motion.window = (int)d;
        return 1;
    }
    if (!strcmp(a, "--split")) {
        float r[3];
        if (sscanf(v, "%f,%f,%f", &r[0], &r[1], &r[2]) != 3 || r[0] <= 0 || r[1] < 0 || r[2] <= 0 ||
            r[0] + r[1] + r[2] > 1.0001f) {
            fprintf(stderr, "mote %s: --split %s: want three fractions train,validation,test summing to <= 1\n", cmd, v);
            return -1;
        }
        memcpy(c->ds.ratios, r, sizeof r);
        return 1;
    }
    if (!strcmp(a, "--seconds")) {
        if (number(cmd, a, v, 0.01, 60, &d)) return -1;
        c->audio.samples = 0;
        c->seconds = (float)d;
        return 1;
    }
    if (number(cmd, a, v, 0, 1e9, &d)) return -1;
    if (!strcmp(a, "--lower-hz")) c->audio.lower_hz = (float)d;
    else if (!strcmp(a, "--upper-hz")) c->audio.upper_hz = (float)d;
    else c->ds.value_scale = (float)d;
    return 1;
}

int train_cli_data_for_model(const tp_config *c, const mote_ir_graph *g, ds_options *o, float *raw_scale, const char *cmd)
{
    const mote_tensor *in = &g->tensors[g->inputs[0]].t;
    *o = c->ds;
    *raw_scale = 1.0f;
    const char *task = c->task;
    if (in->type == MOTE_I16 && in->rank == 1) task = task ? task : "audio", o->length = in->dims[0], *raw_scale = 32768.0f;
    else if (in->type == MOTE_I16 && in->rank == 2) task = task ? task : "motion", o->window = in->dims[0], o->channels = in->dims[1];
    else task = task ? task : "image";
    /* a model from mote train names its front end's sample rate; files at another rate are then refused */
    const char *d = g->description ? strstr(g->description, "mote audio front end: ") : NULL;
    if (d && !o->sample_rate) o->sample_rate = atoi(d + strlen("mote audio front end: "));
    if (!strcmp(task, "audio")) o->kind = DS_AUDIO;
    else if (!strcmp(task, "motion")) o->kind = DS_MOTION;
    else if (strcmp(task, "image") != 0) {
        fprintf(stderr, "mote %s: --task %s: not audio, motion or image\n", cmd, task);
        return -1;
    }
    return 0;
}
