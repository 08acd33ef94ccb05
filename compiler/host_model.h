/* A model ready to run on the host: IR lowered to runtime structures,
 * prepared, planned into one exactly-sized arena. */
#ifndef MOTE_HOST_MODEL_H
#define MOTE_HOST_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"
#include "mote/mote.h"
#include "plan/plan.h"

typedef struct {
    mote_ir_graph *g;
    mote_model m;
    mote_ctx ctx;
    mote_plan plan;       /* m.nodes[s] is IR op plan.order[s] (execution order) */
    uint8_t *arena;
    size_t arena_bytes;   /* activations + scratch + persistent */
    size_t persist_bytes; /* persistent kernel data part */
    uint32_t isa;         /* MOTE_ISA_* the kernels were chosen for */
    uint8_t *reference_ops; /* per IR op: 1 = reference kernel by choice (kernel_choice.h); NULL: none */
    uint8_t *ref_by_node;   /* the same per node of m.nodes, for prepare */
} mote_host_model;

/* MOTE_ISA_* of the machine this program runs on (x86-64 kernels on x86-64). */
uint32_t mote_isa_host(void);

/* Takes ownership of g; prepares kernels for isa (MOTE_ISA_*). NULL on
 * failure with a message naming the op and tensor. */
mote_host_model *mote_host_model_new_isa(mote_ir_graph *g, const char *name, uint32_t isa, char *err,
                                         size_t errlen);
/* The same with IR op i on the reference kernels where reference_ops[i] != 0
 * (copied; may be NULL). */
mote_host_model *mote_host_model_new_choice(mote_ir_graph *g, const char *name, uint32_t isa,
                                            const uint8_t *reference_ops, char *err, size_t errlen);
/* The same for this machine's ISA. */
mote_host_model *mote_host_model_new(mote_ir_graph *g, const char *name, char *err, size_t errlen);
/* Import a .tflite file and prepare it (for this machine / for isa). */
mote_host_model *mote_host_model_load(const char *path, char *err, size_t errlen);
mote_host_model *mote_host_model_load_isa(const char *path, uint32_t isa, char *err, size_t errlen);
mote_host_model *mote_host_model_load_choice(const char *path, uint32_t isa, const uint8_t *reference_ops, char *err,
                                             size_t errlen);
void mote_host_model_free(mote_host_model *hm);

/* Total bytes of all inputs / outputs, in model order. */
size_t mote_host_input_bytes(const mote_host_model *hm);
size_t mote_host_output_bytes(const mote_host_model *hm);
/* Copy concatenated inputs in, reset state, invoke, copy concatenated outputs out. */
void mote_host_run(mote_host_model *hm, const uint8_t *in, uint8_t *out);

#endif
