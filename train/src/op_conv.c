/* CONV_2D: im2col (rows = output pixels, columns = kh*kw*in in the filter's layout) times the filters
 * [out, kh*kw*in] transposed, by cblas_sgemm; 1x1 stride-1 convolutions use the input as it is.
 * A window over few input channels (kh*kw*in <= DIRECT_MAX_K: a first layer) makes a GEMM with a tiny
 * inner dimension, slower than its im2col copy: such a convolution is direct loops instead, vectorized
 * over the output channels, for the output and the filter gradient (the input gradient, when wanted,
 * stays a GEMM). */
#include <cblas.h>
#include <string.h>

#include "internal.h"

#define DIRECT_MAX_K 32
#define SLACK 8  /* floats after the column rows and the padded plane: short runs are copied 8 at a time */

static int pointwise(const tr_node *nd) { return nd->kh == 1 && nd->kw == 1 && nd->sh == 1 && nd->sw == 1; }
static int direct(const tr_node *nd, const tr_node *x) { return !pointwise(nd) && nd->kh * nd->kw * x->c <= DIRECT_MAX_K; }

/* Columns [*k0, *k1) of the window starting at input column xs that fall inside the input. */
static void inside(int xs, int kw, int width, int *k0, int *k1)
{
    *k0 = xs < 0 ? -xs : 0;
    *k1 = xs + kw > width ? width - xs : kw;
    if (*k1 < *k0) *k1 = *k0;
}

/* One sample's input inside a zero border: the hp x wp cells the windows cover, input cell (iy, ix) at
 * (iy + pt, ix + pl) (cells no window reaches are left out). */
static void padded_dims(const tr_node *nd, int *hp, int *wp)
{
    *hp = (nd->h - 1) * nd->sh + nd->kh;
    *wp = (nd->w - 1) * nd->sw + nd->kw;
}

/* Scratch per worker: the column rows of a shard (also the rows of d columns in backward), the padded
 * plane of one sample, and kh*kw*in x out floats for the direct loops (filters transposed, or the filter
 * gradient being summed). */
static size_t col_floats(const tr_node *nd, const tr_node *x, int samples)
{
    return (size_t)samples * nd->h * nd->w * nd->kh * nd->kw * x->c + SLACK;
}

static size_t pad_floats(const tr_node *nd, const tr_node *x)
{
    int hp, wp;
    padded_dims(nd, &hp, &wp);
    return (size_t)hp * wp * x->c + SLACK;
}

static size_t scratch(const tr_model *m, const tr_node *nd, int samples)
{
    if (pointwise(nd)) return 0;
    const tr_node *x = &m->nodes[nd->in[0]];
    return col_floats(nd, x, samples) + pad_floats(nd, x) + (size_t)nd->kh * nd->kw * x->c * nd->c;
}

/* Zeroes the padded plane (its border stays zero for every sample of the call). */
static void pad_clear(const tr_node *nd, const tr_node *x, float *pad)
{
    memset(pad, 0, pad_floats(nd, x) * sizeof *pad);
}

/* Copies one sample's input cells into the padded plane. */
static void pad_fill(const tr_node *nd, const tr_node *x, const float *img, float *pad)
{
    int hp, wp, c = x->c;
    padded_dims(nd, &hp, &wp);
    int ch = x->h < hp - nd->pt ? x->h : hp - nd->pt, cw = x->w < wp - nd->pl ? x->w : wp - nd->pl;
    for (int iy = 0; iy < ch; iy++)
        memcpy(pad + ((size_t)(iy + nd->pt) * wp + nd->pl) * c, img + (size_t)iy * x->w * c, (size_t)cw * c * sizeof *pad);
}

/* Rows of samples [0, ns) of in (sample-major, x's layout) for nd's window: one row per output pixel,
 * kh runs of kw * c floats, each run a contiguous copy from the padded input in pad. A short run (a
 * first layer's few channels) is copied in blocks of 8 floats, which may write past its end: the next
 * run overwrites that, and the last one writes into the SLACK floats after the rows. */
static void im2col(const tr_node *nd, const tr_node *x, const float *in, int ns, float *col, float *pad)
{
    int c = x->c, run = nd->kw * c, rowlen = nd->kh * run, hp, wp;
    padded_dims(nd, &hp, &wp);
    pad_clear(nd, x, pad);
    for (int s = 0; s < ns; s++) {
        pad_fill(nd, x, in + (size_t)s * x->size, pad);
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                float *row = col + (((size_t)s * nd->h + oy) * nd->w + ox) * rowlen;
                for (int ky = 0; ky < nd->kh; ky++) {
                    const float *src = pad + ((size_t)(oy * nd->sh + ky) * wp + (size_t)ox * nd->sw) * c;
                    float *dst = row + (size_t)ky * run;
                    if (run > 32) memcpy(dst, src, (size_t)run * sizeof *dst);
                    else
                        for (int j = 0; j < run; j += 8) memcpy(dst + j, src + j, 8 * sizeof *dst);
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

/* The direct loops work on 8 output channels at a time with GCC/Clang vector extensions (element-wise
 * multiply and add, so no change in rounding: -ffp-contract=off keeps them apart); the last f % 8
 * channels are scalar. Loads and stores go through memcpy (no alignment assumed). */
typedef float v8 __attribute__((vector_size(32)));
#define LD8(v, p) memcpy(&(v), (p), sizeof(v8))  /* macros: a function passing v8 by value would have two ABIs */
#define ST8(p, v) memcpy((p), &(v), sizeof(v8))

/* Direct forward of samples [0, ns): out[p][j] = sum over the window's taps t (row-major, then input
 * channel) of x[t] * w[j][t] (padding taps add x = 0), then + b[j]. wt: room for the transposed filters. */
TR_HOT static void direct_fwd(const tr_node *nd, const tr_node *x, const float *in, int ns, const float *w,
                              const float *b, float *out, float *pad, float *restrict wt)
{
    int c = x->c, f = nd->c, k = nd->kh * nd->kw * c, run = nd->kw * c, f8 = f & ~7, hp, wp;
    padded_dims(nd, &hp, &wp);
    for (int j = 0; j < f; j++)
        for (int t = 0; t < k; t++) wt[(size_t)t * f + j] = w[(size_t)j * k + t];
    pad_clear(nd, x, pad);
    for (int s = 0; s < ns; s++) {
        pad_fill(nd, x, in + (size_t)s * x->size, pad);
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                float *o = out + (((size_t)s * nd->h + oy) * nd->w + ox) * f;
                const float *win = pad + ((size_t)oy * nd->sh * wp + (size_t)ox * nd->sw) * c;
                int j0 = 0;
                for (; j0 + 16 <= f; j0 += 16) {
                    v8 a0 = {0}, a1 = {0};
                    for (int ky = 0; ky < nd->kh; ky++) {
                        const float *ip = win + (size_t)ky * wp * c, *wr = wt + (size_t)ky * run * f + j0;
                        for (int q = 0; q < run; q++) {
                            v8 w0, w1;
                            LD8(w0, wr + (size_t)q * f);
                            LD8(w1, wr + (size_t)q * f + 8);
                            a0 += ip[q] * w0;
                            a1 += ip[q] * w1;
                        }
                    }
                    v8 b0, b1;
                    LD8(b0, b + j0);
                    LD8(b1, b + j0 + 8);
                    a0 += b0;
                    a1 += b1;
                    ST8(o + j0, a0);
                    ST8(o + j0 + 8, a1);
                }
                for (; j0 < f8; j0 += 8) {
                    v8 a0 = {0};
                    for (int ky = 0; ky < nd->kh; ky++) {
                        const float *ip = win + (size_t)ky * wp * c, *wr = wt + (size_t)ky * run * f + j0;
                        for (int q = 0; q < run; q++) {
                            v8 w0;
                            LD8(w0, wr + (size_t)q * f);
                            a0 += ip[q] * w0;
                        }
                    }
                    v8 b0;
                    LD8(b0, b + j0);
                    a0 += b0;
                    ST8(o + j0, a0);
                }
                for (; j0 < f; j0++) {
                    float a0 = 0.0f;
                    for (int ky = 0; ky < nd->kh; ky++) {
                        const float *ip = win + (size_t)ky * wp * c, *wr = wt + (size_t)ky * run * f + j0;
                        for (int q = 0; q < run; q++) a0 += ip[q] * wr[(size_t)q * f];
                    }
                    o[j0] = a0 + b[j0];
                }
            }
    }
}

/* Direct filter gradient of samples [0, ns): acc[t][j] = sum over output pixels p (in order) of
 * x[p, t] * dout[p][j], then added, transposed, to dw [f, k]. */
TR_HOT static void direct_dw(const tr_node *nd, const tr_node *x, const float *in, int ns, const float *dout,
                             float *restrict dw, float *pad, float *restrict acc)
{
    int c = x->c, f = nd->c, k = nd->kh * nd->kw * c, run = nd->kw * c, f8 = f & ~7, hp, wp;
    padded_dims(nd, &hp, &wp);
    memset(acc, 0, (size_t)k * f * sizeof *acc);
    pad_clear(nd, x, pad);
    for (int s = 0; s < ns; s++) {
        pad_fill(nd, x, in + (size_t)s * x->size, pad);
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                const float *d = dout + (((size_t)s * nd->h + oy) * nd->w + ox) * f;
                const float *win = pad + ((size_t)oy * nd->sh * wp + (size_t)ox * nd->sw) * c;
                for (int j0 = 0; j0 < f8; j0 += 8) {
                    v8 dv;
                    LD8(dv, d + j0);
                    for (int ky = 0; ky < nd->kh; ky++) {
                        const float *ip = win + (size_t)ky * wp * c;
                        float *ar = acc + (size_t)ky * run * f + j0;
                        for (int q = 0; q < run; q++) {
                            v8 a;
                            LD8(a, ar + (size_t)q * f);
                            a += ip[q] * dv;
                            ST8(ar + (size_t)q * f, a);
                        }
                    }
                }
                for (int j = f8; j < f; j++)
                    for (int ky = 0; ky < nd->kh; ky++) {
                        const float *ip = win + (size_t)ky * wp * c;
                        float *ar = acc + (size_t)ky * run * f + j;
                        for (int q = 0; q < run; q++) ar[(size_t)q * f] += ip[q] * d[j];
                    }
            }
    }
    for (int j = 0; j < f; j++)
        for (int t = 0; t < k; t++) dw[(size_t)j * k + t] += acc[(size_t)t * f + j];
}

static void fwd_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard;
    const tr_node *x = tr_in(m, nd, 0);
    int ns = n1 - n0, rows = ns * nd->h * nd->w, k = nd->kh * nd->kw * x->c, f = nd->c;
    const float *in = e->act[nd->in[0]] + (size_t)n0 * x->size;
    float *out = e->act[nd - m->nodes] + (size_t)n0 * nd->size;
    float *col = e->scratch[worker], *pad = col + col_floats(nd, x, TR_SHARD_SAMPLES), *kf = pad + pad_floats(nd, x);
    if (direct(nd, x)) {
        direct_fwd(nd, x, in, ns, tr_wp(m, nd, 0), tr_wp(m, nd, 1), out, pad, kf);
        return;
    }
    const float *a = in;
    if (!pointwise(nd)) {
        im2col(nd, x, in, ns, col, pad);
        a = col;
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
    float *col = e->scratch[worker], *pad = col + col_floats(nd, x, TR_SHARD_SAMPLES), *kf = pad + pad_floats(nd, x);
    /* dW [f, k] += dout^T [f, rows] * a [rows, k];  db += column sums of dout */
    if (direct(nd, x)) {
        direct_dw(nd, x, in, ns, dout, tr_gp(m, e, nd, 0, shard), pad, kf);
    } else {
        const float *a = in;
        if (!pointwise(nd)) {
            im2col(nd, x, in, ns, col, pad);
            a = col;
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, f, k, rows, 1.0f, dout, f, a, k, 1.0f,
                    tr_gp(m, e, nd, 0, shard), k);
    }
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

const tr_op_impl tr_impl_conv2d = {forward, backward, scratch};
