/* Model lifecycle, errors, parameter storage and initialisation, introspection for exporters. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "rng.h"

/* OpenBLAS (cblas.h of Debian's libopenblas-dev declares it too). */
void openblas_set_num_threads(int num_threads);

int tr_fail(tr_model *m, const char *fmt, ...)
{
    if (!m) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return -1;
}

void tr_shape_str(tr_shape s, char *buf, size_t len)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, len - k, "[");
    for (int i = 0; i < s.rank && i < 3 && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ",%d" : "%d", s.dims[i]);
    if (k < len) snprintf(buf + k, len - k, "]");
}

size_t tr_shape_size(tr_shape s)
{
    if (s.rank < 1 || s.rank > 3) return 0;
    size_t n = 1;
    for (int i = 0; i < s.rank; i++) {
        if (s.dims[i] < 1) return 0;
        n *= (size_t)s.dims[i];
    }
    return n;
}

const char *tr_op_name(tr_op op)
{
    static const char *const names[] = {
        [TR_OP_INPUT] = "INPUT", [TR_OP_CONV2D] = "CONV_2D", [TR_OP_DEPTHWISE_CONV2D] = "DEPTHWISE_CONV_2D",
        [TR_OP_DENSE] = "FULLY_CONNECTED", [TR_OP_AVG_POOL] = "AVERAGE_POOL_2D", [TR_OP_MAX_POOL] = "MAX_POOL_2D",
        [TR_OP_GLOBAL_AVG_POOL] = "GLOBAL_AVERAGE_POOL", [TR_OP_BATCHNORM] = "BATCH_NORM", [TR_OP_RELU] = "RELU",
        [TR_OP_RELU6] = "RELU6", [TR_OP_DROPOUT] = "DROPOUT", [TR_OP_RESHAPE] = "RESHAPE", [TR_OP_ADD] = "ADD",
        [TR_OP_IDENTITY] = "IDENTITY",
    };
    return (unsigned)op < sizeof names / sizeof names[0] && names[op] ? names[op] : "?";
}

int tr_out_dim(int in, int k, int stride, tr_padding pad, int *pad_before)
{
    if (pad == TR_PAD_SAME) {
        int out = (in + stride - 1) / stride;
        int total = (out - 1) * stride + k - in;
        *pad_before = total > 0 ? total / 2 : 0;
        return out;
    }
    *pad_before = 0;
    return in < k ? 0 : (in - k) / stride + 1;
}

tr_model *tr_model_new(void)
{
    tr_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->output = -1;
    m->input = -1;
    return m;
}

static void exec_free(tr_exec *e, int n_nodes, int workers)
{
    for (int i = 0; e->act && i < n_nodes; i++) free(e->act[i]);
    for (int i = 0; e->dact && i < n_nodes; i++) free(e->dact[i]);
    for (int i = 0; e->argmax && i < n_nodes; i++) free(e->argmax[i]);
    for (int i = 0; e->scratch && i < workers; i++) free(e->scratch[i]);
    free(e->act);
    free(e->dact);
    free(e->argmax);
    free(e->scratch);
    free(e->gshard);
    free(e->red);
    free(e->aux);
    memset(e, 0, sizeof *e);
}

/* Drops buffers laid out for an older graph or thread count. */
void tr_model_invalidate(tr_model *m)
{
    exec_free(&m->ex, m->n_nodes, tr_pool_threads(m->pool));
    m->ready = 0;
}

void tr_model_free(tr_model *m)
{
    if (!m) return;
    tr_model_invalidate(m);
    tr_pool_free(m->pool);
    free(m->nodes);
    free(m->params);
    free(m->w);
    free(m->g);
    free(m->opt_m);
    free(m->opt_v);
    free(m);
}

const char *tr_model_error(const tr_model *m) { return m ? m->err : "no model"; }

int tr_model_set_threads(tr_model *m, int threads)
{
    if (!m) return -1;
    if (threads < 0 || threads > 256) return tr_fail(m, "threads: %d is out of range 0..256", threads);
    tr_model_invalidate(m);
    tr_pool_free(m->pool);
    m->pool = NULL;
    m->threads = threads;
    return 0;
}

/* Starts the worker threads on first use (0: one per online CPU). */
int tr_model_pool(tr_model *m)
{
    if (m->pool) return 0;
    int t = m->threads;
    if (t == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        t = n < 1 ? 1 : n > 64 ? 64 : (int)n;
    }
    /* One thread per GEMM: the engine's own threads split the batch into shards, and a GEMM's result
     * then never depends on how OpenBLAS would have split it. */
    openblas_set_num_threads(1);
    m->pool = tr_pool_new(t);
    return m->pool ? 0 : tr_fail(m, "cannot start %d worker threads", t);
}

int tr_model_init(tr_model *m, uint64_t seed)
{
    if (!m) return -1;
    tr_rng r;
    tr_rng_seed(&r, seed);
    for (int i = 0; i < m->n_params; i++) {
        tr_param *p = &m->params[i];
        float *d = m->w + p->offset;
        if (p->role == TR_PARAM_FILTERS) {
            float limit = sqrtf(6.0f / (float)(p->fan_in + p->fan_out));
            for (size_t k = 0; k < p->size; k++) d[k] = (2.0f * tr_rng_uniform(&r) - 1.0f) * limit;
        } else {
            float v = p->role == TR_PARAM_GAMMA || p->role == TR_PARAM_MOVING_VARIANCE ? 1.0f : 0.0f;
            for (size_t k = 0; k < p->size; k++) d[k] = v;
        }
    }
    m->initialized = 1;
    m->step = 0;
    return 0;
}

int tr_model_num_nodes(const tr_model *m) { return m ? m->n_nodes : 0; }
int tr_model_num_params(const tr_model *m) { return m ? m->n_params : 0; }
int tr_model_is_initialized(const tr_model *m) { return m ? m->initialized : 0; }
int tr_model_input(const tr_model *m) { return m ? m->input : -1; }
int tr_model_output(const tr_model *m) { return !m || m->n_nodes == 0 ? -1 : m->output >= 0 ? m->output : m->n_nodes - 1; }

int tr_model_node(const tr_model *m, int index, tr_node_info *out)
{
    if (!m || !out || index < 0 || index >= m->n_nodes) return -1;
    const tr_node *nd = &m->nodes[index];
    memset(out, 0, sizeof *out);
    out->op = nd->op;
    out->name = nd->name;
    out->n_inputs = nd->n_in;
    out->inputs[0] = nd->n_in > 0 ? nd->in[0] : -1;
    out->inputs[1] = nd->n_in > 1 ? nd->in[1] : -1;
    out->shape = nd->shape;
    out->kh = nd->kh;
    out->kw = nd->kw;
    out->stride_h = nd->sh;
    out->stride_w = nd->sw;
    out->padding = nd->pad;
    out->depth_multiplier = nd->mult;
    out->rate = nd->rate;
    out->epsilon = nd->eps;
    out->momentum = nd->momentum;
    out->n_params = nd->n_param;
    for (int k = 0; k < 4; k++) out->params[k] = k < nd->n_param ? nd->param[k] : -1;
    return 0;
}

int tr_model_param(const tr_model *m, int index, tr_param_info *out)
{
    if (!m || !out || index < 0 || index >= m->n_params) return -1;
    const tr_param *p = &m->params[index];
    memset(out, 0, sizeof *out);
    out->name = p->name;
    out->role = p->role;
    out->node = p->node;
    out->rank = p->rank;
    memcpy(out->dims, p->dims, sizeof out->dims);
    out->size = p->size;
    out->data = m->w + p->offset;
    out->grad = m->g ? m->g + p->offset : NULL;
    out->trainable = p->trainable;
    out->unused = p->unused;
    return 0;
}

int tr_model_find_param(const tr_model *m, const char *name)
{
    for (int i = 0; m && name && i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0) return i;
    return -1;
}

int tr_model_set_output(tr_model *m, int node)
{
    if (!m) return -1;
    if (node < 0 || node >= m->n_nodes) return tr_fail(m, "set_output: no node %d (the model has %d)", node, m->n_nodes);
    m->output = node;
    tr_model_invalidate(m);
    return 0;
}

/* Marks the nodes the output depends on and checks the graph can be run. */
int tr_prepare(tr_model *m)
{
    if (m->ready) return 0;
    if (m->input < 0) return tr_fail(m, "the model has no input node (tr_model_add_input)");
    int out = tr_model_output(m);
    if (out == m->input) return tr_fail(m, "the model has no layers after its input");
    for (int i = 0; i < m->n_nodes; i++) m->nodes[i].live = 0;
    m->nodes[out].live = 1;
    for (int i = out; i >= 0; i--) {
        const tr_node *nd = &m->nodes[i];
        if (!nd->live) continue;
        for (int k = 0; k < nd->n_in; k++) m->nodes[nd->in[k]].live = 1;
    }
    for (int i = 0; i < m->n_nodes; i++) m->nodes[i].first_user = -1;
    for (int i = 0; i <= out; i++)
        for (int k = 0; m->nodes[i].live && k < m->nodes[i].n_in; k++) m->nodes[m->nodes[i].in[k]].first_user = i;
    if (!m->nodes[m->input].live)
        return tr_fail(m, "output node '%s' does not depend on the input", m->nodes[out].name);
    m->ready = 1;
    return 0;
}
