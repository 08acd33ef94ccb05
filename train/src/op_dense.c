/* FULLY_CONNECTED: out [n, units] = x [n, in] * W^T + b, W [units, in], by cblas_sgemm per shard. */
#include <cblas.h>

#include "internal.h"

static void fwd_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    int rows = n1 - n0, k = (int)x->size, u = nd->c;
    float *out = e->act[nd - m->nodes] + (size_t)n0 * nd->size;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, u, k, 1.0f, e->act[nd->in[0]] + (size_t)n0 * x->size, k,
                tr_wp(m, nd, 0), k, 0.0f, out, u);
    const float *b = tr_wp(m, nd, 1);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < u; j++) out[(size_t)r * u + j] += b[j];
}

static void bwd_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    int rows = n1 - n0, k = (int)x->size, u = nd->c;
    const float *dout = e->dact[nd - m->nodes] + (size_t)n0 * nd->size;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, u, k, rows, 1.0f, dout, u, e->act[nd->in[0]] + (size_t)n0 * x->size,
                k, 1.0f, tr_gp(m, e, nd, 0, shard), k);
    float *db = tr_gp(m, e, nd, 1, shard);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < u; j++) db[j] += dout[(size_t)r * u + j];
    float *dx = tr_dx(m, e, nd, 0);
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, k, u, 1.0f, dout, u, tr_wp(m, nd, 0), k, 1.0f,
                    dx + (size_t)n0 * x->size, k);
}

static void forward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, fwd_shard); }
static void backward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, bwd_shard); }

const tr_op_impl tr_impl_dense = {forward, backward, NULL};
