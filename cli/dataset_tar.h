/* A dataset folder as a tar in memory, made the same way every time (names
 * sorted, times, owners and modes fixed), so the same files give the same
 * bytes and the server's content address (sha256) names the content. */
#ifndef MOTE_CLI_DATASET_TAR_H
#define MOTE_CLI_DATASET_TAR_H

#include <stddef.h>
#include <stdint.h>

/* The regular files under dir (symlinks followed, names starting with '.'
 * skipped), as a ustar archive. 0 with *tar (malloc'ed), *len and *files set,
 * or -1 with a message on stderr naming cmd and the file. */
int dataset_tar(const char *cmd, const char *dir, uint8_t **tar, size_t *len, long *files);

#endif
