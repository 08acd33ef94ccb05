/* Batch normalisation over the last dimension. Training: batch mean and (biased) variance over
 * samples and positions, summed per shard in double and combined in shard order; running statistics
 * move by momentum (unbiased variance). Inference: running statistics. Per node, tr_exec.aux holds
 * [mean | inverse std | d beta | d gamma] of the last training batch. */
#include <math.h>

#include "internal.h"

static double *part(const tr_exec *e, int shard) { return e->red + (size_t)shard * e->red_per_shard; }

/* Per shard and channel: sum of x (pass 0) or of (x - mean)^2 (pass 1). */
TR_HOT static void moments(tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int pass)
{
    const float *x = e->act[nd->in[0]] + (size_t)n0 * nd->size;
    const float *mean = e->aux + nd->aux;
    int c = nd->c;
    size_t cells = (size_t)(n1 - n0) * nd->h * nd->w;
    double *acc = part(e, shard);
    for (int k = 0; k < c; k++) acc[k] = 0.0;
    for (size_t p = 0; p < cells; p++)
        for (int k = 0; k < c; k++) {
            double v = x[p * c + k];
            acc[k] += pass ? (v - mean[k]) * (v - mean[k]) : v;
        }
}

static void mean_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)m, (void)worker;
    moments(e, nd, n0, n1, shard, 0);
}

static void var_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)m, (void)worker;
    moments(e, nd, n0, n1, shard, 1);
}

TR_HOT static void norm_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const float *x = e->act[nd->in[0]] + (size_t)n0 * nd->size;
    float *y = e->act[nd - m->nodes] + (size_t)n0 * nd->size;
    const float *mean = e->aux + nd->aux, *inv = mean + nd->c;
    const float *gamma = tr_wp(m, nd, 0), *beta = tr_wp(m, nd, 1);
    int c = nd->c;
    size_t cells = (size_t)(n1 - n0) * nd->h * nd->w;
    for (size_t p = 0; p < cells; p++)
        for (int k = 0; k < c; k++) y[p * c + k] = (x[p * c + k] - mean[k]) * inv[k] * gamma[k] + beta[k];
}

static void forward(tr_model *m, tr_exec *e, const tr_node *nd)
{
    int c = nd->c;
    float *mean = e->aux + nd->aux, *inv = mean + c;
    float *rmean = tr_wp(m, nd, 2), *rvar = tr_wp(m, nd, 3);
    if (!e->training) {
        for (int k = 0; k < c; k++) {
            mean[k] = rmean[k];
            inv[k] = 1.0f / sqrtf(rvar[k] + nd->eps);
        }
        tr_exec_shards(m, e, nd, norm_shard);
        return;
    }
    double cnt = (double)e->n * nd->h * nd->w;
    tr_exec_shards(m, e, nd, mean_shard);
    for (int k = 0; k < c; k++) {
        double s = 0.0;
        for (int sh = 0; sh < e->ns; sh++) s += part(e, sh)[k];
        mean[k] = (float)(s / cnt);
    }
    tr_exec_shards(m, e, nd, var_shard);
    float mom = nd->momentum;
    for (int k = 0; k < c; k++) {
        double s = 0.0;
        for (int sh = 0; sh < e->ns; sh++) s += part(e, sh)[k];
        double var = s / cnt;
        inv[k] = (float)(1.0 / sqrt(var + nd->eps));
        double unbiased = cnt > 1.0 ? s / (cnt - 1.0) : var;
        rmean[k] = mom * rmean[k] + (1.0f - mom) * mean[k];
        rvar[k] = mom * rvar[k] + (1.0f - mom) * (float)unbiased;
    }
    tr_exec_shards(m, e, nd, norm_shard);
}

/* Per shard: sums of dy and dy * xhat per channel. */
TR_HOT static void dsum_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)worker;
    int c = nd->c;
    const float *x = e->act[nd->in[0]] + (size_t)n0 * nd->size;
    const float *dy = e->dact[nd - m->nodes] + (size_t)n0 * nd->size;
    const float *mean = e->aux + nd->aux, *inv = mean + c;
    double *acc = part(e, shard);
    size_t cells = (size_t)(n1 - n0) * nd->h * nd->w;
    for (int k = 0; k < 2 * c; k++) acc[k] = 0.0;
    for (size_t p = 0; p < cells; p++)
        for (int k = 0; k < c; k++) {
            float d = dy[p * c + k];
            acc[k] += d;
            acc[c + k] += (double)d * ((x[p * c + k] - mean[k]) * inv[k]);
        }
}

/* dx = gamma * inv / N * (N * dy - sum dy - xhat * sum(dy * xhat)) */
TR_HOT static void dx_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    int c = nd->c;
    const float *x = e->act[nd->in[0]] + (size_t)n0 * nd->size;
    const float *dy = e->dact[nd - m->nodes] + (size_t)n0 * nd->size;
    const float *mean = e->aux + nd->aux, *inv = mean + c, *dbeta = inv + c, *dgamma = dbeta + c;
    const float *gamma = tr_wp(m, nd, 0);
    float cnt = (float)e->n * nd->h * nd->w;
    dx += (size_t)n0 * nd->size;
    size_t cells = (size_t)(n1 - n0) * nd->h * nd->w;
    for (size_t p = 0; p < cells; p++)
        for (int k = 0; k < c; k++) {
            float xhat = (x[p * c + k] - mean[k]) * inv[k];
            dx[p * c + k] += gamma[k] * inv[k] / cnt * (cnt * dy[p * c + k] - dbeta[k] - xhat * dgamma[k]);
        }
}

static void backward(tr_model *m, tr_exec *e, const tr_node *nd)
{
    int c = nd->c;
    float *dbeta = e->aux + nd->aux + 2 * (size_t)c, *dgamma = dbeta + c;
    tr_exec_shards(m, e, nd, dsum_shard);
    float *gg = tr_gp(m, e, nd, 0, 0), *gb = tr_gp(m, e, nd, 1, 0);
    for (int k = 0; k < c; k++) {
        double sb = 0.0, sg = 0.0;
        for (int sh = 0; sh < e->ns; sh++) {
            sb += part(e, sh)[k];
            sg += part(e, sh)[c + k];
        }
        dbeta[k] = (float)sb;
        dgamma[k] = (float)sg;
        gb[k] += dbeta[k];
        gg[k] += dgamma[k];
    }
    tr_exec_shards(m, e, nd, dx_shard);
}

const tr_op_impl tr_impl_batchnorm = {forward, backward, NULL};
