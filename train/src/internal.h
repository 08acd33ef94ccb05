/* Internals of the training engine: model, nodes, parameters, execution buffers, per-op kernels. */
#ifndef MOTE_TRAIN_INTERNAL_H
#define MOTE_TRAIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mote/train.h"
#include "pool.h"

typedef struct {
    char name[TR_NAME_MAX + 24];
    tr_param_role role;
    int node;
    int rank, dims[4];
    size_t size, offset;    /* offset into tr_model.w */
    int trainable, decay, unused;
    int fan_in, fan_out;
} tr_param;

typedef struct {
    tr_op op;
    char name[TR_NAME_MAX + 1];
    int in[2], n_in;
    tr_shape shape;         /* public output shape */
    int h, w, c;            /* output seen as [h, w, c] */
    size_t size;            /* per-sample output elements */
    int kh, kw, sh, sw, pt, pl, mult;
    tr_padding pad;
    float rate, eps, momentum;
    int param[4], n_param;
    int live;               /* feeds the output */
    int first_user;         /* the consumer whose backward runs first (highest index), or -1 */
    size_t aux;             /* offset into tr_exec.aux (batch norm mean and inverse std) */
} tr_node;

/* Buffers of one forward/backward pass, sized for up to cap samples. */
typedef struct {
    int cap, n, ns;         /* capacity, samples now, shards now */
    int training, want_dx;
    float **act, **dact;    /* per node: n * size */
    int32_t **argmax;       /* per max-pool node: n * size input cells (in the sample) picked in training */
    float *gshard;          /* per shard: a gradient for every parameter element */
    float **scratch;        /* per worker */
    size_t scratch_floats;
    double *red;            /* per shard reduction slots */
    size_t red_per_shard;
    float *aux;
    size_t aux_floats;
    uint64_t dropout_key;
    const int32_t *aux_y;   /* labels of the loss being computed */
    int zero_for;           /* backward: node whose inputs' gradients its first shard call zeroes, or -1 */
    int want_loss_grad;
} tr_exec;

struct tr_model {
    tr_node *nodes;
    int n_nodes, cap_nodes;
    tr_param *params;
    int n_params, cap_params;
    float *w;               /* every parameter, contiguous */
    size_t n_w, cap_w;
    float *g;               /* reduced gradient (NULL before the first backward) */
    float *opt_m, *opt_v;   /* optimizer state: SGD velocity / Adam first moment, Adam second moment */
    long opt_t;             /* optimizer steps taken (Adam bias correction) */
    int output, input;      /* -1: not set */
    int ready;              /* liveness and buffer layout computed for the current graph */
    int initialized;
    int threads;
    tr_pool *pool;
    tr_exec ex;
    uint64_t dropout_seed;
    uint64_t step;          /* training steps taken (dropout masks) */
    char err[512];
};

/* Hot loops get an AVX2 clone picked at load time (x86-64, gcc or clang). Results do not change: no
 * FMA contraction (-ffp-contract=off) and no reassociation, so vector width only changes speed.
 * Not under ThreadSanitizer, whose runtime is not up yet when the clones are resolved. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TR_NO_CLONES
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TR_NO_CLONES
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TR_NO_CLONES)
#define TR_HOT __attribute__((target_clones("avx2", "default")))
#else
#define TR_HOT
#endif

/* Per-op kernels. forward/backward split their work over shards with tr_exec_shards (or do their own
 * phases); backward adds into e->dact of the inputs and into this shard's gradient slots. */
typedef struct {
    void (*forward)(tr_model *m, tr_exec *e, const tr_node *nd);
    void (*backward)(tr_model *m, tr_exec *e, const tr_node *nd);
    size_t (*scratch)(const tr_model *m, const tr_node *nd, int samples);  /* floats per worker */
} tr_op_impl;

extern const tr_op_impl tr_impl_conv2d, tr_impl_depthwise, tr_impl_dense, tr_impl_avg_pool, tr_impl_max_pool,
    tr_impl_global_avg_pool, tr_impl_batchnorm, tr_impl_relu, tr_impl_relu6, tr_impl_dropout, tr_impl_copy,
    tr_impl_add;

/* model.c */
int tr_fail(tr_model *m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void tr_shape_str(tr_shape s, char *buf, size_t len);
int tr_prepare(tr_model *m);  /* liveness, output/input checks; idempotent until the graph changes */
void tr_model_invalidate(tr_model *m);  /* drops execution buffers (graph or threads changed) */
int tr_model_pool(tr_model *m);         /* starts the worker threads if needed */

/* exec.c */
typedef void (*tr_shard_fn)(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker);
void tr_exec_shards(tr_model *m, tr_exec *e, const tr_node *nd, tr_shard_fn fn);
int tr_exec_reserve(tr_model *m, int n);
void tr_exec_forward(tr_model *m, int n, int training);
/* Loss (sum over samples) and correct count; seeds d logits with (softmax - onehot) / n if grad. */
void tr_exec_loss(tr_model *m, const int32_t *y, double *loss_sum, long *correct, int grad);
void tr_exec_backward(tr_model *m, int want_dx);
/* Where to add the gradient for input k of nd; NULL when it is the model input and nobody asked for it. */
float *tr_dx(const tr_model *m, const tr_exec *e, const tr_node *nd, int k);
int tr_check_labels(tr_model *m, const int32_t *y, int n, const char *what);

static inline float *tr_wp(const tr_model *m, const tr_node *nd, int k) { return m->w + m->params[nd->param[k]].offset; }
static inline float *tr_gp(const tr_model *m, const tr_exec *e, const tr_node *nd, int k, int shard)
{
    return e->gshard + (size_t)shard * m->n_w + m->params[nd->param[k]].offset;
}
static inline const tr_node *tr_in(const tr_model *m, const tr_node *nd, int k) { return &m->nodes[nd->in[k]]; }

/* optim.c: zeroes the optimizer state (allocating it); one update of every trainable parameter. */
int tr_optim_reset(tr_model *m);
void tr_optim_step(tr_model *m, const tr_train_config *c, float lr);

/* Output size and leading padding of one spatial axis (TFLite SAME/VALID). */
int tr_out_dim(int in, int k, int stride, tr_padding pad, int *pad_before);

#endif
