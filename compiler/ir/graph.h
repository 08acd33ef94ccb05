/* mote graph IR (host side).
 *
 * Importers produce it, passes rewrite it, backends lower it. A tensor is a
 * runtime mote_tensor plus what only the host needs (name, ownership of
 * quantization arrays). Constant data points into the model file buffer,
 * which the graph keeps alive, or into an aligned copy the graph owns.
 */
#ifndef MOTE_IR_GRAPH_H
#define MOTE_IR_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "mote/mote.h"

typedef struct {
    char *name;
    mote_tensor t;      /* dtype, shape, quantization, flags; data for constants.
                         * t.q is as the file has it: a per-channel block may
                         * not index t's shape (see keep_read_quant in host_model.c) */
    float *scale;       /* owned quantization arrays (t.q points at them) */
    int32_t *zero_point;
    void *owned_data;   /* aligned copy of constant data, if one was needed */
} mote_ir_tensor;

typedef struct {
    mote_op op;
    int32_t *io;        /* n_in inputs then n_out outputs, -1 = absent input */
    uint16_t n_in, n_out;
    mote_opts opts;
    char *custom_code;  /* for custom ops, the name in the file */
} mote_ir_op;

typedef struct mote_ir_graph {
    mote_ir_tensor *tensors;
    int32_t n_tensors;
    mote_ir_op *ops;
    int32_t n_ops;
    int32_t *inputs;
    int32_t n_inputs;
    int32_t *outputs;
    int32_t n_outputs;
    char *description;
    uint8_t *file;      /* the model file bytes (owned; constants may point into it) */
    size_t file_len;
} mote_ir_graph;

void mote_ir_free(mote_ir_graph *g);

/* A tensor name for one-line messages: names of converted models run to
 * hundreds of characters, so a long one keeps "..." and its last part. */
#define MOTE_IR_SHORT_NAME 64
const char *mote_ir_short_name(const char *name, char buf[MOTE_IR_SHORT_NAME]);

/* Per-op figures for inspect: multiply-accumulates, weight bytes, activation bytes. */
typedef struct {
    int64_t macs;
    int64_t param_bytes; /* constant inputs */
    int64_t act_bytes;   /* non-constant inputs + outputs */
} mote_ir_op_stats;

mote_ir_op_stats mote_ir_stats(const mote_ir_graph *g, int32_t op_index);

#endif
