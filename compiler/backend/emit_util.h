/* Small file and string-list helpers for the backends. */
#ifndef MOTE_BACKEND_EMIT_UTIL_H
#define MOTE_BACKEND_EMIT_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include "mote/mote.h"

typedef struct {
    char **v;
    int n;
} strlist;

int strlist_add(strlist *s, const char *x); /* 0 ok, -1 out of memory */
int strlist_has(const strlist *s, const char *x);
void strlist_free(strlist *s);

/* Whole file, NUL-terminated (malloc'd); NULL on error. */
char *emit_slurp(const char *path, size_t *len);
/* Copy a file byte for byte. 0 ok, -1 (errno set). */
int emit_copy_file(const char *from, const char *to);
/* Write `static const uint32_t name[] MOTE_ALIGNED(16) = {...};` holding
 * bytes as little-endian words (the last one zero-padded). */
void emit_u32_array(FILE *f, const char *name, const void *data, size_t bytes);
/* mkdir -p. */
int emit_mkdirs(const char *path);
/* Names (not paths) of the files in dir ending in suffix, sorted. */
int emit_list_dir(const char *dir, const char *suffix, strlist *out);

/* The runtime file that defines kernel `name` of op, among kernel_files (the
 * .c files of runtime/kernels): the longest prefix of the name, cut at an
 * '_', that names one, else the op's own file (mote/ops.def). In buf or static. */
const char *emit_kernel_file(const strlist *kernel_files, mote_op op, const char *name, char *buf, size_t len);

#endif
