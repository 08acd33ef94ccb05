/* Bounds-checked FlatBuffers access (format: flatbuffers.dev "internals"). */
#include "fb.h"

#include <string.h>

static int fail(fb_reader *r, const char *why)
{
    if (!r->err) r->err = why;
    return 0;
}

/* Is [pos, pos+n) inside the buffer? */
static int in_bounds(const fb_reader *r, size_t pos, size_t n)
{
    return pos <= r->len && n <= r->len - pos;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

int fb_ok(const fb_reader *r) { return r->err == NULL; }

static fb_table table_at(fb_reader *r, size_t pos)
{
    fb_table t = {0, 0, 0};
    if (!in_bounds(r, pos, 4)) {
        fail(r, "table offset outside the file");
        return t;
    }
    int32_t soff = (int32_t)rd32(r->buf + pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !in_bounds(r, (size_t)vt, 4)) {
        fail(r, "vtable offset outside the file");
        return t;
    }
    uint16_t vtlen = rd16(r->buf + vt);
    uint16_t tlen = rd16(r->buf + vt + 2);
    if (vtlen < 4 || (vtlen & 1) || !in_bounds(r, (size_t)vt, vtlen) || !in_bounds(r, pos, tlen)) {
        fail(r, "malformed vtable");
        return t;
    }
    t.pos = pos;
    t.vtable = (size_t)vt;
    t.vtlen = vtlen;
    return t;
}

fb_table fb_root(fb_reader *r)
{
    fb_table none = {0, 0, 0};
    if (r->len < 8) {
        fail(r, "file too short to be a FlatBuffer");
        return none;
    }
    uint32_t off = rd32(r->buf);
    if (off == 0) {
        fail(r, "root offset is zero");
        return none;
    }
    return table_at(r, off);
}

/* Absolute position of a field's inline value, 0 when absent. */
static size_t field_pos(fb_reader *r, fb_table t, int field, size_t size)
{
    if (t.pos == 0) return 0;
    size_t slot = 4 + 2 * (size_t)field;
    if (slot + 2 > t.vtlen) return 0;
    uint16_t off = rd16(r->buf + t.vtable + slot);
    if (off == 0) return 0;
    uint16_t tlen = rd16(r->buf + t.vtable + 2);
    if ((size_t)off + size > tlen || !in_bounds(r, t.pos + off, size)) {
        fail(r, "field outside its table");
        return 0;
    }
    return t.pos + off;
}

int fb_has(fb_reader *r, fb_table t, int field) { return field_pos(r, t, field, 1) != 0; }

uint8_t fb_u8(fb_reader *r, fb_table t, int field, uint8_t dflt)
{
    size_t p = field_pos(r, t, field, 1);
    return p ? r->buf[p] : dflt;
}

int8_t fb_i8(fb_reader *r, fb_table t, int field, int8_t dflt)
{
    size_t p = field_pos(r, t, field, 1);
    return p ? (int8_t)r->buf[p] : dflt;
}

uint32_t fb_u32(fb_reader *r, fb_table t, int field, uint32_t dflt)
{
    size_t p = field_pos(r, t, field, 4);
    return p ? rd32(r->buf + p) : dflt;
}

int32_t fb_i32(fb_reader *r, fb_table t, int field, int32_t dflt)
{
    size_t p = field_pos(r, t, field, 4);
    return p ? (int32_t)rd32(r->buf + p) : dflt;
}

uint64_t fb_u64(fb_reader *r, fb_table t, int field, uint64_t dflt)
{
    size_t p = field_pos(r, t, field, 8);
    return p ? rd64(r->buf + p) : dflt;
}

float fb_f32(fb_reader *r, fb_table t, int field, float dflt)
{
    size_t p = field_pos(r, t, field, 4);
    if (!p) return dflt;
    uint32_t u = rd32(r->buf + p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Follow the uoffset stored at pos. */
static size_t deref(fb_reader *r, size_t pos)
{
    uint32_t off = rd32(r->buf + pos);
    if (off == 0 || !in_bounds(r, pos, (size_t)off) || pos + off >= r->len) {
        fail(r, "offset points outside the file");
        return 0;
    }
    return pos + off;
}

fb_table fb_subtable(fb_reader *r, fb_table t, int field)
{
    fb_table none = {0, 0, 0};
    size_t p = field_pos(r, t, field, 4);
    if (!p) return none;
    size_t q = deref(r, p);
    return q ? table_at(r, q) : none;
}

fb_vec fb_vector(fb_reader *r, fb_table t, int field, size_t elem_size)
{
    fb_vec v = {0, 0};
    size_t p = field_pos(r, t, field, 4);
    if (!p) return v;
    size_t q = deref(r, p);
    if (!q) return v;
    if (!in_bounds(r, q, 4)) {
        fail(r, "vector header outside the file");
        return v;
    }
    uint32_t n = rd32(r->buf + q);
    if ((uint64_t)n * elem_size > r->len || !in_bounds(r, q + 4, (size_t)n * elem_size)) {
        fail(r, "vector runs past the end of the file");
        return v;
    }
    v.pos = q + 4;
    v.n = n;
    return v;
}

fb_table fb_vec_table(fb_reader *r, fb_vec v, uint32_t i)
{
    fb_table none = {0, 0, 0};
    if (i >= v.n) {
        fail(r, "vector index out of range");
        return none;
    }
    size_t q = deref(r, v.pos + 4 * (size_t)i);
    return q ? table_at(r, q) : none;
}

const char *fb_string(fb_reader *r, fb_table t, int field, uint32_t *len)
{
    fb_vec v = fb_vector(r, t, field, 1);
    *len = v.n;
    return v.pos ? (const char *)(r->buf + v.pos) : NULL;
}

int32_t fb_vec_i32(const fb_reader *r, fb_vec v, uint32_t i)
{
    return i < v.n ? (int32_t)rd32(r->buf + v.pos + 4 * (size_t)i) : 0;
}

int64_t fb_vec_i64(const fb_reader *r, fb_vec v, uint32_t i)
{
    return i < v.n ? (int64_t)rd64(r->buf + v.pos + 8 * (size_t)i) : 0;
}

float fb_vec_f32(const fb_reader *r, fb_vec v, uint32_t i)
{
    float f = 0.0f;
    if (i < v.n) {
        uint32_t u = rd32(r->buf + v.pos + 4 * (size_t)i);
        memcpy(&f, &u, sizeof f);
    }
    return f;
}
