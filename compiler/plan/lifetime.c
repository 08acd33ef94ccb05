/* Buffers and lifetimes for one op order, and the in-place rules that apply
 * to it. A tensor lives from the first step that touches it to the last;
 * graph inputs from step 0; graph outputs and variables past the last op
 * (variables also from step 0, so they never share). Constants and empty
 * tensors are not planned; scratch lives only during its op. */
#include <stdlib.h>
#include <string.h>

#include "plan/overlap.h"
#include "plan/plan_internal.h"

void pl_problem_free(pl_problem *P)
{
    free(P->b);
    free(P->r);
    free(P->tensor_buf);
    free(P->scratch_buf);
    memset(P, 0, sizeof *P);
}

/* The dying input x of step s may be overlapped by the node's output if
 * every slot that reads x has a rule; the strictest shift wins. */
static int rule_for(const mote_model *m, const mote_node *n, int32_t x, int64_t *shift)
{
    int found = 0;
    for (int k = 0; k < n->n_in; k++) {
        if (n->io[k] != x) continue;
        int64_t d;
        if (!mote_overlap_rule(m, n, k, &d)) return 0;
        if (!found || d > *shift) *shift = d;
        found = 1;
    }
    return found;
}

static void add_rules(pl_problem *P, const mote_model *m, const int32_t *order)
{
    for (int32_t s = 0; s < P->n_steps; s++) {
        const mote_node *n = &m->nodes[order[s]];
        if (n->n_out != 1) continue;
        int32_t o = n->io[n->n_in];
        if (o < 0 || P->tensor_buf[o] < 0 || (m->tensors[o].flags & MOTE_TENSOR_VARIABLE)) continue;
        for (int k = 0; k < n->n_in; k++) {
            int32_t x = n->io[k];
            if (x < 0 || x == o || P->tensor_buf[x] < 0) continue;
            pl_buf *bx = &P->b[P->tensor_buf[x]];
            if (bx->last != s || bx->in_rule >= 0) continue; /* read later, or already handled */
            if (m->tensors[x].flags & (MOTE_TENSOR_VARIABLE | MOTE_TENSOR_OUTPUT)) continue;
            int64_t d;
            if (!rule_for(m, n, x, &d)) continue;
            bx->in_rule = P->nr;
            P->r[P->nr++] = (pl_rule){P->tensor_buf[x], P->tensor_buf[o], d};
        }
    }
}

/* A kernel that expands its dying input 0 into scratch may lay the scratch
 * over it (overlap.c), unless an output rule claimed that input already. */
static void add_scratch_rules(pl_problem *P, const mote_model *m, const int32_t *order)
{
    for (int32_t s = 0; s < P->n_steps; s++) {
        const mote_node *n = &m->nodes[order[s]];
        int32_t sb = P->scratch_buf[order[s]], x = n->n_in ? n->io[0] : -1;
        if (sb < 0 || x < 0 || P->tensor_buf[x] < 0) continue;
        pl_buf *bx = &P->b[P->tensor_buf[x]];
        if (bx->last != s || bx->in_rule >= 0) continue;
        if (m->tensors[x].flags & (MOTE_TENSOR_VARIABLE | MOTE_TENSOR_OUTPUT)) continue;
        int64_t d;
        if (!mote_overlap_scratch_rule(m, n, &d)) continue;
        bx->in_rule = P->nr;
        P->r[P->nr++] = (pl_rule){P->tensor_buf[x], sb, d};
    }
}

int pl_problem_build(pl_problem *P, const mote_model *m, const int32_t *order, int use_rules)
{
    memset(P, 0, sizeof *P);
    const int32_t nt = m->n_tensors, nn = m->n_nodes;
    P->n_steps = nn;
    P->b = malloc(sizeof(pl_buf) * (size_t)(nt + nn + 1));
    P->r = malloc(sizeof(pl_rule) * (size_t)(nt + 1));
    P->tensor_buf = malloc(sizeof(int32_t) * (size_t)(nt + 1));
    P->scratch_buf = malloc(sizeof(int32_t) * (size_t)(nn + 1));
    int32_t *first = malloc(sizeof(int32_t) * (size_t)(nt + 1));
    int32_t *last = malloc(sizeof(int32_t) * (size_t)(nt + 1));
    if (!P->b || !P->r || !P->tensor_buf || !P->scratch_buf || !first || !last) {
        free(first);
        free(last);
        pl_problem_free(P);
        return -1;
    }
    for (int32_t i = 0; i < nt; i++) {
        first[i] = INT32_MAX;
        last[i] = -1;
        P->tensor_buf[i] = -1;
    }
    for (int32_t s = 0; s < nn; s++) {
        const mote_node *n = &m->nodes[order[s]];
        for (int k = 0; k < n->n_in + n->n_out; k++) {
            int32_t t = n->io[k];
            if (t < 0 || t >= nt) continue;
            if (s < first[t]) first[t] = s;
            if (s > last[t]) last[t] = s;
        }
    }
    for (int32_t i = 0; i < m->n_inputs; i++) first[m->inputs[i]] = 0;
    for (int32_t i = 0; i < m->n_outputs; i++) last[m->outputs[i]] = nn;
    for (int32_t i = 0; i < nt; i++) {
        const mote_tensor *t = &m->tensors[i];
        if ((t->flags & MOTE_TENSOR_CONST) || t->bytes == 0) continue;
        int io = t->flags & (MOTE_TENSOR_INPUT | MOTE_TENSOR_OUTPUT);
        if (last[i] < 0 && first[i] == INT32_MAX && !io) continue; /* used by no op */
        if (t->flags & MOTE_TENSOR_VARIABLE) {
            first[i] = 0;
            last[i] = nn;
        }
        if (t->flags & MOTE_TENSOR_INPUT) first[i] = 0;
        if (t->flags & MOTE_TENSOR_OUTPUT) last[i] = nn;
        if (first[i] == INT32_MAX) first[i] = 0;
        if (last[i] < first[i]) last[i] = first[i];
        P->tensor_buf[i] = P->nb;
        P->b[P->nb++] = (pl_buf){t->bytes, first[i], last[i], i, -1, -1};
    }
    for (int32_t s = 0; s < nn; s++) {
        int32_t n = order[s];
        P->scratch_buf[n] = -1;
        if (!m->nodes[n].scratch_bytes) continue;
        P->scratch_buf[n] = P->nb;
        P->b[P->nb++] = (pl_buf){m->nodes[n].scratch_bytes, s, s, -1, n, -1};
    }
    free(first);
    free(last);
    if (use_rules) {
        add_rules(P, m, order);
        add_scratch_rules(P, m, order);
    }
    return 0;
}

int pl_compatible(const pl_problem *P, int32_t i, int64_t oi, int32_t j, int64_t oj)
{
    const pl_buf *a = &P->b[i], *b = &P->b[j];
    if (!pl_live_overlap(a, b)) return 1;
    if (oi + (int64_t)a->size <= oj || oj + (int64_t)b->size <= oi) return 1;
    if (b->in_rule >= 0 && P->r[b->in_rule].out == i) return oi <= oj - P->r[b->in_rule].shift;
    if (a->in_rule >= 0 && P->r[a->in_rule].out == j) return oj <= oi - P->r[a->in_rule].shift;
    return 0;
}
