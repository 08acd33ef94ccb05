/* Shared by the element-wise kernel tests: build tensors and run one node
 * through mote_prepare + mote_invoke with a static arena. Include after
 * <cmocka.h>: run_node asserts on the scratch size. */
#ifndef MOTE_TEST_NODE_HARNESS_H
#define MOTE_TEST_NODE_HARNESS_H

#include <string.h>

#include "mote/kernel.h"

static _Alignas(16) uint8_t arena[4096];
static _Alignas(16) uint8_t scratch[4096];

#define DIMS(...) ((const int32_t[]){__VA_ARGS__})
#define NDIMS(...) ((int)(sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t)))

/* A tensor of rank `rank`; q != NULL makes it per-tensor quantized. */
typedef struct {
    float scale;
    int32_t zero_point;
} qparam;

static inline void mk(mote_tensor *t, void *data, mote_dtype type, int rank, const int32_t *dims, const qparam *q)
{
    memset(t, 0, sizeof *t);
    t->data = data;
    t->type = (uint8_t)type;
    t->rank = (uint8_t)rank;
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        t->dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    t->bytes = n * mote_dtype_size(type);
    if (q) {
        t->q.scale = &q->scale;
        t->q.zero_point = &q->zero_point;
        t->q.n = 1;
    }
}

/* Prepare and (if ok) invoke one node: inputs t[0..n_in-1], output t[n_in]. */
static inline mote_status run_node(mote_op op, mote_tensor *t, int n_in, mote_opts o)
{
    static int32_t io[8];
    static mote_node node;
    static mote_model model;
    static mote_ctx ctx;
    for (int i = 0; i <= n_in; i++) io[i] = i;
    memset(&node, 0, sizeof node);
    node.op = (uint16_t)op;
    node.n_in = (uint16_t)n_in;
    node.n_out = 1;
    node.io = io;
    node.opts = o;
    memset(&model, 0, sizeof model);
    model.tensors = t;
    model.n_tensors = n_in + 1;
    model.nodes = &node;
    model.n_nodes = 1;
    mote_status s = mote_prepare(&model, &ctx, arena, sizeof arena);
    if (s != MOTE_OK) return s;
    assert_true(node.scratch_bytes <= sizeof scratch);
    node.scratch = scratch;
    mote_invoke(&model);
    return MOTE_OK;
}

static inline mote_opts no_opts(void)
{
    mote_opts o;
    memset(&o, 0, sizeof o);
    return o;
}

#endif
