/* mote runtime: .mote file loader (layout in docs/mote-format.md).
 *
 * Every field is read byte by byte (little-endian) and every offset is
 * checked against the file or the plan before use, in 64-bit arithmetic so
 * that no sum can wrap. Weights, quantization arrays, parameter blocks and
 * index arrays are used in place. */
#include <string.h>

#include "mote/kernel.h"
#include "mote/mote_file.h"
#include "mote/sparse.h"

#define MAX_COUNT 65535u

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

const char *mote_file_status_name(mote_file_status s)
{
    switch (s) {
    case MOTE_FILE_OK: return "ok";
    case MOTE_FILE_ERR_ALIGN: return "file buffer not 16-byte aligned";
    case MOTE_FILE_ERR_TRUNCATED: return "file truncated";
    case MOTE_FILE_ERR_MAGIC: return "not a .mote file";
    case MOTE_FILE_ERR_VERSION: return "unsupported .mote format version";
    case MOTE_FILE_ERR_ABI: return "compiled for another runtime ABI";
    case MOTE_FILE_ERR_CHECKSUM: return "checksum mismatch (corrupted file)";
    case MOTE_FILE_ERR_CORRUPT: return "corrupt file (offset, count or index out of range)";
    case MOTE_FILE_ERR_KERNEL: return "needs a kernel this runtime does not have";
    case MOTE_FILE_ERR_ARENA: return "arena too small";
    }
    return "unknown status";
}

/* Nibble-table CRC: 64 bytes of table instead of 1 KB, twice the lookups. */
uint32_t mote_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    static const uint32_t nib[16] = {
        0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u,
        0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
        0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
    };
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ nib[crc & 15u];
        crc = (crc >> 4) ^ nib[crc & 15u];
    }
    return ~crc;
}

typedef struct {
    const uint8_t *f;
    uint32_t len;
    uint32_t n_tensors, n_nodes, n_inputs, n_outputs;
    uint32_t plan_bytes, state_bytes;
    uint32_t tensors_off, nodes_off, io_off, io_count;
    uint32_t node_record;
} header;

static size_t align16(size_t x)
{
    return (x + 15u) & ~(size_t)15u;
}

/* [off, off + bytes) lies inside the file and off is a multiple of align. */
static int in_file(const header *h, uint64_t off, uint64_t bytes, uint32_t align)
{
    return off + bytes <= h->len && off % align == 0;
}

static mote_file_status read_header(const void *file, size_t len, header *h)
{
    const uint8_t *f = (const uint8_t *)file;
    if (((uintptr_t)file & 15u) != 0) return MOTE_FILE_ERR_ALIGN;
    if (len < MOTE_FILE_HEADER_BYTES) return MOTE_FILE_ERR_TRUNCATED;
    if (memcmp(f, "MOTE", 4) != 0) return MOTE_FILE_ERR_MAGIC;
    if (rd16(f + 4) != MOTE_FILE_VERSION) return MOTE_FILE_ERR_VERSION;
    if (rd16(f + 6) != MOTE_RUNTIME_ABI) return MOTE_FILE_ERR_ABI;
    h->f = f;
    h->len = rd32(f + 8);
    if (h->len > len) return MOTE_FILE_ERR_TRUNCATED;
    if (h->len < MOTE_FILE_HEADER_BYTES) return MOTE_FILE_ERR_CORRUPT;
    h->n_tensors = rd32(f + 16);
    h->n_nodes = rd32(f + 20);
    h->n_inputs = rd32(f + 24);
    h->n_outputs = rd32(f + 28);
    h->plan_bytes = rd32(f + 32);
    h->state_bytes = rd32(f + 36);
    h->tensors_off = rd32(f + 40);
    h->nodes_off = rd32(f + 44);
    h->io_off = rd32(f + 48);
    h->io_count = rd32(f + 60);
    if (rd32(f + 52) != sizeof(mote_opts)) return MOTE_FILE_ERR_ABI;
    h->node_record = MOTE_FILE_NODE_RECORD_BYTES;
    if (rd32(f + 56) != h->node_record) return MOTE_FILE_ERR_ABI;
    if (h->n_tensors > MAX_COUNT || h->n_nodes > MAX_COUNT || h->n_inputs > h->n_tensors ||
        h->n_outputs > h->n_tensors || h->io_count > 16u * MAX_COUNT)
        return MOTE_FILE_ERR_CORRUPT;
    if (!in_file(h, h->tensors_off, (uint64_t)h->n_tensors * MOTE_FILE_TENSOR_RECORD_BYTES, 4) ||
        !in_file(h, h->nodes_off, (uint64_t)h->n_nodes * h->node_record, 4) ||
        !in_file(h, h->io_off, (uint64_t)h->io_count * 4u, 4) ||
        (uint64_t)h->n_inputs + h->n_outputs > h->io_count)
        return MOTE_FILE_ERR_CORRUPT;
    return MOTE_FILE_OK;
}

static uint64_t align16_64(uint64_t x)
{
    return (x + 15u) & ~(uint64_t)15u;
}

/* Summed in 64 bits: with a 32-bit size_t, plan and state bytes near 4 GB
 * would wrap to a small total and pass the arena check. SIZE_MAX (no arena
 * is that large) when the total does not fit in a size_t. */
static size_t arena_need(const header *h)
{
    uint64_t need = align16_64(h->plan_bytes) + align16_64(h->state_bytes) +
                    align16_64((uint64_t)h->n_tensors * sizeof(mote_tensor)) +
                    (uint64_t)h->n_nodes * sizeof(mote_node);
    return (size_t)need == need ? (size_t)need : SIZE_MAX;
}

mote_file_status mote_file_arena_bytes(const void *file, size_t len, size_t *bytes)
{
    header h;
    mote_file_status s = read_header(file, len, &h);
    if (s == MOTE_FILE_OK && (*bytes = arena_need(&h)) == SIZE_MAX) s = MOTE_FILE_ERR_ARENA;
    return s;
}

uint32_t mote_kernel_name_hash(const char *s)
{
    uint32_t x = 2166136261u; /* FNV-1a */
    while (*s) x = (x ^ (uint8_t)*s++) * 16777619u;
    return x;
}

static mote_file_status load_tensor(const header *h, uint32_t i, uint8_t *plan, mote_tensor *t)
{
    const uint8_t *r = h->f + h->tensors_off + (size_t)i * MOTE_FILE_TENSOR_RECORD_BYTES;
    memset(t, 0, sizeof *t);
    t->type = r[0];
    t->rank = r[1];
    t->flags = r[2];
    /* a variable lives in the plan: mote_reset writes it, never the file */
    if (t->type >= MOTE_DTYPE_COUNT || t->rank > MOTE_MAX_DIMS ||
        (t->flags & (MOTE_TENSOR_CONST | MOTE_TENSOR_VARIABLE)) == (MOTE_TENSOR_CONST | MOTE_TENSOR_VARIABLE))
        return MOTE_FILE_ERR_CORRUPT;
    uint64_t elems = 1;
    for (int d = 0; d < t->rank; d++) {
        t->dims[d] = (int32_t)rd32(r + 4 + 4 * d);
        if (t->dims[d] < 0) return MOTE_FILE_ERR_CORRUPT;
        elems *= (uint64_t)t->dims[d];
        if (elems > 0xFFFFFFFFu) return MOTE_FILE_ERR_CORRUPT;
    }
    uint32_t bytes = rd32(r + 28), data = rd32(r + 32), quant = rd32(r + 36);
    /* a sparse tensor's bytes are its encoding's: checked once its data is placed */
    if (t->type != MOTE_I8_SPARSE && mote_dtype_bytes((mote_dtype)t->type, (int64_t)elems) != bytes)
        return MOTE_FILE_ERR_CORRUPT;
    /* int4, binary and sparse int8 are weights-only types: no kernel reads or writes them in the plan */
    if ((t->type == MOTE_I4 || t->type == MOTE_I1 || t->type == MOTE_I8_SPARSE) && !(t->flags & MOTE_TENSOR_CONST))
        return MOTE_FILE_ERR_CORRUPT;
    if (t->type == MOTE_I8_SPARSE && (t->rank < 2 || t->dims[0] == 0 || (t->flags & MOTE_TENSOR_PACKED) ||
                                      data == MOTE_FILE_NONE))
        return MOTE_FILE_ERR_CORRUPT;
    t->bytes = bytes;
    if (t->flags & MOTE_TENSOR_PACKED) {
        /* its readers keep it in their parameter blocks (checked per node) */
        if (!(t->flags & MOTE_TENSOR_CONST) || data != MOTE_FILE_NONE) return MOTE_FILE_ERR_CORRUPT;
    } else if (data == MOTE_FILE_NONE) {
        if (bytes != 0) return MOTE_FILE_ERR_CORRUPT;
    } else if (t->flags & MOTE_TENSOR_CONST) {
        if (!in_file(h, data, bytes, 16)) return MOTE_FILE_ERR_CORRUPT;
        t->data = (void *)(uintptr_t)(h->f + data); /* read-only: kernels never write constants */
        const uint64_t depth = t->type == MOTE_I8_SPARSE ? elems / (uint64_t)t->dims[0] : 0;
        if (t->type == MOTE_I8_SPARSE &&
            (depth > MOTE_SPARSE_MAX_DEPTH || mote_sparse_s8_check(h->f + data, bytes, t->dims[0], (int32_t)depth)))
            return MOTE_FILE_ERR_CORRUPT;
    } else {
        /* kernels use it as a typed array: naturally aligned */
        if ((uint64_t)data + bytes > h->plan_bytes || data % mote_dtype_size((mote_dtype)t->type) != 0)
            return MOTE_FILE_ERR_CORRUPT;
        t->data = plan + data;
    }
    if (quant != MOTE_FILE_NONE) {
        if (!in_file(h, quant, 8, 4)) return MOTE_FILE_ERR_CORRUPT;
        uint32_t n = rd32(h->f + quant), axis = rd32(h->f + quant + 4);
        /* per channel: one scale per channel, which kernels index by channel */
        if (n == 0 || n > 65536u || (n > 1 && (axis >= t->rank || n != (uint32_t)t->dims[axis])) ||
            !in_file(h, quant + 8u, 8ull * n, 4))
            return MOTE_FILE_ERR_CORRUPT;
        t->q.n = (int32_t)n;
        t->q.axis = (int32_t)axis;
        t->q.scale = (const float *)(const void *)(h->f + quant + 8);
        t->q.zero_point = (const int32_t *)(const void *)(h->f + quant + 8 + 4 * n);
    }
    return MOTE_FILE_OK;
}

static mote_file_status load_node(const header *h, uint32_t i, const int32_t *io, const mote_tensor *tensors,
                                  uint8_t *plan, uint8_t **state, uint8_t *state_end, mote_node *n)
{
    const uint8_t *r = h->f + h->nodes_off + (size_t)i * h->node_record;
    memset(n, 0, sizeof *n);
    n->op = rd16(r);
    n->kernel = r[2];
    n->n_in = rd16(r + 4);
    n->n_out = rd16(r + 6);
    uint32_t io_at = rd32(r + 8), hash = rd32(r + 12);
    uint32_t params = rd32(r + 16), params_bytes = rd32(r + 20);
    uint32_t scratch = rd32(r + 24), scratch_bytes = rd32(r + 28), state_bytes = rd32(r + 32);
    memcpy(&n->opts, r + MOTE_FILE_NODE_FIXED_BYTES, sizeof n->opts);
    if (n->op >= MOTE_OP_COUNT || n->n_out < 1 || (uint64_t)io_at + n->n_in + n->n_out > h->io_count)
        return MOTE_FILE_ERR_CORRUPT;
    const mote_op_def *def = mote_op_lookup((mote_op)n->op);
    if (!def || n->kernel >= def->n_kernels || mote_kernel_name_hash(def->kernels[n->kernel].name) != hash)
        return MOTE_FILE_ERR_KERNEL;
    const mote_kernel *kern = &def->kernels[n->kernel];
    if (!kern->eval) return MOTE_FILE_ERR_KERNEL; /* e.g. an x86 kernel in an Arm build */
    n->eval = kern->eval;
    n->io = io + io_at;
    for (int k = 0; k < n->n_in + n->n_out; k++) {
        if (n->io[k] >= (int32_t)h->n_tensors || n->io[k] < (k < n->n_in ? -1 : 0)) return MOTE_FILE_ERR_CORRUPT;
        /* a dataless constant only for a kernel that never reads it */
        if (n->io[k] >= 0 && (tensors[n->io[k]].flags & MOTE_TENSOR_PACKED) &&
            (k >= n->n_in || k >= 8 || !((kern->packed >> k) & 1u)))
            return MOTE_FILE_ERR_CORRUPT;
    }
    if (params != MOTE_FILE_NONE) {
        if (!in_file(h, params, params_bytes, 16)) return MOTE_FILE_ERR_CORRUPT;
        n->data = (void *)(uintptr_t)(h->f + params); /* eval only reads it */
        n->data_bytes = params_bytes;
    }
    if (scratch_bytes) {
        if (scratch == MOTE_FILE_NONE || (uint64_t)scratch + scratch_bytes > h->plan_bytes || scratch % 8u != 0)
            return MOTE_FILE_ERR_CORRUPT;
        n->scratch = plan + scratch;
        n->scratch_bytes = scratch_bytes;
    }
    if (state_bytes) { /* carved in node order from the state region */
        /* the room left is a multiple of 16, so this bounds align16(state_bytes)
         * too, which itself could wrap to 0 with a 32-bit size_t */
        if (state_bytes > (size_t)(state_end - *state)) return MOTE_FILE_ERR_CORRUPT;
        n->state = *state;
        n->state_bytes = state_bytes;
        *state += align16(state_bytes);
    }
    return MOTE_FILE_OK;
}

mote_file_status mote_file_load(const void *file, size_t len, uint8_t *arena, size_t arena_size,
                                mote_model *m, int32_t *err_index)
{
    header h;
    *err_index = -1;
    mote_file_status s = read_header(file, len, &h);
    if (s != MOTE_FILE_OK) return s;
    if (mote_crc32(0, h.f + 16, h.len - 16u) != rd32(h.f + 12)) return MOTE_FILE_ERR_CHECKSUM;
    if (((uintptr_t)arena & 15u) != 0 || arena_size < arena_need(&h) || arena_need(&h) == SIZE_MAX)
        return MOTE_FILE_ERR_ARENA;

    uint8_t *plan = arena;
    uint8_t *state = arena + align16(h.plan_bytes);
    uint8_t *state_end = state + align16(h.state_bytes);
    mote_tensor *tensors = (mote_tensor *)(void *)state_end;
    mote_node *nodes = (mote_node *)(void *)((uint8_t *)tensors + align16((size_t)h.n_tensors * sizeof(mote_tensor)));
    const int32_t *io = (const int32_t *)(const void *)(h.f + h.io_off);

    for (uint32_t i = 0; i < h.n_tensors; i++) {
        *err_index = (int32_t)i;
        if ((s = load_tensor(&h, i, plan, &tensors[i])) != MOTE_FILE_OK) return s;
    }
    for (uint32_t i = 0; i < h.n_nodes; i++) {
        *err_index = (int32_t)i;
        if ((s = load_node(&h, i, io, tensors, plan, &state, state_end, &nodes[i])) != MOTE_FILE_OK) return s;
    }
    *err_index = -1;
    for (uint32_t i = 0; i < h.n_inputs + h.n_outputs; i++)
        if (io[i] < 0 || io[i] >= (int32_t)h.n_tensors) return MOTE_FILE_ERR_CORRUPT;
    m->tensors = tensors;
    m->n_tensors = (int32_t)h.n_tensors;
    m->nodes = nodes;
    m->n_nodes = (int32_t)h.n_nodes;
    m->inputs = io;
    m->n_inputs = (int32_t)h.n_inputs;
    m->outputs = io + h.n_inputs;
    m->n_outputs = (int32_t)h.n_outputs;
    mote_reset(m);
    return MOTE_FILE_OK;
}
