/* Mixed precision chosen for a device: which layers of an int8 graph take int4 weights (lowbit.h).
 *
 * 1. Sensitivity: each CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED alone at int4, scored by the caller on
 *    calibration data (accuracy, and the output error against the float model to order equal accuracies).
 * 2. Search: layers in order of least harm per flash byte saved are turned to int4 one by one; each
 *    combination is scored and costed for the device (flash, estimated latency: the caller's cost model and
 *    fit check); a layer whose addition drops the accuracy more than max_drop below the float model's is
 *    left at int8 and the search goes on with the next. Uniform int8 and uniform int4 are scored too.
 * 3. The Pareto front over every combination scored (accuracy up, flash down, latency down), and the
 *    choice: the least flash within max_drop, then the least latency. */
#ifndef MOTE_QUANT_MIXED_H
#define MOTE_QUANT_MIXED_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

/* Scores a candidate graph: *accuracy (0..1, higher better) and *error (output error against the float
 * model, lower better). 0, or -1 with err. */
typedef int (*mote_mixed_eval)(void *user, const mote_ir_graph *g, double *accuracy, double *error, char *err,
                               size_t errlen);
/* Costs a candidate on the device: *flash bytes, *ms estimated per inference, *fits. 0, or -1 with err. */
typedef int (*mote_mixed_cost)(void *user, const mote_ir_graph *g, double *flash, double *ms, int *fits, char *err,
                               size_t errlen);

typedef struct {
    int32_t op;            /* in the int8 graph */
    double accuracy;       /* this layer alone at int4 */
    double error;
    double saved;          /* flash bytes saved by it alone */
    int bits;              /* in the choice: 8 or 4 */
    const char *why;       /* why it got that width (static text) */
} mote_mixed_layer;

typedef struct {
    uint8_t *int4;         /* per layer (index into layers): 1 = int4 */
    double accuracy, error, flash, ms;
    int fits;
    int pareto;            /* on the front */
    const char *label;     /* "uniform int8", "uniform int4", "mixed" */
} mote_mixed_point;

typedef struct {
    mote_mixed_layer *layers;
    int n_layers;
    mote_mixed_point *points;
    int n_points;
    int chosen;            /* index into points */
    double float_accuracy; /* the reference the drop is measured from */
} mote_mixed_result;

/* Progress: stage 0 sensitivity, 1 search; done of n. */
typedef void (*mote_mixed_progress)(void *user, int stage, int done, int n);

/* q8: an int8 graph (mote_ptq's). max_drop: in accuracy units (0.01 = 1 pp). 0, or -1 with err. */
int mote_mixed_search(const mote_ir_graph *q8, double float_accuracy, double max_drop, mote_mixed_eval eval,
                      mote_mixed_cost cost, mote_mixed_progress progress, void *user, mote_mixed_result *r, char *err,
                      size_t errlen);
/* The graph of point k: q8 with that point's layers at int4. NULL with err. */
mote_ir_graph *mote_mixed_apply(const mote_ir_graph *q8, const mote_mixed_result *r, int k, char *err, size_t errlen);
void mote_mixed_free(mote_mixed_result *r);

#endif
