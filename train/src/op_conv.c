/* CONV_2D: im2col (rows = output pixels, columns = kh*kw*in in the filter's layout) times the filters
 * [out, kh*kw*in] transposed, by cblas_sgemm; 1x1 stride-1 convolutions use the input as it is. */
#include <cblas.h>
#include <string.h>

#include "internal.h"

static int pointwise(const tr_node *nd) { return nd->kh == 1 && nd->kw == 1 && nd->sh == 1 && nd->sw == 1; }

/* Columns [*k0, *k1) of the window starting at input column xs that fall inside the input. */
static void inside(int xs, int kw, int width, int *k0, int *k1)
{
    *k0 = xs < 0 ? -xs : 0;
    *k1 = xs + kw > width ? width - xs : kw;
    if (*k1 < *k0) *k1 = *k0;
}

/* Rows of samples [0, ns) of in (sample-major, x's layout) for nd's window: one row per output pixel,
 * kh runs of kw * c floats, each run one copy (a window row is contiguous in NHWC) plus zero padding. */
static void im2col(const tr_node *nd, const tr_node *x, const float *in, int ns, float *col)
{
    int c = x->c, run = nd->kw * c, rowlen = nd->kh * run;
    for (int s = 0; s < ns; s++) {
        const float *img = in + (size_t)s * x->size;
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                float *row = col + (((size_t)s * nd->h + oy) * nd->w + ox) * rowlen;
                int xs = ox * nd->sw - nd->pl, k0, k1;
                inside(xs, nd->kw, x->w, &k0, &k1);
                for (int ky = 0; ky < nd->kh; ky++) {
                    int iy = oy * nd->sh - nd->pt + ky;
                    float *dst = row + (size_t)ky * run;
                    if (iy < 0 || iy >= x->h || k0 == k1) {
                        memset(dst, 0, (size_t)run * sizeof *dst);
                        continue;
                    }
                    memset(dst, 0, (size_t)k0 * c * sizeof *dst);
                    memcpy(dst + (size_t)k0 * c, img + ((size_t)iy * x->w + xs + k0) * c, (size_t)(k1 - k0) * c * sizeof *dst);
                    memset(dst + (size_t)k1 * c, 0, (size_t)(nd->kw - k1) * c * sizeof *dst);
                }
            }
    }
}

/* The adjoint of im2col: adds each column entry back to the input cell it came from. */
static void col2im_add(const tr_node *nd, const tr_node *x, const float *col, int ns, float *dx)
{
    int c = x->c, run = nd->kw * c, rowlen = nd->kh * run;
    for (int s = 0; s < ns; s++) {
        float *img = dx + (size_t)s * x->size;
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                const float *row = col + (((size_t)s * nd->h + oy) * nd->w + ox) * rowlen;
                int xs = ox * nd->sw - nd->pl, k0, k1;
                inside(xs, nd->kw, x->w, &k0, &k1);
                for (int ky = 0; ky < nd->kh; ky++) {
                    int iy = oy * nd->sh - nd->pt + ky;
                    if (iy < 0 || iy >= x->h || k0 == k1) continue;
                    const float *restrict src = row + (size_t)ky * run + (size_t)k0 * c;
                    float *restrict dst = img + ((size_t)iy * x->w + xs + k0) * c;
                    size_t len = (size_t)(k1 - k0) * c;
                    for (size_t k = 0; k < len; k++) dst[k] += src[k];
                }
            }
    }
}

static void fwd_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard;
    const tr_node *x = tr_in(m, nd, 0);
    int ns = n1 - n0, rows = ns * nd->h * nd->w, k = nd->kh * nd->kw * x->c, f = nd->c;
    const float *in = e->act[nd->in[0]] + (size_t)n0 * x->size;
    float *out = e->act[nd - m->nodes] + (size_t)n0 * nd->size;
    const float *a = in;
    if (!pointwise(nd)) {
        im2col(nd, x, in, ns, e->scratch[worker]);
        a = e->scratch[worker];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, f, k, 1.0f, a, k, tr_wp(m, nd, 0), k, 0.0f, out, f);
    const float *b = tr_wp(m, nd, 1);
    for (int r = 0; r < rows; r++) {
        float *o = out + (size_t)r * f;
        for (int j = 0; j < f; j++) o[j] += b[j];
    }
}

static void bwd_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    const tr_node *x = tr_in(m, nd, 0);
    int ns = n1 - n0, rows = ns * nd->h * nd->w, k = nd->kh * nd->kw * x->c, f = nd->c;
    const float *in = e->act[nd->in[0]] + (size_t)n0 * x->size;
    const float *dout = e->dact[nd - m->nodes] + (size_t)n0 * nd->size;
    float *col = e->scratch[worker];
    const float *a = in;
    if (!pointwise(nd)) {
        im2col(nd, x, in, ns, col);
        a = col;
    }
    /* dW [f, k] += dout^T [f, rows] * a [rows, k];  db += column sums of dout */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, f, k, rows, 1.0f, dout, f, a, k, 1.0f,
                tr_gp(m, e, nd, 0, shard), k);
    float *db = tr_gp(m, e, nd, 1, shard);
    for (int r = 0; r < rows; r++) {
        const float *d = dout + (size_t)r * f;
        for (int j = 0; j < f; j++) db[j] += d[j];
    }
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    dx += (size_t)n0 * x->size;
    /* d a [rows, k] = dout [rows, f] * W [f, k] */
    if (pointwise(nd)) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, k, f, 1.0f, dout, f, tr_wp(m, nd, 0), k, 1.0f, dx, k);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, k, f, 1.0f, dout, f, tr_wp(m, nd, 0), k, 0.0f, col, k);
    col2im_add(nd, x, col, ns, dx);
}

static void forward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, fwd_shard); }
static void backward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, bwd_shard); }

static size_t scratch(const tr_model *m, const tr_node *nd, int samples)
{
    if (pointwise(nd)) return 0;
    return (size_t)samples * nd->h * nd->w * nd->kh * nd->kw * m->nodes[nd->in[0]].c;
}

const tr_op_impl tr_impl_conv2d = {forward, backward, scratch};
