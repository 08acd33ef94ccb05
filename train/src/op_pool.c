/* AVERAGE_POOL_2D, MAX_POOL_2D and global average pooling. Windows are clipped to the input: padding
 * cells are neither counted in an average (TFLite's rule) nor candidates for a maximum. */
#include <float.h>

#include "internal.h"

/* Valid window rows [*y0, *y1) and columns [*x0, *x1) of output (oy, ox). */
static void window(const tr_node *nd, const tr_node *x, int oy, int ox, int *y0, int *y1, int *x0, int *x1)
{
    int ys = oy * nd->sh - nd->pt, xs = ox * nd->sw - nd->pl;
    *y0 = ys < 0 ? 0 : ys;
    *x0 = xs < 0 ? 0 : xs;
    *y1 = ys + nd->kh > x->h ? x->h : ys + nd->kh;
    *x1 = xs + nd->kw > x->w ? x->w : xs + nd->kw;
}

static void avg_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    int c = nd->c;
    for (int s = n0; s < n1; s++) {
        const float *img = e->act[nd->in[0]] + (size_t)s * x->size;
        float *out = e->act[nd - m->nodes] + (size_t)s * nd->size;
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                int y0, y1, x0, x1;
                window(nd, x, oy, ox, &y0, &y1, &x0, &x1);
                float *o = out + ((size_t)oy * nd->w + ox) * c;
                for (int k = 0; k < c; k++) o[k] = 0.0f;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) {
                        const float *ip = img + ((size_t)iy * x->w + ix) * c;
                        for (int k = 0; k < c; k++) o[k] += ip[k];
                    }
                float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
                for (int k = 0; k < c; k++) o[k] *= inv;
            }
    }
}

static void avg_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    int c = nd->c;
    for (int s = n0; s < n1; s++) {
        float *dimg = dx + (size_t)s * x->size;
        const float *dout = e->dact[nd - m->nodes] + (size_t)s * nd->size;
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                int y0, y1, x0, x1;
                window(nd, x, oy, ox, &y0, &y1, &x0, &x1);
                const float *d = dout + ((size_t)oy * nd->w + ox) * c;
                float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) {
                        float *dp = dimg + ((size_t)iy * x->w + ix) * c;
                        for (int k = 0; k < c; k++) dp[k] += d[k] * inv;
                    }
            }
    }
}

/* MAX_POOL_2D. In training the forward pass also records, per output element, the window cell its
 * gradient goes to: the first cell (row-major in the window) holding the maximum, a later cell winning
 * only when strictly greater. The output keeps its own rule (the largest value above -FLT_MAX); both
 * agree on finite inputs. */
#define MAX_BLOCK 64

TR_HOT static void max_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    int c = nd->c;
    int32_t *amax = e->training ? e->argmax[nd - m->nodes] : NULL;
    float bv[MAX_BLOCK];
    for (int s = n0; s < n1; s++) {
        const float *img = e->act[nd->in[0]] + (size_t)s * x->size;
        float *out = e->act[nd - m->nodes] + (size_t)s * nd->size;
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                int y0, y1, x0, x1;
                window(nd, x, oy, ox, &y0, &y1, &x0, &x1);
                size_t at = ((size_t)oy * nd->w + ox) * c;
                float *o = out + at;
                if (!amax) {
                    for (int k = 0; k < c; k++) o[k] = -FLT_MAX;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) {
                            const float *ip = img + ((size_t)iy * x->w + ix) * c;
                            for (int k = 0; k < c; k++) o[k] = ip[k] > o[k] ? ip[k] : o[k];
                        }
                    continue;
                }
                int32_t *am = amax + (size_t)s * nd->size + at;
                int first = y0 * x->w + x0;
                for (int k0 = 0; k0 < c; k0 += MAX_BLOCK) {
                    int nk = c - k0 < MAX_BLOCK ? c - k0 : MAX_BLOCK;
                    const float *ip = img + (size_t)first * c + k0;
                    float *ok = o + k0;
                    int32_t *ak = am + k0;
                    for (int k = 0; k < nk; k++) {
                        ok[k] = ip[k] > -FLT_MAX ? ip[k] : -FLT_MAX;
                        bv[k] = ip[k];
                        ak[k] = first;
                    }
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++) {
                            int cell = iy * x->w + ix;
                            const float *cp = img + (size_t)cell * c + k0;
                            for (int k = 0; k < nk; k++) {
                                float v = cp[k];
                                int greater = v > bv[k];
                                ok[k] = v > ok[k] ? v : ok[k];
                                bv[k] = greater ? v : bv[k];
                                ak[k] = greater ? cell : ak[k];
                            }
                        }
                }
            }
    }
}

/* Each output element's gradient to the cell its forward pass recorded. */
static void max_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    int c = nd->c;
    size_t cells = (size_t)nd->h * nd->w;
    for (int s = n0; s < n1; s++) {
        float *dimg = dx + (size_t)s * x->size;
        const float *dout = e->dact[nd - m->nodes] + (size_t)s * nd->size;
        const int32_t *am = e->argmax[nd - m->nodes] + (size_t)s * nd->size;
        for (size_t p = 0; p < cells; p++)
            for (int k = 0; k < c; k++) dimg[(size_t)am[p * c + k] * c + k] += dout[p * c + k];
    }
}

static void gap_fwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    int c = nd->c, cells = x->h * x->w;
    float inv = 1.0f / (float)cells;
    for (int s = n0; s < n1; s++) {
        const float *img = e->act[nd->in[0]] + (size_t)s * x->size;
        float *o = e->act[nd - m->nodes] + (size_t)s * nd->size;
        for (int k = 0; k < c; k++) o[k] = 0.0f;
        for (int p = 0; p < cells; p++)
            for (int k = 0; k < c; k++) o[k] += img[(size_t)p * c + k];
        for (int k = 0; k < c; k++) o[k] *= inv;
    }
}

static void gap_bwd(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    float *dx = tr_dx(m, e, nd, 0);
    if (!dx) return;
    int c = nd->c, cells = x->h * x->w;
    float inv = 1.0f / (float)cells;
    for (int s = n0; s < n1; s++) {
        float *dimg = dx + (size_t)s * x->size;
        const float *d = e->dact[nd - m->nodes] + (size_t)s * nd->size;
        for (int p = 0; p < cells; p++)
            for (int k = 0; k < c; k++) dimg[(size_t)p * c + k] += d[k] * inv;
    }
}

static void avg_forward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, avg_fwd); }
static void avg_backward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, avg_bwd); }
static void max_forward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, max_fwd); }
static void max_backward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, max_bwd); }
static void gap_forward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, gap_fwd); }
static void gap_backward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, gap_bwd); }

const tr_op_impl tr_impl_avg_pool = {avg_forward, avg_backward, NULL};
const tr_op_impl tr_impl_max_pool = {max_forward, max_backward, NULL};
const tr_op_impl tr_impl_global_avg_pool = {gap_forward, gap_backward, NULL};
