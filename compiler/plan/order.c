/* Candidate execution orders. The file order comes first (ties keep it);
 * where the graph branches, greedy list schedules and a few seeded random
 * topological orders follow, and the planner keeps the order whose arena is
 * smallest. Graphs where order could change meaning (a tensor written by
 * two nodes, a variable touched by two nodes) keep the file order only. */
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

enum { H_MIN_LIVE, H_DEPTH_FIRST, H_MAX_FREE, H_RANDOM };

typedef struct {
    const mote_model *m;
    int32_t *producer; /* per tensor: producing node or -1 */
    int32_t *uses;     /* per tensor: number of nodes still to read it */
    int32_t *made_at;  /* per tensor: step it was produced, -1 */
    int32_t *deps;     /* per node: producers not yet run */
    uint8_t *done;
} graph;

static int order_is_safe(const mote_model *m, int32_t *producer)
{
    int32_t *touch = calloc((size_t)(m->n_tensors ? m->n_tensors : 1), sizeof(int32_t));
    if (!touch) return 0;
    int ok = 1;
    for (int32_t t = 0; t < m->n_tensors; t++) producer[t] = -1;
    for (int32_t n = 0; n < m->n_nodes && ok; n++) {
        const mote_node *nd = &m->nodes[n];
        for (int k = 0; k < nd->n_in + nd->n_out; k++) {
            int32_t t = nd->io[k];
            if (t < 0 || t >= m->n_tensors) continue;
            if (m->tensors[t].flags & MOTE_TENSOR_VARIABLE) touch[t]++;
            if (k < nd->n_in) continue;
            if (producer[t] >= 0 && producer[t] != n) ok = 0;
            producer[t] = n;
        }
    }
    for (int32_t t = 0; t < m->n_tensors && ok; t++)
        if (touch[t] > 1) ok = 0;
    /* the file order itself must respect the producers */
    for (int32_t n = 0; n < m->n_nodes && ok; n++) {
        const mote_node *nd = &m->nodes[n];
        for (int k = 0; k < nd->n_in; k++)
            if (nd->io[k] >= 0 && nd->io[k] < m->n_tensors && producer[nd->io[k]] > n) ok = 0;
    }
    free(touch);
    return ok;
}

/* Bytes the node frees (inputs it reads last) and allocates (outputs). */
static void node_bytes(const graph *g, int32_t n, int64_t *freed, int64_t *alloc)
{
    const mote_node *nd = &g->m->nodes[n];
    *freed = *alloc = 0;
    for (int k = 0; k < nd->n_in; k++) {
        int32_t t = nd->io[k];
        if (t < 0 || t >= g->m->n_tensors) continue;
        const mote_tensor *x = &g->m->tensors[t];
        if (x->flags & (MOTE_TENSOR_CONST | MOTE_TENSOR_VARIABLE | MOTE_TENSOR_OUTPUT)) continue;
        int dup = 0;
        for (int j = 0; j < k; j++) dup |= nd->io[j] == t;
        if (!dup && g->uses[t] == 1) *freed += (int64_t)x->bytes;
    }
    for (int k = 0; k < nd->n_out; k++) {
        int32_t t = nd->io[nd->n_in + k];
        if (t >= 0 && t < g->m->n_tensors) *alloc += (int64_t)g->m->tensors[t].bytes;
    }
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One list schedule. Returns 1 if some step had a choice. */
static int schedule(graph *g, int h, uint64_t seed, int32_t *order)
{
    const mote_model *m = g->m;
    int choice = 0;
    memset(g->done, 0, (size_t)m->n_nodes);
    for (int32_t t = 0; t < m->n_tensors; t++) {
        g->uses[t] = 0;
        g->made_at[t] = -1;
    }
    for (int32_t n = 0; n < m->n_nodes; n++) {
        const mote_node *nd = &m->nodes[n];
        g->deps[n] = 0;
        for (int k = 0; k < nd->n_in; k++) {
            int32_t t = nd->io[k];
            if (t < 0 || t >= m->n_tensors) continue;
            g->uses[t]++;
            if (g->producer[t] >= 0 && g->producer[t] != n) g->deps[n]++;
        }
    }
    for (int32_t s = 0; s < m->n_nodes; s++) {
        int32_t best = -1, ready = 0;
        int64_t best_key = 0;
        for (int32_t n = 0; n < m->n_nodes; n++) {
            if (g->done[n] || g->deps[n]) continue;
            ready++;
            int64_t freed, alloc, key;
            node_bytes(g, n, &freed, &alloc);
            if (h == H_MIN_LIVE) key = alloc - freed;
            else if (h == H_MAX_FREE) key = -freed * 4096 + alloc;
            else if (h == H_RANDOM) key = (int64_t)(next_rand(&seed) >> 2);
            else {
                key = 0; /* most recently produced input first */
                const mote_node *nd = &m->nodes[n];
                for (int k = 0; k < nd->n_in; k++)
                    if (nd->io[k] >= 0 && nd->io[k] < m->n_tensors && g->made_at[nd->io[k]] >= 0 &&
                        -(int64_t)g->made_at[nd->io[k]] - 1 < key)
                        key = -(int64_t)g->made_at[nd->io[k]] - 1;
            }
            if (best < 0 || key < best_key) {
                best = n;
                best_key = key;
            }
        }
        if (best < 0) return -1; /* cycle: cannot happen after order_is_safe */
        if (ready > 1) choice = 1;
        order[s] = best;
        g->done[best] = 1;
        const mote_node *nd = &m->nodes[best];
        for (int k = 0; k < nd->n_in; k++)
            if (nd->io[k] >= 0 && nd->io[k] < m->n_tensors) g->uses[nd->io[k]]--;
        for (int k = 0; k < nd->n_out; k++) {
            int32_t t = nd->io[nd->n_in + k];
            if (t < 0 || t >= m->n_tensors) continue;
            g->made_at[t] = s;
            for (int32_t n = 0; n < m->n_nodes; n++) {
                const mote_node *c = &m->nodes[n];
                if (n == best) continue;
                for (int j = 0; j < c->n_in; j++)
                    if (c->io[j] == t) g->deps[n]--;
            }
        }
    }
    return choice;
}

static int known(int32_t **orders, int count, const int32_t *o, int32_t n)
{
    for (int i = 0; i < count; i++)
        if (!memcmp(orders[i], o, sizeof(int32_t) * (size_t)n)) return 1;
    return 0;
}

int pl_orders(const mote_model *m, int32_t **orders, const char **names, int max)
{
    static const char *const hname[] = {"min-live", "depth-first", "max-free", "random"};
    const size_t nn = (size_t)(m->n_nodes ? m->n_nodes : 1), nt = (size_t)(m->n_tensors ? m->n_tensors : 1);
    graph g = {.m = m};
    g.producer = malloc(sizeof(int32_t) * nt);
    g.uses = malloc(sizeof(int32_t) * nt);
    g.made_at = malloc(sizeof(int32_t) * nt);
    g.deps = malloc(sizeof(int32_t) * nn);
    g.done = malloc(nn);
    int count = 0, rc = -1;
    int32_t *o = NULL;
    if (!g.producer || !g.uses || !g.made_at || !g.deps || !g.done) goto out;
    if (!(orders[0] = malloc(sizeof(int32_t) * nn))) goto out;
    for (int32_t n = 0; n < m->n_nodes; n++) orders[0][n] = n;
    names[count++] = "file";
    rc = count;
    if (!order_is_safe(m, g.producer)) goto out;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int h = 0, tries = 0; count < max && h <= H_RANDOM && tries < 4 * max; tries++) {
        if (!o && !(o = malloc(sizeof(int32_t) * nn))) {
            rc = -1;
            goto out;
        }
        int choice = schedule(&g, h, seed + (uint64_t)tries * 0x2545f4914f6cdd1du, o);
        if (choice < 0) break;
        if (!choice) break; /* a chain: the file order is the only order */
        if (!known(orders, count, o, m->n_nodes)) {
            orders[count] = o;
            names[count++] = hname[h];
            o = NULL;
        }
        if (h < H_RANDOM) h++;
    }
    rc = count;
out:
    free(o);
    free(g.producer);
    free(g.uses);
    free(g.made_at);
    free(g.deps);
    free(g.done);
    if (rc < 0)
        for (int i = 0; i < count; i++) free(orders[i]);
    return rc;
}
