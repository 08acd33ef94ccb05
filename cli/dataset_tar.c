/* dataset_tar: walk the folder, sort the names, write them with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset_tar.h"

typedef struct {
    char **names;
    size_t n, cap;
} name_list;

typedef struct {
    uint8_t *data;
    size_t len, cap;
} membuf;

static int add_name(name_list *l, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **g = realloc(l->names, cap * sizeof *g);
        if (!g) return -1;
        l->names = g;
        l->cap = cap;
    }
    return (l->names[l->n] = strdup(name)) ? (int)(++l->n, 0) : -1;
}

/* Collect the regular files under root/rel. */
static int walk(const char *cmd, const char *root, const char *rel, name_list *l, int depth)
{
    char path[4096];
    int len = snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    if (len < 0 || (size_t)len >= sizeof path) {
        fprintf(stderr, "mote %s: %s/%s: path longer than %zu bytes\n", cmd, root, rel, sizeof path - 1);
        return -1;
    }
    if (depth > 32) {
        fprintf(stderr, "mote %s: %s: folders nested deeper than 32 (a symlink loop?)\n", cmd, path);
        return -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        return -1;
    }
    struct dirent *e;
    int r = 0;
    while (r == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[4096], full[8200];
        int n = snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        if (n < 0 || (size_t)n >= 500) {
            fprintf(stderr, "mote %s: %s/%s: name longer than 500 bytes\n", cmd, path, e->d_name);
            r = -1;
            break;
        }
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (stat(full, &st) != 0) {
            perror(full);
            r = -1;
        } else if (S_ISDIR(st.st_mode)) {
            r = walk(cmd, root, sub, l, depth + 1);
        } else if (S_ISREG(st.st_mode) && add_name(l, sub) != 0) {
            fprintf(stderr, "mote %s: out of memory\n", cmd);
            r = -1;
        }
    }
    closedir(d);
    return r;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static la_ssize_t mem_write(struct archive *a, void *user, const void *buf, size_t n)
{
    membuf *m = user;
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap : 1 << 20;
        while (cap < m->len + n) cap *= 2;
        uint8_t *g = realloc(m->data, cap);
        if (!g) {
            archive_set_error(a, 12, "out of memory");
            return -1;
        }
        m->data = g;
        m->cap = cap;
    }
    memcpy(m->data + m->len, buf, n);
    m->len += n;
    return (la_ssize_t)n;
}

/* Write one file's entry and bytes. */
static int put_file(const char *cmd, struct archive *a, const char *root, const char *name)
{
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", root, name);
    FILE *f = fopen(full, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        perror(full);
        if (f) fclose(f);
        return -1;
    }
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, st.st_size);
    archive_entry_set_mtime(e, 0, 0);
    int r = archive_write_header(a, e) == ARCHIVE_OK ? 0 : -1;
    archive_entry_free(e);
    char buf[65536];
    size_t n;
    long long left = st.st_size;
    while (r == 0 && left > 0 && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (archive_write_data(a, buf, n) != (la_ssize_t)n) r = -1;
        left -= (long long)n;
    }
    if (r == 0 && left != 0) {
        fprintf(stderr, "mote %s: %s: changed while it was read\n", cmd, full);
        r = -1;
    } else if (r != 0) {
        fprintf(stderr, "mote %s: %s: %s\n", cmd, full, archive_error_string(a));
    }
    fclose(f);
    return r;
}

int dataset_tar(const char *cmd, const char *dir, uint8_t **tar, size_t *len, long *files)
{
    name_list l = {0};
    membuf m = {0};
    *tar = NULL;
    *len = 0;
    int r = walk(cmd, dir, "", &l, 0);
    if (r == 0 && l.n == 0) {
        fprintf(stderr, "mote %s: %s: no files in it\n", cmd, dir);
        r = -1;
    }
    if (r == 0) {
        qsort(l.names, l.n, sizeof *l.names, by_name);
        struct archive *a = archive_write_new();
        if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open(a, &m, NULL, mem_write, NULL) != ARCHIVE_OK) {
            fprintf(stderr, "mote %s: cannot start a tar: %s\n", cmd, a ? archive_error_string(a) : "out of memory");
            r = -1;
        }
        for (size_t i = 0; r == 0 && i < l.n; i++) r = put_file(cmd, a, dir, l.names[i]);
        if (a && archive_write_close(a) != ARCHIVE_OK && r == 0) {
            fprintf(stderr, "mote %s: tar: %s\n", cmd, archive_error_string(a));
            r = -1;
        }
        if (a) archive_write_free(a);
    }
    for (size_t i = 0; i < l.n; i++) free(l.names[i]);
    free(l.names);
    if (r != 0) {
        free(m.data);
        return -1;
    }
    *tar = m.data;
    *len = m.len;
    *files = (long)l.n;
    return 0;
}
