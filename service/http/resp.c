/* The request/response calls of http.h that handlers use. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http.h"

/* A value of a key, value, ... NULL list (no connection: moted_http_dispatch). */
static const char *kv_find(const char *const *kv, const char *key, int nocase)
{
    for (; kv && kv[0] && kv[1]; kv += 2)
        if (nocase ? !strcasecmp(kv[0], key) : !strcmp(kv[0], key)) return kv[1];
    return NULL;
}

const char *moted_req_query(const moted_req *r, const char *key)
{
    return r->conn ? MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key) : kv_find(r->query, key, 0);
}

const char *moted_req_header(const moted_req *r, const char *key)
{
    return r->conn ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key) : kv_find(r->headers, key, 1);
}

json_t *moted_req_json(const moted_req *r, struct moted_resp *resp)
{
    if (!r->body || r->body_len == 0) {
        moted_resp_error(resp, 400, "body: expected a JSON object, got nothing");
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        moted_resp_error(resp, 400, "body: malformed JSON at line %d column %d: %s", e.line, e.column, e.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        moted_resp_error(resp, 400, "body: expected a JSON object");
        return NULL;
    }
    return j;
}

static void resp_reset(moted_resp *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
    if (resp->fd >= 0) close(resp->fd);
    resp->fd = -1;
    resp->offset = resp->total = 0;
    resp->content_range[0] = 0;
}

void moted_resp_init(moted_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->fd = -1;
}

void moted_resp_release(moted_resp *resp)
{
    resp_reset(resp);
    resp->status = 0;
    resp->content_type = NULL;
}

void moted_resp_json(moted_resp *resp, int status, json_t *j)
{
    resp_reset(resp);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!s) {
        /* Only out of memory gets here; the fixed text needs no allocation of ours. */
        static const char oom[] = "{\"error\":\"out of memory building the response\"}";
        moted_resp_bytes(resp, 500, "application/json", oom, sizeof oom - 1);
        return;
    }
    resp->status = status;
    resp->content_type = "application/json";
    resp->body = (uint8_t *)s;
    resp->len = strlen(s);
}

/* Bytes of the well-formed UTF-8 sequence at s (1 to 4), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n < 2) return n;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0; /* the NUL stops here too */
    return n;
}

void moted_resp_error(moted_resp *resp, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* JSON strings are UTF-8: a message quoting a raw path byte (MHD unescapes
     * "%ff") or cut mid-character gets '?' there instead of failing to encode. */
    for (unsigned char *p = (unsigned char *)msg; *p;) {
        size_t n = utf8_seq(p);
        if (n == 0) *p++ = '?';
        else p += n;
    }
    moted_resp_json(resp, status, json_pack("{s:s}", "error", msg));
}

void moted_resp_empty(moted_resp *resp, int status)
{
    resp_reset(resp);
    resp->status = status;
    resp->content_type = NULL;
}

void moted_resp_bytes(moted_resp *resp, int status, const char *content_type, const void *data, size_t len)
{
    resp_reset(resp);
    uint8_t *b = malloc(len ? len : 1);
    if (!b) {
        resp->status = 500;
        resp->content_type = NULL;
        return;
    }
    if (len) memcpy(b, data, len);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = b;
    resp->len = len;
}

/* "bytes=N-" or "bytes=N-M": 1 with the range, 0 when absent or not of that form (whole file). */
static int parse_range(const char *h, uint64_t *first, uint64_t *last, int *has_last)
{
    if (!h || strncmp(h, "bytes=", 6) != 0) return 0;
    const char *p = h + 6;
    if (*p < '0' || *p > '9') return 0; /* suffix ranges ("-N") and lists: serve the whole file */
    errno = 0;
    char *end;
    uintmax_t a = strtoumax(p, &end, 10);
    if (errno || *end != '-') return 0;
    *first = (uint64_t)a;
    *has_last = 0;
    if (end[1] == 0) return 1;
    p = end + 1;
    uintmax_t b = strtoumax(p, &end, 10);
    if (errno || *end != 0 || b < a) return 0;
    *last = (uint64_t)b;
    *has_last = 1;
    return 1;
}

void moted_resp_file(moted_resp *resp, const moted_req *r, const char *path)
{
    resp_reset(resp);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) moted_resp_error(resp, 404, "%s: no such file", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
        else moted_resp_error(resp, 500, "%s: %s", path, strerror(errno));
        return;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        moted_resp_error(resp, 500, "%s: not a readable file", path);
        return;
    }
    uint64_t size = (uint64_t)sb.st_size, first = 0, last = 0;
    int has_last = 0;
    if (parse_range(moted_req_header(r, "Range"), &first, &last, &has_last)) {
        if (first >= size) {
            close(fd);
            moted_resp_error(resp, 416, "Range: starts at %" PRIu64 ", the file has %" PRIu64 " bytes", first, size);
            snprintf(resp->content_range, sizeof resp->content_range, "bytes */%" PRIu64, size);
            return;
        }
        if (!has_last || last >= size) last = size - 1;
        resp->status = 206;
        resp->offset = first;
        resp->len = (size_t)(last - first + 1);
        resp->total = size;
        snprintf(resp->content_range, sizeof resp->content_range, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
                 last, size);
    } else {
        resp->status = 200;
        resp->offset = 0;
        resp->len = (size_t)size;
        resp->total = size;
    }
    resp->fd = fd;
    resp->content_type = "application/octet-stream";
}
