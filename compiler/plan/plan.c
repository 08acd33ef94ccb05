/* Planner driver: for every candidate op order (order.c), place the buffers
 * with every strategy (place.c), with and without the in-place rules
 * (overlap.c), and keep the smallest arena. Ties keep the earlier candidate:
 * the file order and the simplest strategy win unless another one gains. */
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

typedef struct {
    size_t arena;
    int32_t order_idx;
    int strategy;
    int rules;
    size_t *off; /* per buffer of that problem */
} best;

void mote_plan_free(mote_plan *p)
{
    free(p->order);
    free(p->tensor_offset);
    free(p->scratch_offset);
    free(p->live_bytes);
    free(p->high_water);
    memset(p, 0, sizeof *p);
}

/* Copy the kept placement into p and derive the per-step figures. */
static void fill(mote_plan *p, const mote_model *m, const pl_problem *P, const size_t *off)
{
    for (int32_t t = 0; t < m->n_tensors; t++)
        p->tensor_offset[t] = P->tensor_buf[t] >= 0 ? off[P->tensor_buf[t]] : MOTE_PLAN_NONE;
    for (int32_t n = 0; n < m->n_nodes; n++)
        p->scratch_offset[n] = P->scratch_buf[n] >= 0 ? off[P->scratch_buf[n]] : MOTE_PLAN_NONE;
    for (int32_t s = 0; s < m->n_nodes; s++) {
        size_t live = 0, high = 0;
        for (int32_t i = 0; i < P->nb; i++) {
            if (P->b[i].first > s || P->b[i].last < s) continue;
            live += P->b[i].size;
            if (off[i] + P->b[i].size > high) high = off[i] + P->b[i].size;
        }
        p->live_bytes[s] = live;
        p->high_water[s] = high;
    }
}

int mote_plan_model(const mote_model *m, mote_plan *p)
{
    memset(p, 0, sizeof *p);
    const size_t nn = (size_t)(m->n_nodes ? m->n_nodes : 1), nt = (size_t)(m->n_tensors ? m->n_tensors : 1);
    int32_t *orders[PL_MAX_ORDERS] = {0};
    const char *onames[PL_MAX_ORDERS];
    size_t *off = malloc(sizeof(size_t) * (nt + nn + 1));
    best b = {.arena = (size_t)-1, .off = malloc(sizeof(size_t) * (nt + nn + 1))};
    p->order = malloc(sizeof(int32_t) * nn);
    p->tensor_offset = malloc(sizeof(size_t) * nt);
    p->scratch_offset = malloc(sizeof(size_t) * nn);
    p->live_bytes = malloc(sizeof(size_t) * nn);
    p->high_water = malloc(sizeof(size_t) * nn);
    int n_orders = -1, rc = -1;
    if (!off || !b.off || !p->order || !p->tensor_offset || !p->scratch_offset || !p->live_bytes || !p->high_water)
        goto out;
    /* placement is cubic in the buffer count: big graphs try fewer orders */
    n_orders = pl_orders(m, orders, onames, m->n_nodes > 256 ? 1 : m->n_nodes > 64 ? 4 : PL_MAX_ORDERS);
    if (n_orders < 1) goto out;
    p->n_tried = PL_N_STRATEGIES;
    p->arena_bytes_no_overlap = (size_t)-1;
    for (int s = 0; s < PL_N_STRATEGIES; s++) p->tried[s] = (mote_plan_strategy){pl_strategy_name(s), (size_t)-1};
    for (int o = 0; o < n_orders; o++)
        for (int rules = 1; rules >= 0; rules--) {
            pl_problem P;
            if (pl_problem_build(&P, m, orders[o], rules) != 0) goto out;
            for (int s = 0; s < PL_N_STRATEGIES; s++) {
                size_t a = pl_place(&P, s, off);
                if (a == (size_t)-1) {
                    pl_problem_free(&P);
                    goto out;
                }
                if (a < p->tried[s].arena_bytes) p->tried[s].arena_bytes = a;
                if (!rules && a < p->arena_bytes_no_overlap) p->arena_bytes_no_overlap = a;
                if (a < b.arena) {
                    b = (best){a, o, s, rules, b.off};
                    memcpy(b.off, off, sizeof(size_t) * (size_t)P.nb);
                }
            }
            pl_problem_free(&P);
        }
    /* Rebuild the winner's problem to map its buffers back to tensors. */
    pl_problem P;
    if (pl_problem_build(&P, m, orders[b.order_idx], b.rules) != 0) goto out;
    memcpy(p->order, orders[b.order_idx], sizeof(int32_t) * (size_t)m->n_nodes);
    fill(p, m, &P, b.off);
    pl_problem_free(&P);
    p->arena_bytes = b.arena;
    p->strategy = pl_strategy_name(b.strategy);
    p->order_name = onames[b.order_idx];
    rc = 0;
out:
    for (int o = 0; o < n_orders; o++) free(orders[o]);
    free(off);
    free(b.off);
    if (rc != 0) mote_plan_free(p);
    return rc;
}
