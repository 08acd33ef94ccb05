/* int4 / mixed-precision points for mote automl's front (automl_precision.h). */
#include "automl_precision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/tflite_write.h"
#include "host_model.h"
#include "import/import.h"
#include "quant/mixed.h"
#include "quant_mixed.h"
#include "train_cli.h"

/* held-out examples scored per combination: enough for a 1 pp decision, few enough to stay quick */
#define MAX_EXAMPLES 600

typedef struct {
    const ds_dataset *ds;
    const size_t *idx;
    float raw_scale;
} feed_src;

static int feed(void *src, long i, const mote_tensor *in, uint8_t *dst, char *err, size_t errlen)
{
    const feed_src *s = src;
    (void)err, (void)errlen;
    tp_example_input(in, s->ds->x + s->idx[i] * s->ds->example_size, s->ds->example_size, s->raw_scale, dst);
    return 0;
}

static double out_real(const mote_tensor *t, const uint8_t *b, size_t i)
{
    if (t->type == MOTE_F32) return ((const float *)(const void *)b)[i];
    return t->q.n >= 1 ? t->q.scale[0] * (((const int8_t *)b)[i] - t->q.zero_point[0]) : ((const int8_t *)b)[i];
}

static int write_graph(const mote_ir_graph *g, const char *path, char *err, size_t errlen)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (mote_tflite_write(g, &bytes, &len, err, errlen)) return -1;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f)) ok = 0;
    free(bytes);
    if (!ok) snprintf(err, errlen, "cannot write %s", path);
    return ok ? 0 : -1;
}

/* Appends point k of m (graph q4) as a trial derived from parent index pi. */
static int add_point(am_result *r, int pi, const mote_mixed_result *m, int k, double a8, const mote_ir_graph *q8,
                     const char *label, const char *dir, const ds_dataset *ds, float raw_scale, char *err, size_t errlen)
{
    const mote_mixed_point *p = &m->points[k];
    char path[1200];
    snprintf(path, sizeof path, "%s/model_%s.tflite", dir, label);
    mote_ir_graph *g = mote_mixed_apply(q8, m, k, err, errlen);
    if (!g) return -1;
    int rc = write_graph(g, path, err, errlen);
    mote_ir_free(g);
    size_t n = ds_count(ds, DS_TEST, -1), *idx = malloc(sizeof *idx * (n + 1));
    tp_score sc = {0};
    if (!rc && (!idx || (ds_indices(ds, DS_TEST, idx), tp_score_file(path, ds, idx, n, raw_scale, &sc, err, errlen))))
        rc = -1;
    free(idx);
    free(sc.confusion);
    am_trial *t = rc ? NULL : realloc(r->trials, sizeof *t * (size_t)(r->n_trials + 1));
    if (!t) {
        if (!rc) snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->trials = t;
    t = &r->trials[r->n_trials];
    *t = r->trials[pi];
    char key[sizeof t->key];
    memcpy(key, t->key, sizeof key);
    snprintf(t->key, sizeof t->key, "%.100s +%.5s", key, label); /* keys are far shorter than 100 */
    t->precision = !strcmp(label, "int4") ? "int4" : "mixed";
    t->fits = p->fits;
    t->flash = p->flash;
    t->ms = p->ms; /* RAM as the parent's: int4 weights leave the arena as it is */
    /* the int8 trials' validation accuracy is the trainer's (float model, whole split); the point's is its
       parent's less what int4 cost on the same held-out examples against the int8 file (a8), so the two
       compare on one footing */
    t->val_accuracy = r->trials[pi].val_accuracy + (p->accuracy - a8);
    t->test_int8 = sc.accuracy;
    t->pareto = 0;
    t->curve = NULL;
    if (r->trials[pi].n_curve && (t->curve = malloc(sizeof *t->curve * (size_t)t->n_curve)))
        memcpy(t->curve, r->trials[pi].curve, sizeof *t->curve * (size_t)t->n_curve);
    else t->n_curve = 0;
    r->n_trials++;
    return 0;
}

/* The mixed-precision search for trial pi and its points added (those within the limits). */
static int one(am_result *r, int pi, const tp_config *base, const char *out_dir, const char *target,
               const am_config *lim, char *err, size_t errlen)
{
    char dir[1100], path[1200], kd[128];
    snprintf(kd, sizeof kd, "%s", r->trials[pi].key);
    for (char *p = kd; *p; p++)
        if (*p == ' ') *p = '_';
    snprintf(dir, sizeof dir, "%s/trials/%s", out_dir, kd);
    snprintf(path, sizeof path, "%s/model_int8.tflite", dir);
    mote_ir_graph *q8 = mote_import_file(path, err, errlen);
    snprintf(path, sizeof path, "%s/model_float.tflite", dir);
    mote_host_model *fm = q8 ? mote_host_model_load(path, err, errlen) : NULL;
    ds_options o;
    float raw_scale = 1;
    ds_dataset *ds = NULL;
    int rc = -1;
    size_t *idx = NULL;
    int *labels = NULL;
    double *ref = NULL;
    uint8_t *x = NULL, *y = NULL;
    mote_mixed_result m = {0};
    quant_mixed_ctx c = {.target = target};
    /* the trial's own loader options (a motion window is the candidate's, whatever the model's input type) */
    tp_config tc = *base;
    am_apply(&r->trials[pi].c, &tc);
    if (!fm || train_cli_data_for_model(&tc, q8, &o, &raw_scale, "automl") || ds_load(base->data, &o, &ds, err, errlen))
        goto out;
    /* held out from training: the validation split, as the pipeline keeps it (tp_run folds it into train
       when the split leaks groups or with --test-group, and draws validation inside the trainer); else
       training examples, which flatter every point alike */
    int split = ds_count(ds, DS_VALIDATION, -1) && !tc.test_group && ds_group_leaks(ds) == 0 ? DS_VALIDATION : DS_TRAIN;
    size_t all = ds_count(ds, split, -1), n = all < MAX_EXAMPLES ? all : MAX_EXAMPLES;
    const mote_tensor *fi = &fm->m.tensors[fm->m.inputs[0]], *fo = &fm->m.tensors[fm->m.outputs[0]];
    size_t out_n = fo->bytes / mote_dtype_size((mote_dtype)fo->type);
    idx = malloc(sizeof *idx * (all + 1));
    labels = malloc(sizeof *labels * (n + 1));
    ref = malloc(sizeof *ref * out_n * (n + 1));
    x = malloc(fi->bytes + 1), y = malloc(mote_host_output_bytes(fm) + 1);
    snprintf(c.dir, sizeof c.dir, "/tmp/mote_automl_XXXXXX");
    if (!idx || !labels || !ref || !x || !y || !n || !mkdtemp(c.dir)) {
        snprintf(err, errlen, "%s: no held-out examples, out of memory, or no temporary folder", r->trials[pi].key);
        c.dir[0] = 0;
        goto out;
    }
    ds_indices(ds, split, idx);
    for (size_t i = 0; i < n; i++) idx[i] = idx[(i * all) / n]; /* spread over the split, in order */
    feed_src src = {ds, idx, raw_scale};
    long right = 0;
    for (size_t i = 0; i < n; i++) {
        feed(&src, (long)i, fi, x, err, errlen);
        mote_host_run(fm, x, y);
        size_t best = 0;
        for (size_t k = 0; k < out_n; k++) {
            ref[i * out_n + k] = out_real(fo, y, k);
            if (ref[i * out_n + k] > ref[i * out_n + best]) best = k;
        }
        labels[i] = ds->label[idx[i]];
        right += (int)best == labels[i];
    }
    c.n = (long)n, c.feed = feed, c.src = &src, c.labels = labels, c.ref = ref, c.out_n = out_n;
    if (mote_mixed_search(q8, (double)right / (double)n, 0.01, quant_mixed_eval, quant_mixed_cost, NULL, &c, &m, err,
                          errlen))
        goto out;
    rc = 0;
    double a8 = NAN; /* the int8 file on the held-out examples */
    for (int k = 0; k < m.n_points; k++)
        if (!strcmp(m.points[k].label, "uniform int8")) a8 = m.points[k].accuracy;
    if (isnan(a8)) {
        snprintf(err, errlen, "the mixed-precision search scored no uniform int8 point");
        rc = -1;
    }
    for (int k = 0; k < m.n_points && !rc; k++) {
        const mote_mixed_point *p = &m.points[k];
        int n4 = 0;
        for (int l = 0; l < m.n_layers; l++) n4 += p->int4[l];
        int uniform4 = !strcmp(p->label, "uniform int4");
        if (!p->fits || !n4 || (k != m.chosen && !uniform4)) continue;
        /* the search's --max-* limits hold for these points too (int4 unpacking can cost time) */
        if ((lim->max_ms > 0 && p->ms > lim->max_ms) || (lim->max_flash > 0 && p->flash > lim->max_flash) ||
            (lim->max_ram > 0 && r->trials[pi].ram > lim->max_ram))
            continue;
        /* the choice may be every layer at int4: then one point, named int4 */
        if (k == m.chosen && n4 == m.n_layers) uniform4 = 1;
        if (k != m.chosen && m.chosen >= 0 && !memcmp(p->int4, m.points[m.chosen].int4, (size_t)m.n_layers)) continue;
        rc = add_point(r, pi, &m, k, a8, q8, uniform4 ? "int4" : "mixed", dir, ds, raw_scale, err, errlen);
    }
out:
    if (c.dir[0]) rmdir(c.dir);
    mote_mixed_free(&m);
    free(idx), free(labels), free(ref), free(x), free(y);
    ds_free(ds);
    mote_host_model_free(fm);
    mote_ir_free(q8);
    return rc;
}

int am_precision_pass(am_result *r, const am_config *a, const char *target, int max_points, int quiet, char *err,
                      size_t errlen)
{
    /* the int8 front as it stands, best validation first; the array grows while points are added */
    int n0 = r->n_trials, *front = malloc(sizeof *front * (size_t)(n0 + 1)), k = 0;
    if (!front) return -1;
    for (int i = 0; i < n0; i++)
        if (r->trials[i].pareto && !r->trials[i].precision) front[k++] = i;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && r->trials[front[j - 1]].val_accuracy < r->trials[front[j]].val_accuracy; j--) {
            int x = front[j];
            front[j] = front[j - 1], front[j - 1] = x;
        }
    /* a trial without an int4 point (none within 1 pp, say) leaves the others theirs: a note, not a failure */
    for (int i = 0; i < k && i < max_points; i++)
        if (one(r, front[i], a->base, a->out_dir, target, a, err, errlen) && !quiet)
            fprintf(stderr, "mote automl: precision: %s: no int4 / mixed point (%s)\n", r->trials[front[i]].key, err);
    free(front);
    am_pareto(r);
    return 0;
}
