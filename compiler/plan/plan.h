/* Arena memory planner: places activation tensors and per-op scratch
 * buffers in one arena so that buffers alive at the same time never overlap. */
#ifndef MOTE_PLAN_H
#define MOTE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "mote/mote.h"

#define MOTE_PLAN_NONE ((size_t)-1)
#define MOTE_PLAN_ALIGN 16

typedef struct {
    size_t *tensor_offset;  /* per tensor, MOTE_PLAN_NONE for constants/unused */
    size_t *scratch_offset; /* per node, MOTE_PLAN_NONE when no scratch */
    size_t arena_bytes;     /* high-water mark of the plan */
} mote_plan;

/* Plan a prepared model (scratch_bytes known). 0 on success, -1 out of memory. */
int mote_plan_greedy(const mote_model *m, mote_plan *p);
void mote_plan_free(mote_plan *p);

#endif
