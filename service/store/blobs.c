/* Content-addressed blobs: DIR/blobs/AB/<sha256>. A blob appears under its
 * name only once complete and on disk (temp file, fsync, rename, fsync of the
 * directory), so a row never refers to a half-written file. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/backend.h"

void mote_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

int mote_is_sha256_hex(const char *h)
{
    if (!h || strlen(h) != 64) return 0;
    for (int i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'))) return 0;
    return 1;
}

int mote_store_blob_path(mote_store *s, const char *hex, char *path, size_t pathlen)
{
    if (!mote_is_sha256_hex(hex)) return mote_store_fail(s, "blob: '%.80s' is not a sha256 in hex", hex ? hex : "");
    if ((size_t)snprintf(path, pathlen, "%s/blobs/%.2s/%s", s->dir, hex, hex) >= pathlen)
        return mote_store_fail(s, "blob %s: path too long", hex);
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? 0 : 1;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

static int mkdir_p1(const char *d)
{
    return mkdir(d, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int mote_store_blob_put(mote_store *s, const void *data, size_t len, char hex_out[65])
{
    mote_sha256_hex(data, len, hex_out);
    char path[1200], dir[1200], top[1200], tmp[1300];
    int ex = mote_store_blob_path(s, hex_out, path, sizeof path);
    if (ex < 0) return -1;
    if (ex == 0) return 0; /* same name, same bytes */
    snprintf(top, sizeof top, "%s/blobs", s->dir);
    snprintf(dir, sizeof dir, "%s/blobs/%.2s", s->dir, hex_out);
    if (mkdir_p1(top) != 0 || mkdir_p1(dir) != 0)
        return mote_store_fail(s, "%s: %s", dir, strerror(errno));
    /* A unique temp name: concurrent writers of the same blob both succeed. */
    unsigned char r[8];
    char rhex[17];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(rhex, sizeof rhex, r, sizeof r);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s", dir, rhex);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return mote_store_fail(s, "%s: %s", tmp, strerror(errno));
    const uint8_t *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return mote_store_fail(s, "%s: write: %s", tmp, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return mote_store_fail(s, "%s: fsync: %s", tmp, strerror(e));
    }
    if (close(fd) != 0) {
        unlink(tmp);
        return mote_store_fail(s, "%s: close: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return mote_store_fail(s, "%s: rename: %s", path, strerror(e));
    }
    if (fsync_dir(dir) != 0 || fsync_dir(top) != 0) return mote_store_fail(s, "%s: fsync: %s", dir, strerror(errno));
    return 0;
}

int mote_store_blob_get(mote_store *s, const char *hex, uint8_t **data, size_t *len)
{
    char path[1200];
    *data = NULL;
    *len = 0;
    int ex = mote_store_blob_path(s, hex, path, sizeof path);
    if (ex != 0) return ex;
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? 1 : mote_store_fail(s, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        return mote_store_fail(s, "%s: %s", path, strerror(errno));
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return mote_store_fail(s, "%s: out of memory (%zu bytes)", path, n);
    }
    if (fread(buf, 1, n, f) != n) {
        free(buf);
        fclose(f);
        return mote_store_fail(s, "%s: short read", path);
    }
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}
