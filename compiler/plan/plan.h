/* Arena memory planner: chooses an execution order of the nodes and places
 * activation tensors and per-op scratch buffers in one arena. Buffers alive
 * at the same step never overlap, except where an in-place rule proves that
 * the kernel reads every input byte before it writes an output byte over it
 * (compiler/plan/overlap.c states the rules and the kernel contract). */
#ifndef MOTE_PLAN_H
#define MOTE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "mote/mote.h"

#define MOTE_PLAN_NONE ((size_t)-1)
#define MOTE_PLAN_ALIGN 16
#define MOTE_PLAN_MAX_STRATEGIES 8

typedef struct {
    const char *name;
    size_t arena_bytes; /* best over every op order tried, overlap allowed */
} mote_plan_strategy;

typedef struct {
    int32_t *order;          /* n_nodes: node index executed at step s */
    size_t *tensor_offset;   /* per tensor; MOTE_PLAN_NONE when not planned */
    size_t *scratch_offset;  /* per node (file index); MOTE_PLAN_NONE when no scratch */
    size_t *live_bytes;      /* per step: bytes of the buffers live during that op */
    size_t *high_water;      /* per step: end of the highest buffer live during that op */
    size_t arena_bytes;
    const char *strategy;    /* name of the placement kept */
    const char *order_name;  /* name of the op order kept ("file" when no order gains) */
    size_t arena_bytes_no_overlap; /* best plan without in-place/overlap, for reporting */
    mote_plan_strategy tried[MOTE_PLAN_MAX_STRATEGIES];
    int n_tried;
} mote_plan;

/* Plan a prepared model (scratch_bytes known). 0 ok, -1 out of memory. */
int mote_plan_model(const mote_model *m, mote_plan *p);
void mote_plan_free(mote_plan *p);
/* Check a plan: the order is topological, every buffer is placed, aligned and
 * inside the arena, and any two buffers live at the same step overlap only
 * where an in-place rule allows. 0 = valid, else -1 and a one-line reason. */
int mote_plan_validate(const mote_model *m, const mote_plan *p, char *err, size_t errlen);

#endif
