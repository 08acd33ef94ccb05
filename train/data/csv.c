/* A CSV reader for manifests, sensor logs and numeric tables, plain or gzip'd (zlib's gzread passes a
 * plain file through unchanged). It owns its line buffer and field array; errors name file and line. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

#define CSV_MAX_LINE (1u << 20)

struct ds_csv {
    gzFile gz;
    char *path;
    char buf[65536];          /* bytes read, not yet cut into lines */
    size_t have, at;
    bool eof;
    char *line;               /* current line, NUL-terminated; fields point into it */
    size_t line_cap;
    char **fields;
    int n_fields, cap_fields;
    long line_no;
};

ds_csv *ds__csv_open(const char *path, char *err, size_t errlen)
{
    if (!ds__is_file(path)) {
        ds__err(err, errlen, "%s: cannot open: %s", path, ds__is_dir(path) ? "is a directory" : strerror(errno));
        return NULL;
    }
    ds_csv *c = calloc(1, sizeof *c);
    if (!c || !(c->path = ds__strdup(path))) {
        free(c);
        ds__err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    c->gz = gzopen(path, "rb");
    if (!c->gz) {
        ds__err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        free(c->path);
        free(c);
        return NULL;
    }
    return c;
}

void ds__csv_close(ds_csv *c)
{
    if (!c) return;
    gzclose(c->gz);
    free(c->path);
    free(c->line);
    free(c->fields);
    free(c);
}

long ds__csv_line(const ds_csv *c) { return c->line_no; }
const char *ds__csv_path(const ds_csv *c) { return c->path; }

/* Reads one raw line (without its '\n') into c->line: 1, 0 at the end, -1 on an error. */
static int read_line(ds_csv *c, char *err, size_t errlen)
{
    size_t len = 0;
    bool any = false;
    for (;;) {
        if (c->at == c->have) {
            if (c->eof) break;
            int got = gzread(c->gz, c->buf, (unsigned)sizeof c->buf);
            if (got < 0) {
                int code;
                const char *msg = gzerror(c->gz, &code);
                return ds__err(err, errlen, "%s:%ld: corrupt gzip data: %s", c->path, c->line_no + 1,
                               msg ? msg : "read error");
            }
            if (got == 0) {
                c->eof = true;
                break;
            }
            c->have = (size_t)got;
            c->at = 0;
        }
        any = true;
        char *start = c->buf + c->at;
        char *nl = memchr(start, '\n', c->have - c->at);
        size_t take = nl ? (size_t)(nl - start) : c->have - c->at;
        if (len + take + 1 > c->line_cap) {
            if (len + take + 1 > CSV_MAX_LINE)
                return ds__err(err, errlen, "%s:%ld: line longer than %u bytes", c->path, c->line_no + 1,
                               CSV_MAX_LINE);
            size_t cap = c->line_cap ? c->line_cap : 256;
            while (cap < len + take + 1) cap *= 2;
            char *nb = realloc(c->line, cap);
            if (!nb) return ds__err(err, errlen, "%s: out of memory", c->path);
            c->line = nb;
            c->line_cap = cap;
        }
        memcpy(c->line + len, start, take);
        len += take;
        c->at += take + (nl ? 1 : 0);
        if (nl) break;
    }
    if (!any) return 0;
    c->line_no++;
    if (!c->line) {   /* an empty last line */
        if (!(c->line = malloc(c->line_cap = 16))) return ds__err(err, errlen, "%s: out of memory", c->path);
    }
    c->line[len] = 0;
    if (len && c->line[len - 1] == '\r') c->line[--len] = 0;
    if (memchr(c->line, 0, len))
        return ds__err(err, errlen, "%s:%ld: binary data (a NUL byte) in a text file", c->path, c->line_no);
    return 1;
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }

static int push_field(ds_csv *c, char *f)
{
    if (c->n_fields == c->cap_fields) {
        int nc = c->cap_fields ? c->cap_fields * 2 : 16;
        char **nf = realloc(c->fields, (size_t)nc * sizeof *nf);
        if (!nf) return -1;
        c->fields = nf;
        c->cap_fields = nc;
    }
    c->fields[c->n_fields++] = f;
    return 0;
}

int ds__csv_next(ds_csv *c, char ***fields, int *n, char *err, size_t errlen)
{
    for (;;) {
        int r = read_line(c, err, errlen);
        if (r <= 0) return r;
        char *p = c->line;
        while (is_blank(*p)) p++;
        if (!*p) continue;     /* blank line */
        c->n_fields = 0;
        /* Cut in place: a field's text is compacted to its start (quotes removed). */
        for (;;) {
            while (is_blank(*p)) p++;
            char *out = p, *start = p;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (!*p)
                        return ds__err(err, errlen, "%s:%ld: field %d: unterminated quote", c->path,
                                       c->line_no, c->n_fields + 1);
                    if (*p == '"') {
                        if (p[1] != '"') break;
                        p++;
                    }
                    *out++ = *p++;
                }
                p++;   /* closing quote */
                while (is_blank(*p)) p++;
                if (*p && *p != ',')
                    return ds__err(err, errlen, "%s:%ld: field %d: text after a closing quote", c->path,
                                   c->line_no, c->n_fields + 1);
            } else {
                while (*p && *p != ',') *out++ = *p++;
                while (out > start && is_blank(out[-1])) out--;
            }
            char sep = *p;
            *out = 0;
            if (push_field(c, start)) return ds__err(err, errlen, "%s: out of memory", c->path);
            if (sep != ',') break;
            p++;
        }
        *fields = c->fields;
        *n = c->n_fields;
        return 1;
    }
}

int ds__csv_number(const ds_csv *c, const char *s, int field, double *v, char *err, size_t errlen)
{
    if (!*s) return ds__err(err, errlen, "%s:%ld: field %d is empty", c->path, c->line_no, field);
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || end == s)
        return ds__err(err, errlen, "%s:%ld: field %d '%.40s' is not a number", c->path, c->line_no, field, s);
    if (isnan(d)) return ds__err(err, errlen, "%s:%ld: field %d is NaN", c->path, c->line_no, field);
    if (isinf(d) || fabs(d) > 3.0e38)   /* beyond float */
        return ds__err(err, errlen, "%s:%ld: field %d '%.40s' is out of range", c->path, c->line_no, field, s);
    *v = d;
    return 0;
}
