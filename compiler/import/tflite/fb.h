/* A small bounds-checked FlatBuffers reader.
 *
 * Every access is checked against the buffer; a bad offset does not crash,
 * it marks the reader failed (first error kept) and yields a zero/empty value.
 * Callers check fb_ok() after reading a table and report what they were reading.
 */
#ifndef MOTE_FB_H
#define MOTE_FB_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *buf;
    size_t len;
    const char *err; /* first failure, static string */
} fb_reader;

typedef struct {
    size_t pos;      /* table start; 0 = absent table */
    size_t vtable;
    uint16_t vtlen;  /* vtable size in bytes */
} fb_table;

typedef struct {
    size_t pos;      /* first element */
    uint32_t n;      /* element count; 0 for an absent vector */
} fb_vec;

int fb_ok(const fb_reader *r);
fb_table fb_root(fb_reader *r);
int fb_has(fb_reader *r, fb_table t, int field);

uint8_t fb_u8(fb_reader *r, fb_table t, int field, uint8_t dflt);
int8_t fb_i8(fb_reader *r, fb_table t, int field, int8_t dflt);
uint32_t fb_u32(fb_reader *r, fb_table t, int field, uint32_t dflt);
int32_t fb_i32(fb_reader *r, fb_table t, int field, int32_t dflt);
uint64_t fb_u64(fb_reader *r, fb_table t, int field, uint64_t dflt);
float fb_f32(fb_reader *r, fb_table t, int field, float dflt);

fb_table fb_subtable(fb_reader *r, fb_table t, int field);
/* A vector of elem_size-byte scalars or of offsets (elem_size 4). */
fb_vec fb_vector(fb_reader *r, fb_table t, int field, size_t elem_size);
/* Element i of a vector of tables. */
fb_table fb_vec_table(fb_reader *r, fb_vec v, uint32_t i);
/* String field: pointer into the buffer (not NUL-checked beyond length) and length. */
const char *fb_string(fb_reader *r, fb_table t, int field, uint32_t *len);

int32_t fb_vec_i32(const fb_reader *r, fb_vec v, uint32_t i);
int64_t fb_vec_i64(const fb_reader *r, fb_vec v, uint32_t i);
float fb_vec_f32(const fb_reader *r, fb_vec v, uint32_t i);

#endif
