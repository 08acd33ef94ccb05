/* Element-wise layers: ReLU, ReLU6, dropout, copies (reshape, folded batch norm) and add. */
#include <string.h>

#include "internal.h"
#include "rng.h"

static size_t span(const tr_node *nd, int n0, int n1, size_t *start)
{
    *start = (size_t)n0 * nd->size;
    return (size_t)(n1 - n0) * nd->size;
}

TR_HOT static void relu_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    const float *restrict x = e->act[nd->in[0]] + a;
    float *restrict y = e->act[nd - m->nodes] + a;
    if (nd->op == TR_OP_RELU6)
        for (size_t i = 0; i < len; i++) {
            float v = x[i] > 0.0f ? x[i] : 0.0f;
            y[i] = v < 6.0f ? v : 6.0f;
        }
    else
        for (size_t i = 0; i < len; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* The gradient passes where the input is strictly inside the linear part. */
TR_HOT static void relu_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    size_t a, len = span(nd, n0, n1, &a);
    const float *restrict x = e->act[nd->in[0]] + a, *restrict dy = e->dact[nd - m->nodes] + a;
    float *restrict d = dx + a;
    if (nd->op == TR_OP_RELU6)
        for (size_t i = 0; i < len; i++) {
            float g = dy[i], v = x[i];  /* loaded unconditionally: the select needs no branch */
            d[i] += ((v > 0.0f) & (v < 6.0f)) ? g : 0.0f;
        }
    else
        for (size_t i = 0; i < len; i++) {
            float g = dy[i], v = x[i];
            d[i] += v > 0.0f ? g : 0.0f;
        }
}

/* Keep-or-drop of element i of sample s: a 32-bit integer hash (xor-shift-multiply, 2 rounds) of a
 * per-sample key plus i, the key a hash of (seed, step, node, s). Masks thus do not depend on threads,
 * the backward pass regenerates the forward's mask, and the loop vectorizes. An element is kept when
 * the hash's top 24 bits, as a fraction of 2^24, are >= rate. */
static uint32_t sample_key(const tr_model *m, const tr_exec *e, const tr_node *nd, int s)
{
    return (uint32_t)(tr_mix64(tr_mix64(e->dropout_key ^ ((uint64_t)(nd - m->nodes) << 40)) + (uint64_t)s) >> 32);
}

static inline uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    return x ^ (x >> 16);
}

/* 1.0f if element i is kept, else 0.0f; integer arithmetic only (no branch, so the loops vectorize):
 * both sides are below 2^24, so the sign of their difference is the comparison. */
static inline float keep(uint32_t key, uint32_t i, int32_t threshold)
{
    int32_t d = (int32_t)(hash32(key + i) >> 8) - threshold;
    return (float)(1 + (d >> 31));
}

/* mode 0: y = x / (1 - rate) * keep; mode 1: dx += dy / (1 - rate) * keep (keep: 0 or 1) */
TR_HOT static void drop_apply(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int mode)
{
    float scale = 1.0f / (1.0f - nd->rate);
    int32_t threshold = (int32_t)((double)nd->rate * 16777216.0);
    uint32_t n = (uint32_t)nd->size;
    for (int s = n0; s < n1; s++) {
        uint32_t key = sample_key(m, e, nd, s);
        size_t at = (size_t)s * nd->size;
        if (mode == 0) {
            const float *restrict x = e->act[nd->in[0]] + at;
            float *restrict y = e->act[nd - m->nodes] + at;
            for (uint32_t i = 0; i < n; i++) y[i] = x[i] * scale * keep(key, i, threshold);
        } else {
            const float *restrict dy = e->dact[nd - m->nodes] + at;
            float *restrict dx = tr_dx(m, e, nd, 0) + at;
            for (uint32_t i = 0; i < n; i++) dx[i] += dy[i] * scale * keep(key, i, threshold);
        }
    }
}

static void drop_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    if (!e->training || nd->rate == 0.0f) memcpy(e->act[nd - m->nodes] + a, e->act[nd->in[0]] + a, len * sizeof(float));
    else drop_apply(m, e, nd, n0, n1, 0);
}

static void drop_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    size_t a, len = span(nd, n0, n1, &a);
    if (nd->rate == 0.0f) {
        const float *restrict dy = e->dact[nd - m->nodes] + a;
        float *restrict d = dx + a;
        for (size_t i = 0; i < len; i++) d[i] += dy[i];
    } else {
        drop_apply(m, e, nd, n0, n1, 1);
    }
}

static void copy_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    memcpy(e->act[nd - m->nodes] + a, e->act[nd->in[0]] + a, len * sizeof(float));
}

TR_HOT static void copy_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    const float *restrict dy = e->dact[nd - m->nodes] + a;
    for (int k = 0; k < nd->n_in; k++) {
        float *dx = tr_dx(m, e, nd, k);
        if (!dx) continue;
        float *restrict d = dx + a;
        for (size_t i = 0; i < len; i++) d[i] += dy[i];
    }
}

TR_HOT static void add_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    size_t a, len = span(nd, n0, n1, &a);
    const float *restrict x0 = e->act[nd->in[0]] + a, *restrict x1 = e->act[nd->in[1]] + a;
    float *restrict y = e->act[nd - m->nodes] + a;
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
