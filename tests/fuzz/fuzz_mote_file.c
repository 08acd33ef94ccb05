/* libFuzzer target: the .mote loader (runtime/src/mote_file.c).
 *
 * The input is a .mote file. Its CRC is recomputed so that mutations reach the
 * structure checks instead of stopping at the checksum; the loader must then
 * refuse it or build a model whose every pointer lies inside the file or the
 * arena (checked below: a violation traps). The file and the arena are
 * allocated to their exact sizes, so ASan catches any read or write past them.
 *
 * Invoking: parameter blocks are trusted by design (mote_file.h: a file from
 * outside passes its signature check before loading), so a mutated block may
 * legitimately make a kernel read out of bounds. A file whose CRC we had to
 * recompute is therefore only loaded, never run. A file whose CRC was already
 * right is an unmodified seed (a file the compiler wrote) and is run once.
 * The intact test goes through a volatile XOR so that libFuzzer's comparison
 * tracing never sees (computed CRC, stored CRC) as a pair of operands: it
 * could otherwise write the right CRC into a mutant and have it run. For the
 * same reason the loader only ever sees files whose CRC matches. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mote/mote_file.h"

#define MAX_ARENA (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int inside(const void *p, size_t n, const uint8_t *lo, size_t len)
{
    const uint8_t *b = p;
    return b >= lo && (size_t)(b - lo) <= len && n <= len - (size_t)(b - lo);
}

/* What a successful load promises: every table entry is in range and every
 * pointer lies in the file (constants, quantization, parameters, io) or in
 * the arena (activations, scratch, state). */
static void check_model(const mote_model *m, const uint8_t *f, size_t flen, const uint8_t *arena, size_t alen)
{
    int bad = 0;
    bad |= !inside(m->inputs, 4u * (size_t)m->n_inputs, f, flen);
    bad |= !inside(m->outputs, 4u * (size_t)m->n_outputs, f, flen);
    for (int32_t i = 0; i < m->n_inputs + m->n_outputs; i++) {
        int32_t t = i < m->n_inputs ? m->inputs[i] : m->outputs[i - m->n_inputs];
        bad |= t < 0 || t >= m->n_tensors;
    }
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const mote_tensor *t = &m->tensors[i];
        if (t->data) {
            if (t->flags & MOTE_TENSOR_CONST) bad |= !inside(t->data, t->bytes, f, flen);
            else bad |= !inside(t->data, t->bytes, arena, alen);
        } else { /* only a constant repacked into its readers' parameter blocks has bytes and no data */
            bad |= t->bytes != 0 && (t->flags & (MOTE_TENSOR_CONST | MOTE_TENSOR_PACKED)) !=
                                        (MOTE_TENSOR_CONST | MOTE_TENSOR_PACKED);
        }
        if (t->q.n > 0) {
            bad |= !inside(t->q.scale, 4u * (size_t)t->q.n, f, flen);
            bad |= !inside(t->q.zero_point, 4u * (size_t)t->q.n, f, flen);
        }
    }
    for (int32_t i = 0; i < m->n_nodes; i++) {
        const mote_node *n = &m->nodes[i];
        bad |= !n->eval || !inside(n->io, 4u * ((size_t)n->n_in + n->n_out), f, flen);
        for (int k = 0; !bad && k < n->n_in + n->n_out; k++)
            bad |= n->io[k] < (k < n->n_in ? -1 : 0) || n->io[k] >= m->n_tensors;
        if (n->data) bad |= !inside(n->data, n->data_bytes, f, flen);
        if (n->scratch) bad |= !inside(n->scratch, n->scratch_bytes, arena, alen);
        if (n->state) bad |= !inside(n->state, n->state_bytes, arena, alen);
    }
    if (bad) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void *fp = NULL;
    if (posix_memalign(&fp, 16, size ? size : 1) != 0) return 0;
    uint8_t *f = fp;
    memcpy(f, data, size);

    int intact = 0;
    if (size >= 16) {
        uint32_t len = rd32(f + 8);
        if (len >= 16 && len <= size) {
            volatile uint32_t diff = mote_crc32(0, f + 16, len - 16u) ^ rd32(f + 12);
            intact = diff == 0;
            if (!intact) wr32(f + 12, mote_crc32(0, f + 16, len - 16u));
        }
    }

    size_t need = 0;
    void *ap = NULL;
    if (mote_file_arena_bytes(f, size, &need) == MOTE_FILE_OK && need <= MAX_ARENA &&
        posix_memalign(&ap, 16, need ? need : 1) == 0) {
        memset(ap, 0, need);
        mote_model m;
        int32_t err_index = -2;
        mote_file_status s = mote_file_load(f, size, ap, need, &m, &err_index);
        if (s == MOTE_FILE_OK) {
            check_model(&m, f, size, ap, need);
            if (intact) mote_invoke(&m);
        } else if (err_index < -1 || s > MOTE_FILE_ERR_ARENA || !mote_file_status_name(s)[0]) {
            __builtin_trap();
        }
    }
    free(ap);
    free(fp);
    return 0;
}
