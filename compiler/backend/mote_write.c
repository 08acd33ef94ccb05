/* .mote writer: the prepared, planned host model, serialized for the loader
 * in runtime/src/mote_file.c (layout in docs/mote-format.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/compiled.h"
#include "mote/kernel.h"
#include "mote/mote_file.h"


typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
} buf;

static size_t reserve(buf *b, size_t n, size_t align)
{
    size_t at = (b->len + align - 1) / align * align;
    if (at + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < at + n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return 0;
        }
        memset(q + b->cap, 0, cap - b->cap);
        b->p = q;
        b->cap = cap;
    }
    b->len = at + n;
    return at;
}

static size_t put(buf *b, const void *src, size_t n, size_t align)
{
    size_t at = reserve(b, n, align);
    if (!b->oom && n) memcpy(b->p + at, src, n);
    return at;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint32_t put_quant(buf *b, const mote_quant *q)
{
    size_t at = reserve(b, 8 + 8 * (size_t)q->n, 4);
    if (b->oom) return 0;
    wr32(b->p + at, (uint32_t)q->n);
    wr32(b->p + at + 4, (uint32_t)q->axis);
    for (int32_t i = 0; i < q->n; i++) {
        uint32_t bits;
        memcpy(&bits, &q->scale[i], 4);
        wr32(b->p + at + 8 + 4 * (size_t)i, bits);
        wr32(b->p + at + 8 + 4 * ((size_t)q->n + (size_t)i), (uint32_t)(q->zero_point ? q->zero_point[i] : 0));
    }
    return (uint32_t)at;
}

int mote_write_mote(const mote_host_model *hm, uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    const mote_model *m = &hm->m;
    const uint32_t node_record = MOTE_FILE_NODE_RECORD_BYTES;
    buf b = {0};
    reserve(&b, MOTE_FILE_HEADER_BYTES, 16);
    size_t tensors_off = reserve(&b, (size_t)m->n_tensors * MOTE_FILE_TENSOR_RECORD_BYTES, 16);
    size_t nodes_off = reserve(&b, (size_t)m->n_nodes * node_record, 16);
    size_t io_count = (size_t)m->n_inputs + (size_t)m->n_outputs;
    for (int32_t i = 0; i < m->n_nodes; i++) io_count += (size_t)m->nodes[i].n_in + m->nodes[i].n_out;
    size_t io_off = reserve(&b, io_count * 4, 16);
    if (b.oom) goto oom;

    /* io: graph inputs, graph outputs, then each node's */
    size_t k = 0;
    for (int32_t i = 0; i < m->n_inputs; i++) wr32(b.p + io_off + 4 * k++, (uint32_t)m->inputs[i]);
    for (int32_t i = 0; i < m->n_outputs; i++) wr32(b.p + io_off + 4 * k++, (uint32_t)m->outputs[i]);

    size_t state_total = 0;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        const mote_node *n = &m->nodes[i];
        const mote_op_def *def = mote_op_lookup((mote_op)n->op);
        uint32_t io_at = (uint32_t)k;
        for (int j = 0; j < n->n_in + n->n_out; j++) wr32(b.p + io_off + 4 * k++, (uint32_t)n->io[j]);
        uint32_t params = MOTE_FILE_NONE;
        if (n->data_bytes) {
            params = (uint32_t)put(&b, n->data, n->data_bytes, 16);
            if (b.oom) goto oom;
        }
        uint8_t *r = b.p + nodes_off + (size_t)i * node_record;
        wr16(r, n->op);
        r[2] = n->kernel;
        wr16(r + 4, n->n_in);
        wr16(r + 6, n->n_out);
        wr32(r + 8, io_at);
        wr32(r + 12, mote_kernel_name_hash(def->kernels[n->kernel].name));
        wr32(r + 16, params);
        wr32(r + 20, (uint32_t)n->data_bytes);
        wr32(r + 24, n->scratch_bytes ? mote_arena_offset(hm, n->scratch) : MOTE_FILE_NONE);
        wr32(r + 28, (uint32_t)n->scratch_bytes);
        wr32(r + 32, (uint32_t)n->state_bytes);
        memcpy(r + MOTE_FILE_NODE_FIXED_BYTES, &n->opts, sizeof n->opts); /* pointer-free, little-endian host */
        state_total += (n->state_bytes + 15u) & ~(size_t)15u;
    }

    for (int32_t i = 0; i < m->n_tensors; i++) {
        const mote_tensor *t = &m->tensors[i];
        uint32_t data = MOTE_FILE_NONE, quant = MOTE_FILE_NONE;
        if (t->flags & MOTE_TENSOR_CONST) {
            if (t->bytes && !(t->flags & MOTE_TENSOR_PACKED)) data = (uint32_t)put(&b, t->data, t->bytes, 16);
        } else if (t->data && t->bytes) {
            data = mote_arena_offset(hm, t->data);
        }
        if (t->q.n > 0) quant = put_quant(&b, &t->q);
        if (b.oom) goto oom;
        uint8_t *r = b.p + tensors_off + (size_t)i * MOTE_FILE_TENSOR_RECORD_BYTES;
        r[0] = t->type;
        r[1] = t->rank;
        r[2] = t->flags;
        for (int d = 0; d < t->rank; d++) wr32(r + 4 + 4 * d, (uint32_t)t->dims[d]);
        wr32(r + 28, (uint32_t)t->bytes);
        wr32(r + 32, data);
        wr32(r + 36, quant);
    }
    reserve(&b, 0, 16);
    if (b.oom) goto oom;
    if (b.len > 0xFFFFFFF0u) {
        snprintf(err, errlen, "model too large for a .mote file (%zu bytes)", b.len);
        free(b.p);
        return -1;
    }

    uint8_t *h = b.p;
    memcpy(h, "MOTE", 4);
    wr16(h + 4, MOTE_FILE_VERSION);
    wr16(h + 6, MOTE_RUNTIME_ABI);
    wr32(h + 8, (uint32_t)b.len);
    wr32(h + 16, (uint32_t)m->n_tensors);
    wr32(h + 20, (uint32_t)m->n_nodes);
    wr32(h + 24, (uint32_t)m->n_inputs);
    wr32(h + 28, (uint32_t)m->n_outputs);
    wr32(h + 32, (uint32_t)hm->plan.arena_bytes);
    wr32(h + 36, (uint32_t)state_total);
    wr32(h + 40, (uint32_t)tensors_off);
    wr32(h + 44, (uint32_t)nodes_off);
    wr32(h + 48, (uint32_t)io_off);
    wr32(h + 52, (uint32_t)sizeof(mote_opts));
    wr32(h + 56, node_record);
    wr32(h + 60, (uint32_t)io_count);
    wr32(h + 12, mote_crc32(0, h + 16, b.len - 16));
    *out = b.p;
    *out_len = b.len;
    return 0;
oom:
    free(b.p);
    snprintf(err, errlen, "out of memory writing the .mote file");
    return -1;
}
