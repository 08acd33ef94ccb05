/* What `mote train` leaves behind besides the models: train.json (machine-readable record of the run)
 * and report.html (the same facts as plots a person can read: loss and accuracy curves, the confusion
 * matrix, per-class precision/recall bars, model size against the target's budget). Both are written from
 * one tr_run_report, so they never disagree. report.html is self-contained (inline SVG and CSS, no
 * script, no network). */
#ifndef MOTE_CLI_TRAIN_REPORT_H
#define MOTE_CLI_TRAIN_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "mote/train.h"

typedef struct {
    const char *name;          /* "float" or "int8" */
    size_t n;                  /* test examples scored */
    double accuracy;           /* 0..1 */
    const int *confusion;      /* n_classes * n_classes, row = true class, column = predicted */
} tr_run_eval;

typedef struct {
    /* the run */
    const char *task;          /* "audio", "motion", "image" */
    const char *data;          /* dataset path as given */
    const char *arch;          /* architecture name ("ds-cnn", "cnn1d", ...) */
    json_t *config;            /* everything that defines the run (options, front end, architecture,
                                  optimizer): copied into train.json as "config"; borrowed */
    int n_classes;
    const char *const *class_names;
    size_t n_train, n_val, n_test;
    /* training */
    int n_epochs;
    const tr_epoch_report *epochs; /* n_epochs, in order */
    int best_epoch;            /* 0: none */
    int stopped_early;
    double train_seconds;
    /* test results: evals[0] float, evals[1] int8 (n_evals may be 1 when a model was not exported) */
    int n_evals;
    tr_run_eval evals[2];
    /* the exported int8 model (with its front end) */
    size_t model_bytes;        /* the .tflite file */
    size_t params;             /* trainable parameters */
    /* with --target (target == NULL: none) */
    const char *target;        /* profile name */
    int fits;                  /* 1 fits, 0 does not */
    const char *fit_reason;    /* why not, or NULL */
    size_t arena_bytes, flash_bytes;       /* needed */
    size_t ram_budget, flash_budget;       /* the profile's */
    double latency_ms;         /* estimated per inference on the target (< 0: unknown) */
    double window_seconds;     /* audio/motion: seconds of signal one inference covers (0: n/a) */
} tr_run_report;

/* Per class: precision and recall from a confusion matrix (NaN where undefined). */
void tr_report_class_metrics(const int *confusion, int n_classes, int cls, double *precision,
                             double *recall);

/* train.json: {"config", "task", "data", "arch", "dataset": {classes, train, validation, test}, "epochs": [{epoch,
 * train_loss, train_accuracy, val_loss, val_accuracy, lr, seconds}], "best_epoch", "stopped_early",
 * "train_seconds", "test": {"float": {accuracy, n, confusion (rows), per_class: [{class, precision, recall, f1,
 * support}]}, "int8": {...}}, "model": {bytes, params}, "target": {name, fits, reason, arena_bytes, flash_bytes,
 * ram_budget, flash_budget, latency_ms, window_seconds[, latency_ms_per_second_of_signal]} or null}. Undefined
 * numbers (NaN: no validation set, a class never predicted) are null. New reference; NULL on allocation failure. */
json_t *tr_report_json(const tr_run_report *r);

/* Writes report.html; 0, or -1 with a message naming the file on stderr. */
int tr_report_write_html(const tr_run_report *r, const char *path);

/* The pieces report.html is made of, for other reports (mote automl's) to look the same: */
extern const char tr_report_css[];     /* the page's style sheet */
void tr_report_esc(FILE *f, const char *s); /* text or attribute value, HTML-escaped */
double tr_report_nice_step(double range);   /* a gridline step: 1, 2 or 5 x 10^k, about range / 5 */
/* An inline SVG chart of loss (accuracy 0) or accuracy (1) per epoch, training and validation; best_epoch
 * marked (0: none). */
void tr_report_curve_svg(FILE *f, const tr_epoch_report *epochs, int n, int best_epoch, int accuracy);

#endif
