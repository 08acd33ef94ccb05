/* Structured pruning (mote/prune.h): channel groups, their importance, and the pruned model rebuilt with
 * the kept channels' weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/prune.h"

typedef struct {
    const tr_model *m;
    int n;
    tr_node_info *info;
    int *parent;            /* union-find over provisional groups (one per producing node) */
    const char **why;       /* per provisional group: why it cannot be pruned, or NULL */
    int *prov;              /* per node: provisional group of its last dimension, -1 */
    int *flat;              /* per node: provisional group flattened into its elements, -1 */
} an;

static int root(an *a, int g)
{
    while (a->parent[g] != g) g = a->parent[g] = a->parent[a->parent[g]];
    return g;
}

static void block(an *a, int g, const char *why)
{
    if (g >= 0 && !a->why[root(a, g)]) a->why[root(a, g)] = why;
}

static void unite(an *a, int x, int y)
{
    x = root(a, x), y = root(a, y);
    if (x == y) return;
    a->parent[y] = x;
    if (!a->why[x]) a->why[x] = a->why[y];
}

static int passes_channels(tr_op op)
{
    return op == TR_OP_RELU || op == TR_OP_RELU6 || op == TR_OP_DROPOUT || op == TR_OP_IDENTITY ||
           op == TR_OP_BATCHNORM || op == TR_OP_AVG_POOL || op == TR_OP_MAX_POOL || op == TR_OP_GLOBAL_AVG_POOL;
}

/* Element-wise ops a flattened group may pass through on its way to a dense layer. */
static int passes_flat(tr_op op) { return op == TR_OP_RELU || op == TR_OP_RELU6 || op == TR_OP_DROPOUT || op == TR_OP_IDENTITY; }

static int last_dim(tr_shape s) { return s.dims[s.rank - 1]; }

static void follow(an *a, int i)
{
    const tr_node_info *nd = &a->info[i];
    const int in = nd->n_inputs ? nd->inputs[0] : -1;
    const int gin = in >= 0 ? a->prov[in] : -1, fin = in >= 0 ? a->flat[in] : -1;
    /* a flattened group may only reach dense layers, through element-wise ops */
    for (int k = 0; k < nd->n_inputs; k++) {
        int f = a->flat[nd->inputs[k]];
        if (f >= 0 && nd->op != TR_OP_DENSE && !passes_flat(nd->op) && nd->op != TR_OP_RESHAPE)
            block(a, f, "its flattened channels reach a layer other than a dense one");
    }
    switch (nd->op) {
    case TR_OP_CONV2D:
    case TR_OP_DENSE:
        a->prov[i] = i; /* a new group: this layer's outputs */
        break;
    case TR_OP_DEPTHWISE_CONV2D:
        if (nd->depth_multiplier == 1) a->prov[i] = gin;
        else block(a, gin, "a depthwise convolution with multiplier > 1 reads it");
        break;
    case TR_OP_ADD: {
        int b = a->prov[nd->inputs[1]];
        if (gin >= 0 && b >= 0) unite(a, gin, b);
        else block(a, gin >= 0 ? gin : b, "a residual ADD joins it to channels that cannot be pruned");
        if (a->flat[nd->inputs[1]] >= 0 || fin >= 0) block(a, fin >= 0 ? fin : a->flat[nd->inputs[1]], "ADD of a flattened group");
        a->prov[i] = gin >= 0 ? gin : b;
        break;
    }
    case TR_OP_RESHAPE:
        if (gin >= 0 && last_dim(nd->shape) == last_dim(a->info[in].shape) && nd->shape.rank > 1) a->prov[i] = gin;
        else if (gin >= 0 && nd->shape.rank == 1) a->flat[i] = gin;
        else if (fin >= 0 && nd->shape.rank == 1) a->flat[i] = fin;
        else block(a, gin >= 0 ? gin : fin, "a reshape mixes its channels with other dimensions");
        break;
    default:
        if (passes_channels(nd->op)) {
            a->prov[i] = gin;
            if (passes_flat(nd->op)) a->flat[i] = fin;
            else if (fin >= 0) block(a, fin, "a layer other than a dense one reads it flattened");
        }
        break;
    }
}

void tr_prune_plan_free(tr_prune_plan *p)
{
    for (int g = 0; p->groups && g < p->n_groups; g++) free(p->groups[g].importance);
    free(p->groups);
    free(p->group_of);
    free(p->flat_of);
    memset(p, 0, sizeof *p);
}

/* Adds producer node i's normalised filter L1 norms to importance. */
static void add_importance(const tr_model *m, const tr_node_info *nd, double *importance, int channels)
{
    tr_param_info w;
    if (nd->n_params < 1 || tr_model_param(m, nd->params[0], &w) || w.dims[0] != channels) return;
    size_t row = w.size / (size_t)channels;
    double mean = 0.0;
    double *l1 = calloc((size_t)channels, sizeof(double));
    if (!l1) return;
    for (int c = 0; c < channels; c++) {
        for (size_t k = 0; k < row; k++) l1[c] += fabs(w.data[(size_t)c * row + k]);
        mean += l1[c] / channels;
    }
    for (int c = 0; c < channels; c++) importance[c] += mean > 0.0 ? l1[c] / mean : 0.0;
    free(l1);
}

int tr_prune_analyse(const tr_model *m, tr_prune_plan *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    an a = {.m = m, .n = tr_model_num_nodes(m)};
    int ok = a.n > 0 && tr_model_is_initialized(m);
    if (!ok) snprintf(err, errlen, "prune: the model is empty or not initialised");
    a.info = calloc((size_t)a.n + 1, sizeof *a.info);
    a.parent = malloc(sizeof(int) * ((size_t)a.n + 1));
    a.why = calloc((size_t)a.n + 1, sizeof *a.why);
    a.prov = malloc(sizeof(int) * ((size_t)a.n + 1));
    a.flat = malloc(sizeof(int) * ((size_t)a.n + 1));
    int *final = malloc(sizeof(int) * ((size_t)a.n + 1));
    plan->group_of = malloc(sizeof(int) * ((size_t)a.n + 1));
    plan->flat_of = malloc(sizeof(int) * ((size_t)a.n + 1));
    plan->groups = calloc((size_t)a.n + 1, sizeof *plan->groups);
    if (ok && (!a.info || !a.parent || !a.why || !a.prov || !a.flat || !final || !plan->group_of || !plan->flat_of ||
               !plan->groups)) {
        snprintf(err, errlen, "prune: out of memory");
        ok = 0;
    }
    for (int i = 0; ok && i < a.n; i++) {
        if (tr_model_node(m, i, &a.info[i])) ok = 0, snprintf(err, errlen, "prune: node %d cannot be read", i);
        a.parent[i] = i;
        a.prov[i] = a.flat[i] = final[i] = -1;
    }
    for (int i = 0; ok && i < a.n; i++) follow(&a, i);
    if (ok) {
        int out = tr_model_output(m);
        block(&a, a.prov[out], "it is the model's output (the logits)");
        block(&a, a.flat[out], "it is the model's output (the logits)");
    }
    for (int i = 0; ok && i < a.n; i++) { /* number the groups by their roots, in node order */
        if (a.prov[i] < 0 || a.prov[i] != i) continue;
        int r = root(&a, i);
        if (final[r] < 0) {
            tr_prune_group *g = &plan->groups[plan->n_groups];
            final[r] = plan->n_groups++;
            g->channels = last_dim(a.info[i].shape);
            g->name = a.info[i].name;
            g->prunable = a.why[r] == NULL;
            g->why = a.why[r];
            if (!(g->importance = calloc((size_t)g->channels, sizeof(double)))) ok = 0;
        }
        tr_prune_group *g = &plan->groups[final[r]];
        g->n_producers++;
        add_importance(m, &a.info[i], g->importance, g->channels);
    }
    for (int i = 0; ok && i < a.n; i++) {
        plan->group_of[i] = a.prov[i] >= 0 ? final[root(&a, a.prov[i])] : -1;
        plan->flat_of[i] = a.flat[i] >= 0 ? final[root(&a, a.flat[i])] : -1;
    }
    free(a.info);
    free(a.parent);
    free(a.why);
    free(a.prov);
    free(a.flat);
    free(final);
    if (!ok) tr_prune_plan_free(plan);
    return ok ? 0 : -1;
}

static int alloc_choice(const tr_prune_plan *p, tr_prune_choice *c)
{
    c->keep = calloc((size_t)p->n_groups + 1, sizeof(int *));
    c->kept = calloc((size_t)p->n_groups + 1, sizeof(int));
    return c->keep && c->kept ? 0 : -1;
}

void tr_prune_choice_free(const tr_prune_plan *p, tr_prune_choice *c)
{
    for (int g = 0; c->keep && g < p->n_groups; g++) free(c->keep[g]);
    free(c->keep);
    free(c->kept);
    c->keep = NULL;
    c->kept = NULL;
}

/* The k most important of the channels in `from` (n of them; NULL: 0..n-1), in ascending order.
 * Insertion sorts: a group has at most a few hundred channels. */
static int *top(const tr_prune_group *g, const int *from, int n, int k)
{
    int *idx = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!idx) return NULL;
    for (int i = 0; i < n; i++) {
        int c = from ? from[i] : i, j = i;
        /* most important first; among equals the lower index */
        while (j > 0 && (g->importance[idx[j - 1]] < g->importance[c] ||
                         (g->importance[idx[j - 1]] == g->importance[c] && idx[j - 1] > c))) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = c;
    }
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    return idx;
}

int tr_prune_choose_counts(const tr_prune_plan *p, const int *counts, tr_prune_choice *c)
{
    if (alloc_choice(p, c)) return -1;
    for (int g = 0; g < p->n_groups; g++) {
        const tr_prune_group *gr = &p->groups[g];
        int k = gr->prunable ? counts[g] : gr->channels;
        k = k < 1 ? 1 : k > gr->channels ? gr->channels : k;
        if (!(c->keep[g] = top(gr, NULL, gr->channels, k))) return -1;
        c->kept[g] = k;
    }
    return 0;
}

int tr_prune_choose_ratio(const tr_prune_plan *p, double ratio, tr_prune_choice *c)
{
    int *counts = malloc(sizeof(int) * ((size_t)p->n_groups + 1));
    if (!counts) return -1;
    for (int g = 0; g < p->n_groups; g++) counts[g] = (int)lround(p->groups[g].channels * (1.0 - ratio));
    int r = tr_prune_choose_counts(p, counts, c);
    free(counts);
    return r;
}

int tr_prune_choose_less(const tr_prune_plan *p, const tr_prune_choice *from, int g, int step, tr_prune_choice *c)
{
    if (alloc_choice(p, c)) return -1;
    for (int h = 0; h < p->n_groups; h++) {
        int k = from->kept[h];
        if (h == g && p->groups[h].prunable) k = k - step < 1 ? 1 : k - step;
        if (!(c->keep[h] = top(&p->groups[h], from->keep[h], from->kept[h], k))) return -1;
        c->kept[h] = k;
    }
    return 0;
}
