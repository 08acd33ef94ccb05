/* DEPTHWISE_CONV_2D: output channel o = c * multiplier + j reads input channel c; filters [1, kh, kw, out].
 * Direct loops, innermost over channels (contiguous in NHWC). */
#include <string.h>

#include "internal.h"

TR_HOT static void fwd_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)shard, (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    const float *w = tr_wp(m, nd, 0), *b = tr_wp(m, nd, 1);
    int c = x->c, oc = nd->c, mult = nd->mult;
    for (int s = n0; s < n1; s++) {
        const float *img = e->act[nd->in[0]] + (size_t)s * x->size;
        float *out = e->act[nd - m->nodes] + (size_t)s * nd->size;
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                float *restrict o = out + ((size_t)oy * nd->w + ox) * oc;
                memcpy(o, b, (size_t)oc * sizeof *o);
                for (int ky = 0; ky < nd->kh; ky++) {
                    int iy = oy * nd->sh - nd->pt + ky;
                    if (iy < 0 || iy >= x->h) continue;
                    for (int kx = 0; kx < nd->kw; kx++) {
                        int ix = ox * nd->sw - nd->pl + kx;
                        if (ix < 0 || ix >= x->w) continue;
                        const float *restrict ip = img + ((size_t)iy * x->w + ix) * c;
                        const float *restrict wp = w + ((size_t)ky * nd->kw + kx) * oc;
                        if (mult == 1) {
                            for (int k = 0; k < c; k++) o[k] += ip[k] * wp[k];
                        } else {
                            for (int k = 0; k < c; k++)
                                for (int j = 0; j < mult; j++) o[k * mult + j] += ip[k] * wp[k * mult + j];
                        }
                    }
                }
            }
    }
}

TR_HOT static void bwd_shard(tr_model *m, tr_exec *e, const tr_node *nd, int n0, int n1, int shard, int worker)
{
    (void)worker;
    const tr_node *x = tr_in(m, nd, 0);
    const float *w = tr_wp(m, nd, 0);
    float *dw = tr_gp(m, e, nd, 0, shard), *db = tr_gp(m, e, nd, 1, shard);
    float *dxall = tr_dx(m, e, nd, 0);
    int c = x->c, oc = nd->c, mult = nd->mult;
    for (int s = n0; s < n1; s++) {
        const float *img = e->act[nd->in[0]] + (size_t)s * x->size;
        const float *dout = e->dact[nd - m->nodes] + (size_t)s * nd->size;
        float *dimg = dxall ? dxall + (size_t)s * x->size : NULL;
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                const float *restrict d = dout + ((size_t)oy * nd->w + ox) * oc;
                for (int k = 0; k < oc; k++) db[k] += d[k];
                for (int ky = 0; ky < nd->kh; ky++) {
                    int iy = oy * nd->sh - nd->pt + ky;
                    if (iy < 0 || iy >= x->h) continue;
                    for (int kx = 0; kx < nd->kw; kx++) {
                        int ix = ox * nd->sw - nd->pl + kx;
                        if (ix < 0 || ix >= x->w) continue;
                        size_t at = ((size_t)iy * x->w + ix) * c, wat = ((size_t)ky * nd->kw + kx) * oc;
                        const float *restrict ip = img + at;
                        const float *restrict wp = w + wat;
                        float *restrict dwp = dw + wat;
                        if (mult == 1) {
                            for (int k = 0; k < c; k++) dwp[k] += d[k] * ip[k];
                            if (dimg) {
                                float *restrict dp = dimg + at;
                                for (int k = 0; k < c; k++) dp[k] += d[k] * wp[k];
                            }
                        } else {
                            for (int k = 0; k < c; k++)
                                for (int j = 0; j < mult; j++) {
                                    dwp[k * mult + j] += d[k * mult + j] * ip[k];
                                    if (dimg) dimg[at + k] += d[k * mult + j] * wp[k * mult + j];
                                }
                        }
                    }
                }
            }
    }
}

static void forward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, fwd_shard); }
static void backward(tr_model *m, tr_exec *e, const tr_node *nd) { tr_exec_shards(m, e, nd, bwd_shard); }

const tr_op_impl tr_impl_depthwise = {forward, backward, NULL};
