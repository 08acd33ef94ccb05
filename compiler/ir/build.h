/* Building a graph IR by hand (front ends, the training exporter): tensors, constants (aligned copies
 * the graph owns), quantization and single-output ops, growing the graph's arrays as needed.
 *
 * Every call returns an index >= 0 (or 0) on success, or -1 with the first failure's reason kept in
 * err (later failures do not overwrite it), so a run of calls can be checked once at the end. */
#ifndef MOTE_IR_BUILD_H
#define MOTE_IR_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

typedef struct {
    mote_ir_graph *g;
    int32_t cap_t, cap_o;   /* allocated tensors and ops */
    char *err;
    size_t errlen;
} mote_irb;

/* A builder over a new empty graph (NULL on allocation failure). err must hold errlen bytes. */
mote_ir_graph *mote_irb_begin(mote_irb *b, char *err, size_t errlen);
/* A builder that appends to g (its arrays are taken as exactly full). */
void mote_irb_attach(mote_irb *b, mote_ir_graph *g, char *err, size_t errlen);

int mote_irb_fail(mote_irb *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

int32_t mote_irb_tensor(mote_irb *b, const char *name, mote_dtype type, int rank, const int32_t *dims);
int32_t mote_irb_const(mote_irb *b, const char *name, mote_dtype type, int rank, const int32_t *dims,
                       const void *data);
/* n scales and zero points on axis (n == 1: per tensor). */
int mote_irb_quant(mote_irb *b, int32_t t, int n, int axis, const float *scale, const int32_t *zp);
/* An op with n_in inputs (-1: absent) and n_out outputs. */
int mote_irb_op(mote_irb *b, mote_op op, const int32_t *in, int n_in, const int32_t *out, int n_out,
                const mote_opts *o);
/* Custom-op name for the op just added (the TFLite custom code), or -1. */
int mote_irb_custom_code(mote_irb *b, const char *code);
/* The graph's inputs or outputs (replacing any). */
int mote_irb_io(mote_irb *b, const int32_t *inputs, int n_inputs, const int32_t *outputs, int n_outputs);
mote_opts mote_irb_opts(void); /* strides, dilations, filter size, depth multiplier 1; beta 1; the rest 0 */

/* Copy src (a tensor of another graph: name prefixed, constant data and quantization copied); its index. */
int32_t mote_irb_copy_tensor(mote_irb *b, const mote_ir_tensor *src, const char *prefix);
/* Append g's tensors and ops; map[k] (n_tensors entries, -1 = copy) receives g's tensor k's new index.
 * A tensor already mapped (map[k] >= 0) is not copied: that is how two graphs are joined. */
int mote_irb_append(mote_irb *b, const mote_ir_graph *g, int32_t *map, const char *prefix);
/* A deep copy of g (inputs, outputs, description); NULL with err set. */
mote_ir_graph *mote_ir_clone(const mote_ir_graph *g, char *err, size_t errlen);

/* split.c: cutting at tensor t. The head is every op t depends on, with g's inputs and t as its output;
 * the tail is every other op, with t as its input and g's outputs (it must read nothing else the head
 * computes). NULL with err naming the op that crosses the cut. */
mote_ir_graph *mote_ir_head(const mote_ir_graph *g, int32_t t, char *err, size_t errlen);
mote_ir_graph *mote_ir_tail(const mote_ir_graph *g, int32_t t, char *err, size_t errlen);
/* head's one output feeds tail's one input (same dtype, bytes and quantization; a RESHAPE where the shapes
 * differ): one graph. NULL with err. */
mote_ir_graph *mote_ir_join(const mote_ir_graph *head, const mote_ir_graph *tail, char *err, size_t errlen);

#endif
