/* The training run (mote/pipeline.h): data, features, model, training, export, scoring. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mote/export.h"
#include "mote/pipeline.h"

typedef struct {
    const tp_config *c;
    tp_result *r;
    char *err;
    size_t errlen;
    int cap_epochs;
} run;

static int fail(run *u, const char *fmt, ...)
{
    if (u->err && u->errlen && !u->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(u->err, u->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tp_config_default(tp_config *c)
{
    memset(c, 0, sizeof *c);
    fe_audio_defaults(&c->audio);
    c->audio.sample_rate = 0; /* the data's */
    fe_motion_defaults(&c->motion);
    tr_train_config_default(&c->train);
    c->train.epochs = 30;
    c->train.patience = 8;
    c->train.monitor = TR_MONITOR_VAL_LOSS;
    /* stop when validation loss has not improved for `patience` epochs, but keep the last weights: the
     * loss bottoms out early as the model grows confident, while accuracy still rises (MNIST: best loss
     * at epoch 4) */
    c->train.restore_best = 0;
    c->train.schedule = TR_LR_COSINE;
    c->train.lr = 3e-3f;
    c->train.lr_min = 1e-4f;
    c->train.weight_decay = 1e-4f;
}

void tp_result_free(tp_result *r)
{
    ds_free(r->ds);
    fe_free(r->fe);
    tr_model_free(r->model);
    free(r->epochs);
    free(r->float_score.confusion);
    free(r->int8_score.confusion);
    memset(r, 0, sizeof *r);
}

static void stage(const tp_config *c, const char *what, size_t done, size_t total)
{
    if (c->on_stage) c->on_stage(what, done, total, c->user);
}

/* ---- features ---- */

typedef struct {
    float *x;
    int32_t *y;
    size_t n;
} table;

/* The features of examples idx (and, for training, c->augment augmented copies of each). */
static int features(run *u, const size_t *idx, size_t n, int augment, tr_shape shape, table *t, const char *what)
{
    const tp_config *c = u->c;
    const ds_dataset *ds = u->r->ds;
    size_t fs = tr_shape_size(shape), total = n * (size_t)(1 + augment);
    t->x = malloc(sizeof(float) * fs * (total ? total : 1));
    t->y = malloc(sizeof(int32_t) * (total ? total : 1));
    float *tmp = malloc(sizeof(float) * ds->example_size);
    if (!t->x || !t->y || !tmp) {
        free(tmp);
        return fail(u, "out of memory for %zu examples' features", total);
    }
    ds_aug_config aug;
    memset(&aug, 0, sizeof aug);
    if (ds->kind == DS_AUDIO) {
        aug.max_shift = ds->sample_rate / 10; /* 100 ms */
        aug.speed_min = 0.9f, aug.speed_max = 1.1f; /* the voice's pitch and tempo: other speakers */
        aug.gain_db_min = -6.0f, aug.gain_db_max = 6.0f;
    } else {
        aug.jitter_sigma = 0.02f * 1000.0f, aug.scale_min = 0.9f, aug.scale_max = 1.1f; /* milli-g scale */
        aug.rotate_max = 0.15f;
    }
    ds_rng rng;
    ds_rng_seed(&rng, c->train.seed ^ 0x6d6f7465u);
    size_t k = 0;
    for (int a = 0; a <= augment; a++)
        for (size_t i = 0; i < n; i++, k++) {
            const float *ex = ds->x + idx[i] * ds->example_size;
            if (a > 0) {
                memcpy(tmp, ex, sizeof(float) * ds->example_size);
                ds_augment(ds, tmp, &aug, &rng);
                ex = tmp;
            }
            t->y[k] = ds->label[idx[i]];
            float *dst = t->x + k * fs;
            if (u->r->fe) {
                char e[256] = "";
                if (fe_features(u->r->fe, ex, NULL, dst, e, sizeof e)) {
                    free(tmp);
                    return fail(u, "%s (example from %s)", e, ds->sources[ds->source[idx[i]]]);
                }
                /* SpecAugment on the copies: 2 time masks up to 5 frames, 2 frequency masks up to 4 bins,
                 * filled with the features' floor (silence) */
                if (a > 0 && fe_get_kind(u->r->fe) == FE_AUDIO) {
                    float sc;
                    int32_t zp;
                    fe_feature_quant(u->r->fe, &sc, &zp);
                    /* normalised features: the bin's mean (0) rather than silence */
                    float fill = c->audio.normalize_features ? 0.0f : sc * (float)(-128 - zp);
                    ds_aug_spec_mask(dst, shape.dims[0], shape.dims[1], 2, 5, 2, 4, fill, &rng);
                }
            } else {
                memcpy(dst, ex, sizeof(float) * fs);
            }
            if ((k & 63) == 0 || k + 1 == total) stage(c, what, k + 1, total);
        }
    t->n = total;
    free(tmp);
    return 0;
}

/* ---- the run ---- */

static int on_epoch(const tr_epoch_report *e, void *user)
{
    run *u = user;
    tp_result *r = u->r;
    if (e->epoch > u->cap_epochs) {
        int cap = u->cap_epochs ? u->cap_epochs * 2 : 64;
        while (cap < e->epoch) cap *= 2;
        tr_epoch_report *p = realloc(r->epochs, sizeof *p * (size_t)cap);
        if (!p) return 1;
        r->epochs = p;
        u->cap_epochs = cap;
    }
    r->epochs[e->epoch - 1] = *e;
    return u->c->train.on_epoch ? u->c->train.on_epoch(e, u->c->train.user) : 0;
}

static int load(run *u)
{
    const tp_config *c = u->c;
    ds_options o = c->ds;
    if (!strcmp(c->task, "audio")) {
        o.kind = DS_AUDIO;
        if (!o.sample_rate) o.sample_rate = c->audio.sample_rate;
        if (!o.length) o.length = c->audio.samples;
        if (!o.length && c->seconds > 0 && o.sample_rate) o.length = (int)lrintf(c->seconds * (float)o.sample_rate);
    } else if (!strcmp(c->task, "motion")) {
        o.kind = DS_MOTION;
        if (!o.window) o.window = c->motion.window;
        if (!o.channels) o.channels = c->motion.axes;
    } else if (strcmp(c->task, "image") != 0) {
        return fail(u, "--task %s: not audio, motion or image", c->task);
    }
    stage(c, "loading", 0, 1);
    char e[512] = "";
    if (ds_load(c->data, &o, &u->r->ds, e, sizeof e)) return fail(u, "%s", e);
    stage(c, "loading", 1, 1);
    if (o.kind == DS_AUDIO && c->seconds > 0 && !o.length) { /* the length needed the files' rate */
        o.sample_rate = u->r->ds->sample_rate;
        o.length = (int)lrintf(c->seconds * (float)o.sample_rate);
        ds_free(u->r->ds);
        u->r->ds = NULL;
        if (ds_load(c->data, &o, &u->r->ds, e, sizeof e)) return fail(u, "%s", e);
    }
    ds_dataset *ds = u->r->ds;
    if (c->test_group) {
        int g = 0;
        while (g < ds->n_groups && !(ds->group_names[g] && !strcmp(ds->group_names[g], c->test_group))) g++;
        if (g == ds->n_groups) return fail(u, "%s: --test-group %s: no such group", c->data, c->test_group);
        for (size_t i = 0; i < ds->n; i++)
            ds->split[i] = ds->group[i] == g ? DS_TEST : ds->split[i] == DS_TEST ? DS_TRAIN : ds->split[i];
    }
    /* A manifest split that already puts groups in both train and test (FSDD's upstream rule: every
     * speaker in both) gains nothing from holding whole groups out for validation; it would only train
     * on fewer speakers than it tests. Nor does a leave-one-group-out test, which wants every other
     * group trained on. Validation is then a seeded random part of train (tr_fit). */
    if (c->test_group || ds_group_leaks(ds) > 0)
        for (size_t i = 0; i < ds->n; i++)
            if (ds->split[i] == DS_VALIDATION) ds->split[i] = DS_TRAIN;
    if (!strcmp(c->task, "image") && (ds->kind == DS_AUDIO || ds->kind == DS_MOTION))
        return fail(u, "%s: holds %s data, not images (--task %s)", c->data, ds_kind_name(ds->kind), ds_kind_name(ds->kind));
    if (ds->n_labels < 2) return fail(u, "%s: %d label(s); a classifier needs at least 2", c->data, ds->n_labels);
    for (int l = 0; l < ds->n_labels; l++)
        if (!ds_count(ds, DS_TRAIN, l))
            return fail(u, "%s: label '%s' has no training examples", c->data, ds->label_names[l]);
    if (!ds_count(ds, DS_TEST, -1)) return fail(u, "%s: no test examples (give a split column or --split ratios)", c->data);
    return 0;
}

static int make_frontend(run *u, const size_t *train_idx, size_t n_train)
{
    const tp_config *c = u->c;
    ds_dataset *ds = u->r->ds;
    if (ds->kind != DS_AUDIO && (ds->kind != DS_MOTION || c->raw_motion)) return 0;
    /* normalisation fitted on (at most) 500 training examples spread over the split */
    size_t nf = n_train < 500 ? n_train : 500;
    float *x = malloc(sizeof(float) * ds->example_size * (nf ? nf : 1));
    if (!x) return fail(u, "out of memory");
    for (size_t i = 0; i < nf; i++)
        memcpy(x + i * ds->example_size, ds->x + train_idx[i * n_train / nf] * ds->example_size, sizeof(float) * ds->example_size);
    char e[512] = "";
    stage(c, "front end", 0, 1);
    if (ds->kind == DS_AUDIO) {
        fe_audio_params p = c->audio;
        p.sample_rate = ds->sample_rate;
        p.samples = ds->dims[0];
        u->r->fe = fe_audio_new(&p, x, nf, e, sizeof e);
    } else {
        fe_motion_params p = c->motion;
        p.window = ds->dims[0];
        p.axes = ds->dims[1];
        u->r->fe = fe_motion_new(&p, x, nf, e, sizeof e);
    }
    free(x);
    if (!u->r->fe) return fail(u, "%s", e);
    stage(c, "front end", 1, 1);
    return 0;
}

static int write_graph(run *u, mote_ir_graph *cls, const char *file, char *path, size_t pathlen)
{
    char e[512] = "";
    mote_ir_graph *g = cls;
    if (u->r->fe && !(g = fe_chain(u->r->fe, cls, e, sizeof e))) {
        mote_ir_free(cls);
        return fail(u, "%s", e);
    }
    if (g != cls) mote_ir_free(cls);
    snprintf(path, pathlen, "%s/%s", u->c->out_dir, file);
    int rc = tr_export_write(g, path, e, sizeof e);
    mote_ir_free(g);
    return rc ? fail(u, "%s: %s", path, e) : 0;
}

int tp_run(const tp_config *c, tp_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (err && errlen) err[0] = 0;
    run u = {.c = c, .r = r, .err = err, .errlen = errlen};
    if (!c->data || !c->task) return fail(&u, "no data or task");
    if (!c->out_dir) return fail(&u, "no output folder");
    double t0 = now();
    if (load(&u)) return -1;
    ds_dataset *ds = r->ds;
    size_t *idx[DS_N_SPLITS] = {0}, cnt[DS_N_SPLITS];
    table tab[DS_N_SPLITS] = {{0}};
    tr_model *m = NULL;
    int rc = -1;
    for (int s = 0; s < DS_N_SPLITS; s++) {
        cnt[s] = ds_count(ds, s, -1);
        if (!(idx[s] = malloc(sizeof(size_t) * (cnt[s] ? cnt[s] : 1)))) {
            fail(&u, "out of memory");
            goto out;
        }
        ds_indices(ds, s, idx[s]);
    }
    r->n_train = cnt[DS_TRAIN], r->n_val = cnt[DS_VALIDATION], r->n_test = cnt[DS_TEST];
    r->n_classes = ds->n_labels;
    if (make_frontend(&u, idx[DS_TRAIN], cnt[DS_TRAIN])) goto out;
    tr_shape shape = {ds->rank, {ds->dims[0], ds->dims[1], ds->dims[2]}};
    if (r->fe) shape = fe_feature_shape(r->fe);
    int aug = (ds->kind == DS_AUDIO || ds->kind == DS_MOTION) ? c->augment : 0;
    if (features(&u, idx[DS_TRAIN], cnt[DS_TRAIN], aug, shape, &tab[DS_TRAIN], "features (train)") ||
        features(&u, idx[DS_VALIDATION], cnt[DS_VALIDATION], 0, shape, &tab[DS_VALIDATION], "features (validation)") ||
        features(&u, idx[DS_TEST], cnt[DS_TEST], 0, shape, &tab[DS_TEST], "features (test)"))
        goto out;
    r->feature_seconds = now() - t0;

    char e[512] = "";
    if (!(m = tp_build_arch(&c->arch, c->task, shape, ds->n_labels, e, sizeof e))) {
        fail(&u, "%s", e);
        goto out;
    }
    if (tr_model_init(m, c->train.seed) || tr_model_set_threads(m, c->threads)) {
        fail(&u, "model: %s", tr_model_error(m));
        goto out;
    }
    for (int i = 0; i < tr_model_num_params(m); i++) {
        tr_param_info pi;
        if (!tr_model_param(m, i, &pi) && pi.trainable) r->params += pi.size;
    }
    tr_dataset train = {tab[DS_TRAIN].x, tab[DS_TRAIN].y, (int)tab[DS_TRAIN].n, shape};
    tr_dataset val = {tab[DS_VALIDATION].x, tab[DS_VALIDATION].y, (int)tab[DS_VALIDATION].n, shape};
    tr_train_config tc = c->train;
    if (!val.n && tc.val_split == 0.0f) tc.val_split = 0.1f;
    if (!val.n) { /* as tr_fit carves it */
        r->n_val = (size_t)((double)train.n * tc.val_split + 0.5);
        r->n_train = (size_t)train.n - r->n_val;
    }
    tc.on_epoch = on_epoch;
    tc.user = &u;
    if (!c->no_training && tr_fit(m, &train, val.n ? &val : NULL, &tc, &r->fit)) {
        fail(&u, "training: %s", tr_model_error(m));
        goto out;
    }

    /* export: float, then int8 calibrated on training features spread over the split */
    mote_ir_graph *g = tr_export_float(m, e, sizeof e);
    if (!g) {
        fail(&u, "export: %s", e);
        goto out;
    }
    if (write_graph(&u, g, "model_float.tflite", r->float_path, sizeof r->float_path)) goto out;
    size_t nc = (size_t)(c->calib > 0 ? c->calib : 512), fs = tr_shape_size(shape);
    size_t ntr = cnt[DS_TRAIN]; /* originals only, not augmented copies */
    if (nc > ntr) nc = ntr;
    float *cx = malloc(sizeof(float) * fs * nc);
    if (!cx) {
        fail(&u, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nc; i++) memcpy(cx + i * fs, tab[DS_TRAIN].x + (i * ntr / nc) * fs, sizeof(float) * fs);
    tr_dataset calib = {cx, NULL, (int)nc, shape};
    if (r->fe) {
        float s;
        int32_t z;
        fe_feature_quant(r->fe, &s, &z);
        g = tr_export_int8_input(m, &calib, s, z, e, sizeof e);
    } else {
        g = tr_export_int8(m, &calib, e, sizeof e);
    }
    free(cx);
    if (!g) {
        fail(&u, "int8 export: %s", e);
        goto out;
    }
    if (write_graph(&u, g, "model_int8.tflite", r->int8_path, sizeof r->int8_path)) goto out;
    FILE *f = fopen(r->int8_path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        r->int8_bytes = (size_t)ftell(f);
        fclose(f);
    }

    if (c->no_training) { /* the files are for their size and cost, not their scores */
        rc = 0;
        goto out;
    }
    /* scored from the files, by the runtime a device has */
    float raw_scale = ds->kind == DS_AUDIO ? 32768.0f : 1.0f;
    stage(c, "scoring", 0, 1);
    if (tp_score_file(r->float_path, ds, idx[DS_TEST], cnt[DS_TEST], raw_scale, &r->float_score, e, sizeof e) ||
        tp_score_file(r->int8_path, ds, idx[DS_TEST], cnt[DS_TEST], raw_scale, &r->int8_score, e, sizeof e)) {
        fail(&u, "scoring: %s", e);
        goto out;
    }
    stage(c, "scoring", 1, 1);
    rc = 0;
out:
    r->model = m;
    for (int s = 0; s < DS_N_SPLITS; s++) {
        free(idx[s]);
        free(tab[s].x);
        free(tab[s].y);
    }
    return rc;
}
