/* OUT/report.html of `mote prune`: MACs, file size and test accuracy before and after, and each channel
 * group's channels kept, as plots (inline SVG, no script, no network); with --unstructured, each layer's
 * sparsity and its int8 storage. */
#ifndef MOTE_CLI_PRUNE_REPORT_H
#define MOTE_CLI_PRUNE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mote/prune.h"

/* One pruned layer of --unstructured: its zeros, and how the int8 file stores its weights. */
typedef struct {
    const char *name;
    size_t weights;
    double sparsity;               /* zeros in the float model after fine-tuning */
    size_t int8_bytes;             /* in the int8 file: sparse encoding or dense; 0: not found there */
    int sparse;
} prune_report_layer;

typedef struct {
    const char *model, *out;
    const tr_prune_plan *plan;     /* the groups of the original model */
    const int *kept;               /* per group: channels kept */
    int64_t macs_before, macs_after;
    size_t bytes_before, bytes_after;   /* the float file before; the int8 file after */
    double acc_before, acc_float, acc_int8;   /* test split; NaN: none */
    const char *target;            /* hardware-aware mode, or NULL */
    double ms_before, ms_after;
    double unstructured;           /* --unstructured's sparsity, 0: none */
    const prune_report_layer *layers;
    int n_layers;
    size_t int8_dense_bytes;       /* the int8 file with every weight stored dense */
} prune_report;

/* 0, or -1 with a message on stderr. */
int prune_report_write_html(const prune_report *r, const char *path);

#endif
