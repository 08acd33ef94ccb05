/* Device agent internals: hex, base64 and a tiny JSON reader/writer for the
 * few shapes of docs/service.md. No allocation, no stdio: every output goes
 * into a caller buffer whose capacity is checked. */
#ifndef MOTE_AGENT_CODEC_H
#define MOTE_AGENT_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of n bytes into out (2n + 1 chars with the NUL). */
void mc_hex_encode(const uint8_t *p, size_t n, char *out);
/* Exactly 2n hex digits (either case) -> n bytes; -1 on anything else. */
int mc_hex_decode(const char *s, size_t slen, uint8_t *out, size_t n);

/* Standard base64 with padding. Encode: out needs 4 * ceil(n / 3) + 1. */
size_t mc_b64_encoded_len(size_t n);
void mc_b64_encode(const uint8_t *p, size_t n, char *out);
/* Decode slen chars into out (may be the same buffer as s: the write
 * position never passes the read one). -1 on a bad character or length,
 * or when the result would exceed cap. */
int mc_b64_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen);

/* A JSON value: the raw bytes of it inside the document. */
typedef struct {
    const char *p;
    size_t n;
} mj_span;

/* Find key among the members of the object `obj` (a span starting at '{').
 * 0 found, -1 absent or malformed. */
int mj_get(mj_span obj, const char *key, mj_span *val);
/* A whole document as a span (leading/trailing spaces dropped). */
mj_span mj_doc(const char *s, size_t n);
int mj_is_string(mj_span v);
/* Unescape a string value into out (cap incl. NUL). out may overlap v's
 * bytes when it starts at or before v.p + 1 (in-place decode). */
int mj_string(mj_span v, char *out, size_t cap, size_t *len);
/* An integer number (no fraction or exponent). */
int mj_int(mj_span v, int64_t *out);

/* Append-only writer into a fixed buffer; overflow is sticky (ok = 0). */
typedef struct {
    char *buf;
    size_t cap, len;
    int ok;
} mj_writer;
void mjw_init(mj_writer *w, char *buf, size_t cap);
void mjw_raw(mj_writer *w, const char *s);
void mjw_rawn(mj_writer *w, const char *s, size_t n);
/* A JSON string literal with escapes. */
void mjw_str(mj_writer *w, const char *s);
void mjw_u64(mj_writer *w, uint64_t v);
/* "key": prefixed by ',' unless first */
void mjw_key(mj_writer *w, const char *key, int first);
/* NUL-terminate; 0 if everything fit. */
int mjw_end(mj_writer *w);

/* Decimal of v into out (21 bytes suffice); returns the length. */
size_t mc_u64_str(uint64_t v, char *out);

#endif
