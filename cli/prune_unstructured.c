/* mote prune --unstructured (prune_unstructured.h). */
#include "prune_unstructured.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "mote/export.h"

typedef struct {
    tr_unstructured *u;
    tr_model *m;
    const prune_unstructured_opts *o;
    long spe, end, every;  /* steps per epoch; the schedule's last step; steps between mask updates */
    double now;            /* the sparsity the mask has reached */
} sched;

/* After every optimizer step: the mask grows on schedule, pruned weights go back to zero. */
static int on_batch(int epoch, int batch, int batches, double loss, void *user)
{
    (void)batches, (void)loss;
    sched *s = user;
    const long step = (long)(epoch - 1) * s->spe + batch;
    if (step % s->every == 0 || step >= s->end) {
        const double want = tr_unstructured_schedule(s->o->sparsity, step, 0, s->end);
        if (want > s->now) tr_unstructured_prune(s->u, s->m, want), s->now = want;
    }
    tr_unstructured_apply(s->u, s->m);
    return 0;
}

static int on_epoch(const tr_epoch_report *r, void *user)
{
    const sched *s = user;
    if (s->o->progress)
        fprintf(stderr, "\rpruning weights: epoch %d/%d, %.1f%% zeros, loss %.4f accuracy %.2f%%   ", r->epoch, r->epochs,
                100 * s->now, r->train_loss, 100 * r->train_accuracy);
    return 0;
}

int prune_unstructured(tp_retrain *r, tr_model *m, const prune_unstructured_opts *o, tr_unstructured *u, char *err,
                       size_t errlen)
{
    if (tr_unstructured_init(u, m, err, errlen)) return -1;
    tr_dataset train = tp_retrain_split(r, 0), val = tp_retrain_split(r, 1);
    if (o->epochs <= 0 || !train.n) { /* one shot */
        tr_unstructured_prune(u, m, o->sparsity);
        return 0;
    }
    const long spe = (train.n + o->batch - 1) / o->batch, steps = spe * o->epochs;
    sched s = {u, m, o, spe, 2 * steps / 3 > 0 ? 2 * steps / 3 : 1, spe / 4 > 0 ? spe / 4 : 1, 0};
    tr_train_config tc;
    tr_train_config_default(&tc);
    tc.epochs = o->epochs;
    tc.batch = o->batch;
    tc.seed = o->seed;
    tc.lr = (float)o->lr;
    tc.schedule = TR_LR_COSINE;
    tc.lr_min = (float)o->lr / 100.0f;
    tc.weight_decay = 1e-4f;
    tc.restore_best = 0; /* an earlier epoch's weights would be less sparse */
    tc.on_batch = on_batch;
    tc.on_epoch = on_epoch;
    tc.user = &s;
    if (!val.n) tc.val_split = 0.1f;
    tr_fit_result fr;
    if (tr_fit(m, &train, val.n ? &val : NULL, &tc, &fr)) {
        snprintf(err, errlen, "fine-tuning: %s", tr_model_error(m));
        return -1;
    }
    tr_unstructured_prune(u, m, o->sparsity); /* the schedule's end, should training have stopped early */
    tr_unstructured_apply(u, m);
    if (o->progress) fputc('\n', stderr);
    return 0;
}

static size_t file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (f && !fseek(f, 0, SEEK_END)) n = ftell(f);
    if (f) fclose(f);
    return n > 0 ? (size_t)n : 0;
}

int prune_store_sparse(const char *path, size_t *dense_bytes, size_t *bytes, prune_report_layer *layers, int n,
                       char *err, size_t errlen)
{
    *dense_bytes = file_size(path);
    mote_ir_graph *g = mote_import_file(path, err, errlen); /* its passes choose each layer's storage */
    if (!g) return -1;
    for (int k = 0; k < n; k++) {
        for (int32_t i = 0; i < g->n_ops; i++) {
            const mote_ir_op *op = &g->ops[i];
            if ((op->op != MOTE_OP_FULLY_CONNECTED && op->op != MOTE_OP_CONV_2D) || op->n_in < 2 || op->io[1] < 0)
                continue;
            const mote_ir_tensor *w = &g->tensors[op->io[1]];
            const char *at = w->name ? strstr(w->name, layers[k].name) : NULL;
            if (!at || strcmp(at, layers[k].name)) continue;
            layers[k].int8_bytes = w->t.bytes;
            layers[k].sparse = w->t.type == MOTE_I8_SPARSE;
        }
    }
    int rc = tr_export_write(g, path, err, errlen);
    mote_ir_free(g);
    *bytes = file_size(path);
    return rc;
}
