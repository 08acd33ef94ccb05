/* The whole training run (library mote_pipeline, train/pipeline/): dataset -> front end -> features ->
 * model -> train -> fold + export (float and int8, front end included) -> scored on the test split by
 * mote's own runtime reading the written files. `mote train` is this plus printing; AutoML and continuous
 * training call it too.
 *
 *   audio   WAV clips -> audio front end (mote/frontend.h) -> [frames, bins, 1] -> DS-CNN
 *   motion  sensor-log windows -> motion front end -> [features] -> MLP   (or raw windows -> 1-D CNN)
 *   image   images / tables -> [H, W, C] or [C] -> small CNN or MLP
 *
 * The exported models take what the device has: raw int16 samples (audio, motion) or the image as the
 * dataset holds it, quantized with the model's input scale (int8) or as float.
 *
 * Errors: -1 and one line in err naming the file, option or layer. */
#ifndef MOTE_PIPELINE_H
#define MOTE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "mote/frontend.h"
#include "mote/train.h"

/* Architecture: a family and its knobs; 0 means the family's default. */
typedef struct {
    const char *name;       /* "ds-cnn", "cnn1d", "cnn", "resnet", "mlp"; NULL: the task's default */
    int width;              /* channels (convolutions) or units (mlp); ds-cnn 32, cnn1d 16, cnn 16, resnet 16,
                               mlp 64 */
    int depth;              /* ds-cnn blocks 3, cnn1d layers 2, cnn conv layers 2, resnet residual blocks 2,
                               mlp hidden layers 2 */
    int kernel;             /* cnn1d/cnn kernel size 3; ds-cnn depthwise 3 */
    float dropout;          /* before the classifier; default 0.2 (ds-cnn, mlp), 0 otherwise; < 0: none */
} tp_arch;

typedef struct {
    const char *data;       /* dataset path (ds_load) */
    const char *task;       /* "audio", "motion", "image" */
    ds_options ds;          /* loader options (columns, split rule, sample rate, window, ...) */
    fe_audio_params audio;  /* sample_rate 0: the data's; samples 0: the loader's length */
    fe_motion_params motion;
    int raw_motion;         /* 1: motion without the front end (raw windows into a 1-D CNN) */
    float seconds;          /* audio: seconds per example (0: audio.samples, or one second) */
    const char *test_group; /* every example of this group is test, every other one train (validation
                               kept); NULL: the dataset's split */
    tp_arch arch;
    tr_train_config train;  /* epochs, batch, optimizer, schedule, patience, seed, callbacks */
    int augment;            /* extra augmented copies of each training example (audio, motion); 0: none */
    int calib;              /* calibration examples for int8 (from the training split); 0: 512 */
    int threads;            /* training threads; 0: all CPUs */
    const char *out_dir;    /* where the models go; NULL: not written (and not scored from files) */
    int no_training;        /* 1: export the initialised model untrained, unscored (what it costs on a device,
                               before anyone spends time training it: AutoML's fit check) */
    /* progress of the slow steps before training (loading, features); may be NULL */
    void (*on_stage)(const char *stage, size_t done, size_t total, void *user);
    void *user;
} tp_config;

void tp_config_default(tp_config *c);   /* everything at its default, no data, no task */

typedef struct {
    size_t n;               /* test examples */
    double accuracy;
    int *confusion;         /* n_classes^2, row = true class (owned) */
} tp_score;

typedef struct {
    ds_dataset *ds;
    fe_frontend *fe;        /* NULL for images and raw motion */
    tr_model *model;        /* trained, batch norms folded */
    int n_classes;
    size_t n_train, n_val, n_test;
    tr_fit_result fit;
    tr_epoch_report *epochs;/* fit.epochs_run, in order (owned) */
    size_t params;          /* trainable parameters */
    tp_score float_score, int8_score; /* on the test split, from the written files (or the engine) */
    char float_path[1024], int8_path[1024];
    size_t int8_bytes;
    double feature_seconds; /* loading + features */
} tp_result;

/* Runs everything; r is filled as far as it got (free it with tp_result_free either way). */
int tp_run(const tp_config *c, tp_result *r, char *err, size_t errlen);
void tp_result_free(tp_result *r);

/* The model for a task's input shape (tr_model_init not yet called). NULL with err. */
tr_model *tp_build_arch(const tp_arch *a, const char *task, tr_shape in, int n_classes, char *err, size_t errlen);

/* An example's n values as input tensor in's bytes: float32 as they are, int16 raw samples (x raw_scale),
 * int8 quantized with in's parameters. */
void tp_example_input(const mote_tensor *in, const float *x, size_t n, float raw_scale, uint8_t *dst);
/* Scores a .tflite file on examples [idx] of ds through mote's host runtime: each example is converted
 * to the model's input (int16 raw samples; int8 with the input's scale and zero point; float as is) and
 * the predicted class is the argmax of output 0. confusion: n_classes^2 (zeroed here). */
int tp_score_file(const char *path, const ds_dataset *ds, const size_t *idx, size_t n, float raw_scale,
                  tp_score *s, char *err, size_t errlen);

/* retrain.c: a float model file taken apart to train it again (pruning, fine-tuning, retraining in the field):
 * its integer front end (a DEQUANTIZE handing int8 features to a float classifier marks it) kept as a graph,
 * its classifier as an engine model with the file's weights (tr_import_float), and every example of the
 * dataset as the classifier sees it, per split (0 train, 1 validation, 2 test). */
typedef struct {
    mote_ir_graph *g;               /* the whole model */
    mote_ir_graph *head8, *headf;   /* the front end up to its int8 features / through the DEQUANTIZE; NULL: none */
    mote_ir_graph *cls_graph;       /* the classifier part */
    float in_scale;                 /* the int8 features' parameters */
    int32_t in_zp;
    tr_model *cls;                  /* the classifier in the engine, with the file's weights */
    tr_shape shape;                 /* its input, per example */
    float raw_scale;                /* raw samples to int16 (audio: 32768) */
    ds_dataset *ds;
    float *x[3];                    /* features per split */
    int32_t *y[3];
    int n[3];
} tp_retrain;

/* o: the dataset options for the model's input (as `mote eval` finds them). 0, or -1 with err. */
int tp_retrain_open(tp_retrain *r, const char *path, const char *data, const ds_options *o, char *err, size_t errlen);
tr_dataset tp_retrain_split(const tp_retrain *r, int split);
/* m (the classifier, trained again) exported as float and int8 (calibrated on the training split) and joined
 * to the front end: two .tflite files, raw input in, probabilities out, as mote train writes them. */
int tp_retrain_export(tp_retrain *r, tr_model *m, const char *float_path, const char *int8_path, char *err,
                      size_t errlen);
void tp_retrain_close(tp_retrain *r);

#endif
