/* Mixed-precision search (mixed.h). */
#include "quant/mixed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/build.h"
#include "quant/lowbit.h"

static int has_filter(mote_op op)
{
    return op == MOTE_OP_CONV_2D || op == MOTE_OP_DEPTHWISE_CONV_2D || op == MOTE_OP_FULLY_CONNECTED;
}

mote_ir_graph *mote_mixed_apply(const mote_ir_graph *q8, const mote_mixed_result *r, int k, char *err, size_t errlen)
{
    mote_ir_graph *g = mote_ir_clone(q8, err, errlen);
    for (int i = 0; g && i < r->n_layers; i++)
        if (r->points[k].int4[i] && mote_lowbit_weights(g, r->layers[i].op, 4, err, errlen)) {
            mote_ir_free(g);
            return NULL;
        }
    return g;
}

/* Scores and costs the combination `int4` (n_layers flags) as a new point. */
static int add_point(const mote_ir_graph *q8, mote_mixed_result *r, const uint8_t *int4, const char *label,
                     mote_mixed_eval eval, mote_mixed_cost cost, void *user, char *err, size_t errlen)
{
    mote_mixed_point *p = &r->points[r->n_points];
    memset(p, 0, sizeof *p);
    if (!(p->int4 = malloc((size_t)r->n_layers + 1))) return -1;
    memcpy(p->int4, int4, (size_t)r->n_layers);
    p->label = label;
    r->n_points++;
    mote_ir_graph *g = mote_mixed_apply(q8, r, r->n_points - 1, err, errlen);
    int rc = g && !eval(user, g, &p->accuracy, &p->error, err, errlen) &&
                     !cost(user, g, &p->flash, &p->ms, &p->fits, err, errlen)
                 ? 0
                 : -1;
    mote_ir_free(g);
    return rc;
}

static int dominates(const mote_mixed_point *a, const mote_mixed_point *b)
{
    int no_worse = a->accuracy >= b->accuracy && a->flash <= b->flash && a->ms <= b->ms;
    int better = a->accuracy > b->accuracy || a->flash < b->flash || a->ms < b->ms;
    return no_worse && better;
}

int mote_mixed_search(const mote_ir_graph *q8, double float_accuracy, double max_drop, mote_mixed_eval eval,
                      mote_mixed_cost cost, mote_mixed_progress progress, void *user, mote_mixed_result *r, char *err,
                      size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->float_accuracy = float_accuracy;
    r->layers = calloc((size_t)q8->n_ops + 1, sizeof *r->layers);
    if (!r->layers) return -1;
    /* the layers that can take int4: those lowbit accepts */
    for (int32_t o = 0; o < q8->n_ops; o++) {
        if (!has_filter(q8->ops[o].op)) continue;
        mote_ir_graph *g = mote_ir_clone(q8, err, errlen);
        int ok = g && !mote_lowbit_weights(g, o, 4, err, errlen);
        mote_ir_free(g);
        if (ok) r->layers[r->n_layers++].op = o;
    }
    err[0] = 0;
    if (!r->n_layers) {
        snprintf(err, errlen, "no layer of the model can take int4 weights");
        return -1;
    }
    const size_t n = (uint32_t)r->n_layers; /* > 0 here */
    r->points = calloc(2 * n + 4, sizeof *r->points);
    uint8_t *set = calloc(n + 1, 1);
    int *order = malloc(sizeof(int) * (n + 1));
    int rc = -1;
    if (!r->points || !set || !order) goto out;
    if (add_point(q8, r, set, "uniform int8", eval, cost, user, err, errlen)) goto out;
    const mote_mixed_point base = r->points[0];
    /* 1. sensitivity: each layer alone */
    for (int i = 0; i < (int)n; i++) {
        memset(set, 0, n);
        set[i] = 1;
        mote_mixed_result one = *r;
        mote_mixed_point p;
        one.points = &p;
        one.n_points = 0;
        if (add_point(q8, &one, set, "one layer", eval, cost, user, err, errlen)) {
            free(p.int4);
            goto out;
        }
        r->layers[i].accuracy = p.accuracy;
        r->layers[i].error = p.error;
        r->layers[i].saved = base.flash - p.flash;
        free(p.int4);
        if (progress) progress(user, 0, i + 1, (int)n);
    }
    /* 2. least harm per byte first: accuracy lost, then output error added, per byte saved */
    for (int i = 0; i < (int)n; i++) order[i] = i;
    for (int i = 1; i < (int)n; i++)
        for (int j = i; j > 0; j--) {
            const mote_mixed_layer *a = &r->layers[order[j - 1]], *b = &r->layers[order[j]];
            double sa = fmax(a->saved, 1.0), sb = fmax(b->saved, 1.0);
            double ha = (base.accuracy - a->accuracy) / sa, hb = (base.accuracy - b->accuracy) / sb;
            double ea = (a->error - base.error) / sa, eb = (b->error - base.error) / sb;
            if (ha > hb || (ha == hb && ea > eb)) {
                int t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            } else {
                break;
            }
        }
    memset(set, 0, n);
    for (int k = 0; k < (int)n; k++) {
        int i = order[k];
        set[i] = 1;
        if (add_point(q8, r, set, "mixed", eval, cost, user, err, errlen)) goto out;
        const mote_mixed_point *p = &r->points[r->n_points - 1];
        if (float_accuracy - p->accuracy > max_drop + 1e-12) {
            set[i] = 0;
            r->layers[i].why = "int8: at int4 (with the layers before it) the accuracy drops more than --max-drop";
        } else {
            r->layers[i].why = "int4: within --max-drop with the layers before it";
        }
        if (progress) progress(user, 1, k + 1, (int)n);
    }
    memset(set, 1, n);
    if (add_point(q8, r, set, "uniform int4", eval, cost, user, err, errlen)) goto out;
    /* 3. the front, and the choice */
    r->chosen = -1;
    for (int a = 0; a < r->n_points; a++) {
        mote_mixed_point *p = &r->points[a];
        p->pareto = 1;
        for (int b = 0; b < r->n_points && p->pareto; b++)
            if (b != a && dominates(&r->points[b], p)) p->pareto = 0;
        if (float_accuracy - p->accuracy > max_drop + 1e-12 || !p->fits) continue;
        const mote_mixed_point *c = r->chosen >= 0 ? &r->points[r->chosen] : NULL;
        if (!c || p->flash < c->flash || (p->flash == c->flash && (p->ms < c->ms || (p->ms == c->ms && p->accuracy > c->accuracy))))
            r->chosen = a;
    }
    if (r->chosen < 0) {
        snprintf(err, errlen, "no combination fits the device within --max-drop (even uniform int8: %.2f %% against "
                              "float %.2f %%)", 100 * base.accuracy, 100 * float_accuracy);
        goto out;
    }
    for (int i = 0; i < (int)n; i++) {
        r->layers[i].bits = r->points[r->chosen].int4[i] ? 4 : 8;
        if (r->layers[i].bits == 8 && r->layers[i].why && !strncmp(r->layers[i].why, "int4", 4))
            r->layers[i].why = "int8: the chosen point (least flash within --max-drop) keeps it";
    }
    rc = 0;
out:
    free(set);
    free(order);
    if (rc && !err[0]) snprintf(err, errlen, "out of memory");
    return rc;
}

void mote_mixed_free(mote_mixed_result *r)
{
    for (int i = 0; r->points && i < r->n_points; i++) free(r->points[i].int4);
    free(r->points);
    free(r->layers);
    memset(r, 0, sizeof *r);
}
