/* The search space of mote automl: per task, the knobs and their values; random candidates, mutations,
 * and a candidate's canonical key. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const int strides[] = {20, 25, 40, 50};
static const int bins[] = {16, 20, 32};
static const int dscnn_width[] = {8, 16, 24, 32, 48, 64};
static const int dscnn_depth[] = {1, 2, 3, 4, 5};
static const int kernels[] = {3, 5};
static const int mlp_width[] = {16, 32, 64, 128};
static const int mlp_depth[] = {1, 2, 3};
static const int cnn_width[] = {8, 16, 24, 32};
static const int cnn_depth[] = {1, 2, 3};
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

uint64_t am_rand(uint64_t *s)
{
    /* xorshift64*: small, seedable, the same on every machine */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static int pick(uint64_t *s, const int *v, int n) { return v[am_rand(s) % (uint64_t)n]; }

/* The neighbour of value x in v (one step up or down). */
static int step(uint64_t *s, const int *v, int n, int x)
{
    int i = 0;
    while (i < n && v[i] != x) i++;
    if (i == n) return pick(s, v, n);
    int j = (am_rand(s) & 1) ? i + 1 : i - 1;
    if (j < 0) j = 1;
    if (j >= n) j = n - 2;
    return v[j < 0 ? 0 : j];
}

void am_random(const char *task, uint64_t *s, am_candidate *c)
{
    memset(c, 0, sizeof *c);
    if (!strcmp(task, "audio")) {
        snprintf(c->family, sizeof c->family, "ds-cnn");
        c->stride_ms = pick(s, strides, N(strides));
        c->bins = pick(s, bins, N(bins));
        c->width = pick(s, dscnn_width, N(dscnn_width));
        c->depth = pick(s, dscnn_depth, N(dscnn_depth));
        c->kernel = pick(s, kernels, N(kernels));
    } else if (!strcmp(task, "motion") || (am_rand(s) & 1)) { /* images: an MLP or a CNN */
        snprintf(c->family, sizeof c->family, "mlp");
        c->width = pick(s, mlp_width, N(mlp_width));
        c->depth = pick(s, mlp_depth, N(mlp_depth));
    } else {
        snprintf(c->family, sizeof c->family, "cnn");
        c->width = pick(s, cnn_width, N(cnn_width));
        c->depth = pick(s, cnn_depth, N(cnn_depth));
        c->kernel = pick(s, kernels, N(kernels));
    }
}

void am_mutate(uint64_t *s, const am_candidate *from, am_candidate *c)
{
    *c = *from;
    int audio = c->stride_ms > 0, cnn = !strcmp(c->family, "cnn"), mlp = !strcmp(c->family, "mlp");
    switch (am_rand(s) % (audio ? 5 : 3)) {
    case 0:
        c->width = mlp ? step(s, mlp_width, N(mlp_width), c->width)
                 : cnn ? step(s, cnn_width, N(cnn_width), c->width)
                       : step(s, dscnn_width, N(dscnn_width), c->width);
        break;
    case 1:
        c->depth = mlp ? step(s, mlp_depth, N(mlp_depth), c->depth)
                 : cnn ? step(s, cnn_depth, N(cnn_depth), c->depth)
                       : step(s, dscnn_depth, N(dscnn_depth), c->depth);
        break;
    case 2:
        if (!mlp) c->kernel = c->kernel == 3 ? 5 : 3;
        else c->width = step(s, mlp_width, N(mlp_width), c->width);
        break;
    case 3:
        c->stride_ms = step(s, strides, N(strides), c->stride_ms);
        break;
    default:
        c->bins = step(s, bins, N(bins), c->bins);
        break;
    }
}

void am_key(const am_candidate *c, char *key, size_t len)
{
    if (c->stride_ms)
        snprintf(key, len, "%s w%d d%d k%d stride%dms bins%d", c->family, c->width, c->depth, c->kernel, c->stride_ms,
                 c->bins);
    else
        snprintf(key, len, "%s w%d d%d k%d", c->family, c->width, c->depth, c->kernel);
}

void am_apply(const am_candidate *c, tp_config *t)
{
    t->arch.name = c->family;
    t->arch.width = c->width;
    t->arch.depth = c->depth;
    t->arch.kernel = c->kernel;
    if (c->stride_ms) {
        t->audio.stride_ms = c->stride_ms;
        t->audio.bins = c->bins;
    }
}
