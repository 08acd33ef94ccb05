/* The search space of mote automl: per task, the families, their knobs and the front end's, as tables of
 * values; random candidates, one-knob mutations, and a candidate's canonical key. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define KNOB(field, vals) {offsetof(am_candidate, field), vals, N(vals)}

/* front ends: audio frame stride, frame length (in strides), mel bins; motion window (samples at the
 * data's rate: 1, 1.5, 2 s of ST HAR's 26 Hz), spectral bands per axis (features only) */
static const int strides[] = {20, 25, 40, 50};
static const int frame_len[] = {1, 2};
static const int bins[] = {16, 20, 32};
static const int windows[] = {26, 39, 52};
static const int bands[] = {2, 4, 8};
/* architectures */
static const int dscnn_width[] = {8, 16, 24, 32, 48, 64};
static const int dscnn_depth[] = {1, 2, 3, 4, 5};
static const int kernels[] = {3, 5};
static const int kernels1d[] = {3, 5, 7};
static const int mlp_width[] = {16, 32, 64, 128};
static const int mlp_depth[] = {1, 2, 3};
static const int cnn_width[] = {8, 16, 24, 32};
static const int cnn_depth[] = {1, 2, 3};
static const int res_width[] = {8, 12, 16, 24, 32};
static const int res_depth[] = {1, 2, 3};

typedef struct {
    size_t off;             /* the int field of am_candidate */
    const int *v;
    int n;
} knob;

typedef struct {
    const char *task, *family;
    int raw;                /* motion: raw windows (no front end) */
    knob k[7];              /* the knobs searched; unused ones zero */
} family;

static const family families[] = {
    {"audio", "ds-cnn", 0,
     {KNOB(width, dscnn_width), KNOB(depth, dscnn_depth), KNOB(kernel, kernels), KNOB(stride_ms, strides),
      KNOB(frame_strides, frame_len), KNOB(bins, bins)}},
    {"audio", "resnet", 0,
     {KNOB(width, res_width), KNOB(depth, res_depth), KNOB(kernel, kernels), KNOB(stride_ms, strides),
      KNOB(frame_strides, frame_len), KNOB(bins, bins)}},
    {"motion", "mlp", 0, {KNOB(width, mlp_width), KNOB(depth, mlp_depth), KNOB(window, windows), KNOB(bands, bands)}},
    {"motion", "cnn1d", 1, {KNOB(width, cnn_width), KNOB(depth, cnn_depth), KNOB(kernel, kernels1d), KNOB(window, windows)}},
    {"motion", "resnet", 1, {KNOB(width, res_width), KNOB(depth, res_depth), KNOB(kernel, kernels1d), KNOB(window, windows)}},
    {"image", "mlp", 0, {KNOB(width, mlp_width), KNOB(depth, mlp_depth)}},
    {"image", "cnn", 0, {KNOB(width, cnn_width), KNOB(depth, cnn_depth), KNOB(kernel, kernels)}},
    {"image", "resnet", 0, {KNOB(width, res_width), KNOB(depth, res_depth), KNOB(kernel, kernels)}},
};

uint64_t am_rand(uint64_t *s)
{
    /* xorshift64*: small, seedable, the same on every machine */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static int *field(am_candidate *c, const knob *k) { return (int *)((char *)c + k->off); }

static int n_knobs(const family *f)
{
    int n = 0;
    while (n < N(f->k) && f->k[n].v) n++;
    return n;
}

static const family *family_of(const am_candidate *c, const char *task)
{
    for (int i = 0; i < N(families); i++)
        if (!strcmp(families[i].family, c->family) && (!task || !strcmp(families[i].task, task))) return &families[i];
    return NULL;
}

void am_random(const char *task, uint64_t *s, am_candidate *c)
{
    const family *fs[N(families)];
    int n = 0;
    for (int i = 0; i < N(families); i++)
        if (!strcmp(families[i].task, task)) fs[n++] = &families[i];
    memset(c, 0, sizeof *c);
    if (!n) return;
    const family *f = fs[am_rand(s) % (uint64_t)n];
    snprintf(c->family, sizeof c->family, "%s", f->family);
    snprintf(c->task, sizeof c->task, "%s", task);
    c->raw = f->raw;
    for (int k = 0; k < n_knobs(f); k++) *field(c, &f->k[k]) = f->k[k].v[am_rand(s) % (uint64_t)f->k[k].n];
}

void am_mutate(uint64_t *s, const am_candidate *from, am_candidate *c)
{
    *c = *from;
    const family *f = family_of(c, c->task);
    if (!f) return;
    /* one knob one step up or down: the neighbourhood the evolutionary brackets explore */
    const knob *k = &f->k[am_rand(s) % (uint64_t)n_knobs(f)];
    int *x = field(c, k), i = 0;
    while (i < k->n && k->v[i] != *x) i++;
    if (i == k->n || k->n < 2) {
        *x = k->v[am_rand(s) % (uint64_t)k->n];
        return;
    }
    int j = (am_rand(s) & 1) ? i + 1 : i - 1;
    if (j < 0) j = 1;
    if (j >= k->n) j = k->n - 2;
    *x = k->v[j];
}

void am_key(const am_candidate *c, char *key, size_t len)
{
    int n = snprintf(key, len, "%s w%d d%d k%d", c->family, c->width, c->depth, c->kernel);
    if (n < 0 || (size_t)n >= len) return;
    if (c->stride_ms)
        snprintf(key + n, len - (size_t)n, " stride%dms len%d bins%d", c->stride_ms, c->frame_strides, c->bins);
    else if (c->window && c->raw)
        snprintf(key + n, len - (size_t)n, " win%d raw", c->window);
    else if (c->window)
        snprintf(key + n, len - (size_t)n, " win%d bands%d", c->window, c->bands);
}

void am_apply(const am_candidate *c, tp_config *t)
{
    t->arch.name = c->family;
    t->arch.width = c->width;
    t->arch.depth = c->depth;
    t->arch.kernel = c->kernel;
    if (c->stride_ms) {
        t->audio.stride_ms = c->stride_ms;
        t->audio.frame_strides = c->frame_strides;
        t->audio.bins = c->bins;
    }
    if (c->window) {
        /* the hop stays the loader's (half the window unless --hop): more windows from the same logs */
        t->ds.window = t->motion.window = c->window;
        t->raw_motion = c->raw;
        if (!c->raw) t->motion.bands = c->bands;
    }
}
