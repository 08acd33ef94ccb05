/* Element-wise layers: ReLU, ReLU6, dropout, copies (reshape, folded batch norm) and add. */
#include <string.h>

#include "internal.h"
#include "rng.h"

static size_t span(const tr_node *nd, int n0, int n1, size_t *start)
{
    *start = (size_t)n0 * nd->size;
    return (size_t)(n1 - n0) * nd->size;
}

static void relu_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    const float *x = e->act[nd->in[0]] + a;
    float *y = e->act[nd - m->nodes] + a;
    float hi = nd->op == TR_OP_RELU6 ? 6.0f : 0.0f;
    if (nd->op == TR_OP_RELU6)
        for (size_t i = 0; i < len; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i] > hi ? hi : x[i];
    else
        for (size_t i = 0; i < len; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

/* The gradient passes where the input is strictly inside the linear part. */
static void relu_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    size_t a, len = span(nd, n0, n1, &a);
    const float *x = e->act[nd->in[0]] + a, *dy = e->dact[nd - m->nodes] + a;
    dx += a;
    if (nd->op == TR_OP_RELU6)
        for (size_t i = 0; i < len; i++) dx[i] += x[i] > 0.0f && x[i] < 6.0f ? dy[i] : 0.0f;
    else
        for (size_t i = 0; i < len; i++) dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
}

/* Keep-or-drop of element i of sample s: a hash of (key, node, s, i), so masks do not depend on
 * threads and the backward pass regenerates the forward's mask. */
static float keep_scale(const tr_model *m, const tr_exec *e, const tr_node *nd, int s, size_t i)
{
    uint64_t h = tr_mix64(e->dropout_key ^ ((uint64_t)(nd - m->nodes) << 40));
    h = tr_mix64(h + (uint64_t)s);
    return tr_u64_to_unit(tr_mix64(h + i)) < nd->rate ? 0.0f : 1.0f / (1.0f - nd->rate);
}

static void drop_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    const float *x = e->act[nd->in[0]] + a;
    float *y = e->act[nd - m->nodes] + a;
    if (!e->training || nd->rate == 0.0f) {
        memcpy(y, x, len * sizeof *y);
        return;
    }
    for (int s = n0; s < n1; s++)
        for (size_t i = 0; i < nd->size; i++) {
            size_t at = (size_t)(s - n0) * nd->size + i;
            y[at] = x[at] * keep_scale(m, e, nd, s, i);
        }
}

static void drop_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    size_t a, len = span(nd, n0, n1, &a);
    const float *dy = e->dact[nd - m->nodes] + a;
    dx += a;
    if (nd->rate == 0.0f) {
        for (size_t i = 0; i < len; i++) dx[i] += dy[i];
        return;
    }
    for (int s = n0; s < n1; s++)
        for (size_t i = 0; i < nd->size; i++) {
            size_t at = (size_t)(s - n0) * nd->size + i;
            dx[at] += dy[at] * keep_scale(m, e, nd, s, i);
        }
}

static void copy_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    memcpy(e->act[nd - m->nodes] + a, e->act[nd->in[0]] + a, len * sizeof(float));
}

static void copy_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    const float *dy = e->dact[nd - m->nodes] + a;
    for (int k = 0; k < nd->n_in; k++) {
        float *dx = tr_dx(m, e, nd, k);
        if (!dx) continue;
        dx += a;
        for (size_t i = 0; i < len; i++) dx[i] += dy[i];
    }
}

static void add_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    const float *x0 = e->act[nd->in[0]] + a, *x1 = e->act[nd->in[1]] + a;
    float *y = e->act[nd - m->nodes] + a;
    for (size_t i = 0; i < len; i++) y[i] = x0[i] + x1[i];
}

#define SHARDED(name, fwd, bwd)                                                                                  \
    static void name##_forward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, fwd); } \
    static void name##_backward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, bwd); }

SHARDED(relu, relu_fwd, relu_bwd)
SHARDED(drop, drop_fwd, drop_bwd)
SHARDED(copy, copy_fwd, copy_bwd)
SHARDED(add, add_fwd, copy_bwd)

const tr_op_impl tr_impl_relu = {relu_forward, relu_backward, NULL};
const tr_op_impl tr_impl_relu6 = {relu_forward, relu_backward, NULL};
const tr_op_impl tr_impl_dropout = {drop_forward, drop_backward, NULL};
const tr_op_impl tr_impl_copy = {copy_forward, copy_backward, NULL};
const tr_op_impl tr_impl_add = {add_forward, add_backward, NULL};
