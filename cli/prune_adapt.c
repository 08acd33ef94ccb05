/* mote prune --target P --max-latency-ms X: prune step by step until the cost model says the model (front
 * end included) runs within X ms on P (NetAdapt, Yang et al. 2018, simplified): each step tries taking a
 * tenth of one group's channels, for every group, estimates each proposal's latency from its compiled
 * int8 form and its accuracy on the validation examples, keeps the one with the most accuracy left, and
 * fine-tunes it briefly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "estimate.h"
#include "prune_adapt.h"

/* Estimated ms per inference of m (with the front end) on target, from its int8 export; < 0 on failure. */
static double latency_ms(tp_retrain *r, tr_model *m, const char *target, const char *dir, char *err, size_t errlen)
{
    char fp[4096], qp[4096];
    snprintf(fp, sizeof fp, "%s/adapt_float.tflite", dir);
    snprintf(qp, sizeof qp, "%s/adapt_int8.tflite", dir);
    cli_estimate_t e;
    if (tp_retrain_export(r, m, fp, qp, err, errlen) || cli_estimate(qp, target, &e, err, errlen)) return -1;
    if (e.ms < 0) snprintf(err, errlen, "no cost model for %s's core", target);
    return e.ms;
}

static double val_accuracy(tr_model *m, const tp_retrain *r)
{
    tr_dataset v = tp_retrain_split(r, r->n[1] ? 1 : 0);
    double loss, acc = 0;
    if (tr_evaluate(m, &v, 64, &loss, &acc)) return 0;
    return acc;
}

static int fine_tune(tr_model *m, const tp_retrain *r, const prune_adapt_opts *o, int epochs, uint64_t seed)
{
    tr_train_config tc;
    tr_train_config_default(&tc);
    tc.epochs = epochs;
    tc.batch = o->batch;
    tc.seed = seed;
    tc.lr = (float)o->lr;
    tc.schedule = TR_LR_COSINE;
    tc.lr_min = (float)o->lr / 100.0f;
    tc.weight_decay = 1e-4f;
    tc.restore_best = 0;
    tr_dataset train = tp_retrain_split(r, 0), val = tp_retrain_split(r, 1);
    if (!val.n) tc.val_split = 0.1f;
    tr_fit_result fr;
    return tr_fit(m, &train, val.n ? &val : NULL, &tc, &fr);
}

int prune_adapt(tp_retrain *r, const prune_adapt_opts *o, tr_model **out, prune_adapt_result *res, char *err,
                size_t errlen)
{
    char dir[] = "/tmp/mote_prune_XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot make a temporary folder");
        return -1;
    }
    tr_model *cur = NULL; /* NULL: still r->cls */
    int rc = -1;
    double ms = latency_ms(r, r->cls, o->target, dir, err, errlen);
    res->ms_before = ms;
    res->steps = 0;
    while (ms >= 0 && ms > o->max_ms) {
        tr_model *base = cur ? cur : r->cls;
        tr_prune_plan p;
        tr_prune_choice all;
        if (tr_prune_analyse(base, &p, err, errlen)) goto out;
        int *counts = malloc(sizeof(int) * ((size_t)p.n_groups + 1));
        for (int g = 0; counts && g < p.n_groups; g++) counts[g] = p.groups[g].channels;
        if (!counts || tr_prune_choose_counts(&p, counts, &all)) {
            free(counts);
            tr_prune_plan_free(&p);
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        free(counts);
        tr_model *best = NULL;
        double best_score = -INFINITY, best_ms = ms;
        for (int g = 0; g < p.n_groups; g++) {
            if (!p.groups[g].prunable || p.groups[g].channels <= 1) continue;
            int step = (p.groups[g].channels + 9) / 10;
            tr_prune_choice c;
            tr_model *cand = NULL;
            if (!tr_prune_choose_less(&p, &all, g, step, &c)) cand = tr_prune_apply(base, &p, &c, err, errlen);
            tr_prune_choice_free(&p, &c);
            if (!cand) continue;
            double cms = latency_ms(r, cand, o->target, dir, err, errlen), acc = val_accuracy(cand, r);
            /* the most accuracy kept (NetAdapt's rule), ties to the larger saving; saving nothing is no use */
            double score = cms >= 0 && cms < ms ? acc + 1e-3 * (ms - cms) / ms : -INFINITY;
            if (score > best_score) {
                tr_model_free(best);
                best = cand, best_score = score, best_ms = cms;
            } else {
                tr_model_free(cand);
            }
        }
        tr_prune_choice_free(&p, &all);
        tr_prune_plan_free(&p);
        if (!best) {
            snprintf(err, errlen, "nothing left to prune: %.2f ms on %s is the least this model's structure allows",
                     ms, o->target);
            goto out;
        }
        tr_model_set_threads(best, o->threads);
        if (o->short_epochs > 0 && fine_tune(best, r, o, o->short_epochs, o->seed + (uint64_t)res->steps)) {
            snprintf(err, errlen, "fine-tuning: %s", tr_model_error(best));
            tr_model_free(best);
            goto out;
        }
        tr_model_free(cur);
        cur = best;
        ms = best_ms;
        res->steps++;
        if (o->progress) fprintf(stderr, "\rprune: step %d, %.2f ms estimated (goal %.2f)   ", res->steps, ms, o->max_ms);
    }
    if (ms < 0) goto out;
    if (o->progress) fputc('\n', stderr);
    if (!cur) { /* already within the goal: the model as it is */
        snprintf(err, errlen, "%.2f ms on %s is within --max-latency-ms already: nothing to prune", ms, o->target);
        goto out;
    }
    if (o->final_epochs > 0 && fine_tune(cur, r, o, o->final_epochs, o->seed + 1000)) {
        snprintf(err, errlen, "fine-tuning: %s", tr_model_error(cur));
        goto out;
    }
    res->ms_after = ms;
    *out = cur;
    cur = NULL;
    rc = 0;
out:
    tr_model_free(cur);
    char path[4200];
    snprintf(path, sizeof path, "%s/adapt_float.tflite", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/adapt_int8.tflite", dir);
    unlink(path);
    rmdir(dir);
    return rc;
}
