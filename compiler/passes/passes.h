/* The passes stage: graph rewrites between import and lowering. A pass takes
 * the graph as the importer made it (or as the pass before left it) and
 * leaves a graph that computes the same outputs, byte for byte, with fewer
 * or simpler ops. Quantization, pruning and layout passes go here too; each
 * is one file with one mote_pass, listed in passes.c. */
#ifndef MOTE_PASSES_H
#define MOTE_PASSES_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

typedef struct {
    const char *name;
    /* 0 ok (*changed = ops rewritten); -1 with a one-line reason in err. */
    int (*run)(mote_ir_graph *g, int *changed, char *err, size_t errlen);
} mote_pass;

extern const mote_pass mote_pass_fold_constants;
extern const mote_pass mote_pass_fuse_activation;
/* FULLY_CONNECTED and CONV_2D int8 weights stored sparse where that is smaller (sparse_weights.c) */
extern const mote_pass mote_pass_sparse_weights;

/* Whether the pass runs (default 1): 0 stores every weight dense, the baseline sparse storage is measured
 * against (`--weights dense`). Process-wide, for the command line; set it before importing. */
void mote_passes_sparse_weights(int on);

/* Encode a dense int8 [rows, depth] filter as mote/sparse.h lays it out
 * (depth <= MOTE_SPARSE_MAX_DEPTH) into out, or only count with out NULL;
 * returns the encoding's bytes. */
size_t mote_sparse_encode_s8(const int8_t *w, int32_t rows, int32_t depth, uint8_t *out);

/* Run the default pipeline in order. `name` (the model) prefixes errors. */
int mote_passes_run(mote_ir_graph *g, const char *name, char *err, size_t errlen);

/* Shared by passes: drop op i (its io and custom code), keeping the order of
 * the others. */
void mote_ir_remove_op(mote_ir_graph *g, int32_t i);
/* How many ops read tensor t (each slot counts once). */
int mote_ir_readers(const mote_ir_graph *g, int32_t t);
/* Is tensor t a graph output? */
int mote_ir_is_output(const mote_ir_graph *g, int32_t t);

#endif
