/* `mote prune --unstructured S` (prune_unstructured.c): magnitude pruning of single weights during
 * fine-tuning, then the int8 file's weights stored sparse where that is smaller. */
#ifndef MOTE_CLI_PRUNE_UNSTRUCTURED_H
#define MOTE_CLI_PRUNE_UNSTRUCTURED_H

#include <stddef.h>

#include "mote/pipeline.h"
#include "mote/prune.h"
#include "prune_report.h"

typedef struct {
    double sparsity;        /* final zeros per layer, 0 < s < 1 */
    int epochs;             /* fine-tuning epochs (0: prune at once, no fine-tuning) */
    double lr;
    int batch;
    uint64_t seed;
    int progress;           /* a status line on stderr */
} prune_unstructured_opts;

/* Fine-tunes m in place on r's training split while the mask grows along Zhu & Gupta's cubic schedule
 * from 0 to o->sparsity over the first two thirds of the steps (the last third recovers with the mask
 * fixed); u: the layers and masks (tr_unstructured_free it). 0, or -1 with err. */
int prune_unstructured(tp_retrain *r, tr_model *m, const prune_unstructured_opts *o, tr_unstructured *u, char *err,
                       size_t errlen);

/* Rewrites the int8 file at path with its weights stored as the compiler's passes store them (sparse
 * where smaller: compiler/passes/sparse_weights.c); *dense_bytes, *bytes: the file before and after.
 * layers (n, from u and m) get their int8 storage, matched by weights tensor name. 0, or -1 with err. */
int prune_store_sparse(const char *path, size_t *dense_bytes, size_t *bytes, prune_report_layer *layers, int n,
                       char *err, size_t errlen);

#endif
