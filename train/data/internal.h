/* Private parts of train/data: the dataset builder, the CSV reader and the per-format readers. */
#ifndef MOTE_DATA_INTERNAL_H
#define MOTE_DATA_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "dataset.h"

#define DS_SPLIT_UNSET 255u   /* split not given yet: ds__finish assigns it */

/* Writes one line to err and returns -1. */
int ds__err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Builder. A new dataset has no shape; the first ds__add sets it (ds__shape). */
ds_dataset *ds__new(ds_kind kind);
void ds__shape(ds_dataset *ds, int rank, int d0, int d1, int d2);
/* Room for one more example: returns its floats (zeroed) and fills its metadata, or NULL (no memory). */
float *ds__add(ds_dataset *ds, int32_t label, int32_t group, uint8_t split, int32_t source, int32_t offset);
void ds__drop_last(ds_dataset *ds);
/* Name tables: the index of name, added if new; -1 when out of memory. name NULL: a new anonymous group. */
int32_t ds__label(ds_dataset *ds, const char *name);
int32_t ds__label_find(const ds_dataset *ds, const char *name);
int32_t ds__group(ds_dataset *ds, const char *name);
int32_t ds__source(ds_dataset *ds, const char *path);
/* Labels reordered: perm[old] = new. */
int ds__relabel(ds_dataset *ds, const int32_t *perm);
/* Completes a load: checks every label has data, assigns the splits still DS_SPLIT_UNSET (all of them, or
 * when given ones have no validation, part of train: docs/datasets.md) and checks no split value is left
 * unset. `what` names the dataset in errors. */
int ds__finish(ds_dataset *ds, const ds_options *opt, const char *what, char *err, size_t errlen);
/* Labels from opt->labels, in order; 0 when there is no list. */
int ds__fixed_labels(ds_dataset *ds, const ds_options *opt, char *err, size_t errlen);
/* Split names as manifests write them: train/training, validation/valid/val/dev, test/testing. -1: none. */
int ds__parse_split(const char *s);

/* CSV reader over plain or gzip'd files (zlib reads both). Fields are trimmed of spaces and tabs; double
 * quotes group a field ("" is a quote). */
typedef struct ds_csv ds_csv;
ds_csv *ds__csv_open(const char *path, char *err, size_t errlen);
/* Next non-empty line: 1 with its fields (valid until the next call), 0 at the end, -1 on an error
 * (bad bytes, unterminated quote, a line over 1 MiB, gzip damage), written as "path:line: ...". */
int ds__csv_next(ds_csv *c, char ***fields, int *n, char *err, size_t errlen);
long ds__csv_line(const ds_csv *c);
const char *ds__csv_path(const ds_csv *c);
void ds__csv_close(ds_csv *c);
/* A CSV number: 0 and *v, or -1 with the reason in err as "path:line: field K ...". */
int ds__csv_number(const ds_csv *c, const char *s, int field, double *v, char *err, size_t errlen);

/* Per-format readers: each appends the examples of one file to ds (setting the shape on the first). */
int ds__wav_example(ds_dataset *ds, const char *path, const ds_options *opt, int32_t label, int32_t group,
                    uint8_t split, char *err, size_t errlen);
int ds__image_example(ds_dataset *ds, const char *path, const ds_options *opt, int32_t label,
                      int32_t group, uint8_t split, char *err, size_t errlen);
int ds__motion_file(ds_dataset *ds, const char *path, const ds_options *opt, int32_t label, int32_t group,
                    uint8_t split, char *err, size_t errlen);

/* File helpers. */
bool ds__is_dir(const char *path);
bool ds__is_file(const char *path);
bool ds__ends_with(const char *s, const char *suffix);
char *ds__join(const char *dir, const char *name);   /* malloc'd "dir/name" (name if absolute) */
char *ds__dirname(const char *path);                 /* malloc'd */
char *ds__strdup(const char *s);
/* The kind a data file's name implies, DS_KIND_AUTO when none. */
ds_kind ds__kind_of(const char *name);

#endif
