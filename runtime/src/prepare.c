/* mote runtime: prepare a graph through the op table (interpreter builds and
 * the host compiler; generated packages ship already-prepared nodes). */
#include "mote/kernel.h"

mote_status mote_prepare(mote_model *m, mote_ctx *ctx, uint8_t *arena, size_t arena_size)
{
    return mote_prepare_isa(m, ctx, arena, arena_size, MOTE_ISA_PORTABLE);
}

mote_status mote_prepare_isa(mote_model *m, mote_ctx *ctx, uint8_t *arena, size_t arena_size, uint32_t isa)
{
    return mote_prepare_choice(m, ctx, arena, arena_size, isa, NULL);
}

mote_status mote_prepare_choice(mote_model *m, mote_ctx *ctx, uint8_t *arena, size_t arena_size, uint32_t isa,
                                const uint8_t *reference)
{
    ctx->isa = isa;
    ctx->arena = arena;
    ctx->arena_size = arena_size & ~(size_t)15u;
    ctx->persist_used = 0;
    ctx->err_node = -1;
    ctx->err_tensor = -1;
    ctx->err = NULL;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        mote_node *n = &m->nodes[i];
        const mote_op_def *def = mote_op_lookup((mote_op)n->op);
        ctx->err_node = i;
        if (!def) return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "operator not supported by this runtime");
        n->eval = NULL;
        n->kernel = 0;
        n->data = NULL;
        n->data_bytes = 0;
        n->state = NULL;
        n->state_bytes = 0;
        n->scratch_bytes = 0;
        n->scratch = NULL;
        ctx->isa = reference && reference[i] ? MOTE_ISA_REFERENCE : isa;
        mote_status s = def->prepare(ctx, n, m->tensors);
        ctx->isa = isa;
        if (s != MOTE_OK) {
            if (!ctx->err) ctx->err = mote_status_name(s);
            return s;
        }
        uint8_t k = 0;
        while (k < def->n_kernels && def->kernels[k].eval != n->eval) k++;
        if (k == def->n_kernels) return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "kernel chose no variant of its table");
        n->kernel = k;
    }
    ctx->err_node = -1;
    return MOTE_OK;
}
