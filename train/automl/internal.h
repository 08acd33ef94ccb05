/* Internals of mote automl (mote/automl.h): the search space and the trial store. */
#ifndef MOTE_AUTOML_INTERNAL_H
#define MOTE_AUTOML_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mote/automl.h"

/* space.c */
uint64_t am_rand(uint64_t *s);
void am_random(const char *task, uint64_t *s, am_candidate *c);
void am_mutate(uint64_t *s, const am_candidate *from, am_candidate *c);
void am_key(const am_candidate *c, char *key, size_t len);

/* state.c: trials in OUT/automl.db (SQLite). Why a candidate is not trained: */
enum { AM_WHY_FIT, AM_WHY_LATENCY, AM_WHY_RAM, AM_WHY_FLASH, AM_WHY_BUILD, AM_WHY_COUNT };
extern const char *const am_whys[AM_WHY_COUNT];
typedef struct am_store am_store;
am_store *am_store_open(const char *path, char *err, size_t errlen);
/* The stored trial with t->key, into t (its candidate kept); 1 found, 0 not. */
int am_store_get(am_store *s, am_trial *t);
int am_store_put(am_store *s, const am_trial *t, char *err, size_t errlen);
void am_store_close(am_store *s);

#endif
