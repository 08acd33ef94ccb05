/* Unstructured magnitude pruning with a mask held through fine-tuning (mote/prune.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/prune.h"

int tr_unstructured_init(tr_unstructured *u, const tr_model *m, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    const int np = tr_model_num_params(m);
    u->param = malloc(sizeof(int) * ((size_t)np + 1));
    u->pruned = calloc((size_t)np + 1, sizeof *u->pruned);
    u->size = calloc((size_t)np + 1, sizeof *u->size);
    u->n_pruned = calloc((size_t)np + 1, sizeof *u->n_pruned);
    if (!u->param || !u->pruned || !u->size || !u->n_pruned) goto oom;
    for (int i = 0; i < np; i++) {
        tr_param_info pi;
        tr_node_info ni;
        if (tr_model_param(m, i, &pi) || pi.role != TR_PARAM_FILTERS || !pi.trainable || pi.unused || !pi.size ||
            tr_model_node(m, pi.node, &ni) || (ni.op != TR_OP_CONV2D && ni.op != TR_OP_DENSE))
            continue;
        const int k = u->n_layers;
        if (!(u->pruned[k] = calloc(pi.size, 1))) goto oom;
        u->param[k] = i;
        u->size[k] = pi.size;
        u->n_layers++;
    }
    if (u->n_layers) return 0;
    snprintf(err, errlen, "no convolution or dense layer to prune");
    tr_unstructured_free(u);
    return -1;
oom:
    snprintf(err, errlen, "out of memory");
    tr_unstructured_free(u);
    return -1;
}

void tr_unstructured_free(tr_unstructured *u)
{
    for (int k = 0; u->pruned && k < u->n_layers; k++) free(u->pruned[k]);
    free(u->pruned);
    free(u->param);
    free(u->size);
    free(u->n_pruned);
    memset(u, 0, sizeof *u);
}

typedef struct {
    float mag;
    size_t i;
} ranked;

static int by_magnitude(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->mag != y->mag) return x->mag < y->mag ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

void tr_unstructured_prune(tr_unstructured *u, tr_model *m, double sparsity)
{
    if (!(sparsity > 0)) return;
    for (int k = 0; k < u->n_layers; k++) {
        tr_param_info pi;
        if (tr_model_param(m, u->param[k], &pi)) continue;
        const size_t want = (size_t)llround(sparsity * (double)u->size[k]);
        if (want <= u->n_pruned[k]) continue;
        ranked *r = malloc(sizeof *r * (u->size[k] - u->n_pruned[k]));
        if (!r) continue; /* out of memory: this layer stays as it is this time */
        size_t n = 0;
        for (size_t i = 0; i < u->size[k]; i++)
            if (!u->pruned[k][i]) r[n++] = (ranked){fabsf(pi.data[i]), i};
        qsort(r, n, sizeof *r, by_magnitude);
        for (size_t j = 0; j < want - u->n_pruned[k] && j < n; j++) u->pruned[k][r[j].i] = 1, pi.data[r[j].i] = 0;
        u->n_pruned[k] = want < u->n_pruned[k] + n ? want : u->n_pruned[k] + n;
        free(r);
    }
}

void tr_unstructured_apply(const tr_unstructured *u, tr_model *m)
{
    for (int k = 0; k < u->n_layers; k++) {
        tr_param_info pi;
        if (tr_model_param(m, u->param[k], &pi)) continue;
        for (size_t i = 0; i < u->size[k]; i++)
            if (u->pruned[k][i]) pi.data[i] = 0;
    }
}

double tr_unstructured_schedule(double s, long step, long begin, long end)
{
    if (step < begin) return 0;
    if (step >= end || end <= begin) return s;
    const double t = (double)(step - begin) / (double)(end - begin);
    return s * (1 - (1 - t) * (1 - t) * (1 - t));
}

double tr_unstructured_layer_sparsity(const tr_unstructured *u, const tr_model *m, int k)
{
    tr_param_info pi;
    if (k < 0 || k >= u->n_layers || tr_model_param(m, u->param[k], &pi) || !pi.size) return 0;
    size_t z = 0;
    for (size_t i = 0; i < pi.size; i++) z += pi.data[i] == 0.0f;
    return (double)z / (double)pi.size;
}
