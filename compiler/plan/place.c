/* Placement strategies. Each places "groups" one at a time at the lowest
 * feasible 16-byte aligned offset; they differ in how groups are formed and
 * in which order they are placed:
 *   size          one buffer per group, largest first (TFLite Micro's greedy);
 *   first-use     one buffer per group, earliest first, then largest;
 *   reverse       one buffer per group, latest first: an op's output is
 *                 placed before its input, which then finds its in-place
 *                 spot just above it;
 *   chain-*       buffers linked by in-place rules form chains placed as one
 *                 unit (each output at its input's offset - D), ordered like
 *                 the three above.
 * Singles use in-place rules when the partner placed first leaves room;
 * chains plan the overlap up front. The driver keeps the best. */
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

enum { KEY_SIZE, KEY_FIRST, KEY_LATEST };

static const struct {
    const char *name;
    int chains, key;
} strategies[PL_N_STRATEGIES] = {
    {"size", 0, KEY_SIZE},         {"first-use", 0, KEY_FIRST},   {"reverse", 0, KEY_LATEST},
    {"chain-size", 1, KEY_SIZE},   {"chain-first", 1, KEY_FIRST}, {"chain-reverse", 1, KEY_LATEST},
};

const char *pl_strategy_name(int s)
{
    return s >= 0 && s < PL_N_STRATEGIES ? strategies[s].name : "?";
}

typedef struct {
    int32_t head;   /* first member; members follow through next[] */
    int32_t first;  /* earliest step of any member */
    int32_t last;   /* latest step of any member */
    size_t extent;  /* bytes spanned by the members at their relative offsets */
    int key;        /* KEY_*: how groups are ordered */
} group;

typedef struct {
    const pl_problem *P;
    int32_t *next;  /* next member of the buffer's group, -1 at the end */
    int64_t *rel;   /* offset inside the group, >= 0 */
    group *g;
    int32_t ng;
    int32_t *placed; /* placed buffers */
    int32_t np;
    int64_t *cand;
    size_t ncand;
    size_t *off;
} ctx;

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->key == KEY_SIZE && x->extent != y->extent) return x->extent < y->extent ? 1 : -1;
    if (x->key == KEY_LATEST && x->first != y->first) return x->first < y->first ? 1 : -1;
    if (x->key == KEY_LATEST && x->last != y->last) return x->last < y->last ? 1 : -1;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    if (x->extent != y->extent) return x->extent < y->extent ? 1 : -1;
    return x->head - y->head;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t align_down(int64_t x) { return x >= 0 ? x & ~(int64_t)15 : -((-x + 15) & ~(int64_t)15); }
static int64_t align_up(int64_t x) { return -align_down(-x); }

/* The rule shift rounded to the alignment: the gap a chain keeps. */
static int64_t chain_gap(int64_t shift) { return shift <= 0 ? 0 : align_up(shift); }

/* Chains: every output is linked to its largest dying input with a rule. */
static int link_chains(ctx *c, int chains)
{
    const pl_problem *P = c->P;
    int32_t *pred = malloc(sizeof(int32_t) * (size_t)(P->nb ? P->nb : 1));
    if (!pred) return -1;
    for (int32_t i = 0; i < P->nb; i++) {
        c->next[i] = -1;
        c->rel[i] = 0;
        pred[i] = -1;
    }
    if (chains) {
        for (int32_t k = 0; k < P->nr; k++) {
            const pl_rule *r = &P->r[k];
            if (pred[r->out] < 0 || P->b[r->in].size > P->b[pred[r->out]].size) pred[r->out] = r->in;
        }
        for (int32_t i = 0; i < P->nb; i++)
            if (pred[i] >= 0) c->next[pred[i]] = i;
    }
    c->ng = 0;
    for (int32_t i = 0; i < P->nb; i++) {
        if (pred[i] >= 0) continue; /* not a head */
        group *g = &c->g[c->ng++];
        g->head = i;
        g->first = INT32_MAX;
        g->last = -1;
        int64_t lo = 0, r = 0;
        for (int32_t j = i; j >= 0; j = c->next[j]) {
            if (j != i) r -= chain_gap(P->r[P->b[pred[j]].in_rule].shift);
            c->rel[j] = r;
            if (r < lo) lo = r;
        }
        int64_t hi = 0;
        for (int32_t j = i; j >= 0; j = c->next[j]) {
            c->rel[j] -= lo;
            if (c->rel[j] + (int64_t)P->b[j].size > hi) hi = c->rel[j] + (int64_t)P->b[j].size;
            if (P->b[j].first < g->first) g->first = P->b[j].first;
            if (P->b[j].last > g->last) g->last = P->b[j].last;
        }
        g->extent = (size_t)hi;
    }
    free(pred);
    return 0;
}

static int fits(const ctx *c, const group *g, int64_t base)
{
    for (int32_t m = g->head; m >= 0; m = c->next[m])
        for (int32_t k = 0; k < c->np; k++) {
            int32_t j = c->placed[k];
            if (!pl_compatible(c->P, m, base + c->rel[m], j, (int64_t)c->off[j])) return 0;
        }
    return 1;
}

/* Lowest feasible base: 0, or where a member just clears a placed buffer,
 * or sits exactly where an in-place rule lets it overlap one. */
static int64_t place_group(ctx *c, const group *g)
{
    const pl_problem *P = c->P;
    size_t need = 1, nc = 0;
    for (int32_t m = g->head; m >= 0; m = c->next[m]) need += 3 * (size_t)c->np;
    if (need > c->ncand) {
        int64_t *nb = realloc(c->cand, sizeof(int64_t) * need);
        if (!nb) return -2;
        c->cand = nb;
        c->ncand = need;
    }
    c->cand[nc++] = 0;
    for (int32_t m = g->head; m >= 0; m = c->next[m]) {
        for (int32_t k = 0; k < c->np; k++) {
            int32_t j = c->placed[k];
            if (!pl_live_overlap(&P->b[m], &P->b[j])) continue;
            int64_t oj = (int64_t)c->off[j], at[3];
            int na = 0;
            at[na++] = align_up(oj + (int64_t)P->b[j].size);
            if (P->b[j].in_rule >= 0 && P->r[P->b[j].in_rule].out == m)
                at[na++] = align_down(oj - P->r[P->b[j].in_rule].shift);
            if (P->b[m].in_rule >= 0 && P->r[P->b[m].in_rule].out == j)
                at[na++] = align_up(oj + P->r[P->b[m].in_rule].shift);
            for (int a = 0; a < na; a++)
                if (at[a] - c->rel[m] >= 0) c->cand[nc++] = at[a] - c->rel[m];
        }
    }
    qsort(c->cand, (size_t)nc, sizeof(int64_t), cmp_i64);
    for (size_t k = 0; k < nc; k++) {
        if (k && c->cand[k] == c->cand[k - 1]) continue;
        if (fits(c, g, c->cand[k])) return c->cand[k];
    }
    return -1; /* unreachable: clearing every placed buffer always fits */
}

size_t pl_place(const pl_problem *P, int strategy, size_t *off)
{
    ctx c = {.P = P, .off = off};
    size_t nb = (size_t)(P->nb ? P->nb : 1);
    c.next = malloc(sizeof(int32_t) * nb);
    c.rel = malloc(sizeof(int64_t) * nb);
    c.g = malloc(sizeof(group) * nb);
    c.placed = malloc(sizeof(int32_t) * nb);
    size_t high = (size_t)-1;
    if (!c.next || !c.rel || !c.g || !c.placed) goto out;
    if (strategy < 0 || strategy >= PL_N_STRATEGIES) goto out;
    if (link_chains(&c, strategies[strategy].chains) != 0) goto out;
    for (int32_t k = 0; k < c.ng; k++) c.g[k].key = strategies[strategy].key;
    qsort(c.g, (size_t)c.ng, sizeof(group), cmp_group);
    high = 0;
    for (int32_t k = 0; k < c.ng; k++) {
        int64_t base = place_group(&c, &c.g[k]);
        if (base < 0) {
            high = (size_t)-1;
            goto out;
        }
        for (int32_t m = c.g[k].head; m >= 0; m = c.next[m]) {
            off[m] = (size_t)(base + c.rel[m]);
            c.placed[c.np++] = m;
            if (off[m] + P->b[m].size > high) high = off[m] + P->b[m].size;
        }
    }
    high = pl_align(high);
out:
    free(c.next);
    free(c.rel);
    free(c.g);
    free(c.placed);
    free(c.cand);
    return high;
}
