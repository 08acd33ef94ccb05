/* Greedy-by-size placement: the largest buffers are placed first, each at the
 * lowest offset that does not collide with an already placed buffer whose
 * lifetime overlaps. Lifetimes are op-index intervals from the op order. */
#include "plan/plan.h"

#include <stdlib.h>

typedef struct {
    size_t bytes;
    int32_t first, last; /* op indices, inclusive */
    size_t *offset;      /* where the result goes */
    size_t placed;
} buf;

static int by_size_desc(const void *a, const void *b)
{
    const buf *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return x->first - y->first;
}

static size_t align_up(size_t x) { return (x + MOTE_PLAN_ALIGN - 1) & ~(size_t)(MOTE_PLAN_ALIGN - 1); }

int mote_plan_greedy(const mote_model *m, mote_plan *p)
{
    p->tensor_offset = malloc(sizeof(size_t) * (size_t)(m->n_tensors ? m->n_tensors : 1));
    p->scratch_offset = malloc(sizeof(size_t) * (size_t)(m->n_nodes ? m->n_nodes : 1));
    int32_t *first = malloc(sizeof(int32_t) * (size_t)(m->n_tensors ? m->n_tensors : 1));
    int32_t *last = malloc(sizeof(int32_t) * (size_t)(m->n_tensors ? m->n_tensors : 1));
    buf *bufs = malloc(sizeof(buf) * (size_t)(m->n_tensors + m->n_nodes + 1));
    if (!p->tensor_offset || !p->scratch_offset || !first || !last || !bufs) {
        free(first);
        free(last);
        free(bufs);
        mote_plan_free(p);
        return -1;
    }
    int32_t end = m->n_nodes; /* graph outputs stay alive past the last op */
    for (int32_t i = 0; i < m->n_tensors; i++) {
        p->tensor_offset[i] = MOTE_PLAN_NONE;
        first[i] = INT32_MAX;
        last[i] = -1;
    }
    for (int32_t n = 0; n < m->n_nodes; n++) {
        const mote_node *nd = &m->nodes[n];
        p->scratch_offset[n] = MOTE_PLAN_NONE;
        for (int k = 0; k < nd->n_in + nd->n_out; k++) {
            int32_t t = nd->io[k];
            if (t < 0) continue;
            if (n < first[t]) first[t] = n;
            if (n > last[t]) last[t] = n;
        }
    }
    for (int32_t i = 0; i < m->n_inputs; i++) first[m->inputs[i]] = 0;
    for (int32_t i = 0; i < m->n_outputs; i++) last[m->outputs[i]] = end;
    int nb = 0;
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const mote_tensor *t = &m->tensors[i];
        if ((t->flags & MOTE_TENSOR_CONST) || t->bytes == 0) continue;
        int is_io = t->flags & (MOTE_TENSOR_INPUT | MOTE_TENSOR_OUTPUT);
        if (last[i] < 0 && !is_io) continue; /* not used by any op */
        if (t->flags & MOTE_TENSOR_VARIABLE) { /* state lives across invokes */
            first[i] = 0;
            last[i] = end;
        }
        if (first[i] == INT32_MAX) first[i] = 0;
        if (last[i] < first[i]) last[i] = first[i];
        bufs[nb++] = (buf){t->bytes, first[i], last[i], &p->tensor_offset[i], 0};
    }
    for (int32_t n = 0; n < m->n_nodes; n++)
        if (m->nodes[n].scratch_bytes)
            bufs[nb++] = (buf){m->nodes[n].scratch_bytes, n, n, &p->scratch_offset[n], 0};
    qsort(bufs, (size_t)nb, sizeof(buf), by_size_desc);

    size_t high = 0;
    for (int i = 0; i < nb; i++) {
        size_t off = 0;
        /* Move past every conflicting buffer until a gap fits; restart the
         * scan after each move since placed buffers are not sorted by offset. */
        for (int moved = 1; moved;) {
            moved = 0;
            for (int j = 0; j < i; j++) {
                if (bufs[j].last < bufs[i].first || bufs[j].first > bufs[i].last) continue;
                size_t a = bufs[j].placed, b = a + align_up(bufs[j].bytes);
                if (off < b && a < off + align_up(bufs[i].bytes)) {
                    off = b;
                    moved = 1;
                }
            }
        }
        bufs[i].placed = off;
        *bufs[i].offset = off;
        if (off + align_up(bufs[i].bytes) > high) high = off + align_up(bufs[i].bytes);
    }
    p->arena_bytes = high;
    free(first);
    free(last);
    free(bufs);
    return 0;
}

void mote_plan_free(mote_plan *p)
{
    free(p->tensor_offset);
    free(p->scratch_offset);
    p->tensor_offset = NULL;
    p->scratch_offset = NULL;
}
