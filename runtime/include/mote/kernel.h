/* mote runtime: the interface between the interpreter and kernels.
 *
 * Each operator lives in runtime/kernels/<op>.c and exports one mote_op_def.
 * Its prepare() runs once per node: it checks dtypes and shapes, computes
 * fixed-point parameters into the node's parameter block (mote_node_data),
 * states its scratch need in node->scratch_bytes, and picks node->eval from
 * the op's kernel table for the dtype combination at hand. eval() then runs
 * with no checks at all, reading only tensors, the parameter block, state and
 * scratch: prepare may run on the host at compile time, eval on the device.
 * Adding an operator = one new file + one line in runtime/src/op_table.c.
 */
#ifndef MOTE_KERNEL_H
#define MOTE_KERNEL_H

#include "mote/mote.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef mote_status (*mote_prepare_fn)(mote_ctx *ctx, mote_node *node, mote_tensor *tensors);

/* One kernel variant of an op (e.g. int8, float32). Its index in the op's
 * table is how compiled models name it, so append new variants at the end. */
typedef struct mote_kernel {
    const char *name;       /* e.g. "conv_s8" */
    mote_eval_fn eval;      /* NULL when this build has no such kernel (e.g. x86 kernels on Arm) */
    uint8_t packed;         /* bit i: eval never reads input i, prepare copied it (repacked)
                             * into the parameter block; compiled models drop its data */
    uint8_t block;          /* window ops: output pixels written before all their reads are
                             * done (the planner's in-place rule); 0 means 1, raster order */
    uint8_t expand;         /* r > 0: eval reads input 0 only to copy it front to back into
                             * its scratch, r scratch bytes per input byte, each 4-byte group
                             * read before its copy is written (mote_s8_expand); the planner
                             * may then lay the scratch over a dying input 0 */
} mote_kernel;

/* Table entry of a reference-order kernel that reads all its inputs. */
#define MOTE_KERNEL(name, eval) {name, eval, 0, 0, 0}

/* The eval of an x86-64 kernel in a table: NULL in builds for other cores,
 * where the kernel does not exist (a .mote file naming it is refused). */
#if defined(__x86_64__)
#define MOTE_X86_EVAL(f) (f)
#else
#define MOTE_X86_EVAL(f) NULL
#endif

typedef struct mote_op_def {
    mote_prepare_fn prepare; /* name, file and TFLite identity: mote/ops.def */
    const mote_kernel *kernels;
    uint8_t n_kernels;
} mote_op_def;

#define MOTE_KERNELS(table) (table), (uint8_t)(sizeof(table) / sizeof((table)[0]))

/* NULL when the op has no kernel yet. */
const mote_op_def *mote_op_lookup(mote_op op);

/* i-th input / output tensor of a node; NULL for an absent optional input. */
static inline const mote_tensor *mote_in(const mote_node *n, const mote_tensor *t, int i)
{
    if (i >= n->n_in || n->io[i] < 0) return NULL;
    return &t[n->io[i]];
}
static inline const mote_tensor *mote_out(const mote_node *n, const mote_tensor *t, int i)
{
    return &t[n->io[n->n_in + i]];
}

/* The node's parameter block: zeroed, 16-byte aligned, from the top of the
 * arena; sets node->data and node->data_bytes. One block per node, with no
 * pointers inside (arrays follow the header struct), because compiled models
 * copy it byte for byte into flash for a device of any pointer width.
 * NULL (and ctx->err set) when the arena is exhausted or it is asked twice. */
void *mote_node_data(mote_ctx *ctx, mote_node *n, size_t bytes);
/* Grow the node's parameter block to `bytes` (contents kept, the rest
 * zeroed) while it is still the newest persistent allocation: lets an
 * optimized variant append packed weights to the block its op's prepare
 * made. The block moves: re-read node->data. NULL (ctx->err set) on failure. */
void *mote_node_data_grow(mote_ctx *ctx, mote_node *n, size_t bytes);
/* Mutable state kept across invokes (e.g. a running noise estimate): zeroed,
 * sets node->state and node->state_bytes; mote_reset zeroes it again. */
void *mote_node_state(mote_ctx *ctx, mote_node *n, size_t bytes);
/* Raw persistent memory, for the two above. */
void *mote_persist_alloc(mote_ctx *ctx, size_t bytes);

/* Record a failure; returns s so prepare can `return mote_fail(...)`. */
mote_status mote_fail(mote_ctx *ctx, mote_status s, int32_t tensor, const char *why);

/* Prove that an int8 dot product of `terms` products plus the largest |bias|
 * cannot overflow int32, so kernels may accumulate without checks. */
mote_status mote_check_acc_s8(mote_ctx *ctx, int32_t err_tensor, int64_t terms, const mote_tensor *bias);

/* Does t carry one scale per channel of a kernel with `channels` channels,
 * on a quantized_dimension of t of that size? (TFLM's rule for a filter: the
 * kernel indexes the scales by its channel, whatever the axis.) */
int mote_quant_per_channel(const mote_tensor *t, int32_t channels);

/* t's bytes when it is a constant known at prepare time, which a kernel may
 * fold or repack at compile time; NULL otherwise (also for an absent t). */
static inline const void *mote_const_bytes(const mote_tensor *t)
{
    return t && (t->flags & MOTE_TENSOR_CONST) ? t->data : NULL;
}

/* Shape helpers for prepare. */
int mote_same_shape(const mote_tensor *a, const mote_tensor *b);
/* dims[i] with negative i counting from the end. */
static inline int32_t mote_dim(const mote_tensor *t, int i)
{
    return t->dims[i < 0 ? (int)t->rank + i : i];
}

#ifdef __cplusplus
}
#endif
#endif
