/* Internals of the exporter (mote/export.h): the node plan, the graph builder, quantization helpers. */
#ifndef MOTE_TRAIN_EXPORT_INTERNAL_H
#define MOTE_TRAIN_EXPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ir/build.h"
#include "ir/graph.h"
#include "mote/train.h"

typedef struct {
    float lo, hi;           /* calibrated min / max of a node's output, 0 included */
} xp_range;

typedef struct {
    tr_model *m;
    int n;                  /* nodes */
    tr_node_info *info;     /* per node */
    uint8_t *live;          /* feeds the output */
    uint8_t *alias;         /* passes its input's tensor on (dropout, identity, same-shape reshape, fused ReLU) */
    uint8_t *act;           /* fused activation (mote_activation) of the op a non-alias node becomes */
    int *rnode;             /* the node whose values a non-alias node's tensor holds (itself or its fused ReLU) */
    int *uses;              /* consumers of a non-alias node's tensor (the graph output counts) */
    int32_t *tensor;        /* IR tensor of a non-alias node, -1 before it is emitted */
    int int8;
    int fixed_in;           /* int8: the input's quantization is in_scale / in_zp, not calibrated */
    float in_scale;
    int32_t in_zp;
    const xp_range *ranges; /* per node (int8) */
    mote_ir_graph *g;
    mote_irb b;             /* builds g */
    char *err;
    size_t errlen;
} xp;

int xp_fail(xp *x, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* build.c: the IR builder (ir/build.h) on x->g. Indices >= 0, or -1 with the error set. */
int32_t xp_tensor(xp *x, const char *name, mote_dtype type, int rank, const int32_t *dims);
int32_t xp_const(xp *x, const char *name, mote_dtype type, int rank, const int32_t *dims, const void *data);
int xp_quant(xp *x, int32_t t, int n, int axis, const float *scale, const int32_t *zp);
int xp_op(xp *x, mote_op op, const int32_t *in, int n_in, int32_t out, const mote_opts *o);
mote_opts xp_opts(void);   /* strides, dilations, filter size, depth multiplier 1; beta 1; the rest 0 */

/* quant.c */
/* TFLite's asymmetric int8 parameters for a range that holds 0. */
void xp_act_params(float lo, float hi, float *scale, int32_t *zp);
/* Calibrated ranges of every live node over calib (n samples). NULL with the error set. */
xp_range *xp_calibrate(xp *x, const tr_dataset *calib);
/* Symmetric int8 weights: n_ch scales, channel of element k: per-channel blocks along axis 0 when
 * inner == 1 (k / (size / n_ch)), else k % n_ch (last axis). */
int8_t *xp_quant_weights(const float *w, size_t size, int n_ch, int last_axis, float *scales);
int32_t *xp_quant_bias(const float *b, size_t size, float in_scale, const float *w_scales, int per_channel);

#endif
