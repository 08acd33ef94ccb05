/* mote runtime: what kernels and a running model need — dtype facts, prepare
 * helpers, reset and invoke. No reference to the op table, so a generated
 * package can link it with only the kernels its model uses. */
#include <string.h>

#include "mote/kernel.h"

static const uint8_t dtype_size[MOTE_DTYPE_COUNT] = {
    [MOTE_F32] = 4, [MOTE_I8] = 1, [MOTE_U8] = 1, [MOTE_I16] = 2, [MOTE_I32] = 4,
    [MOTE_I64] = 8, [MOTE_U32] = 4, [MOTE_U64] = 8, [MOTE_BOOL] = 1,
};
static const char *const dtype_name[MOTE_DTYPE_COUNT] = {
    [MOTE_F32] = "float32", [MOTE_I8] = "int8", [MOTE_U8] = "uint8", [MOTE_I16] = "int16",
    [MOTE_I32] = "int32", [MOTE_I64] = "int64", [MOTE_U32] = "uint32", [MOTE_U64] = "uint64",
    [MOTE_BOOL] = "bool", [MOTE_I4] = "int4", [MOTE_I1] = "binary", [MOTE_I8_SPARSE] = "int8 sparse",
};

size_t mote_dtype_size(mote_dtype t)
{
    return (unsigned)t < MOTE_DTYPE_COUNT ? dtype_size[t] : 0;
}

size_t mote_dtype_bytes(mote_dtype t, int64_t elems)
{
    if (elems < 0) return 0;
    if (t == MOTE_I4) return (size_t)((elems + 1) / 2);
    if (t == MOTE_I1) return (size_t)((elems + 7) / 8);
    if (t == MOTE_I8_SPARSE) return 0;
    return (size_t)elems * mote_dtype_size(t);
}

const char *mote_dtype_name(mote_dtype t)
{
    return (unsigned)t < MOTE_DTYPE_COUNT ? dtype_name[t] : "unknown";
}

const char *mote_status_name(mote_status s)
{
    switch (s) {
    case MOTE_OK: return "ok";
    case MOTE_ERR_TYPE: return "unsupported dtype";
    case MOTE_ERR_SHAPE: return "shape mismatch";
    case MOTE_ERR_PARAM: return "invalid parameter";
    case MOTE_ERR_UNSUPPORTED: return "unsupported";
    case MOTE_ERR_ARENA: return "arena too small";
    }
    return "unknown status";
}

int64_t mote_tensor_elems(const mote_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

int mote_same_shape(const mote_tensor *a, const mote_tensor *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

mote_status mote_fail(mote_ctx *ctx, mote_status s, int32_t tensor, const char *why)
{
    ctx->err_tensor = tensor;
    ctx->err = why;
    return s;
}

void *mote_persist_alloc(mote_ctx *ctx, size_t bytes)
{
    size_t need = (bytes + 15u) & ~(size_t)15u;
    if (need < bytes || need > ctx->arena_size - ctx->persist_used) {
        mote_fail(ctx, MOTE_ERR_ARENA, -1, "arena too small for persistent kernel data");
        return NULL;
    }
    ctx->persist_used += need;
    uint8_t *p = ctx->arena + ctx->arena_size - ctx->persist_used;
    memset(p, 0, need);
    return p;
}

void *mote_node_data_grow(mote_ctx *ctx, mote_node *n, size_t bytes)
{
    uint8_t *old = n->data;
    size_t old_need = (n->data_bytes + 15u) & ~(size_t)15u, need = (bytes + 15u) & ~(size_t)15u;
    if (!old || old != ctx->arena + ctx->arena_size - ctx->persist_used || bytes < n->data_bytes) {
        mote_fail(ctx, MOTE_ERR_PARAM, -1, "a parameter block can only grow while it is the newest");
        return NULL;
    }
    if (need < bytes || need - old_need > ctx->arena_size - ctx->persist_used) {
        mote_fail(ctx, MOTE_ERR_ARENA, -1, "arena too small for persistent kernel data");
        return NULL;
    }
    /* the block keeps its top and extends down */
    ctx->persist_used += need - old_need;
    uint8_t *p = ctx->arena + ctx->arena_size - ctx->persist_used;
    memmove(p, old, n->data_bytes);
    memset(p + n->data_bytes, 0, need - n->data_bytes);
    n->data = p;
    n->data_bytes = bytes;
    return p;
}

/* One block per node and kind: a second request is a kernel bug. */
static void *node_block(mote_ctx *ctx, void **slot, size_t *slot_bytes, size_t bytes, const char *twice)
{
    if (*slot) {
        mote_fail(ctx, MOTE_ERR_PARAM, -1, twice);
        return NULL;
    }
    *slot = mote_persist_alloc(ctx, bytes);
    *slot_bytes = *slot ? bytes : 0;
    return *slot;
}

void *mote_node_data(mote_ctx *ctx, mote_node *n, size_t bytes)
{
    return node_block(ctx, &n->data, &n->data_bytes, bytes, "kernel asked for two parameter blocks");
}

void *mote_node_state(mote_ctx *ctx, mote_node *n, size_t bytes)
{
    return node_block(ctx, &n->state, &n->state_bytes, bytes, "kernel asked for two state blocks");
}

void mote_reset(mote_model *m)
{
    for (int32_t i = 0; i < m->n_tensors; i++) {
        mote_tensor *t = &m->tensors[i];
        if (!(t->flags & MOTE_TENSOR_VARIABLE) || !t->data) continue;
        /* As TFLM: int8 state starts at its zero point (real 0), others at 0. */
        int fill = t->type == MOTE_I8 && t->q.n >= 1 ? t->q.zero_point[0] : 0;
        memset(t->data, fill, t->bytes);
    }
    for (int32_t i = 0; i < m->n_nodes; i++)
        if (m->nodes[i].state) memset(m->nodes[i].state, 0, m->nodes[i].state_bytes);
}

void mote_invoke_range(mote_model *m, int32_t first, int32_t last)
{
    for (int32_t i = first; i < last; i++) m->nodes[i].eval(&m->nodes[i], m->tensors);
}

void mote_invoke(mote_model *m)
{
    mote_invoke_range(m, 0, m->n_nodes);
}
