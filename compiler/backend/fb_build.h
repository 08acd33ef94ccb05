/* A small FlatBuffers builder, written for mote from the public format
 * description (flatbuffers.dev, "internals"), the writing twin of
 * import/tflite/fb.c.
 *
 * The buffer grows from its end toward its start, as FlatBuffers builders do:
 * an object is finished before the table that refers to it, so every uoffset
 * points forward in the file. An object is named by its distance from the end
 * of the buffer (fbb_ref), which no later growth changes. Alignment is kept
 * relative to the end, and fbb_finish pads the front so the total size is a
 * multiple of the largest alignment used: every scalar sits at a multiple of
 * its size, every vector's data at a multiple of its alignment (16 for data
 * that asks for it) from the start of the file.
 *
 * Scalars are written little endian whatever the host. Errors (out of memory,
 * a file past 2 GiB, a table too large for 16-bit vtable offsets) are sticky:
 * later calls do nothing and fbb_finish reports failure. */
#ifndef MOTE_FB_BUILD_H
#define MOTE_FB_BUILD_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t fbb_ref; /* an object's offset from the end of the buffer; 0 = none */

#define FBB_MAX_FIELDS 24

typedef struct {
    uint8_t *buf;      /* the bytes built so far are buf[cap - size, cap) */
    size_t cap, size;
    size_t minalign;   /* largest alignment asked for */
    const char *err;   /* first failure (static string); NULL while fine */
    /* the table being built */
    int in_table;
    size_t tstart;                  /* size when it began */
    uint32_t field[FBB_MAX_FIELDS]; /* ref of each field's value, 0 = absent */
    int nfields;                    /* highest field set + 1 */
} fbb;

void fbb_init(fbb *b);
void fbb_free(fbb *b);

/* Vectors: start (n elements of elem_size bytes, data aligned to align, a
 * power of two), push the elements last first with fbb_push_le, end. */
void fbb_vec_start(fbb *b, size_t n, size_t elem_size, size_t align);
void fbb_push_le(fbb *b, uint64_t v, size_t size);
fbb_ref fbb_vec_end(fbb *b, size_t n);

/* Whole vectors at once. */
fbb_ref fbb_vec_bytes(fbb *b, const void *data, size_t n, size_t align);
fbb_ref fbb_vec_i32(fbb *b, const int32_t *v, size_t n);
fbb_ref fbb_vec_f32(fbb *b, const float *v, size_t n);
fbb_ref fbb_vec_i64_of_i32(fbb *b, const int32_t *v, size_t n); /* [long] from int32 values */
fbb_ref fbb_vec_refs(fbb *b, const fbb_ref *refs, size_t n);   /* vector of tables/strings */
fbb_ref fbb_string(fbb *b, const char *s);

/* Tables: start, add fields (any order; one table at a time, so build the
 * objects it refers to first), end. Field numbers are the schema's ids. */
void fbb_table_start(fbb *b);
void fbb_field_u8(fbb *b, int field, uint8_t v);
void fbb_field_i32(fbb *b, int field, int32_t v);
void fbb_field_u32(fbb *b, int field, uint32_t v);
void fbb_field_f32(fbb *b, int field, float v);
void fbb_field_ref(fbb *b, int field, fbb_ref r);
fbb_ref fbb_table_end(fbb *b);

/* Root offset and 4-byte file identifier in front; *out gets a malloc'd,
 * 16-byte aligned copy (free with free()). 0 on success, -1 with b->err set. */
int fbb_finish(fbb *b, fbb_ref root, const char ident[4], uint8_t **out, size_t *len);

#endif
