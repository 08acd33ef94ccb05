/* mote bench: the measurements of one model on one target, and their
 * reports (table, JSON, SVG bar chart). cmd_bench.c measures, bench_report.c
 * prints. */
#ifndef MOTE_CLI_BENCH_H
#define MOTE_CLI_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *op;     /* "CONV_2D" */
    const char *kernel; /* kernel variant the node runs, "conv_s8_opt" */
    int64_t macs;       /* conv, depthwise, fully connected (and LSTM); 0 for other ops */
    uint64_t insns;     /* from the run with layer marks (its call included) */
    double ns;          /* host: median wall-clock ns of the layer alone; < 0 elsewhere */
} bench_layer;

typedef struct {
    const char *key;    /* field of anchors.json, "tflm_cmsisnn_instructions" */
    const char *label;  /* "TFLM+CMSIS-NN" */
    uint64_t insns;
} bench_anchor;

typedef struct {
    const char *model, *target, *core, *kernels;
    char stem[256];
    int host;                       /* native target: ns figures present */
    size_t vectors, golden_equal, golden_checked;
    uint64_t total;                 /* median instructions per inference, build without layer marks */
    uint64_t marked_total;          /* instructions of one inference of the build with layer marks */
    uint64_t layers_sum;            /* sum of the layers of that inference */
    size_t layer_vector;            /* which vector that inference ran on */
    uint64_t unmarked;              /* the same vector in the build without marks */
    int64_t macs;
    double ns_total;                /* host: median ns per inference */
    int runs;                       /* host: timed runs */
    bench_layer *layers;
    size_t n_layers;
    const char *anchor_set;         /* "cortex_m4_qemu", "x86_64_host" or NULL */
    int64_t anchor_macs;            /* the anchors' MACs for the model, -1 if absent */
    bench_anchor anchors[2];
    int n_anchors;
} bench_report;

void bench_print_table(const bench_report *b, FILE *f);
void bench_print_json(const bench_report *b, FILE *f);
/* 0 ok; -1 with a message on stderr. */
int bench_write_svg(const bench_report *b, const char *path);

#endif
