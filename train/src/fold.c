/* Folding batch norm into the preceding convolution, depthwise convolution or dense layer:
 * with s = gamma / sqrt(var + eps) per output channel, filters' = filters * s, bias' = (bias - mean) * s + beta. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

static int consumers(const tr_model *m, int node)
{
    int n = 0;
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; k < m->nodes[i].n_in; k++) n += m->nodes[i].in[k] == node;
    return n;
}

static void fold_one(tr_model *m, tr_node *bn, tr_node *p)
{
    int c = bn->c;
    const float *gamma = tr_wp(m, bn, 0), *beta = tr_wp(m, bn, 1), *mean = tr_wp(m, bn, 2), *var = tr_wp(m, bn, 3);
    float *w = tr_wp(m, p, 0), *b = tr_wp(m, p, 1);
    size_t wsize = m->params[p->param[0]].size;
    for (int k = 0; k < c; k++) {
        double s = gamma[k] / sqrt((double)var[k] + bn->eps);
        b[k] = (float)(((double)b[k] - mean[k]) * s + beta[k]);
        if (p->op == TR_OP_DEPTHWISE_CONV2D) {
            for (size_t i = (size_t)k; i < wsize; i += (size_t)c) w[i] = (float)(w[i] * s);
        } else {  /* [out, ...]: one row per output channel */
            size_t row = wsize / (size_t)c;
            for (size_t i = 0; i < row; i++) w[(size_t)k * row + i] = (float)(w[(size_t)k * row + i] * s);
        }
    }
    for (int k = 0; k < bn->n_param; k++) m->params[bn->param[k]].unused = 1;
    bn->op = TR_OP_IDENTITY;
    bn->n_param = 0;
}

int tr_fold_batchnorm(tr_model *m)
{
    if (!m) return -1;
    int folded = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        tr_node *bn = &m->nodes[i];
        if (bn->op != TR_OP_BATCHNORM) continue;
        tr_node *p = &m->nodes[bn->in[0]];
        int foldable = p->op == TR_OP_CONV2D || p->op == TR_OP_DEPTHWISE_CONV2D || p->op == TR_OP_DENSE;
        if (!foldable || consumers(m, bn->in[0]) != 1 || bn->in[0] == tr_model_output(m)) continue;
        fold_one(m, bn, p);
        folded++;
    }
    if (folded) {
        tr_model_invalidate(m);
        free(m->g);
        m->g = NULL;
    }
    return folded;
}
