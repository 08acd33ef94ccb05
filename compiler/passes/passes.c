/* The default pass pipeline and the graph edits passes share. */
#include "passes/passes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Folding first: an activation after a folded op has nothing left to fuse with. Sparse storage last:
 * it only changes how weights are stored. */
static const mote_pass *const pipeline[] = {&mote_pass_fold_constants, &mote_pass_fuse_activation,
                                            &mote_pass_sparse_weights};

int mote_passes_run(mote_ir_graph *g, const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof pipeline / sizeof pipeline[0]; i++) {
        char msg[400];
        int changed = 0;
        if (pipeline[i]->run(g, &changed, msg, sizeof msg) != 0) {
            snprintf(err, errlen, "%s: pass %s: %s", name, pipeline[i]->name, msg);
            return -1;
        }
    }
    return 0;
}

void mote_ir_remove_op(mote_ir_graph *g, int32_t i)
{
    free(g->ops[i].io);
    free(g->ops[i].custom_code);
    memmove(&g->ops[i], &g->ops[i + 1], sizeof(mote_ir_op) * (size_t)(g->n_ops - i - 1));
    g->n_ops--;
}

int mote_ir_readers(const mote_ir_graph *g, int32_t t)
{
    int n = 0;
    for (int32_t i = 0; i < g->n_ops; i++)
        for (int k = 0; k < g->ops[i].n_in; k++) n += g->ops[i].io[k] == t;
    return n;
}

int mote_ir_is_output(const mote_ir_graph *g, int32_t t)
{
    for (int32_t i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t) return 1;
    return 0;
}
