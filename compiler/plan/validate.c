/* Independent check of a finished plan: it trusts only the lifetimes and the
 * in-place rules (overlap.c), never the placement code. */
#include <stdio.h>
#include <stdlib.h>

#include "plan/plan.h"
#include "plan/plan_internal.h"

static int check_order(const mote_model *m, const int32_t *order, int32_t *step_of, char *err, size_t errlen)
{
    for (int32_t n = 0; n < m->n_nodes; n++) step_of[n] = -1;
    for (int32_t s = 0; s < m->n_nodes; s++) {
        if (order[s] < 0 || order[s] >= m->n_nodes || step_of[order[s]] >= 0) {
            snprintf(err, errlen, "plan: step %d runs node %d, which is out of range or runs twice", (int)s,
                     (int)order[s]);
            return -1;
        }
        step_of[order[s]] = s;
    }
    /* every input produced by another node must be produced at an earlier step */
    for (int32_t p = 0; p < m->n_nodes; p++) {
        const mote_node *pn = &m->nodes[p];
        for (int k = 0; k < pn->n_out; k++) {
            int32_t t = pn->io[pn->n_in + k];
            for (int32_t c = 0; c < m->n_nodes; c++) {
                const mote_node *cn = &m->nodes[c];
                if (c == p) continue;
                for (int j = 0; j < cn->n_in; j++)
                    if (cn->io[j] == t && step_of[c] < step_of[p]) {
                        snprintf(err, errlen, "plan: node %d reads tensor %d before node %d writes it", (int)c,
                                 (int)t, (int)p);
                        return -1;
                    }
            }
        }
    }
    return 0;
}

static const char *what(const pl_buf *b, char *buf, size_t len)
{
    if (b->tensor >= 0) snprintf(buf, len, "tensor %d", (int)b->tensor);
    else snprintf(buf, len, "scratch of node %d", (int)b->node);
    return buf;
}

int mote_plan_validate(const mote_model *m, const mote_plan *p, char *err, size_t errlen)
{
    if (!p->order || !p->tensor_offset || !p->scratch_offset) {
        snprintf(err, errlen, "plan: missing order or offsets");
        return -1;
    }
    int32_t *step_of = malloc(sizeof(int32_t) * (size_t)(m->n_nodes ? m->n_nodes : 1));
    if (!step_of) {
        snprintf(err, errlen, "plan: out of memory");
        return -1;
    }
    int rc = check_order(m, p->order, step_of, err, errlen);
    free(step_of);
    pl_problem P;
    if (rc != 0) return rc;
    if (pl_problem_build(&P, m, p->order, 1) != 0) {
        snprintf(err, errlen, "plan: out of memory");
        return -1;
    }
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(P.nb ? P.nb : 1));
    if (!off) {
        snprintf(err, errlen, "plan: out of memory");
        rc = -1;
    }
    char a[48], b[48];
    for (int32_t i = 0; rc == 0 && i < P.nb; i++) {
        const pl_buf *x = &P.b[i];
        size_t o = x->tensor >= 0 ? p->tensor_offset[x->tensor] : p->scratch_offset[x->node];
        if (o == MOTE_PLAN_NONE || o % MOTE_PLAN_ALIGN || o + x->size > p->arena_bytes || o + x->size < o) {
            snprintf(err, errlen, "plan: %s (%zu bytes) is unplaced, misaligned or outside the %zu-byte arena",
                     what(x, a, sizeof a), x->size, p->arena_bytes);
            rc = -1;
        } else {
            off[i] = (int64_t)o;
        }
    }
    for (int32_t i = 0; rc == 0 && i < P.nb; i++)
        for (int32_t j = i + 1; rc == 0 && j < P.nb; j++) {
            if (pl_compatible(&P, i, off[i], j, off[j])) continue;
            snprintf(err, errlen, "plan: %s [%lld, +%zu) and %s [%lld, +%zu) overlap while both live, with no in-place rule",
                     what(&P.b[i], a, sizeof a), (long long)off[i], P.b[i].size, what(&P.b[j], b, sizeof b),
                     (long long)off[j], P.b[j].size);
            rc = -1;
        }
    free(off);
    pl_problem_free(&P);
    return rc;
}
