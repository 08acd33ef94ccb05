/* Hardware-aware AutoML (library mote_automl, train/automl/): from a dataset and a device to the best model
 * that fits it.
 *
 * A candidate is a front end (audio: frame stride and length, mel bins; motion: window, spectral bands, or
 * raw windows) and an architecture (family, width, depth, kernel): audio DS-CNN or small ResNet; motion MLP
 * on features, 1-D CNN or 1-D ResNet on raw windows; images MLP, CNN or ResNet. MFCCs are not searched: the
 * front end (mote/frontend.h) computes log-mel features only. Every candidate is first exported untrained with its front end and costed on the device by the
 * caller (fit verdict, flash, RAM, estimated latency, from the compiler and the cost model): what does not
 * fit or breaks a limit is never trained. The rest go through successive halving (a third survives each
 * rung, the survivors train three times longer), ranked by validation accuracy (never the test split);
 * when a bracket is done and time is left, the next bracket's candidates are mutations of the best so far
 * (an evolutionary proposer). Every trial is kept in SQLite (OUT/automl.db), so a stopped run resumes where
 * it was and a fixed seed gives the same result. */
#ifndef MOTE_AUTOML_H
#define MOTE_AUTOML_H

#include <stddef.h>

#include "mote/pipeline.h"

typedef struct {
    char task[8];           /* "audio", "motion", "image" */
    int stride_ms, frame_strides, bins; /* audio front end: frame stride, length in strides, mel bins (0 for
                                           other tasks) */
    int window;             /* motion: samples per inference (0 for other tasks) */
    int raw;                /* motion: raw windows into the network (cnn1d, resnet), no front end */
    int bands;              /* motion front end: spectral bands per axis (features only) */
    char family[16];        /* "ds-cnn", "resnet", "mlp", "cnn", "cnn1d" */
    int width, depth, kernel;
} am_candidate;

typedef struct {
    am_candidate c;
    char key[128];          /* canonical text of c: the trial's identity */
    int fits;               /* on the device, within the limits */
    const char *why;        /* why not (static text) */
    double flash, ram, ms;  /* from the cost check */
    int epochs;             /* trained for (0: not trained) */
    double val_accuracy;    /* the ranking */
    double test_int8, test_float; /* reported, never used to choose */
    double seconds;         /* training wall time */
    size_t int8_bytes;
    const char *precision;  /* weights: NULL int8 (every trial the search trains); "mixed" or "int4": a point
                               added after the search from a front trial (cli/automl_precision.c) */
    tr_epoch_report *curve; /* the last training's epochs (n_curve; owned; kept in automl.db for the report) */
    int n_curve;
    int pareto;             /* on the front (accuracy up; latency, RAM, flash down) among the trained */
} am_trial;

/* Costs the untrained int8 model at path on the device: 0 with fits/flash/ram/ms set, or -1 with err. */
typedef int (*am_cost_fn)(void *user, const char *int8_path, int *fits, double *flash, double *ram, double *ms,
                          char *err, size_t errlen);
/* A line of progress: a candidate costed, a trial trained, a bracket done. */
typedef void (*am_progress_fn)(void *user, const char *line);
/* Where the search is, after every event and when a training starts (the live view). */
typedef struct {
    int costed, fit;        /* candidates cost-checked; of them, fitting the device and the limits */
    int trained;            /* trainings done (a trial counts once per rung) */
    const char *running;    /* the candidate in training now (NULL: none); trainings run one at a time, each
                               on all --threads */
    int running_epochs;
    const char *best;       /* best validation accuracy so far, among the most trained (NULL: none yet) */
    double best_val, best_ms;
    double elapsed, left;   /* seconds */
} am_status;
typedef void (*am_status_fn)(void *user, const am_status *s);

typedef struct {
    const tp_config *base;  /* data, task, loader options; its arch/audio fields are overridden */
    const char *out_dir;    /* OUT: automl.db, trials/<n>/, best/ */
    double budget_s;        /* wall-clock budget */
    double max_ms, max_ram, max_flash;   /* limits (<= 0: none) */
    int objective_latency;  /* 0: best validation accuracy; 1: the fastest within 1 pp of it */
    unsigned long seed;
    int bracket;            /* candidates per bracket's first rung (default 9) */
    int max_brackets;       /* stop after this many brackets even with time left (0: until the budget) */
    int min_epochs;         /* first rung's epochs (default 8); rungs x3 */
    int max_epochs;         /* the last rung (default 40) */
    int threads;
    am_cost_fn cost;
    am_progress_fn progress;
    am_status_fn status;    /* may be NULL */
    void *user;
} am_config;

typedef struct {
    am_trial *trials;       /* every candidate considered, in order */
    int n_trials;
    int best;               /* index of the chosen trial (-1 none) */
    int resumed;            /* trials read back from automl.db */
    double seconds;
    double first_valid_s;   /* until the first trained model that fits */
    char best_dir[1024];    /* OUT/best: the chosen model's files */
} am_result;

int am_run(const am_config *c, am_result *r, char *err, size_t errlen);
/* The candidate's front end and architecture into a training configuration (the rest of t kept). */
void am_apply(const am_candidate *c, tp_config *t);
/* Marks the front (pareto) among the trained trials that fit: again after points are added to r. */
void am_pareto(am_result *r);
void am_result_free(am_result *r);

#endif
