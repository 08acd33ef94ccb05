/* tr_prune_apply (mote/prune.h): the model rebuilt node by node with the kept channels, then every
 * parameter copied from the original with the pruned rows and columns left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/prune.h"

typedef struct {
    const tr_model *m;
    const tr_prune_plan *p;
    const tr_prune_choice *c;
    tr_node_info *info;
    int *map;            /* original node -> new node */
    uint8_t **mask;      /* per original node: kept channels of its group (over the original count), or NULL */
    int *mask_c;         /* that count: the group's channels (for a flatten, before flattening) */
} ap;

static int last_dim(tr_shape s) { return s.dims[s.rank - 1]; }

/* The kept channel count of node i's last dimension. */
static int kept_last(const ap *a, int i)
{
    int g = a->p->group_of[i];
    return g >= 0 ? a->c->kept[g] : last_dim(a->info[i].shape);
}

static int add_node(ap *a, tr_model *nm, int i)
{
    const tr_node_info *nd = &a->info[i];
    int in = nd->n_inputs ? a->map[nd->inputs[0]] : -1;
    tr_padding pad = nd->padding;
    switch (nd->op) {
    case TR_OP_INPUT:
        return tr_model_add_input(nm, nd->shape, nd->name);
    case TR_OP_CONV2D:
        if (a->info[nd->inputs[0]].shape.rank == 2) /* 1-D: CONV_2D with kh = 1 on [W, C] */
            return tr_model_add_conv1d(nm, in, kept_last(a, i), nd->kw, nd->stride_w, pad, nd->name);
        return tr_model_add_conv2d(nm, in, kept_last(a, i), nd->kh, nd->kw, nd->stride_h, nd->stride_w, pad, nd->name);
    case TR_OP_DENSE:
        return tr_model_add_dense(nm, in, kept_last(a, i), nd->name);
    case TR_OP_DEPTHWISE_CONV2D:
        return tr_model_add_depthwise_conv2d(nm, in, nd->depth_multiplier, nd->kh, nd->kw, nd->stride_h, nd->stride_w,
                                             pad, nd->name);
    case TR_OP_AVG_POOL:
        return tr_model_add_avg_pool(nm, in, nd->kh, nd->kw, nd->stride_h, nd->stride_w, pad, nd->name);
    case TR_OP_MAX_POOL:
        return tr_model_add_max_pool(nm, in, nd->kh, nd->kw, nd->stride_h, nd->stride_w, pad, nd->name);
    case TR_OP_GLOBAL_AVG_POOL:
        return tr_model_add_global_avg_pool(nm, in, nd->name);
    case TR_OP_BATCHNORM:
        return tr_model_add_batchnorm(nm, in, nd->momentum, nd->epsilon, nd->name);
    case TR_OP_RELU:
        return tr_model_add_relu(nm, in, nd->name);
    case TR_OP_RELU6:
        return tr_model_add_relu6(nm, in, nd->name);
    case TR_OP_DROPOUT:
        return tr_model_add_dropout(nm, in, nd->rate, nd->name);
    case TR_OP_IDENTITY:
        return in; /* a folded batch norm: nothing to rebuild */
    case TR_OP_ADD:
        return tr_model_add_add(nm, in, a->map[nd->inputs[1]], nd->name);
    case TR_OP_RESHAPE: {
        tr_shape s = nd->shape;
        if (a->p->flat_of[i] >= 0) s.dims[0] = -1;              /* a flatten: whatever is left */
        else if (a->p->group_of[i] >= 0) s.dims[s.rank - 1] = kept_last(a, i);
        return tr_model_add_reshape(nm, in, s, nd->name);
    }
    }
    return -1;
}

/* Copies src (rank dims) into dst keeping, on each axis, the indices whose keep[axis] entry is set
 * (keep[axis] NULL: all; for axis `flat_axis`, index j is kept by keep[j % flat_c]). */
static void copy_kept(const float *src, const int *dims, int rank, uint8_t *const *keep, const int *keep_c, float *dst)
{
    size_t total = 1;
    for (int d = 0; d < rank; d++) total *= (size_t)dims[d];
    int idx[4] = {0, 0, 0, 0};
    for (size_t k = 0; k < total; k++) {
        int ok = 1;
        for (int d = 0; d < rank && ok; d++) ok = !keep[d] || keep[d][idx[d] % keep_c[d]];
        if (ok) *dst++ = src[k];
        for (int d = rank - 1; d >= 0; d--) { /* next multi-index, row-major */
            if (++idx[d] < dims[d]) break;
            idx[d] = 0;
        }
    }
}

/* The parameters of original node i into the new model's node. */
static int copy_params(ap *a, tr_model *nm, int i, char *err, size_t errlen)
{
    const tr_node_info *nd = &a->info[i];
    if (nd->op == TR_OP_IDENTITY || !nd->n_params) return 0;
    tr_node_info nn;
    if (tr_model_node(nm, a->map[i], &nn) || nn.n_params != nd->n_params) {
        snprintf(err, errlen, "prune: '%s' rebuilt with other parameters", nd->name);
        return -1;
    }
    const int in = nd->inputs[0];
    for (int k = 0; k < nd->n_params; k++) {
        tr_param_info s, d;
        tr_model_param(a->m, nd->params[k], &s);
        tr_model_param(nm, nn.params[k], &d);
        uint8_t *keep[4] = {NULL, NULL, NULL, NULL};
        int kc[4] = {1, 1, 1, 1};
        if (nd->op == TR_OP_CONV2D || nd->op == TR_OP_DENSE) {
            keep[0] = a->mask[i], kc[0] = a->mask_c[i];           /* output channels / units */
            if (k == 0) keep[s.rank - 1] = a->mask[in], kc[s.rank - 1] = a->mask_c[in]; /* their inputs */
        } else { /* depthwise (multiplier 1) and batch norm: the input's channels, on the last axis */
            keep[s.rank - 1] = a->mask[in], kc[s.rank - 1] = a->mask_c[in];
        }
        size_t expect = 1;
        int dims[4];
        for (int r = 0; r < s.rank; r++) {
            dims[r] = s.dims[r];
            size_t n = 0;
            for (int j = 0; j < dims[r]; j++) n += !keep[r] || keep[r][j % kc[r]];
            expect *= n;
        }
        if (expect != d.size) {
            snprintf(err, errlen, "prune: '%s': %zu values kept for a parameter of %zu", s.name, expect, d.size);
            return -1;
        }
        copy_kept(s.data, dims, s.rank, keep, kc, d.data);
    }
    return 0;
}

tr_model *tr_prune_apply(const tr_model *m, const tr_prune_plan *p, const tr_prune_choice *c, char *err, size_t errlen)
{
    ap a = {.m = m, .p = p, .c = c};
    int n = tr_model_num_nodes(m);
    tr_model *nm = tr_model_new();
    uint8_t **gmask = calloc((size_t)p->n_groups + 1, sizeof(uint8_t *));
    a.info = calloc((size_t)n + 1, sizeof *a.info);
    a.map = malloc(sizeof(int) * ((size_t)n + 1));
    a.mask = calloc((size_t)n + 1, sizeof(uint8_t *));
    a.mask_c = calloc((size_t)n + 1, sizeof(int));
    int ok = nm && gmask && a.info && a.map && a.mask && a.mask_c;
    if (!ok) snprintf(err, errlen, "prune: out of memory");
    for (int g = 0; ok && g < p->n_groups; g++) {
        if (!(gmask[g] = calloc((size_t)p->groups[g].channels, 1))) ok = 0;
        for (int j = 0; ok && j < c->kept[g]; j++) gmask[g][c->keep[g][j]] = 1;
    }
    for (int i = 0; ok && i < n; i++) {
        tr_model_node(m, i, &a.info[i]);
        int g = p->group_of[i] >= 0 ? p->group_of[i] : p->flat_of[i];
        if (g >= 0) a.mask[i] = gmask[g], a.mask_c[i] = p->groups[g].channels;
        else a.mask_c[i] = 1;
    }
    for (int i = 0; ok && i < n; i++)
        if ((a.map[i] = add_node(&a, nm, i)) < 0) {
            snprintf(err, errlen, "prune: rebuilding '%s': %s", a.info[i].name, tr_model_error(nm));
            ok = 0;
        }
    if (ok && (tr_model_set_output(nm, a.map[tr_model_output(m)]) || tr_model_init(nm, 1))) {
        snprintf(err, errlen, "prune: %s", tr_model_error(nm));
        ok = 0;
    }
    for (int i = 0; ok && i < n; i++) ok = !copy_params(&a, nm, i, err, errlen);
    for (int g = 0; gmask && g < p->n_groups; g++) free(gmask[g]);
    free(gmask);
    free(a.info);
    free(a.map);
    free(a.mask);
    free(a.mask_c);
    if (!ok) {
        tr_model_free(nm);
        return NULL;
    }
    return nm;
}
