/* Hex, base64 and the minimal JSON reader/writer of the device agent. */
#include "codec.h"

#include <string.h>

static const char hexd[] = "0123456789abcdef";

void mc_hex_encode(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[p[i] >> 4];
        out[2 * i + 1] = hexd[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int mc_hex_decode(const char *s, size_t slen, uint8_t *out, size_t n)
{
    if (slen != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static const char b64d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mc_b64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void mc_b64_encode(const uint8_t *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        out[o++] = b64d[v >> 18 & 63];
        out[o++] = b64d[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64d[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64d[v & 63] : '=';
    }
    out[o] = 0;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int mc_b64_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen)
{
    if (slen % 4) return -1;
    size_t o = 0;
    for (size_t i = 0; i < slen; i += 4) {
        int pad = 0;
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            char c = s[i + k];
            int d;
            if (c == '=' && i + 4 == slen && k >= 2) {
                pad++;
                d = 0;
            } else {
                if (pad) return -1; /* data after '=' */
                d = b64val(c);
                if (d < 0) return -1;
            }
            v = v << 6 | (uint32_t)d;
        }
        size_t take = (size_t)(3 - pad);
        if (o + take > cap) return -1;
        /* read all four chars before writing: in-place safe */
        out[o++] = (uint8_t)(v >> 16);
        if (take > 1) out[o++] = (uint8_t)(v >> 8);
        if (take > 2) out[o++] = (uint8_t)v;
    }
    *outlen = o;
    return 0;
}

/* ---- JSON reader ---- */

static size_t skip_ws(const char *p, size_t i, size_t n)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

/* End (one past) of the value starting at p[i]; 0 when malformed. Nesting
 * is counted without recursion, so hostile input cannot blow the stack. */
static size_t skip_value(const char *p, size_t i, size_t n)
{
    if (i >= n) return 0;
    if (p[i] == '"') {
        for (i++; i < n; i++) {
            if (p[i] == '\\') i++;
            else if (p[i] == '"') return i + 1;
        }
        return 0;
    }
    if (p[i] == '{' || p[i] == '[') {
        size_t depth = 0;
        for (; i < n; i++) {
            char c = p[i];
            if (c == '"') {
                size_t e = skip_value(p, i, n);
                if (!e) return 0;
                i = e - 1;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return 0;
    }
    size_t s = i;
    while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' && p[i] != ' ' && p[i] != '\n' &&
           p[i] != '\r' && p[i] != '\t')
        i++;
    return i > s ? i : 0;
}

mj_span mj_doc(const char *s, size_t n)
{
    mj_span v;
    size_t a = skip_ws(s, 0, n), b = n;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\n' || s[b - 1] == '\r' || s[b - 1] == '\t')) b--;
    v.p = s + a;
    v.n = b - a;
    return v;
}

int mj_get(mj_span obj, const char *key, mj_span *val)
{
    const char *p = obj.p;
    size_t n = obj.n, klen = strlen(key);
    if (n < 2 || p[0] != '{') return -1;
    size_t i = skip_ws(p, 1, n);
    if (i < n && p[i] == '}') return -1;
    while (i < n) {
        if (p[i] != '"') return -1;
        size_t ke = skip_value(p, i, n);
        if (!ke) return -1;
        /* keys are compared raw: the protocol's keys have no escapes */
        int match = ke - i - 2 == klen && !memcmp(p + i + 1, key, klen);
        i = skip_ws(p, ke, n);
        if (i >= n || p[i] != ':') return -1;
        i = skip_ws(p, i + 1, n);
        size_t ve = skip_value(p, i, n);
        if (!ve) return -1;
        if (match) {
            val->p = p + i;
            val->n = ve - i;
            return 0;
        }
        i = skip_ws(p, ve, n);
        if (i >= n || p[i] != ',') return -1;
        i = skip_ws(p, i + 1, n);
    }
    return -1;
}

int mj_is_string(mj_span v)
{
    return v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"';
}

static size_t put_utf8(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 63));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 63));
        o[2] = (char)(0x80 | (c & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 63));
    o[2] = (char)(0x80 | (c >> 6 & 63));
    o[3] = (char)(0x80 | (c & 63));
    return 4;
}

static int hex4(const char *s, uint32_t *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++) {
        int d = hexval(s[k]);
        if (d < 0) return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

int mj_string(mj_span v, char *out, size_t cap, size_t *len)
{
    if (!mj_is_string(v) || cap == 0) return -1;
    const char *s = v.p + 1;
    size_t n = v.n - 2, o = 0;
    for (size_t i = 0; i < n; i++) {
        char tmp[4];
        size_t k = 1;
        tmp[0] = s[i];
        if (s[i] == '\\') {
            if (++i >= n) return -1;
            switch (s[i]) {
            case '"': tmp[0] = '"'; break;
            case '\\': tmp[0] = '\\'; break;
            case '/': tmp[0] = '/'; break;
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'n': tmp[0] = '\n'; break;
            case 'r': tmp[0] = '\r'; break;
            case 't': tmp[0] = '\t'; break;
            case 'u': {
                uint32_t c;
                if (i + 4 >= n || hex4(s + i + 1, &c)) return -1;
                i += 4;
                if (c >= 0xD800 && c < 0xDC00) { /* surrogate pair */
                    uint32_t lo;
                    if (i + 6 >= n || s[i + 1] != '\\' || s[i + 2] != 'u' || hex4(s + i + 3, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return -1;
                    i += 6;
                    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                }
                k = put_utf8(c, tmp);
                break;
            }
            default: return -1;
            }
        } else if ((unsigned char)s[i] < 0x20) {
            return -1;
        }
        if (o + k >= cap) return -1;
        /* escapes only shrink, so in-place writes never pass the reads */
        for (size_t j = 0; j < k; j++) out[o++] = tmp[j];
    }
    out[o] = 0;
    if (len) *len = o;
    return 0;
}

int mj_int(mj_span v, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t x = 0;
    if (v.n == 0) return -1;
    if (v.p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= v.n) return -1;
    for (; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9') return -1;
        if (x > (uint64_t)INT64_MAX / 10) return -1;
        x = x * 10 + (uint64_t)(v.p[i] - '0');
    }
    if (x > (uint64_t)INT64_MAX) return -1;
    *out = neg ? -(int64_t)x : (int64_t)x;
    return 0;
}

/* ---- JSON writer ---- */

void mjw_init(mj_writer *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->ok = cap > 0;
}

void mjw_rawn(mj_writer *w, const char *s, size_t n)
{
    if (!w->ok) return;
    if (w->len + n >= w->cap) {
        w->ok = 0;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

void mjw_raw(mj_writer *w, const char *s)
{
    mjw_rawn(w, s, strlen(s));
}

/* Bytes of the well-formed UTF-8 sequence at s (1 to 4), 0 when it is not
 * one (stray, overlong, surrogate, past U+10FFFF or cut short). */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    else return 0;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0; /* a NUL stops here too */
    return n;
}

void mjw_str(mj_writer *w, const char *s)
{
    mjw_rawn(w, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        size_t u = c >= 0x80 ? utf8_seq((const unsigned char *)s) : 1;
        if (u == 0) {
            /* JSON text is UTF-8 (moted refuses anything else): a stray byte,
             * e.g. of a reason cut mid-character, becomes U+FFFD */
            mjw_raw(w, "\\ufffd");
        } else if (u > 1) {
            mjw_rawn(w, s, u);
            s += u - 1;
        } else if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            mjw_rawn(w, e, 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
            mjw_rawn(w, e, 6);
        } else {
            mjw_rawn(w, s, 1);
        }
    }
    mjw_rawn(w, "\"", 1);
}

size_t mc_u64_str(uint64_t v, char *out)
{
    char tmp[21];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}

void mjw_u64(mj_writer *w, uint64_t v)
{
    char tmp[21];
    mjw_rawn(w, tmp, mc_u64_str(v, tmp));
}

void mjw_key(mj_writer *w, const char *key, int first)
{
    if (!first) mjw_rawn(w, ",", 1);
    mjw_str(w, key);
    mjw_rawn(w, ":", 1);
}

int mjw_end(mj_writer *w)
{
    if (!w->ok) return -1;
    w->buf[w->len] = 0;
    return 0;
}
