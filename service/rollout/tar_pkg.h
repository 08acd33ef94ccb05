/* ustar archive of a folder (the C package artifact of a compile job). */
#ifndef MOTED_TAR_PKG_H
#define MOTED_TAR_PKG_H

#include <stddef.h>
#include <stdint.h>

/* Every file and folder under dir (paths relative to it, sorted, mtime 0) as
 * a ustar archive in a malloc'ed buffer. 0, or -1 with a message in err. */
int tar_pkg_dir(const char *dir, uint8_t **out, size_t *len, char *err, size_t errlen);
/* rm -r dir (a folder this process made). 0, or -1 if something stayed. */
int tar_pkg_rmtree(const char *dir);

#endif
