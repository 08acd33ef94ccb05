/* AutoML jobs inside moted (automl/): a worker thread takes queued jobs, lays
 * the dataset's tar out in DATA/automl/N/data, runs the search as a child
 * process (`mote automl`, the binary that started moted), records its status
 * line while it runs, and publishes the chosen model in the model repository
 * with its lineage. A job's search state is DATA/automl/N/out/automl.db, so a
 * job that a stopped server left running resumes where it was. */
#ifndef MOTED_AUTOML_H
#define MOTED_AUTOML_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "moted.h"

struct mote_store;
typedef struct moted_automl moted_automl;

/* Requeue what was left running and start the worker. mote_exe: the mote
 * binary that runs searches (NULL: jobs are refused, moted_automl_enabled 0).
 * NULL with a message in err. */
moted_automl *moted_automl_start(moted *m, struct mote_store *s, const char *data_dir, const char *mote_exe,
                                 char *err, size_t errlen);
/* Stop the worker; a running search is stopped and stays "running" in the
 * store (the next start resumes it). NULL ok. */
void moted_automl_stop(moted_automl *a);
/* A job was queued or cancelled. NULL ok. */
void moted_automl_wake(moted_automl *a);
int moted_automl_enabled(const moted_automl *a);
/* DATA/automl/N/<leaf> ("" for the folder itself): 0, or -1 when it does not fit. */
int moted_automl_path(const moted_automl *a, int64_t job, const char *leaf, char *out, size_t outlen);

/* ---- a job's options (spec.c) ---- */
/* Check the search options of a POST /v1/automl body (everything but dataset,
 * version, model, model_version): 0, or -1 with a message naming the field. */
int moted_automl_spec_check(json_t *spec, char *err, size_t errlen);
/* The child's argv for a checked spec: exe automl --data DATA -o OUT ... --json --progress.
 * Strings point into spec and into buf (numbers); NULL-terminated. 0, or -1 when
 * max or buf is too small. */
int moted_automl_argv(const json_t *spec, const char *exe, const char *data, const char *out, char **argv,
                      int max, char *buf, size_t buflen);

/* ---- dataset tars (dataset.c) ---- */
/* Check a dataset tar: regular files and folders only, relative names without
 * "..", within the limits. Counts its files and their bytes. 0, or -1 with a
 * message naming the entry. */
int moted_dataset_check(const void *tar, size_t len, int64_t *files, int64_t *bytes, char *err, size_t errlen);
/* Extract the checked tar at tar_path into dir (created; must not exist). */
int moted_dataset_extract(const char *tar_path, const char *dir, char *err, size_t errlen);

#endif
