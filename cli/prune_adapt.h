/* Hardware-aware pruning for `mote prune --target P --max-latency-ms X` (prune_adapt.c). */
#ifndef MOTE_CLI_PRUNE_ADAPT_H
#define MOTE_CLI_PRUNE_ADAPT_H

#include "mote/pipeline.h"
#include "mote/prune.h"

typedef struct {
    const char *target;     /* device profile */
    double max_ms;          /* estimated latency to reach (front end included) */
    int short_epochs;       /* fine-tuning after each step */
    int final_epochs;       /* and at the end */
    double lr;
    int batch, threads;
    uint64_t seed;
    int progress;           /* a status line on stderr */
} prune_adapt_opts;

typedef struct {
    double ms_before, ms_after;
    int steps;
} prune_adapt_result;

/* Prunes r->cls until the estimate is within o->max_ms; *out: the pruned, fine-tuned model. 0, or -1
 * with err (the model cannot get there, or is there already). */
int prune_adapt(tp_retrain *r, const prune_adapt_opts *o, tr_model **out, prune_adapt_result *res, char *err,
                size_t errlen);

#endif
