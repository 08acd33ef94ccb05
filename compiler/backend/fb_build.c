/* FlatBuffers builder (fb_build.h): back to front, little endian, aligned. */
#include "backend/fb_build.h"

#include <stdlib.h>
#include <string.h>

/* uoffsets are unsigned 32-bit, soffsets signed: stay below 2 GiB. */
#define FBB_MAX_SIZE ((size_t)0x7fffffff)

static void fail(fbb *b, const char *why)
{
    if (!b->err) b->err = why;
}

void fbb_init(fbb *b)
{
    memset(b, 0, sizeof *b);
    b->minalign = 1;
}

void fbb_free(fbb *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}

/* Room for n more bytes in front of what is built. */
static int reserve(fbb *b, size_t n)
{
    if (b->err) return 0;
    if (n > FBB_MAX_SIZE - b->size) {
        fail(b, "model larger than 2 GiB");
        return 0;
    }
    if (b->cap - b->size >= n) return 1;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->size < n) cap = cap > FBB_MAX_SIZE / 2 ? FBB_MAX_SIZE + 1 : cap * 2;
    uint8_t *nb = malloc(cap);
    if (!nb) {
        fail(b, "out of memory");
        return 0;
    }
    if (b->size) memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
    free(b->buf);
    b->buf = nb;
    b->cap = cap;
    return 1;
}

/* The first byte of what is built (valid after a successful reserve). */
static uint8_t *front(fbb *b)
{
    return b->buf + b->cap - b->size;
}

static void push_zeros(fbb *b, size_t n)
{
    if (!n || !reserve(b, n)) return;
    b->size += n;
    memset(front(b), 0, n);
}

void fbb_push_le(fbb *b, uint64_t v, size_t size)
{
    if (!reserve(b, size)) return;
    b->size += size;
    uint8_t *p = front(b);
    for (size_t i = 0; i < size; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void push_bytes(fbb *b, const void *data, size_t n)
{
    if (!n || !reserve(b, n)) return;
    b->size += n;
    memcpy(front(b), data, n);
}

/* Pad so that after n more bytes the size is a multiple of align (a power
 * of two): those n bytes then start at a multiple of align from the end. */
static void prep(fbb *b, size_t align, size_t n)
{
    if (align > b->minalign) b->minalign = align;
    push_zeros(b, (size_t)(0 - (b->size + n)) & (align - 1));
}

static size_t max3(size_t a, size_t b, size_t c)
{
    size_t m = a > b ? a : b;
    return m > c ? m : c;
}

void fbb_vec_start(fbb *b, size_t n, size_t elem_size, size_t align)
{
    if (b->in_table) fail(b, "vector started inside a table");
    if (elem_size && n > FBB_MAX_SIZE / elem_size) {
        fail(b, "model larger than 2 GiB");
        return;
    }
    /* the data at a multiple of its alignment, the uint32 length right before it */
    prep(b, max3(align, elem_size, 4), n * elem_size);
}

fbb_ref fbb_vec_end(fbb *b, size_t n)
{
    fbb_push_le(b, (uint32_t)n, 4);
    return b->err ? 0 : (fbb_ref)b->size;
}

fbb_ref fbb_vec_bytes(fbb *b, const void *data, size_t n, size_t align)
{
    fbb_vec_start(b, n, 1, align);
    push_bytes(b, data, n);
    return fbb_vec_end(b, n);
}

fbb_ref fbb_vec_i32(fbb *b, const int32_t *v, size_t n)
{
    fbb_vec_start(b, n, 4, 4);
    for (size_t i = n; i-- > 0;) fbb_push_le(b, (uint32_t)v[i], 4);
    return fbb_vec_end(b, n);
}

fbb_ref fbb_vec_f32(fbb *b, const float *v, size_t n)
{
    fbb_vec_start(b, n, 4, 4);
    for (size_t i = n; i-- > 0;) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        fbb_push_le(b, bits, 4);
    }
    return fbb_vec_end(b, n);
}

fbb_ref fbb_vec_i64_of_i32(fbb *b, const int32_t *v, size_t n)
{
    fbb_vec_start(b, n, 8, 8);
    for (size_t i = n; i-- > 0;) fbb_push_le(b, (uint64_t)(int64_t)v[i], 8);
    return fbb_vec_end(b, n);
}

/* A uoffset to r, stored at the next 4 bytes: relative to where it is stored. */
static void push_offset(fbb *b, fbb_ref r)
{
    prep(b, 4, 4);
    if (b->err) return;
    if (r == 0 || r > b->size + 4) {
        fail(b, "offset to an object not built yet");
        return;
    }
    fbb_push_le(b, (uint32_t)(b->size + 4 - r), 4);
}

fbb_ref fbb_vec_refs(fbb *b, const fbb_ref *refs, size_t n)
{
    fbb_vec_start(b, n, 4, 4);
    for (size_t i = n; i-- > 0;) push_offset(b, refs[i]);
    return fbb_vec_end(b, n);
}

fbb_ref fbb_string(fbb *b, const char *s)
{
    size_t n = strlen(s);
    if (b->in_table) fail(b, "string started inside a table");
    prep(b, 4, n + 1);
    push_zeros(b, 1); /* NUL terminator, not counted in the length */
    push_bytes(b, s, n);
    return fbb_vec_end(b, n);
}

void fbb_table_start(fbb *b)
{
    if (b->in_table) fail(b, "table started inside a table");
    b->in_table = 1;
    b->tstart = b->size;
    b->nfields = 0;
    memset(b->field, 0, sizeof b->field);
}

/* Record that field's value was just pushed. */
static void mark(fbb *b, int field)
{
    if (!b->in_table || field < 0 || field >= FBB_MAX_FIELDS) {
        fail(b, "field outside a table or numbered too high");
        return;
    }
    if (b->err) return;
    b->field[field] = (uint32_t)b->size;
    if (field + 1 > b->nfields) b->nfields = field + 1;
}

static void scalar(fbb *b, int field, uint64_t v, size_t size)
{
    prep(b, size, size);
    fbb_push_le(b, v, size);
    mark(b, field);
}

void fbb_field_u8(fbb *b, int field, uint8_t v) { scalar(b, field, v, 1); }
void fbb_field_i32(fbb *b, int field, int32_t v) { scalar(b, field, (uint32_t)v, 4); }
void fbb_field_u32(fbb *b, int field, uint32_t v) { scalar(b, field, v, 4); }

void fbb_field_f32(fbb *b, int field, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    scalar(b, field, bits, 4);
}

void fbb_field_ref(fbb *b, int field, fbb_ref r)
{
    push_offset(b, r);
    mark(b, field);
}

fbb_ref fbb_table_end(fbb *b)
{
    if (!b->in_table) fail(b, "table ended but not started");
    b->in_table = 0;
    /* the table starts with an soffset to its vtable, patched below */
    prep(b, 4, 4);
    fbb_push_le(b, 0, 4);
    if (b->err) return 0;
    const size_t tref = b->size;
    const size_t tsize = tref - b->tstart;
    const size_t vtsize = 4 + 2 * (size_t)b->nfields;
    if (tsize > 0xffff) {
        fail(b, "table larger than 64 KiB");
        return 0;
    }
    /* vtable, built last entry first: [vtable bytes][table bytes][field offsets] */
    for (int f = b->nfields; f-- > 0;) fbb_push_le(b, b->field[f] ? (uint16_t)(tref - b->field[f]) : 0, 2);
    fbb_push_le(b, (uint16_t)tsize, 2);
    fbb_push_le(b, (uint16_t)vtsize, 2);
    if (b->err) return 0;
    /* table position - vtable position, stored at the table */
    const uint32_t soff = (uint32_t)(b->size - tref);
    uint8_t *t = b->buf + b->cap - tref;
    for (int i = 0; i < 4; i++) t[i] = (uint8_t)(soff >> (8 * i));
    return (fbb_ref)tref;
}

int fbb_finish(fbb *b, fbb_ref root, const char ident[4], uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (b->in_table) fail(b, "unfinished table");
    prep(b, b->minalign > 16 ? b->minalign : 16, 8);
    push_bytes(b, ident, 4);
    push_offset(b, root);
    if (b->err) return -1;
    uint8_t *o = aligned_alloc(16, (b->size + 15) & ~(size_t)15);
    if (!o) {
        fail(b, "out of memory");
        return -1;
    }
    memcpy(o, front(b), b->size);
    *out = o;
    *len = b->size;
    return 0;
}
