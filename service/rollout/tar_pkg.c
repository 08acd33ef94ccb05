/* A folder as a POSIX ustar archive in memory (the C package artifact), and
 * removal of the temporary folder it came from. Entries are sorted and carry
 * mtime 0, so the same package always gives the same bytes (and sha256). */
#include "rollout/tar_pkg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    uint8_t *buf;
    size_t len, cap;
} tbuf;

static int tb_grow(tbuf *b, size_t more)
{
    if (b->len + more <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + more) cap *= 2;
    uint8_t *p = realloc(b->buf, cap);
    if (!p) return -1;
    b->buf = p;
    b->cap = cap;
    return 0;
}

static void octal(char *field, size_t width, unsigned long long v)
{
    snprintf(field, width, "%0*llo", (int)width - 1, v);
}

/* One header block (and the file's data, padded to 512). */
static int add_entry(tbuf *b, const char *name, char type, const uint8_t *data, size_t size, char *err,
                     size_t errlen)
{
    size_t nlen = strlen(name);
    const char *base = name, *prefix = "";
    char pre[156] = "";
    if (nlen > 100) {
        /* ustar: split at a '/' so the prefix has <= 155 bytes and the name <= 100. */
        const char *cut = NULL;
        for (const char *p = name; *p; p++)
            if (*p == '/' && (size_t)(p - name) <= 155 && strlen(p + 1) <= 100) {
                cut = p;
                break;
            }
        if (!cut) {
            snprintf(err, errlen, "tar: path too long: %s", name);
            return -1;
        }
        memcpy(pre, name, (size_t)(cut - name));
        pre[cut - name] = 0;
        prefix = pre;
        base = cut + 1;
    }
    size_t padded = (size + 511) / 512 * 512;
    if (tb_grow(b, 512 + padded) != 0) {
        snprintf(err, errlen, "tar: out of memory");
        return -1;
    }
    uint8_t *h = b->buf + b->len;
    memset(h, 0, 512);
    memcpy(h, base, strlen(base));
    octal((char *)h + 100, 8, type == '5' ? 0755 : 0644);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, size);
    octal((char *)h + 136, 12, 0);
    memset(h + 148, ' ', 8);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 345, prefix, strlen(prefix));
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    b->len += 512;
    if (size) memcpy(b->buf + b->len, data, size);
    memset(b->buf + b->len + size, 0, padded - size);
    b->len += padded;
    return 0;
}

static int read_all(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int walk(tbuf *b, const char *root, const char *rel, char *err, size_t errlen)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (rc == 0 && strcmp(nm, ".") && strcmp(nm, "..")) {
            char r2[4096], full[8192];
            snprintf(r2, sizeof r2, "%s%s%s", rel, *rel ? "/" : "", nm);
            snprintf(full, sizeof full, "%s/%s", root, r2);
            struct stat st;
            if (lstat(full, &st) != 0) {
                snprintf(err, errlen, "%s: %s", full, strerror(errno));
                rc = -1;
            } else if (S_ISDIR(st.st_mode)) {
                char dname[4100];
                snprintf(dname, sizeof dname, "%s/", r2);
                rc = add_entry(b, dname, '5', NULL, 0, err, errlen);
                if (rc == 0) rc = walk(b, root, r2, err, errlen);
            } else if (S_ISREG(st.st_mode)) {
                uint8_t *data = NULL;
                size_t len = 0;
                if (read_all(full, &data, &len) != 0) {
                    snprintf(err, errlen, "%s: cannot read", full);
                    rc = -1;
                } else {
                    rc = add_entry(b, r2, '0', data, len, err, errlen);
                }
                free(data);
            }
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

int tar_pkg_dir(const char *dir, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    tbuf b = {0};
    if (walk(&b, dir, "", err, errlen) != 0 || tb_grow(&b, 1024) != 0) {
        if (!err[0]) snprintf(err, errlen, "tar: out of memory");
        free(b.buf);
        return -1;
    }
    memset(b.buf + b.len, 0, 1024); /* two zero blocks end the archive */
    b.len += 1024;
    *out = b.buf;
    *len = b.len;
    return 0;
}

int tar_pkg_rmtree(const char *dir)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, NULL);
    if (n < 0) return errno == ENOENT ? 0 : -1;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..")) {
            char full[4096];
            struct stat st;
            snprintf(full, sizeof full, "%s/%s", dir, nm);
            if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) rc |= tar_pkg_rmtree(full);
            else if (unlink(full) != 0) rc = -1;
        }
        free(ents[i]);
    }
    free(ents);
    if (rmdir(dir) != 0) rc = -1;
    return rc;
}
