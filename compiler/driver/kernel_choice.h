/* Per-layer kernel choice: a fast kernel's scratch can raise the arena's
 * peak; the reference kernel of that layer needs none but runs slower. The
 * user's objective decides which layers give up their fast kernel. */
#ifndef MOTE_DRIVER_KERNEL_CHOICE_H
#define MOTE_DRIVER_KERNEL_CHOICE_H

#include <stddef.h>
#include <stdint.h>

#include "host_model.h"
#include "target/cost.h"

typedef enum {
    MOTE_OPTIMIZE_BALANCED = 0, /* default: trade speed for memory only at a good rate */
    MOTE_OPTIMIZE_SPEED,        /* the fastest kernel on every layer */
    MOTE_OPTIMIZE_MEMORY        /* the smallest arena, whatever it costs in speed */
} mote_optimize;

/* Balanced: a layer takes its reference kernel when the arena it saves, as a
 * fraction of the arena, is at least this many times the instructions it
 * adds, as a fraction of the model's. */
#define MOTE_BALANCED_RATE 4.0

/* "speed" | "memory" | "balanced" -> *o; -1 if unknown. */
int mote_optimize_parse(const char *s, mote_optimize *o);
const char *mote_optimize_name(mote_optimize o);

/* Load and prepare the model with the kernels for isa, then, unless o is
 * speed or isa the reference kernels, move layers whose scratch sits at the
 * arena's peak to their reference kernels one at a time, the best trade
 * first, while the objective accepts the trade (instructions from cm;
 * without one, balanced keeps the fast kernels).
 * The model's reference_ops tell the choice. NULL with a message on failure. */
mote_host_model *mote_kernel_choice_load(const char *path, uint32_t isa, mote_optimize o, const mote_cost_model *cm,
                                         char *err, size_t errlen);

#endif
