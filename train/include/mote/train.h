/* mote training engine (host side, C11): small DAGs of layers over NHWC float tensors, trained with
 * softmax cross-entropy by SGD+momentum or Adam(W).
 *
 * A model is built layer by layer; each tr_model_add_* returns the new node's index (>= 0) or -1 with
 * tr_model_error() naming the problem (a -1 passed on as an input fails the next call too, so a chain
 * of adds can be checked once at the end). Nodes are kept in the order added, which is a topological
 * order; the last node added (or the one given to tr_model_set_output) gives the logits.
 *
 * Shapes exclude the batch: rank 3 is [H, W, C], rank 2 is [W, C] (1-D: convolution and pooling see it
 * as [1, W, C]), rank 1 is [C]. Parameters use TFLite's layouts so an exporter can write them as they
 * are: CONV_2D filters [out, kh, kw, in], DEPTHWISE_CONV_2D filters [1, kh, kw, in * multiplier],
 * FULLY_CONNECTED weights [units, in], biases [out]. Padding SAME/VALID follows TFLite's arithmetic.
 *
 * Determinism: a batch is cut into shards of TR_SHARD_SAMPLES samples; every shard's work and every
 * reduction over shards runs in a fixed order, so for a given seed, data, configuration and machine
 * (CPU kind, OpenBLAS build) the weights after training are bit-identical whatever the thread count.
 * OpenBLAS is kept to one thread per call (the engine's own threads split the shards).
 */
#ifndef MOTE_TRAIN_H
#define MOTE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#define TR_SHARD_SAMPLES 8  /* samples per unit of parallel work (fixed: part of the determinism contract) */
#define TR_NAME_MAX 63      /* longest node name */

typedef struct tr_model tr_model;

typedef enum {
    TR_OP_INPUT,
    TR_OP_CONV2D,           /* CONV_2D (and 1-D convolution on rank-2 tensors) */
    TR_OP_DEPTHWISE_CONV2D, /* DEPTHWISE_CONV_2D */
    TR_OP_DENSE,            /* FULLY_CONNECTED (flattens its input) */
    TR_OP_AVG_POOL,         /* AVERAGE_POOL_2D (SAME: divides by the count of non-padding cells) */
    TR_OP_MAX_POOL,         /* MAX_POOL_2D */
    TR_OP_GLOBAL_AVG_POOL,  /* MEAN over H and W, output [C] */
    TR_OP_BATCHNORM,        /* batch statistics in training, running statistics in inference */
    TR_OP_RELU,
    TR_OP_RELU6,
    TR_OP_DROPOUT,          /* inverted dropout; identity in inference */
    TR_OP_RESHAPE,          /* reshape and flatten */
    TR_OP_ADD,              /* element-wise sum of two equal shapes (residual) */
    TR_OP_IDENTITY          /* a batch norm folded away by tr_fold_batchnorm(): passes its input on */
} tr_op;

typedef enum { TR_PAD_SAME, TR_PAD_VALID } tr_padding;
typedef enum { TR_INFER, TR_TRAIN } tr_mode;

typedef enum {
    TR_PARAM_FILTERS,       /* conv/depthwise filters, dense weights: trainable, weight decay applies */
    TR_PARAM_BIAS,          /* trainable, no weight decay */
    TR_PARAM_GAMMA,         /* batch norm scale: trainable, no weight decay */
    TR_PARAM_BETA,          /* batch norm offset: trainable, no weight decay */
    TR_PARAM_MOVING_MEAN,   /* batch norm running statistics: state, not trained by gradients */
    TR_PARAM_MOVING_VARIANCE
} tr_param_role;

typedef struct {
    int rank;               /* 1..3 */
    int dims[3];            /* [C], [W, C] or [H, W, C] */
} tr_shape;

typedef struct {
    tr_op op;
    const char *name;
    int inputs[2], n_inputs;
    tr_shape shape;         /* output, per sample */
    int kh, kw, stride_h, stride_w; /* conv, depthwise, pools */
    tr_padding padding;
    int depth_multiplier;   /* depthwise */
    float rate;             /* dropout */
    float epsilon, momentum;/* batch norm */
    int params[4], n_params;/* indices for tr_model_param(), in TFLite input order (filters, bias) or
                               gamma, beta, moving mean, moving variance */
} tr_node_info;

typedef struct {
    const char *name;       /* "<node>/filters", "<node>/bias", "<node>/gamma", ... */
    tr_param_role role;
    int node;
    int rank, dims[4];      /* TFLite layout */
    size_t size;            /* elements */
    float *data;            /* the model's copy (valid until the next tr_model_add_*) */
    const float *grad;      /* d mean loss / d data after the last backward pass (NULL or zeros before) */
    int trainable;
    int unused;             /* 1 for the parameters of a batch norm folded by tr_fold_batchnorm() */
} tr_param_info;

/* ---- building ---------------------------------------------------------------------------------- */
tr_model *tr_model_new(void);
void tr_model_free(tr_model *m);
const char *tr_model_error(const tr_model *m);  /* the last failure, one line */

/* name may be NULL ("<op>_<index>"); names are unique. */
int tr_model_add_input(tr_model *m, tr_shape shape, const char *name);
int tr_model_add_conv2d(tr_model *m, int in, int filters, int kh, int kw, int stride_h, int stride_w,
                        tr_padding padding, const char *name);
int tr_model_add_conv1d(tr_model *m, int in, int filters, int k, int stride, tr_padding padding,
                        const char *name);     /* rank-2 input [W, C]: CONV_2D with kh = 1 */
int tr_model_add_depthwise_conv2d(tr_model *m, int in, int multiplier, int kh, int kw, int stride_h,
                                  int stride_w, tr_padding padding, const char *name);
int tr_model_add_dense(tr_model *m, int in, int units, const char *name);
int tr_model_add_avg_pool(tr_model *m, int in, int kh, int kw, int stride_h, int stride_w, tr_padding padding,
                          const char *name);
int tr_model_add_max_pool(tr_model *m, int in, int kh, int kw, int stride_h, int stride_w, tr_padding padding,
                          const char *name);
int tr_model_add_global_avg_pool(tr_model *m, int in, const char *name);
/* Normalises over the last dimension; running = momentum * running + (1 - momentum) * batch
 * (unbiased variance for the running one). Keras defaults: momentum 0.99, epsilon 1e-3. */
int tr_model_add_batchnorm(tr_model *m, int in, float momentum, float epsilon, const char *name);
int tr_model_add_relu(tr_model *m, int in, const char *name);
int tr_model_add_relu6(tr_model *m, int in, const char *name);
int tr_model_add_dropout(tr_model *m, int in, float rate, const char *name);
int tr_model_add_reshape(tr_model *m, int in, tr_shape shape, const char *name); /* one dim may be -1 */
int tr_model_add_flatten(tr_model *m, int in, const char *name);
int tr_model_add_add(tr_model *m, int a, int b, const char *name);
int tr_model_set_output(tr_model *m, int node);  /* default: the last node added */

/* Glorot-uniform filters/weights (Keras' default), zero biases and betas, unit gammas, running mean 0
 * and variance 1, all from a PRNG seeded with seed (same seed, same numbers). Needed before training. */
int tr_model_init(tr_model *m, uint64_t seed);
/* Worker threads for forward/backward (0: one per online CPU, the default). Results do not depend on it. */
int tr_model_set_threads(tr_model *m, int threads);

/* ---- introspection (for exporters) --------------------------------------------------------------- */
int tr_model_num_nodes(const tr_model *m);
int tr_model_is_initialized(const tr_model *m); /* 1 after tr_model_init */
int tr_model_node(const tr_model *m, int index, tr_node_info *out);
int tr_model_output(const tr_model *m);         /* the logits node */
int tr_model_input(const tr_model *m);          /* the (single) input node */
int tr_model_num_params(const tr_model *m);
int tr_model_param(const tr_model *m, int index, tr_param_info *out);
int tr_model_find_param(const tr_model *m, const char *name); /* index or -1 */
size_t tr_shape_size(tr_shape s);
const char *tr_op_name(tr_op op);                /* "CONV_2D", "DEPTHWISE_CONV_2D", ... */

/* Folds every batch norm whose input is a convolution, depthwise convolution or dense layer used by
 * nothing else into that layer's filters and bias (inference arithmetic: running statistics); the
 * batch norm becomes TR_OP_IDENTITY and its parameters are marked unused. Returns how many were folded,
 * or -1. Inference outputs stay the same up to float rounding; do it after training, before export. */
int tr_fold_batchnorm(tr_model *m);

/* ---- running ---------------------------------------------------------------------------------------- */
/* x: n samples of the input shape, out: n * output size floats (logits). */
int tr_model_forward(tr_model *m, const float *x, int n, tr_mode mode, float *out);
/* Inference-mode forward of n samples that shows every computed node's output: fn is called for each
 * live node in node order (the input node too) with n * tr_shape_size(node shape) floats, valid during
 * the call; a non-zero return stops and is returned. For calibration (train/export). */
typedef int (*tr_node_fn)(int node, const float *out, int n, void *user);
int tr_model_forward_each(tr_model *m, const float *x, int n, tr_node_fn fn, void *user);
/* Training-mode forward, softmax cross-entropy against y (0 <= y < output size) and backward, without
 * changing parameters (batch norm running statistics do move): the mean loss into *loss, its gradient
 * w.r.t. every parameter (tr_param_info.grad) and, if dx is not NULL, w.r.t. x (n * input size). */
int tr_model_gradients(tr_model *m, const float *x, const int32_t *y, int n, double *loss, float *dx);

/* ---- training ------------------------------------------------------------------------------------ */
typedef struct {
    const float *x;         /* n samples of shape, row-major */
    const int32_t *y;       /* n labels, 0 <= y < number of classes (the output size) */
    int n;
    tr_shape shape;         /* must equal the model's input shape */
} tr_dataset;

typedef enum { TR_SGD, TR_ADAM } tr_optimizer;
typedef enum { TR_LR_CONSTANT, TR_LR_STEP, TR_LR_COSINE } tr_lr_schedule;
typedef enum { TR_MONITOR_VAL_LOSS, TR_MONITOR_VAL_ACCURACY } tr_monitor;

typedef struct {
    int epoch, epochs;      /* 1-based */
    double train_loss, train_accuracy;  /* mean over the epoch's batches, training mode */
    double val_loss, val_accuracy;      /* inference mode; NaN without a validation set */
    float lr;               /* at the epoch's last step */
    double seconds;         /* this epoch, wall clock */
    int best_epoch;         /* by the monitored metric so far (0: no validation) */
} tr_epoch_report;

/* Return non-zero to stop training after this epoch (or batch). */
typedef int (*tr_epoch_fn)(const tr_epoch_report *r, void *user);
typedef int (*tr_batch_fn)(int epoch, int batch, int batches, double loss, void *user);

typedef struct {
    int epochs, batch;      /* defaults 10, 32 */
    uint64_t seed;          /* validation split, shuffling, dropout masks */
    tr_optimizer optimizer; /* default TR_ADAM */
    float lr;               /* default 1e-3 */
    float momentum;         /* SGD, default 0.9 (0: plain SGD) */
    int nesterov;           /* SGD */
    float beta1, beta2, adam_epsilon;   /* Adam, defaults 0.9, 0.999, 1e-7 */
    /* Filters/weights only. SGD: L2, weight_decay * w added to the gradient (coupled).
     * Adam: decoupled (AdamW), w -= lr * weight_decay * w each step. */
    float weight_decay;
    tr_lr_schedule schedule;/* default constant */
    int step_epochs;        /* TR_LR_STEP: lr *= step_gamma every step_epochs epochs */
    float step_gamma;
    float lr_min;           /* TR_LR_COSINE: from lr down to lr_min over all steps */
    float val_split;        /* without a val set: hold out this fraction (seeded random pick) */
    int patience;           /* early stopping: stop after this many epochs without improvement (0: off) */
    float min_delta;        /* smallest change that counts as an improvement */
    tr_monitor monitor;
    int restore_best;       /* with validation: end with the best epoch's parameters (default 1) */
    tr_epoch_fn on_epoch;
    tr_batch_fn on_batch;
    void *user;
} tr_train_config;

typedef struct {
    int epochs_run;
    int best_epoch;         /* 0 without validation */
    double best_val_loss, best_val_accuracy;
    double final_train_loss, final_train_accuracy;
    int stopped_early;      /* by patience or a callback */
    double seconds;
} tr_fit_result;

void tr_train_config_default(tr_train_config *c);
/* Learning rate at a global step (0-based) for a run of steps_per_epoch * epochs steps. */
float tr_learning_rate(const tr_train_config *c, long step, long steps_per_epoch);
/* Checks the data (shape, NaN/Inf, label range) and the configuration, then trains. val may be NULL. */
int tr_fit(tr_model *m, const tr_dataset *train, const tr_dataset *val, const tr_train_config *cfg,
           tr_fit_result *result);
/* Loss and accuracy over a dataset in inference mode (batches of `batch`). */
int tr_evaluate(tr_model *m, const tr_dataset *d, int batch, double *loss, double *accuracy);

#endif
