/* Building a model: one tr_model_add_* per layer kind, each checking its input and inferring its shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_ELEMS (1L << 24)  /* per-sample elements of one tensor, and of one convolution window */

static const char *kind_name(tr_op op)
{
    static const char *const k[] = {
        [TR_OP_INPUT] = "input", [TR_OP_CONV2D] = "conv2d", [TR_OP_DEPTHWISE_CONV2D] = "depthwise_conv2d",
        [TR_OP_DENSE] = "dense", [TR_OP_AVG_POOL] = "avg_pool", [TR_OP_MAX_POOL] = "max_pool",
        [TR_OP_GLOBAL_AVG_POOL] = "global_avg_pool", [TR_OP_BATCHNORM] = "batchnorm", [TR_OP_RELU] = "relu",
        [TR_OP_RELU6] = "relu6", [TR_OP_DROPOUT] = "dropout", [TR_OP_RESHAPE] = "reshape", [TR_OP_ADD] = "add",
        [TR_OP_IDENTITY] = "identity",
    };
    return k[op];
}

static int set_shape(tr_model *m, tr_node *nd, int rank, int d0, int d1, int d2)
{
    int d[3] = {d0, d1, d2};
    nd->shape.rank = rank;
    long n = 1;
    for (int i = 0; i < 3; i++) {
        nd->shape.dims[i] = i < rank ? d[i] : 0;
        if (i < rank) {
            if (d[i] < 1) return tr_fail(m, "%s '%s': output dimension %d is %d", kind_name(nd->op), nd->name, i, d[i]);
            n *= d[i];
            if (n > MAX_ELEMS) return tr_fail(m, "%s '%s': output is too large", kind_name(nd->op), nd->name);
        }
    }
    nd->h = rank == 3 ? d0 : 1;
    nd->w = rank == 3 ? d1 : rank == 2 ? d0 : 1;
    nd->c = d[rank - 1];
    nd->size = (size_t)n;
    return 0;
}

/* Appends a node after checking its inputs and name; returns its index or -1. */
static int new_node(tr_model *m, tr_op op, const char *name, const int *in, int n_in)
{
    if (!m) return -1;
    const char *kind = kind_name(op);
    for (int k = 0; k < n_in; k++) {
        if (in[k] == -1 && m->err[0]) return -1;  /* an earlier add failed: keep its message */
        if (in[k] < 0 || in[k] >= m->n_nodes)
            return tr_fail(m, "%s%s%s: input %d is not a node (the model has %d)", kind, name ? " " : "",
                           name ? name : "", in[k], m->n_nodes);
    }
    char auto_name[TR_NAME_MAX + 1];
    if (!name) {
        snprintf(auto_name, sizeof auto_name, "%s_%d", kind, m->n_nodes);
        name = auto_name;
    }
    if (!name[0] || strlen(name) > TR_NAME_MAX || strchr(name, '/'))
        return tr_fail(m, "%s '%s': a name must have 1..%d characters and no '/'", kind, name, TR_NAME_MAX);
    for (int i = 0; i < m->n_nodes; i++)
        if (strcmp(m->nodes[i].name, name) == 0) return tr_fail(m, "%s '%s': the name is already used by node %d", kind, name, i);
    if (m->n_nodes == m->cap_nodes) {
        int cap = m->cap_nodes ? 2 * m->cap_nodes : 16;
        tr_node *nn = realloc(m->nodes, (size_t)cap * sizeof *nn);
        if (!nn) return tr_fail(m, "%s '%s': out of memory", kind, name);
        m->nodes = nn;
        m->cap_nodes = cap;
    }
    tr_model_invalidate(m);
    tr_node *nd = &m->nodes[m->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->n_in = n_in;
    for (int k = 0; k < n_in; k++) nd->in[k] = in[k];
    nd->kh = nd->kw = nd->sh = nd->sw = nd->mult = 1;
    return m->n_nodes++;  /* the caller fills it in and undoes this on failure */
}

static int drop_node(tr_model *m) { m->n_nodes--; return -1; }

static int add_param(tr_model *m, int node, tr_param_role role, int rank, const int *dims, int fan_in, int fan_out)
{
    static const char *const suffix[] = {"filters", "bias", "gamma", "beta", "moving_mean", "moving_variance"};
    size_t size = 1;
    for (int i = 0; i < rank; i++) size *= (size_t)dims[i];
    if (m->n_params == m->cap_params) {
        int cap = m->cap_params ? 2 * m->cap_params : 16;
        tr_param *np = realloc(m->params, (size_t)cap * sizeof *np);
        if (!np) return tr_fail(m, "'%s': out of memory", m->nodes[node].name);
        m->params = np;
        m->cap_params = cap;
    }
    if (m->n_w + size > m->cap_w) {
        size_t cap = m->cap_w ? m->cap_w : 1024;
        while (cap < m->n_w + size) cap *= 2;
        float *nw = realloc(m->w, cap * sizeof *nw);
        if (!nw) return tr_fail(m, "'%s': out of memory for %zu parameters", m->nodes[node].name, size);
        m->w = nw;
        m->cap_w = cap;
    }
    tr_node *nd = &m->nodes[node];
    tr_param *p = &m->params[m->n_params];
    memset(p, 0, sizeof *p);
    const char *suf = role == TR_PARAM_FILTERS && nd->op == TR_OP_DENSE ? "weights" : suffix[role];
    snprintf(p->name, sizeof p->name, "%s/%s", nd->name, suf);
    p->role = role;
    p->node = node;
    p->rank = rank;
    memcpy(p->dims, dims, (size_t)rank * sizeof *dims);
    p->size = size;
    p->offset = m->n_w;
    p->trainable = role <= TR_PARAM_BETA;
    p->decay = role == TR_PARAM_FILTERS;
    p->fan_in = fan_in;
    p->fan_out = fan_out;
    float v = role == TR_PARAM_GAMMA || role == TR_PARAM_MOVING_VARIANCE ? 1.0f : 0.0f;
    for (size_t k = 0; k < size; k++) m->w[m->n_w + k] = v;
    m->n_w += size;
    nd->param[nd->n_param++] = m->n_params++;
    free(m->g);
    m->g = NULL;
    return 0;
}

int tr_model_add_input(tr_model *m, tr_shape shape, const char *name)
{
    if (m && m->input >= 0) return tr_fail(m, "input: the model already has an input ('%s')", m->nodes[m->input].name);
    int i = new_node(m, TR_OP_INPUT, name, NULL, 0);
    if (i < 0) return -1;
    tr_node *nd = &m->nodes[i];
    if (shape.rank < 1 || shape.rank > 3) {
        tr_fail(m, "input '%s': rank %d is not 1, 2 or 3 (shapes exclude the batch)", nd->name, shape.rank);
        return drop_node(m);
    }
    if (set_shape(m, nd, shape.rank, shape.dims[0], shape.dims[1], shape.dims[2])) return drop_node(m);
    m->input = i;
    return i;
}

/* Shared by convolutions and pools: input of rank 2 or 3, window and strides, output spatial size. */
static int spatial(tr_model *m, int i, int kh, int kw, int sh, int sw, tr_padding pad, int *oh, int *ow)
{
    tr_node *nd = &m->nodes[i];
    const tr_node *x = &m->nodes[nd->in[0]];
    const char *kind = kind_name(nd->op);
    char s[48];
    tr_shape_str(x->shape, s, sizeof s);
    if (x->shape.rank < 2)
        return tr_fail(m, "%s '%s': input '%s' has shape %s; it needs [H,W,C] (or [W,C] for 1-D)", kind, nd->name,
                       x->name, s);
    if (kh < 1 || kw < 1 || sh < 1 || sw < 1)
        return tr_fail(m, "%s '%s': window %dx%d and strides %dx%d must be >= 1", kind, nd->name, kh, kw, sh, sw);
    if (pad != TR_PAD_SAME && pad != TR_PAD_VALID) return tr_fail(m, "%s '%s': padding is not SAME or VALID", kind, nd->name);
    if (x->shape.rank == 2 && kh != 1)
        return tr_fail(m, "%s '%s': input '%s' is 1-D %s, so the window height must be 1 (got %d)", kind, nd->name,
                       x->name, s, kh);
    if ((long)kh * kw * x->c > MAX_ELEMS)
        return tr_fail(m, "%s '%s': the %dx%d window over %d channels is too large", kind, nd->name, kh, kw, x->c);
    nd->kh = kh;
    nd->kw = kw;
    nd->sh = sh;
    nd->sw = sw;
    nd->pad = pad;
    *oh = tr_out_dim(x->h, kh, sh, pad, &nd->pt);
    *ow = tr_out_dim(x->w, kw, sw, pad, &nd->pl);
    if (*oh < 1 || *ow < 1)
        return tr_fail(m, "%s '%s': the %dx%d window does not fit input '%s' %s with VALID padding", kind, nd->name,
                       kh, kw, x->name, s);
    return 0;
}

static int spatial_shape(tr_model *m, int i, int oh, int ow, int c)
{
    tr_node *nd = &m->nodes[i];
    return m->nodes[nd->in[0]].shape.rank == 3 ? set_shape(m, nd, 3, oh, ow, c) : set_shape(m, nd, 2, ow, c, 0);
}

int tr_model_add_conv2d(tr_model *m, int in, int filters, int kh, int kw, int stride_h, int stride_w,
                        tr_padding padding, const char *name)
{
    int i = new_node(m, TR_OP_CONV2D, name, &in, 1);
    if (i < 0) return -1;
    int oh, ow, c = m->nodes[in].c;
    if (spatial(m, i, kh, kw, stride_h, stride_w, padding, &oh, &ow)) return drop_node(m);
    if (filters < 1) {
        tr_fail(m, "conv2d '%s': filters is %d", m->nodes[i].name, filters);
        return drop_node(m);
    }
    int fd[4] = {filters, kh, kw, c}, bd[1] = {filters};
    size_t n_w0 = m->n_w;
    int n_p0 = m->n_params;
    if (spatial_shape(m, i, oh, ow, filters) || add_param(m, i, TR_PARAM_FILTERS, 4, fd, kh * kw * c, kh * kw * filters) ||
        add_param(m, i, TR_PARAM_BIAS, 1, bd, 0, 0)) {
        m->n_w = n_w0;
        m->n_params = n_p0;
        return drop_node(m);
    }
    return i;
}

int tr_model_add_conv1d(tr_model *m, int in, int filters, int k, int stride, tr_padding padding, const char *name)
{
    if (m && in >= 0 && in < m->n_nodes && m->nodes[in].shape.rank != 2) {
        char s[48];
        tr_shape_str(m->nodes[in].shape, s, sizeof s);
        return tr_fail(m, "conv1d '%s': input '%s' has shape %s; it needs [W,C]", name ? name : "?", m->nodes[in].name, s);
    }
    return tr_model_add_conv2d(m, in, filters, 1, k, 1, stride, padding, name);
}

int tr_model_add_depthwise_conv2d(tr_model *m, int in, int multiplier, int kh, int kw, int stride_h, int stride_w,
                                  tr_padding padding, const char *name)
{
    int i = new_node(m, TR_OP_DEPTHWISE_CONV2D, name, &in, 1);
    if (i < 0) return -1;
    int oh, ow, c = m->nodes[in].c;
    if (spatial(m, i, kh, kw, stride_h, stride_w, padding, &oh, &ow)) return drop_node(m);
    if (multiplier < 1) {
        tr_fail(m, "depthwise_conv2d '%s': depth multiplier is %d", m->nodes[i].name, multiplier);
        return drop_node(m);
    }
    m->nodes[i].mult = multiplier;
    int oc = c * multiplier;
    int fd[4] = {1, kh, kw, oc}, bd[1] = {oc};
    size_t n_w0 = m->n_w;
    int n_p0 = m->n_params;
    if (spatial_shape(m, i, oh, ow, oc) || add_param(m, i, TR_PARAM_FILTERS, 4, fd, kh * kw, kh * kw * multiplier) ||
        add_param(m, i, TR_PARAM_BIAS, 1, bd, 0, 0)) {
        m->n_w = n_w0;
        m->n_params = n_p0;
        return drop_node(m);
    }
    return i;
}

int tr_model_add_dense(tr_model *m, int in, int units, const char *name)
{
    int i = new_node(m, TR_OP_DENSE, name, &in, 1);
    if (i < 0) return -1;
    if (units < 1) {
        tr_fail(m, "dense '%s': units is %d", m->nodes[i].name, units);
        return drop_node(m);
    }
    int n_in = (int)m->nodes[in].size;
    int wd[2] = {units, n_in}, bd[1] = {units};
    size_t n_w0 = m->n_w;
    int n_p0 = m->n_params;
    if (set_shape(m, &m->nodes[i], 1, units, 0, 0) || add_param(m, i, TR_PARAM_FILTERS, 2, wd, n_in, units) ||
        add_param(m, i, TR_PARAM_BIAS, 1, bd, 0, 0)) {
        m->n_w = n_w0;
        m->n_params = n_p0;
        return drop_node(m);
    }
    return i;
}

static int add_pool(tr_model *m, tr_op op, int in, int kh, int kw, int sh, int sw, tr_padding pad, const char *name)
{
    int i = new_node(m, op, name, &in, 1);
    if (i < 0) return -1;
    int oh, ow;
    if (spatial(m, i, kh, kw, sh, sw, pad, &oh, &ow) || spatial_shape(m, i, oh, ow, m->nodes[in].c)) return drop_node(m);
    return i;
}

int tr_model_add_avg_pool(tr_model *m, int in, int kh, int kw, int sh, int sw, tr_padding pad, const char *name)
{
    return add_pool(m, TR_OP_AVG_POOL, in, kh, kw, sh, sw, pad, name);
}

int tr_model_add_max_pool(tr_model *m, int in, int kh, int kw, int sh, int sw, tr_padding pad, const char *name)
{
    return add_pool(m, TR_OP_MAX_POOL, in, kh, kw, sh, sw, pad, name);
}

int tr_model_add_global_avg_pool(tr_model *m, int in, const char *name)
{
    int i = new_node(m, TR_OP_GLOBAL_AVG_POOL, name, &in, 1);
    if (i < 0) return -1;
    if (m->nodes[in].shape.rank < 2) {
        tr_fail(m, "global_avg_pool '%s': input '%s' has rank 1; it needs [H,W,C] or [W,C]", m->nodes[i].name,
                m->nodes[in].name);
        return drop_node(m);
    }
    if (set_shape(m, &m->nodes[i], 1, m->nodes[in].c, 0, 0)) return drop_node(m);
    return i;
}

int tr_model_add_batchnorm(tr_model *m, int in, float momentum, float epsilon, const char *name)
{
    int i = new_node(m, TR_OP_BATCHNORM, name, &in, 1);
    if (i < 0) return -1;
    tr_node *nd = &m->nodes[i];
    if (!(momentum >= 0.0f && momentum < 1.0f) || !(epsilon > 0.0f && epsilon < 1.0f)) {
        tr_fail(m, "batchnorm '%s': momentum %g must be in [0, 1) and epsilon %g in (0, 1)", nd->name, (double)momentum,
                (double)epsilon);
        return drop_node(m);
    }
    nd->momentum = momentum;
    nd->eps = epsilon;
    const tr_node *x = &m->nodes[in];
    int d[1] = {x->c};
    size_t n_w0 = m->n_w;
    int n_p0 = m->n_params;
    if (set_shape(m, nd, x->shape.rank, x->shape.dims[0], x->shape.dims[1], x->shape.dims[2])) return drop_node(m);
    for (int r = TR_PARAM_GAMMA; r <= TR_PARAM_MOVING_VARIANCE; r++)
        if (add_param(m, i, (tr_param_role)r, 1, d, 0, 0)) {
            m->n_w = n_w0;
            m->n_params = n_p0;
            return drop_node(m);
        }
    return i;
}

static int add_same_shape(tr_model *m, tr_op op, int in, const char *name)
{
    int i = new_node(m, op, name, &in, 1);
    if (i < 0) return -1;
    const tr_shape s = m->nodes[in].shape;
    if (set_shape(m, &m->nodes[i], s.rank, s.dims[0], s.dims[1], s.dims[2])) return drop_node(m);
    return i;
}

int tr_model_add_relu(tr_model *m, int in, const char *name) { return add_same_shape(m, TR_OP_RELU, in, name); }
int tr_model_add_relu6(tr_model *m, int in, const char *name) { return add_same_shape(m, TR_OP_RELU6, in, name); }

int tr_model_add_dropout(tr_model *m, int in, float rate, const char *name)
{
    int i = add_same_shape(m, TR_OP_DROPOUT, in, name);
    if (i < 0) return -1;
    if (!(rate >= 0.0f && rate < 1.0f)) {
        tr_fail(m, "dropout '%s': rate %g is not in [0, 1)", m->nodes[i].name, (double)rate);
        return drop_node(m);
    }
    m->nodes[i].rate = rate;
    return i;
}

int tr_model_add_reshape(tr_model *m, int in, tr_shape shape, const char *name)
{
    int i = new_node(m, TR_OP_RESHAPE, name, &in, 1);
    if (i < 0) return -1;
    tr_node *nd = &m->nodes[i];
    size_t total = m->nodes[in].size, known = 1;
    int infer = -1;
    if (shape.rank < 1 || shape.rank > 3) {
        tr_fail(m, "reshape '%s': rank %d is not 1, 2 or 3 (shapes exclude the batch)", nd->name, shape.rank);
        return drop_node(m);
    }
    for (int k = 0; k < shape.rank; k++) {
        if (shape.dims[k] == -1 && infer < 0) infer = k;
        else if (shape.dims[k] < 1) {
            tr_fail(m, "reshape '%s': dimension %d is %d (at most one may be -1)", nd->name, k, shape.dims[k]);
            return drop_node(m);
        } else known *= (size_t)shape.dims[k];
    }
    if (infer >= 0 && total % known == 0) {
        shape.dims[infer] = (int)(total / known);
        known = total;
    }
    if (known != total) {
        char a[48], b[48];
        tr_shape_str(m->nodes[in].shape, a, sizeof a);
        tr_shape_str(shape, b, sizeof b);
        tr_fail(m, "reshape '%s': input '%s' %s has %zu elements, %s cannot hold them", nd->name, m->nodes[in].name, a,
                total, b);
        return drop_node(m);
    }
    if (set_shape(m, nd, shape.rank, shape.dims[0], shape.dims[1], shape.dims[2])) return drop_node(m);
    return i;
}

int tr_model_add_flatten(tr_model *m, int in, const char *name)
{
    tr_shape s = {1, {-1, 0, 0}};
    return tr_model_add_reshape(m, in, s, name);
}

int tr_model_add_add(tr_model *m, int a, int b, const char *name)
{
    int in[2] = {a, b};
    int i = new_node(m, TR_OP_ADD, name, in, 2);
    if (i < 0) return -1;
    const tr_shape sa = m->nodes[a].shape, sb = m->nodes[b].shape;
    if (sa.rank != sb.rank || memcmp(sa.dims, sb.dims, (size_t)sa.rank * sizeof(int)) != 0) {
        char x[48], y[48];
        tr_shape_str(sa, x, sizeof x);
        tr_shape_str(sb, y, sizeof y);
        tr_fail(m, "add '%s': input shapes differ: '%s' %s and '%s' %s", m->nodes[i].name, m->nodes[a].name, x,
                m->nodes[b].name, y);
        return drop_node(m);
    }
    if (set_shape(m, &m->nodes[i], sa.rank, sa.dims[0], sa.dims[1], sa.dims[2])) return drop_node(m);
    return i;
}
