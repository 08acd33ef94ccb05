/* Sparse weight storage: the int8 weights of a FULLY_CONNECTED or (ungrouped)
 * CONV_2D op become MOTE_I8_SPARSE (mote/sparse.h) when that encoding is
 * smaller than the dense bytes; otherwise they stay dense. Exact: the sparse
 * kernels compute the int8 kernels' bits (tests/unit/kernels_sparse.c).
 * Only symmetric weights (every zero point 0), where a stored 0 is a real
 * zero, of int8-in, int8-out ops, and only weights no other op reads. Per layer: the choice is by flash; the sparse
 * kernel is faster than the dense ones only at high sparsity
 * (docs/pruning.md has the Cortex-M4 counts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/sparse.h"
#include "passes/passes.h"

size_t mote_sparse_encode_s8(const int8_t *w, int32_t rows, int32_t depth, uint8_t *out)
{
    size_t pos = 2 * (size_t)rows;
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *row = w + (size_t)r * (size_t)depth;
        uint32_t n = 0, skip = 0;
        for (int32_t c = 0; c < depth; c++) {
            if (row[c] == 0) {
                skip++;
                continue;
            }
            /* a run too long for one skip: filler entries, each a stored zero (zeros at a row's end need none) */
            for (; skip > MOTE_SPARSE_MAX_SKIP; skip -= MOTE_SPARSE_MAX_SKIP + 1, pos += 2, n++)
                if (out) out[pos] = MOTE_SPARSE_MAX_SKIP, out[pos + 1] = 0;
            if (out) out[pos] = (uint8_t)skip, out[pos + 1] = (uint8_t)row[c];
            pos += 2, n++, skip = 0;
        }
        if (out) out[2 * r] = (uint8_t)(n & 0xFF), out[2 * r + 1] = (uint8_t)(n >> 8);
    }
    return pos;
}

/* Can tensor t go sparse: constant symmetric int8 weights read only by FULLY_CONNECTED ops ([units, depth])
 * or ungrouped CONV_2D ops ([out, kh, kw, in]; depth = kh * kw * in) with int8 input and output? */
static int candidate(const mote_ir_graph *g, int32_t t)
{
    const mote_tensor *w = &g->tensors[t].t;
    const int64_t rows = w->rank >= 2 ? w->dims[0] : 0, depth = rows > 0 ? mote_tensor_elems(w) / rows : 0;
    if (w->type != MOTE_I8 || !(w->flags & MOTE_TENSOR_CONST) || !w->data || (w->rank != 2 && w->rank != 4) ||
        rows <= 0 || depth <= 0 || depth > MOTE_SPARSE_MAX_DEPTH || w->q.n < 1 || mote_ir_is_output(g, t))
        return 0;
    for (int32_t k = 0; k < w->q.n; k++)
        if (w->q.zero_point[k] != 0) return 0;
    for (int32_t i = 0; i < g->n_ops; i++) {
        const mote_ir_op *op = &g->ops[i];
        for (int k = 0; k < op->n_in + op->n_out; k++) {
            if (op->io[k] != t) continue;
            const mote_tensor *x = op->io[0] >= 0 ? &g->tensors[op->io[0]].t : NULL;
            const int32_t yt = op->n_out == 1 ? op->io[op->n_in] : -1;
            if (k != 1 || !x || x->type != MOTE_I8 || yt < 0 || g->tensors[yt].t.type != MOTE_I8) return 0;
            if (op->op == MOTE_OP_FULLY_CONNECTED && w->rank == 2) continue;
            if (op->op != MOTE_OP_CONV_2D || w->rank != 4 || x->rank != 4 || x->dims[3] != w->dims[3]) return 0;
        }
    }
    return 1;
}

static int enabled = 1;

void mote_passes_sparse_weights(int on)
{
    enabled = on;
}

/* --weights dense: sparse weights read from a file go back to dense int8 (the encoding was checked at
 * import). */
static int densify(mote_ir_graph *g, int *changed)
{
    for (int32_t t = 0; t < g->n_tensors; t++) {
        mote_ir_tensor *it = &g->tensors[t];
        if (it->t.type != MOTE_I8_SPARSE || !it->t.data) continue;
        const int32_t rows = it->t.dims[0];
        const size_t n = (size_t)mote_tensor_elems(&it->t), depth = n / (size_t)rows;
        int8_t *w = aligned_alloc(16, (n + 15) & ~(size_t)15);
        if (!w) return -1;
        memset(w, 0, n);
        const uint8_t *enc = it->t.data, *e = enc + 2 * (size_t)rows;
        for (int32_t r = 0; r < rows; r++) {
            size_t col = 0;
            for (uint32_t k = mote_sparse_count(enc, r); k > 0; k--, e += 2) {
                col += e[0];
                w[(size_t)r * depth + col++] = (int8_t)e[1];
            }
        }
        free(it->owned_data);
        it->owned_data = w;
        it->t.data = w;
        it->t.type = MOTE_I8;
        it->t.bytes = n;
        (*changed)++;
    }
    return 0;
}

static int run(mote_ir_graph *g, int *changed, char *err, size_t errlen)
{
    *changed = 0;
    if (!enabled) {
        if (!densify(g, changed)) return 0;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int32_t t = 0; t < g->n_tensors; t++) {
        if (!candidate(g, t)) continue;
        mote_ir_tensor *it = &g->tensors[t];
        const int32_t rows = it->t.dims[0], depth = (int32_t)(mote_tensor_elems(&it->t) / rows);
        const size_t n = mote_sparse_encode_s8(it->t.data, rows, depth, NULL);
        if (n >= it->t.bytes) continue; /* dense is smaller: keep it */
        uint8_t *enc = aligned_alloc(16, (n + 15) & ~(size_t)15);
        if (!enc) continue; /* dense still runs: out of memory only costs the saving */
        mote_sparse_encode_s8(it->t.data, rows, depth, enc);
        free(it->owned_data);
        it->owned_data = enc;
        it->t.data = enc;
        it->t.type = MOTE_I8_SPARSE;
        it->t.bytes = n;
        (*changed)++;
    }
    return 0;
}

const mote_pass mote_pass_sparse_weights = {"sparse_weights", run};
