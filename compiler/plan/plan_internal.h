/* Internal to compiler/plan: the placement problem for one op order. */
#ifndef MOTE_PLAN_INTERNAL_H
#define MOTE_PLAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mote/mote.h"

/* One buffer to place: a tensor, or a node's scratch. Steps are positions in
 * the op order; last == n_steps means "alive after the last op" (graph
 * outputs, variables). */
typedef struct {
    size_t size;    /* bytes, > 0 */
    int32_t first, last;
    int32_t tensor; /* -1 for scratch */
    int32_t node;   /* scratch: its node; -1 for tensors */
    int32_t in_rule; /* the rule in which this buffer is the dying input, or -1 */
} pl_buf;

/* In-place allowance: while both are live, buffer `out` may overlap buffer
 * `in` if off(out) <= off(in) - shift. */
typedef struct {
    int32_t in, out;
    int64_t shift;
} pl_rule;

typedef struct {
    int32_t n_steps;
    int32_t nb, nr;
    pl_buf *b;
    pl_rule *r;
    int32_t *tensor_buf;  /* per tensor: buffer index or -1 */
    int32_t *scratch_buf; /* per node: buffer index or -1 */
} pl_problem;

static inline size_t pl_align(size_t x) { return (x + 15u) & ~(size_t)15u; }

/* Buffers, lifetimes and (if use_rules) in-place rules for this order.
 * 0 ok, -1 out of memory. */
int pl_problem_build(pl_problem *P, const mote_model *m, const int32_t *order, int use_rules);
void pl_problem_free(pl_problem *P);

/* Live at a common step? */
static inline int pl_live_overlap(const pl_buf *a, const pl_buf *b)
{
    return a->first <= b->last && b->first <= a->last;
}
/* May buffers i at offset oi and j at offset oj coexist (addresses disjoint,
 * lifetimes disjoint, or an in-place rule satisfied)? */
int pl_compatible(const pl_problem *P, int32_t i, int64_t oi, int32_t j, int64_t oj);

/* Placement strategies: fill off[nb]; return the arena bytes or
 * (size_t)-1 when out of memory. */
#define PL_N_STRATEGIES 6
const char *pl_strategy_name(int s);
size_t pl_place(const pl_problem *P, int strategy, size_t *off);

/* Candidate execution orders (topological); orders[i] are malloc'ed arrays of
 * n_nodes. Returns how many (>= 1), or -1 out of memory. */
#define PL_MAX_ORDERS 16
int pl_orders(const mote_model *m, int32_t **orders, const char **names, int max);

#endif
