/* Small file and string-list helpers for the backends. */
#ifndef MOTE_BACKEND_EMIT_UTIL_H
#define MOTE_BACKEND_EMIT_UTIL_H

#include <stddef.h>

typedef struct {
    char **v;
    int n;
} strlist;

int strlist_add(strlist *s, const char *x); /* 0 ok, -1 out of memory */
int strlist_has(const strlist *s, const char *x);
void strlist_free(strlist *s);

/* Whole file, NUL-terminated (malloc'd); NULL on error. */
char *emit_slurp(const char *path, size_t *len);
/* mkdir -p. */
int emit_mkdirs(const char *path);
/* Names (not paths) of the files in dir ending in suffix, sorted. */
int emit_list_dir(const char *dir, const char *suffix, strlist *out);

#endif
