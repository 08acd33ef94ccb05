/* Running a model over a batch: buffers, shard dispatch, forward, loss, backward, gradient reduction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const tr_op_impl *impl_of(tr_op op)
{
    switch (op) {
    case TR_OP_CONV2D: return &tr_impl_conv2d;
    case TR_OP_DEPTHWISE_CONV2D: return &tr_impl_depthwise;
    case TR_OP_DENSE: return &tr_impl_dense;
    case TR_OP_AVG_POOL: return &tr_impl_avg_pool;
    case TR_OP_MAX_POOL: return &tr_impl_max_pool;
    case TR_OP_GLOBAL_AVG_POOL: return &tr_impl_global_avg_pool;
    case TR_OP_BATCHNORM: return &tr_impl_batchnorm;
    case TR_OP_RELU: return &tr_impl_relu;
    case TR_OP_RELU6: return &tr_impl_relu6;
    case TR_OP_DROPOUT: return &tr_impl_dropout;
    case TR_OP_RESHAPE:
    case TR_OP_IDENTITY: return &tr_impl_copy;
    case TR_OP_ADD: return &tr_impl_add;
    case TR_OP_INPUT: break;
    }
    return NULL;
}

typedef struct {
    tr_model *m;
    tr_exec *e;
    const tr_node *nd;
    tr_shard_fn fn;
} shard_job;

static void shard_task(void *ctx, int shard, int worker)
{
    shard_job *j = ctx;
    tr_exec *e = j->e;
    const tr_node *nd = j->nd;
    int n0 = shard * TR_SHARD_SAMPLES, n1 = n0 + TR_SHARD_SAMPLES;
    if (n1 > e->n) n1 = e->n;
    /* In the backward pass the first consumer of a node clears that node's gradient, shard by shard,
     * just before adding to it (while it is in this core's cache). */
    if (e->zero_for == nd - j->m->nodes)
        for (int k = 0; k < nd->n_in; k++) {
            const tr_node *x = tr_in(j->m, nd, k);
            float *dx = tr_dx(j->m, e, nd, k);
            if (dx && x->first_user == e->zero_for && (k == 0 || nd->in[1] != nd->in[0]))
                memset(dx + (size_t)n0 * x->size, 0, (size_t)(n1 - n0) * x->size * sizeof *dx);
        }
    j->fn(j->m, e, nd, n0, n1, shard, worker);
}

void tr_exec_shards(tr_model *m, tr_exec *e, const tr_node *nd, tr_shard_fn fn)
{
    shard_job j = {m, e, nd, fn};
    tr_pool_run(m->pool, e->ns, shard_task, &j);
    e->zero_for = -1;  /* an op running several phases clears in its first only */
}

int tr_exec_reserve(tr_model *m, int n)
{
    if (n < 1) return tr_fail(m, "batch of %d samples", n);
    if (tr_prepare(m) || tr_model_pool(m)) return -1;
    tr_exec *e = &m->ex;
    int shards = (n + TR_SHARD_SAMPLES - 1) / TR_SHARD_SAMPLES;
    if (e->cap >= n) {
        e->n = n;
        e->ns = shards;
        return 0;
    }
    tr_model_invalidate(m);
    m->ready = 0;
    if (tr_prepare(m)) return -1;
    int workers = tr_pool_threads(m->pool);
    e->act = calloc((size_t)m->n_nodes, sizeof *e->act);
    e->dact = calloc((size_t)m->n_nodes, sizeof *e->dact);
    e->argmax = calloc((size_t)m->n_nodes, sizeof *e->argmax);
    e->scratch = calloc((size_t)workers, sizeof *e->scratch);
    e->gshard = malloc((size_t)shards * m->n_w * sizeof *e->gshard + 1);
    if (!m->g) m->g = calloc(m->n_w + 1, sizeof *m->g);
    int ok = e->act && e->dact && e->argmax && e->scratch && e->gshard && m->g;
    size_t scratch = 0, red = 2, aux = 0;
    for (int i = 0; ok && i < m->n_nodes; i++) {
        tr_node *nd = &m->nodes[i];
        if (!nd->live) continue;
        e->act[i] = malloc((size_t)n * nd->size * sizeof(float));
        e->dact[i] = malloc((size_t)n * nd->size * sizeof(float));
        ok = e->act[i] && e->dact[i];
        if (ok && nd->op == TR_OP_MAX_POOL) ok = (e->argmax[i] = malloc((size_t)n * nd->size * sizeof(int32_t))) != NULL;
        const tr_op_impl *im = impl_of(nd->op);
        if (im && im->scratch) {
            size_t s = im->scratch(m, nd, TR_SHARD_SAMPLES);
            if (s > scratch) scratch = s;
        }
        if (nd->op == TR_OP_BATCHNORM) {
            nd->aux = aux;
            aux += 4 * (size_t)nd->c;
            if (2 * (size_t)nd->c > red) red = 2 * (size_t)nd->c;
        }
    }
    for (int t = 0; ok && t < workers; t++) ok = (e->scratch[t] = malloc(scratch * sizeof(float) + 16)) != NULL;
    e->red = ok ? malloc((size_t)shards * red * sizeof(double)) : NULL;
    e->aux = ok ? malloc(aux * sizeof(float) + 16) : NULL;
    if (!ok || !e->red || !e->aux) {
        tr_model_invalidate(m);
        return tr_fail(m, "out of memory for a batch of %d samples", n);
    }
    e->scratch_floats = scratch;
    e->red_per_shard = red;
    e->aux_floats = aux;
    e->cap = n;
    e->n = n;
    e->ns = shards;
    return 0;
}

void tr_exec_forward(tr_model *m, int n, int training)
{
    tr_exec *e = &m->ex;
    e->n = n;
    e->ns = (n + TR_SHARD_SAMPLES - 1) / TR_SHARD_SAMPLES;
    e->training = training;
    e->zero_for = -1;
    e->dropout_key = m->dropout_seed ^ (m->step * 0xd1342543de82ef95ull);
    for (int i = 0; i < m->n_nodes; i++) {
        const tr_node *nd = &m->nodes[i];
        if (nd->live && nd->op != TR_OP_INPUT) impl_of(nd->op)->forward(m, e, nd);
    }
}

static void loss_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)worker;
    const int32_t *y = (const int32_t *)(const void *)e->aux_y;
    size_t k = nd->size;
    double loss = 0.0, correct = 0.0;
    int grad = e->want_loss_grad;
    float inv_n = 1.0f / (float)e->n;
    for (int s = n0; s < n1; s++) {
        const float *z = e->act[nd - m->nodes] + (size_t)s * k;
        size_t best = 0;
        for (size_t j = 1; j < k; j++)
            if (z[j] > z[best]) best = j;
        double zmax = z[best], sum = 0.0;
        for (size_t j = 0; j < k; j++) sum += exp((double)z[j] - zmax);
        double lse = zmax + log(sum);
        loss += lse - (double)z[y[s]];
        correct += best == (size_t)y[s];
        if (grad) {
            float *dz = e->dact[nd - m->nodes] + (size_t)s * k;
            for (size_t j = 0; j < k; j++) {
                float p = (float)exp((double)z[j] - lse);
                dz[j] = (p - (j == (size_t)y[s] ? 1.0f : 0.0f)) * inv_n;
            }
        }
    }
    e->red[(size_t)shard * e->red_per_shard] = loss;
    e->red[(size_t)shard * e->red_per_shard + 1] = correct;
}

void tr_exec_loss(tr_model *m, const int32_t *y, double *loss_sum, long *correct, int grad)
{
    tr_exec *e = &m->ex;
    e->aux_y = y;
    e->want_loss_grad = grad;
    tr_exec_shards(m, e, &m->nodes[tr_model_output(m)], loss_shard);
    double l = 0.0, c = 0.0;
    for (int s = 0; s < e->ns; s++) {
        l += e->red[(size_t)s * e->red_per_shard];
        c += e->red[(size_t)s * e->red_per_shard + 1];
    }
    *loss_sum = l;
    *correct = (long)c;
}

#define REDUCE_CHUNK 16384

static void reduce_task(void *ctx, int chunk, int worker)
{
    (void)worker;
    tr_model *m = ctx;
    tr_exec *e = &m->ex;
    size_t a = (size_t)chunk * REDUCE_CHUNK, b = a + REDUCE_CHUNK;
    if (b > m->n_w) b = m->n_w;
    float *g = m->g;
    memcpy(g + a, e->gshard + a, (b - a) * sizeof *g);
    for (int s = 1; s < e->ns; s++) {
        const float *gs = e->gshard + (size_t)s * m->n_w;
        for (size_t i = a; i < b; i++) g[i] += gs[i];
    }
}

void tr_exec_backward(tr_model *m, int want_dx)
{
    tr_exec *e = &m->ex;
    e->want_dx = want_dx;
    memset(e->gshard, 0, (size_t)e->ns * m->n_w * sizeof *e->gshard);
    for (int i = tr_model_output(m); i >= 0; i--) {
        const tr_node *nd = &m->nodes[i];
        if (!nd->live || nd->op == TR_OP_INPUT) continue;
        e->zero_for = i;
        impl_of(nd->op)->backward(m, e, nd);
    }
    e->zero_for = -1;
    int chunks = (int)((m->n_w + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
    tr_pool_run(m->pool, chunks, reduce_task, m);
}

float *tr_dx(const tr_model *m, const tr_exec *e, const tr_node *nd, int k)
{
    int in = nd->in[k];
    return in == m->input && !e->want_dx ? NULL : e->dact[in];
}

int tr_check_labels(tr_model *m, const int32_t *y, int n, const char *what)
{
    int out = tr_model_output(m);
    long k = (long)m->nodes[out].size;
    for (int i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= k)
            return tr_fail(m, "%s: label y[%d] = %d is out of range 0..%ld (output '%s' has %ld classes)", what, i,
                           (int)y[i], k - 1, m->nodes[out].name, k);
    return 0;
}

static int check_x(tr_model *m, const float *x, int n, const char *what)
{
    size_t per = m->nodes[m->input].size;
    for (size_t i = 0; i < (size_t)n * per; i++)
        if (!isfinite(x[i]))
            return tr_fail(m, "%s: x[%zu][%zu] is %s (sample %zu, element %zu)", what, i / per, i % per,
                           isnan(x[i]) ? "NaN" : "infinite", i / per, i % per);
    return 0;
}

static int begin(tr_model *m, const float *x, int n, const char *what)
{
    if (!m) return -1;
    if (!x || n < 1) return tr_fail(m, "%s: no samples (x is NULL or n = %d)", what, n);
    if (tr_exec_reserve(m, n)) return -1;
    if (check_x(m, x, n, what)) return -1;
    memcpy(m->ex.act[m->input], x, (size_t)n * m->nodes[m->input].size * sizeof(float));
    return 0;
}

int tr_model_forward(tr_model *m, const float *x, int n, tr_mode mode, float *out)
{
    if (begin(m, x, n, "forward")) return -1;
    tr_exec_forward(m, n, mode == TR_TRAIN);
    const tr_node *o = &m->nodes[tr_model_output(m)];
    if (out) memcpy(out, m->ex.act[o - m->nodes], (size_t)n * o->size * sizeof(float));
    return 0;
}

int tr_model_forward_each(tr_model *m, const float *x, int n, tr_node_fn fn, void *user)
{
    if (begin(m, x, n, "forward")) return -1;
    if (!fn) return tr_fail(m, "forward: no node callback");
    tr_exec_forward(m, n, 0);
    for (int i = 0; i < m->n_nodes; i++) {
        if (!m->nodes[i].live) continue;
        int r = fn(i, m->ex.act[i], n, user);
        if (r) return r;
    }
    return 0;
}

int tr_model_gradients(tr_model *m, const float *x, const int32_t *y, int n, double *loss, float *dx)
{
    if (begin(m, x, n, "gradients")) return -1;
    if (!y) return tr_fail(m, "gradients: no labels");
    if (tr_check_labels(m, y, n, "gradients")) return -1;
    tr_exec_forward(m, n, 1);
    double l;
    long c;
    tr_exec_loss(m, y, &l, &c, 1);
    tr_exec_backward(m, dx != NULL);
    if (loss) *loss = l / n;
    if (dx) memcpy(dx, m->ex.dact[m->input], (size_t)n * m->nodes[m->input].size * sizeof(float));
    return 0;
}
