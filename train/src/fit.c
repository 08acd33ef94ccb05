/* The training loop: checks, validation split, shuffled minibatches, optimizer steps, per-epoch
 * evaluation, early stopping with the best parameters restored, callbacks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "rng.h"

void tr_train_config_default(tr_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->epochs = 10;
    c->batch = 32;
    c->optimizer = TR_ADAM;
    c->lr = 1e-3f;
    c->momentum = 0.9f;
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->adam_epsilon = 1e-7f;
    c->schedule = TR_LR_CONSTANT;
    c->step_epochs = 10;
    c->step_gamma = 0.1f;
    c->monitor = TR_MONITOR_VAL_LOSS;
    c->restore_best = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int check_config(tr_model *m, const tr_train_config *c)
{
    if (c->epochs < 1 || c->batch < 1) return tr_fail(m, "config: epochs %d and batch %d must be >= 1", c->epochs, c->batch);
    if (c->optimizer != TR_SGD && c->optimizer != TR_ADAM) return tr_fail(m, "config: unknown optimizer %d", (int)c->optimizer);
    if (!(c->lr > 0.0f) || !isfinite(c->lr)) return tr_fail(m, "config: learning rate %g must be > 0", (double)c->lr);
    if (!(c->momentum >= 0.0f && c->momentum < 1.0f)) return tr_fail(m, "config: momentum %g is not in [0, 1)", (double)c->momentum);
    if (c->optimizer == TR_ADAM && !(c->beta1 >= 0.0f && c->beta1 < 1.0f && c->beta2 >= 0.0f && c->beta2 < 1.0f &&
                                     c->adam_epsilon > 0.0f))
        return tr_fail(m, "config: Adam needs beta1, beta2 in [0, 1) and epsilon > 0 (got %g, %g, %g)", (double)c->beta1,
                       (double)c->beta2, (double)c->adam_epsilon);
    if (!(c->weight_decay >= 0.0f)) return tr_fail(m, "config: weight decay %g is negative", (double)c->weight_decay);
    if (c->schedule == TR_LR_STEP && (c->step_epochs < 1 || !(c->step_gamma > 0.0f)))
        return tr_fail(m, "config: step schedule needs step_epochs >= 1 and step_gamma > 0 (got %d, %g)", c->step_epochs,
                       (double)c->step_gamma);
    if (c->schedule == TR_LR_COSINE && !(c->lr_min >= 0.0f && c->lr_min <= c->lr))
        return tr_fail(m, "config: cosine schedule needs 0 <= lr_min <= lr (got %g)", (double)c->lr_min);
    if ((unsigned)c->schedule > TR_LR_COSINE) return tr_fail(m, "config: unknown schedule %d", (int)c->schedule);
    if (!(c->val_split >= 0.0f && c->val_split < 1.0f)) return tr_fail(m, "config: val_split %g is not in [0, 1)", (double)c->val_split);
    if (c->patience < 0 || !(c->min_delta >= 0.0f)) return tr_fail(m, "config: patience and min_delta must be >= 0");
    return 0;
}

/* Shape, values and labels of a dataset against the model. */
static int check_data(tr_model *m, const tr_dataset *d, const char *what)
{
    if (!d->x || !d->y || d->n < 1) return tr_fail(m, "%s data: no samples (x or y is NULL, or n = %d)", what, d->n);
    const tr_node *in = &m->nodes[m->input];
    if (d->shape.rank != in->shape.rank || memcmp(d->shape.dims, in->shape.dims, (size_t)in->shape.rank * sizeof(int))) {
        char a[48], b[48];
        tr_shape_str(d->shape, a, sizeof a);
        tr_shape_str(in->shape, b, sizeof b);
        return tr_fail(m, "%s data: sample shape %s does not match the model input '%s' %s", what, a, in->name, b);
    }
    size_t per = in->size;
    for (size_t i = 0; i < (size_t)d->n * per; i++)
        if (!isfinite(d->x[i]))
            return tr_fail(m, "%s data: x[%zu][%zu] is %s (sample %zu, element %zu)", what, i / per, i % per,
                           isnan(d->x[i]) ? "NaN" : "infinite", i / per, i % per);
    return tr_check_labels(m, d->y, d->n, what);
}

/* Samples idx[0..n) of d (idx NULL: 0..n-1) in inference mode: loss sum and correct count. */
static int eval_rows(tr_model *m, const tr_dataset *d, const int *idx, int n, int batch, float *xb, int32_t *yb,
                     double *loss, long *correct)
{
    size_t per = m->nodes[m->input].size;
    *loss = 0.0;
    *correct = 0;
    for (int b0 = 0; b0 < n; b0 += batch) {
        int nb = n - b0 < batch ? n - b0 : batch;
        for (int j = 0; j < nb; j++) {
            int r = idx ? idx[b0 + j] : b0 + j;
            memcpy(xb + (size_t)j * per, d->x + (size_t)r * per, per * sizeof *xb);
            yb[j] = d->y[r];
        }
        if (tr_exec_reserve(m, nb)) return -1;
        memcpy(m->ex.act[m->input], xb, (size_t)nb * per * sizeof *xb);
        tr_exec_forward(m, nb, 0);
        double l;
        long c;
        tr_exec_loss(m, yb, &l, &c, 0);
        *loss += l;
        *correct += c;
    }
    return 0;
}

int tr_evaluate(tr_model *m, const tr_dataset *d, int batch, double *loss, double *accuracy)
{
    if (!m || !d) return -1;
    if (batch < 1) return tr_fail(m, "evaluate: batch %d must be >= 1", batch);
    if (tr_prepare(m) || check_data(m, d, "evaluate")) return -1;
    size_t per = m->nodes[m->input].size;
    float *xb = malloc((size_t)batch * per * sizeof *xb);
    int32_t *yb = malloc((size_t)batch * sizeof *yb);
    double l = 0.0;
    long c = 0;
    int rc = xb && yb ? eval_rows(m, d, NULL, d->n, batch, xb, yb, &l, &c) : tr_fail(m, "evaluate: out of memory");
    free(xb);
    free(yb);
    if (rc) return -1;
    if (loss) *loss = l / d->n;
    if (accuracy) *accuracy = (double)c / d->n;
    return 0;
}

typedef struct {
    const tr_dataset *tr, *va;  /* where training and validation rows come from */
    int *tri, *vai;             /* row indices */
    int ntr, nva;
    float *xb, *best;
    int32_t *yb;
} fit_state;

static void fit_free(fit_state *s)
{
    free(s->tri);
    free(s->vai);
    free(s->xb);
    free(s->yb);
    free(s->best);
}

/* Index lists: all of train (and val), or a seeded random val_split of train held out. */
static int split(tr_model *m, const tr_dataset *train, const tr_dataset *val, const tr_train_config *c, fit_state *s)
{
    s->tr = train;
    s->va = val ? val : train;
    s->ntr = train->n;
    s->nva = val ? val->n : 0;
    if (!val && c->val_split > 0.0f) {
        s->nva = (int)((double)train->n * c->val_split + 0.5);
        if (s->nva < 1) s->nva = 1;
        s->ntr = train->n - s->nva;
        if (s->ntr < 1)
            return tr_fail(m, "config: val_split %g of %d samples leaves none for training", (double)c->val_split, train->n);
    }
    s->tri = malloc((size_t)train->n * sizeof *s->tri);
    s->vai = malloc((size_t)(s->nva > 0 ? s->nva : 1) * sizeof *s->vai);
    if (!s->tri || !s->vai) return tr_fail(m, "out of memory");
    for (int i = 0; i < train->n; i++) s->tri[i] = i;
    if (val) {
        for (int i = 0; i < s->nva; i++) s->vai[i] = i;
    } else if (s->nva > 0) {
        tr_rng r;
        tr_rng_seed(&r, c->seed ^ 0x76616c73706c6974ull);  /* "valsplit" */
        tr_rng_shuffle(&r, s->tri, train->n);
        memcpy(s->vai, s->tri + s->ntr, (size_t)s->nva * sizeof *s->vai);
    }
    return 0;
}

/* One pass over the shuffled training rows; loss sum and correct count in training mode. */
static int train_epoch(tr_model *m, const tr_train_config *c, fit_state *s, tr_rng *r, int epoch, double *loss,
                       long *correct, float *lr_out, int *stop)
{
    size_t per = m->nodes[m->input].size;
    long spe = (s->ntr + c->batch - 1) / c->batch;
    tr_rng_shuffle(r, s->tri, s->ntr);
    *loss = 0.0;
    *correct = 0;
    for (long b = 0; b < spe; b++) {
        int b0 = (int)(b * c->batch), nb = s->ntr - b0 < c->batch ? s->ntr - b0 : c->batch;
        if (tr_exec_reserve(m, nb)) return -1;
        float *xb = m->ex.act[m->input];
        for (int j = 0; j < nb; j++) {
            int row = s->tri[b0 + j];
            memcpy(xb + (size_t)j * per, s->tr->x + (size_t)row * per, per * sizeof *xb);
            s->yb[j] = s->tr->y[row];
        }
        tr_exec_forward(m, nb, 1);
        double l;
        long k;
        tr_exec_loss(m, s->yb, &l, &k, 1);
        if (!isfinite(l))
            return tr_fail(m, "epoch %d, batch %ld: the loss is %g; training diverged (lower the learning rate?)", epoch,
                           b + 1, l);
        tr_exec_backward(m, 0);
        float lr = tr_learning_rate(c, (long)(epoch - 1) * spe + b, spe);
        tr_optim_step(m, c, lr);
        m->step++;
        *lr_out = lr;
        *loss += l;
        *correct += k;
        if (c->on_batch && c->on_batch(epoch, (int)b + 1, (int)spe, l / nb, c->user)) {
            *stop = 1;
            break;
        }
    }
    return 0;
}

int tr_fit(tr_model *m, const tr_dataset *train, const tr_dataset *val, const tr_train_config *c, tr_fit_result *res)
{
    if (!m) return -1;
    if (!train || !c) return tr_fail(m, "fit: no training data or no configuration");
    if (check_config(m, c) || tr_prepare(m)) return -1;
    if (!m->initialized) return tr_fail(m, "fit: parameters are not initialised (call tr_model_init first)");
    if (check_data(m, train, "training") || (val && check_data(m, val, "validation"))) return -1;
    fit_state s = {0};
    int rc = -1;
    if (split(m, train, val, c, &s)) goto out;
    int has_val = s.nva > 0;
    if (c->patience > 0 && !has_val) {
        tr_fail(m, "config: early stopping (patience %d) needs validation data: pass val or set val_split", c->patience);
        goto out;
    }
    size_t per = m->nodes[m->input].size;
    s.xb = malloc((size_t)c->batch * per * sizeof *s.xb);
    s.yb = malloc((size_t)c->batch * sizeof *s.yb);
    s.best = malloc((m->n_w + 1) * sizeof *s.best);
    if (!s.xb || !s.yb || !s.best) {
        tr_fail(m, "fit: out of memory");
        goto out;
    }
    if (tr_optim_reset(m) || tr_exec_reserve(m, c->batch)) goto out;
    tr_rng r;
    tr_rng_seed(&r, c->seed);
    m->dropout_seed = tr_mix64(c->seed ^ 0x64726f706f7574ull);  /* "dropout" */
    m->step = 0;
    tr_fit_result fr = {0};
    fr.best_val_loss = fr.best_val_accuracy = NAN;
    double t0 = now();
    int since_best = 0, stop = 0;
    for (int epoch = 1; epoch <= c->epochs && !stop; epoch++) {
        double te = now(), tl;
        long tc;
        float lr = c->lr;
        if (train_epoch(m, c, &s, &r, epoch, &tl, &tc, &lr, &stop)) goto out;
        tr_epoch_report rep = {epoch, c->epochs, tl / s.ntr, (double)tc / s.ntr, NAN, NAN, lr, 0.0, fr.best_epoch};
        if (has_val) {
            double vl;
            long vc;
            if (eval_rows(m, s.va, s.vai, s.nva, c->batch, s.xb, s.yb, &vl, &vc)) goto out;
            rep.val_loss = vl / s.nva;
            rep.val_accuracy = (double)vc / s.nva;
            int better = fr.best_epoch == 0 ||
                         (c->monitor == TR_MONITOR_VAL_LOSS ? rep.val_loss < fr.best_val_loss - c->min_delta
                                                            : rep.val_accuracy > fr.best_val_accuracy + c->min_delta);
            if (better) {
                fr.best_epoch = epoch;
                fr.best_val_loss = rep.val_loss;
                fr.best_val_accuracy = rep.val_accuracy;
                memcpy(s.best, m->w, m->n_w * sizeof *s.best);
                since_best = 0;
            } else if (c->patience > 0 && ++since_best >= c->patience) {
                stop = 1;
            }
            rep.best_epoch = fr.best_epoch;
        }
        rep.seconds = now() - te;
        fr.epochs_run = epoch;
        fr.final_train_loss = rep.train_loss;
        fr.final_train_accuracy = rep.train_accuracy;
        if (c->on_epoch && c->on_epoch(&rep, c->user)) stop = 1;
        if (stop && epoch < c->epochs) fr.stopped_early = 1;
    }
    if (has_val && c->restore_best && fr.best_epoch > 0) memcpy(m->w, s.best, m->n_w * sizeof *s.best);
    fr.seconds = now() - t0;
    if (res) *res = fr;
    rc = 0;
out:
    fit_free(&s);
    return rc;
}
