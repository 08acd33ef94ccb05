/* File and string-list helpers for the backends. */
#include "backend/emit_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int strlist_has(const strlist *s, const char *x)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x)) return 1;
    return 0;
}

int strlist_add(strlist *s, const char *x)
{
    if (strlist_has(s, x)) return 0;
    char **v = realloc(s->v, sizeof *v * (size_t)(s->n + 1));
    if (!v) return -1;
    s->v = v;
    if (!(s->v[s->n] = strdup(x))) return -1;
    s->n++;
    return 0;
}

void strlist_free(strlist *s)
{
    for (int i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

char *emit_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *p = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 1 >= cap) {
            cap = cap ? cap * 2 : 65536;
            char *q = realloc(p, cap);
            if (!q) {
                free(p);
                fclose(f);
                return NULL;
            }
            p = q;
        }
        size_t r = fread(p + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(p);
        return NULL;
    }
    p[n] = 0;
    if (len) *len = n;
    return p;
}

int emit_copy_file(const char *from, const char *to)
{
    size_t n;
    char *p = emit_slurp(from, &n);
    if (!p) return -1;
    FILE *f = fopen(to, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    free(p);
    return ok ? 0 : -1;
}

void emit_u32_array(FILE *f, const char *name, const void *data, size_t bytes)
{
    const uint8_t *p = data;
    size_t words = (bytes + 3) / 4;
    fprintf(f, "static const uint32_t %s[%zu] MOTE_ALIGNED(16) = {", name, words ? words : 1);
    for (size_t w = 0; w < words; w++) {
        uint32_t v = 0;
        for (size_t b = 0; b < 4 && 4 * w + b < bytes; b++) v |= (uint32_t)p[4 * w + b] << (8 * b);
        fprintf(f, "%s0x%08x,", w % 8 == 0 ? "\n    " : " ", (unsigned)v);
    }
    fprintf(f, "%s\n};\n", words ? "" : "0");
}

int emit_mkdirs(const char *path)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int emit_list_dir(const char *dir, const char *suffix, strlist *out)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    size_t sl = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > sl && !strcmp(e->d_name + l - sl, suffix) && strlist_add(out, e->d_name) != 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    qsort(out->v, (size_t)out->n, sizeof *out->v, by_name);
    return 0;
}
