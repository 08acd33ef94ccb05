/* Constant folding: an op whose inputs are all constants computes the same
 * bytes at every inference, so compute them once here with the runtime's
 * reference kernel (the arithmetic every kernel variant matches bit for bit)
 * and make its output a constant. Stateful ops and graph outputs stay. */
#include <stdlib.h>
#include <string.h>

#include "mote/kernel.h"
#include "passes/passes.h"

static int all_inputs_const(const mote_ir_graph *g, const mote_ir_op *op)
{
    int any = 0;
    for (int k = 0; k < op->n_in; k++) {
        if (op->io[k] < 0) continue;
        const mote_tensor *t = &g->tensors[op->io[k]].t;
        if (!(t->flags & MOTE_TENSOR_CONST) || (t->bytes && !t->data)) return 0;
        any = 1;
    }
    return any;
}

/* Run op alone on the graph's tensors; its output's bytes in a new 16-aligned
 * block, or NULL when the op does not fold (prepare refuses: the normal
 * path will say why; state kept across invokes; out of memory). */
static void *evaluate(const mote_ir_graph *g, const mote_ir_op *op)
{
    const int32_t o = op->io[op->n_in];
    mote_tensor *ts = malloc(sizeof(mote_tensor) * (size_t)g->n_tensors);
    void *out = aligned_alloc(16, (g->tensors[o].t.bytes + 15) & ~(size_t)15);
    uint8_t *arena = NULL, *scratch = NULL;
    if (!ts || !out) goto fail;
    for (int32_t i = 0; i < g->n_tensors; i++) ts[i] = g->tensors[i].t;
    ts[o].data = out;
    mote_node n = {.op = (uint16_t)op->op, .n_in = op->n_in, .n_out = op->n_out, .io = op->io, .opts = op->opts};
    mote_model m = {.tensors = ts, .n_tensors = g->n_tensors, .nodes = &n, .n_nodes = 1};
    mote_ctx ctx;
    mote_status s = MOTE_ERR_ARENA;
    for (size_t size = (size_t)1 << 16; s == MOTE_ERR_ARENA && size <= ((size_t)1 << 28); size *= 4) {
        free(arena);
        if (!(arena = aligned_alloc(16, size))) goto fail;
        s = mote_prepare_isa(&m, &ctx, arena, size, MOTE_ISA_REFERENCE);
    }
    if (s != MOTE_OK || n.state_bytes) goto fail;
    if (n.scratch_bytes && !(scratch = aligned_alloc(16, (n.scratch_bytes + 15) & ~(size_t)15))) goto fail;
    n.scratch = scratch;
    mote_invoke(&m);
    free(scratch);
    free(arena);
    free(ts);
    return out;
fail:
    free(scratch);
    free(arena);
    free(ts);
    free(out);
    return NULL;
}

static int fold_constants(mote_ir_graph *g, int *changed, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    *changed = 0;
    for (int32_t i = 0; i < g->n_ops;) {
        const mote_ir_op *op = &g->ops[i];
        const int32_t o = op->n_out == 1 ? op->io[op->n_in] : -1;
        mote_ir_tensor *ot = o >= 0 ? &g->tensors[o] : NULL;
        if (!ot || !ot->t.bytes || (ot->t.flags & (MOTE_TENSOR_CONST | MOTE_TENSOR_VARIABLE)) ||
            mote_ir_is_output(g, o) || !all_inputs_const(g, op)) {
            i++;
            continue;
        }
        void *bytes = evaluate(g, op);
        if (!bytes) {
            i++;
            continue;
        }
        free(ot->owned_data);
        ot->owned_data = bytes;
        ot->t.data = bytes;
        ot->t.flags |= MOTE_TENSOR_CONST;
        mote_ir_remove_op(g, i); /* the next op is now at i; later ops may fold in turn */
        *changed = 1;
    }
    return 0;
}

const mote_pass mote_pass_fold_constants = {"fold-constants", fold_constants};
