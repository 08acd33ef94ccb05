/* Per-layer kernel choice (kernel_choice.h). Greedy: each round tries every
 * layer whose scratch reaches the arena's peak on its reference kernel, alone
 * and all together (a full prepare and plan, so the arena is exact, not
 * estimated), keeps the best accepted trade, and stops when none is
 * accepted. A model has few such layers and each try takes milliseconds. */
#include "driver/kernel_choice.h"

#include "backend/compiled.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mote_optimize_parse(const char *s, mote_optimize *o)
{
    if (!strcmp(s, "balanced")) *o = MOTE_OPTIMIZE_BALANCED;
    else if (!strcmp(s, "speed")) *o = MOTE_OPTIMIZE_SPEED;
    else if (!strcmp(s, "memory")) *o = MOTE_OPTIMIZE_MEMORY;
    else return -1;
    return 0;
}

const char *mote_optimize_name(mote_optimize o)
{
    switch (o) {
    case MOTE_OPTIMIZE_SPEED: return "speed";
    case MOTE_OPTIMIZE_MEMORY: return "memory";
    default: return "balanced";
    }
}

typedef struct {
    mote_host_model *hm;
    double arena, insns;
    uint8_t *known; /* per IR op: its kernel has a cost figure of its own (not the fallback) */
    int guessed;    /* the move to this trial changes a layer without one (try_move) */
} trial;

static void trial_free(trial *t)
{
    mote_host_model_free(t->hm);
    free(t->known);
    t->hm = NULL;
    t->known = NULL;
}

static int load(trial *t, const char *path, uint32_t isa, const uint8_t *ref, const mote_cost_model *cm, char *err,
                size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->hm = mote_host_model_load_choice(path, isa, ref, err, errlen);
    if (!t->hm) return -1;
    /* The device's arena: activations, scratch and kernel state (parameter
     * blocks, which the host keeps in its arena too, stay in flash there). */
    mote_compiled_sizes sz;
    mote_compiled_sizes_of(t->hm, &sz);
    t->arena = (double)(sz.plan_bytes + sz.state_bytes);
    if (!cm) return 0;
    const int32_t nn = t->hm->m.n_nodes;
    mote_cost_node *per = calloc((size_t)nn + 1, sizeof *per);
    t->known = calloc((size_t)t->hm->g->n_ops + 1, 1);
    if (!per || !t->known) {
        free(per);
        trial_free(t);
        return -1;
    }
    t->insns = mote_cost_estimate(cm, &t->hm->m, per);
    for (int32_t k = 0; k < nn; k++) t->known[t->hm->plan.order[k]] = (uint8_t)per[k].known;
    free(per);
    return 0;
}

/* How much better than nothing a trade is (> 0: accepted). Memory takes any
 * saving, the biggest first; balanced weighs the saving against the rate. */
static double score(mote_optimize o, const trial *cur, const trial *t)
{
    const double saved = (cur->arena - t->arena) / cur->arena;
    const double added = cur->insns > 0 ? (t->insns - cur->insns) / cur->insns : 0;
    if (saved <= 0) return 0;
    if (o == MOTE_OPTIMIZE_MEMORY) return saved;
    if (t->guessed) return 0; /* no trade on the fallback figure: it can be several times off either way */
    return saved - MOTE_BALANCED_RATE * (added > 0 ? added : 0);
}

/* The step's buffers reach the top of the arena. */
static int at_peak(const mote_host_model *hm, int32_t s)
{
    return hm->plan.high_water[s] + MOTE_PLAN_ALIGN > hm->plan.arena_bytes;
}

typedef struct {
    const char *path;
    uint32_t isa;
    mote_optimize o;
    const mote_cost_model *cm;
    int32_t n_ops;
    uint8_t *fast;  /* per op: its fast kernel differs from the reference one */
    uint8_t *ref;   /* per op: the current choice */
    uint8_t *try;   /* a move being tried */
    uint8_t *keep;  /* the best move so far */
    trial cur, best;
    double best_score;
} search;

/* Try the choice in s->try; keep it if it beats the best move so far. */
static void try_move(search *s, int memory_tie)
{
    trial t;
    char ignored[256];
    if (load(&t, s->path, s->isa, s->try, s->cm, ignored, sizeof ignored) != 0)
        return; /* the reference kernel refuses what the fast one took: keep that one */
    for (int32_t op = 0; op < s->n_ops && s->cm; op++)
        t.guessed |= s->try[op] != s->ref[op] && !(t.known[op] && s->cur.known[op]);
    double sc = score(s->o, &s->cur, &t);
    if (memory_tie && t.arena <= s->cur.arena && t.insns < s->cur.insns) sc = s->cur.insns - t.insns;
    if (sc > s->best_score) {
        trial_free(&s->best);
        s->best = t, s->best_score = sc;
        memcpy(s->keep, s->try, (size_t)s->n_ops);
    } else {
        trial_free(&t);
    }
}

/* Take the best move of this round, if any. */
static int take_best(search *s)
{
    if (!s->best.hm) return 0;
    memcpy(s->ref, s->keep, (size_t)s->n_ops);
    trial_free(&s->cur);
    s->cur = s->best;
    memset(&s->best, 0, sizeof s->best);
    s->best_score = 0;
    return 1;
}

/* One round of moves towards less memory: every fast layer at the peak
 * alone, all of them at once (when several share the peak none alone lowers
 * it), and for memory every fast layer at once. */
static int round_down(search *s)
{
    const mote_host_model *hm = s->cur.hm;
    int32_t n_peak = 0;
    for (int32_t k = 0; k < hm->m.n_nodes; k++) {
        const int32_t op = hm->plan.order[k];
        if (s->ref[op] || !s->fast[op] || !at_peak(hm, k)) continue;
        memcpy(s->try, s->ref, (size_t)s->n_ops);
        s->try[op] = 1;
        n_peak++;
        try_move(s, 0);
    }
    if (n_peak > 1) {
        memcpy(s->try, s->ref, (size_t)s->n_ops);
        for (int32_t k = 0; k < hm->m.n_nodes; k++)
            if (s->fast[hm->plan.order[k]] && at_peak(hm, k)) s->try[hm->plan.order[k]] = 1;
        try_move(s, 0);
    }
    if (s->o == MOTE_OPTIMIZE_MEMORY) {
        for (int32_t op = 0; op < s->n_ops; op++) s->try[op] = s->ref[op] | s->fast[op];
        if (memcmp(s->try, s->ref, (size_t)s->n_ops)) try_move(s, 0);
    }
    return take_best(s);
}

/* Memory: give layers back their fast kernels where the arena stays. */
static void give_back(search *s)
{
    for (int32_t op = 0; op < s->n_ops; op++) {
        if (!s->ref[op]) continue;
        memcpy(s->try, s->ref, (size_t)s->n_ops);
        s->try[op] = 0;
        try_move(s, 1);
        take_best(s);
    }
}

mote_host_model *mote_kernel_choice_load(const char *path, uint32_t isa, mote_optimize o, const mote_cost_model *cm,
                                         char *err, size_t errlen)
{
    search s = {.path = path, .isa = isa, .o = o, .cm = cm};
    if (errlen) err[0] = 0;
    if (load(&s.cur, path, isa, NULL, cm, err, errlen) != 0) return NULL;
    if (o == MOTE_OPTIMIZE_SPEED || (o == MOTE_OPTIMIZE_BALANCED && !cm) || (isa & MOTE_ISA_REFERENCE)) {
        free(s.cur.known);
        return s.cur.hm;
    }
    s.n_ops = s.cur.hm->g->n_ops;
    const size_t n = (size_t)(s.n_ops ? s.n_ops : 1);
    s.fast = calloc(n, 1), s.ref = calloc(n, 1), s.try = calloc(n, 1), s.keep = calloc(n, 1);
    mote_host_model *ref_hm = mote_host_model_load_isa(path, MOTE_ISA_REFERENCE, err, errlen);
    if (!s.fast || !s.ref || !s.try || !s.keep || !ref_hm) {
        if (!ref_hm) trial_free(&s.cur); /* err says why */
        goto out;
    }
    /* Which layers have a fast kernel to give up (both models in file order). */
    for (int32_t k = 0; k < s.cur.hm->m.n_nodes; k++)
        s.fast[s.cur.hm->plan.order[k]] = (uint8_t)s.cur.hm->m.nodes[k].kernel;
    for (int32_t k = 0; k < ref_hm->m.n_nodes; k++) {
        const int32_t op = ref_hm->plan.order[k];
        s.fast[op] = s.fast[op] != ref_hm->m.nodes[k].kernel;
    }
    while (round_down(&s)) {
    }
    if (o == MOTE_OPTIMIZE_MEMORY) give_back(&s);
out:
    mote_host_model_free(ref_hm);
    free(s.fast), free(s.ref), free(s.try), free(s.keep);
    if (!s.cur.hm && !err[0]) snprintf(err, errlen, "%s: out of memory", path);
    free(s.cur.known);
    return s.cur.hm;
}
