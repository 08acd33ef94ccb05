/* Sizes of a compiled model, and the runtime's table sizes on a target. */
#include "backend/compiled.h"

#include "mote/mote_file.h"

typedef struct {
    size_t size, align;
} field;

/* C struct layout as gcc/clang do it on every ABI mote targets. */
static size_t layout(const field *f, int n)
{
    size_t off = 0, max_align = 1;
    for (int i = 0; i < n; i++) {
        off = (off + f[i].align - 1) / f[i].align * f[i].align + f[i].size;
        if (f[i].align > max_align) max_align = f[i].align;
    }
    return (off + max_align - 1) / max_align * max_align;
}

size_t mote_abi_tensor_bytes(int ptr_bytes)
{
    const size_t p = (size_t)ptr_bytes;
    const field f[] = {
        {p, p}, {p, p},          /* data, bytes */
        {4 * MOTE_MAX_DIMS, 4}, {1, 1}, {1, 1}, {1, 1}, /* dims, rank, type, flags */
        {p, p}, {p, p}, {4, 4}, {4, 4}, /* q: scale, zero_point, n, axis */
    };
    return layout(f, (int)(sizeof f / sizeof f[0]));
}

size_t mote_abi_node_bytes(int ptr_bytes)
{
    const size_t p = (size_t)ptr_bytes;
    const field f[] = {
        {2, 2}, {2, 2}, {2, 2}, {p, p},  /* op, n_in, n_out, io */
        {sizeof(mote_opts), 4},          /* no pointers: the same bytes everywhere */
        {p, p}, {1, 1}, {p, p}, {p, p},  /* eval, kernel, data, data_bytes */
        {p, p}, {p, p}, {p, p}, {p, p},  /* state, state_bytes, scratch_bytes, scratch */
    };
    return layout(f, (int)(sizeof f / sizeof f[0]));
}

/* If mote.h changes, these fail to compile until the field lists follow. */
_Static_assert(sizeof(void *) != 8 || sizeof(mote_tensor) == 72, "update mote_abi_tensor_bytes");
_Static_assert(sizeof(mote_opts) % 4 == 0, "mote_opts must stay pointer-free and 4-aligned");

static size_t align16(size_t x)
{
    return (x + 15u) & ~(size_t)15u;
}

void mote_compiled_sizes_of(const mote_host_model *hm, mote_compiled_sizes *s)
{
    const mote_model *m = &hm->m;
    *s = (mote_compiled_sizes){0};
    s->plan_bytes = hm->plan.arena_bytes;
    s->n_tensors = m->n_tensors;
    s->n_nodes = m->n_nodes;
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const mote_tensor *t = &m->tensors[i];
        if ((t->flags & MOTE_TENSOR_CONST) && !(t->flags & MOTE_TENSOR_PACKED)) s->weights_bytes += t->bytes;
        if (t->q.n > 0) s->quant_bytes += 8 + 8 * (size_t)t->q.n;
    }
    for (int32_t i = 0; i < m->n_nodes; i++) {
        s->params_bytes += m->nodes[i].data_bytes;
        s->state_bytes += align16(m->nodes[i].state_bytes);
    }
}

size_t mote_file_arena_for(const mote_compiled_sizes *s, int ptr_bytes)
{
    return align16(s->plan_bytes) + align16(s->state_bytes) +
           align16((size_t)s->n_tensors * mote_abi_tensor_bytes(ptr_bytes)) +
           (size_t)s->n_nodes * mote_abi_node_bytes(ptr_bytes);
}
