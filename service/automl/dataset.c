/* Dataset tars, read with libarchive: checked at upload, extracted when a job
 * needs the files. Only regular files and folders with relative names that
 * never climb out ("..") are accepted, so extraction cannot write outside its
 * folder; links, devices and absolute names are refused by name. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "automl/automl.h"

#define MAX_FILES 1000000
#define MAX_BYTES ((int64_t)16 << 30)
#define MAX_NAME 512

/* The entry's name without "./" prefixes; NULL (err set) when it is not a safe relative name. */
static const char *safe_name(const char *name, char *err, size_t errlen)
{
    if (!name) {
        snprintf(err, errlen, "dataset tar: an entry has no name");
        return NULL;
    }
    while (name[0] == '.' && name[1] == '/') name += 2;
    size_t n = strlen(name);
    if (n >= MAX_NAME) {
        snprintf(err, errlen, "dataset tar: entry '%.80s...': name longer than %d bytes", name, MAX_NAME - 1);
        return NULL;
    }
    if (name[0] == '/') {
        snprintf(err, errlen, "dataset tar: entry '%s': absolute names are refused", name);
        return NULL;
    }
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20) {
            snprintf(err, errlen, "dataset tar: entry '%.80s': control character in the name", name);
            return NULL;
        }
    for (const char *p = name; *p;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            snprintf(err, errlen, "dataset tar: entry '%s': '..' in the name is refused", name);
            return NULL;
        }
        p += len + (e != NULL);
    }
    return name;
}

/* mkdir -p of root/rel's folders (rel's last part is a file unless is_dir). */
static int make_dirs(const char *root, const char *rel, int is_dir, char *err, size_t errlen)
{
    char path[1024 + MAX_NAME];
    int n = snprintf(path, sizeof path, "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(err, errlen, "dataset tar: entry '%s': path too long", rel);
        return -1;
    }
    size_t start = strlen(root) + 1;
    for (size_t i = start; path[i]; i++) {
        if (path[i] != '/') continue;
        path[i] = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        path[i] = '/';
    }
    if (is_dir && mkdir(path, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Copy the current entry's data into root/rel (a new file). */
static int write_entry(struct archive *a, const char *root, const char *rel, char *err, size_t errlen)
{
    char path[1024 + MAX_NAME];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    if (make_dirs(root, rel, 0, err, errlen)) return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "dataset tar: entry '%s': %s", rel,
                 errno == EEXIST ? "appears twice (or names a folder)" : strerror(errno));
        return -1;
    }
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
        for (la_ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                close(fd);
                return -1;
            }
            off += w;
        }
    }
    if (n < 0) {
        snprintf(err, errlen, "dataset tar: entry '%s': %s", rel, archive_error_string(a));
        close(fd);
        return -1;
    }
    return close(fd) == 0 ? 0 : -1;
}

/* Walk every entry of an opened archive: check it, count it, and (root != NULL) write it under root. */
static int walk(struct archive *a, const char *root, int64_t *files, int64_t *bytes, char *err, size_t errlen)
{
    struct archive_entry *e;
    int r;
    *files = *bytes = 0;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = safe_name(archive_entry_pathname(e), err, errlen);
        if (!name) return -1;
        mode_t type = archive_entry_filetype(e);
        int is_dir = type == AE_IFDIR;
        if (!is_dir && (type != AE_IFREG || archive_entry_hardlink(e))) {
            snprintf(err, errlen, "dataset tar: entry '%s': only files and folders are accepted (links, devices "
                     "and pipes are not)", name);
            return -1;
        }
        if (!*name || !strcmp(name, ".") || !strcmp(name, "./")) continue;
        if (!is_dir) {
            int64_t sz = archive_entry_size(e);
            if (++*files > MAX_FILES || sz < 0 || (*bytes += sz) > MAX_BYTES) {
                snprintf(err, errlen, "dataset tar: more than %d files or %lld bytes", MAX_FILES,
                         (long long)MAX_BYTES);
                return -1;
            }
        }
        if (root && (is_dir ? make_dirs(root, name, 1, err, errlen) : write_entry(a, root, name, err, errlen)))
            return -1;
    }
    if (r != ARCHIVE_EOF) {
        snprintf(err, errlen, "dataset tar: %s", archive_error_string(a) ? archive_error_string(a) : "unreadable");
        return -1;
    }
    if (*files == 0) {
        snprintf(err, errlen, "dataset tar: no files in it");
        return -1;
    }
    return 0;
}

static struct archive *reader(void)
{
    struct archive *a = archive_read_new();
    if (a) archive_read_support_format_tar(a);
    return a;
}

int moted_dataset_check(const void *tar, size_t len, int64_t *files, int64_t *bytes, char *err, size_t errlen)
{
    struct archive *a = reader();
    if (!a) {
        snprintf(err, errlen, "dataset tar: out of memory");
        return -1;
    }
    int r = -1;
    if (archive_read_open_memory(a, tar, len) != ARCHIVE_OK)
        snprintf(err, errlen, "dataset tar: %s", archive_error_string(a) ? archive_error_string(a) : "not a tar");
    else
        r = walk(a, NULL, files, bytes, err, errlen);
    archive_read_free(a);
    return r;
}

int moted_dataset_extract(const char *tar_path, const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) != 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct archive *a = reader();
    if (!a) {
        snprintf(err, errlen, "dataset tar: out of memory");
        return -1;
    }
    int64_t files, bytes;
    int r = -1;
    if (archive_read_open_filename(a, tar_path, 1 << 16) != ARCHIVE_OK)
        snprintf(err, errlen, "%s: %s", tar_path, archive_error_string(a) ? archive_error_string(a) : "unreadable");
    else
        r = walk(a, dir, &files, &bytes, err, errlen);
    archive_read_free(a);
    return r;
}
