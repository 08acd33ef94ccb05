/* Cutting a graph in two at one tensor and joining two graphs end to end (ir/build.h): how a model with
 * a front end is taken apart to retrain or prune its classifier, and put back together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/build.h"

/* mark[o] = 1 for every op t depends on. */
static uint8_t *ancestors(const mote_ir_graph *g, int32_t t)
{
    uint8_t *need = calloc((size_t)g->n_tensors + 1, 1), *mark = calloc((size_t)g->n_ops + 1, 1);
    if (!need || !mark) {
        free(need);
        free(mark);
        return NULL;
    }
    need[t] = 1;
    for (int32_t o = g->n_ops - 1; o >= 0; o--) { /* ops are in execution order */
        const mote_ir_op *op = &g->ops[o];
        int wanted = 0;
        for (int i = 0; i < op->n_out; i++) wanted |= op->io[op->n_in + i] >= 0 && need[op->io[op->n_in + i]];
        if (!wanted) continue;
        mark[o] = 1;
        for (int i = 0; i < op->n_in; i++)
            if (op->io[i] >= 0) need[op->io[i]] = 1;
    }
    free(need);
    return mark;
}

/* The ops with mark[o] == keep, as a graph with the given inputs and outputs (tensors of g). */
static mote_ir_graph *subgraph(const mote_ir_graph *g, const uint8_t *mark, int keep, const int32_t *ins, int n_in,
                               const int32_t *outs, int n_out, char *err, size_t errlen)
{
    mote_irb b;
    mote_ir_graph *s = mote_irb_begin(&b, err, errlen);
    int32_t *map = malloc(sizeof(int32_t) * (size_t)(g->n_tensors + 1));
    int32_t io[64];
    int ok = s && map;
    if (!ok) mote_irb_fail(&b, "out of memory");
    for (int32_t k = 0; ok && k < g->n_tensors; k++) map[k] = -1;
    for (int i = 0; ok && i < n_in; i++) ok = (map[ins[i]] = mote_irb_copy_tensor(&b, &g->tensors[ins[i]], "")) >= 0;
    for (int32_t o = 0; ok && o < g->n_ops; o++) {
        const mote_ir_op *op = &g->ops[o];
        if (mark[o] != keep) continue;
        if (op->n_in + op->n_out > 64) {
            ok = mote_irb_fail(&b, "op %d has too many tensors", (int)o) == 0;
            break;
        }
        for (int i = 0; ok && i < op->n_in + op->n_out; i++) {
            int32_t t = op->io[i];
            if (t < 0) {
                io[i] = -1;
                continue;
            }
            if (map[t] < 0) {
                const mote_tensor *mt = &g->tensors[t].t;
                /* an activation read before anything here wrote it comes from the other part */
                if (i < op->n_in && !(mt->flags & MOTE_TENSOR_CONST))
                    ok = mote_irb_fail(&b, "op %d (%s) reads '%s', which the cut leaves on the other side", (int)o,
                                       mote_op_name(op->op), g->tensors[t].name ? g->tensors[t].name : "?") == 0;
                else
                    ok = (map[t] = mote_irb_copy_tensor(&b, &g->tensors[t], "")) >= 0;
            }
            io[i] = map[t];
        }
        ok = ok && !mote_irb_op(&b, op->op, io, op->n_in, io + op->n_in, op->n_out, &op->opts) &&
             !(op->custom_code && mote_irb_custom_code(&b, op->custom_code));
    }
    int32_t mi[8], mo[8];
    for (int i = 0; ok && i < n_in && i < 8; i++) mi[i] = map[ins[i]];
    for (int i = 0; ok && i < n_out && i < 8; i++)
        if ((mo[i] = map[outs[i]]) < 0)
            ok = mote_irb_fail(&b, "output '%s' is not computed by this part", g->tensors[outs[i]].name) == 0;
    ok = ok && n_in <= 8 && n_out <= 8 && !mote_irb_io(&b, mi, n_in, mo, n_out);
    if (ok && g->description) s->description = strdup(g->description);
    free(map);
    if (!ok) {
        mote_ir_free(s);
        return NULL;
    }
    return s;
}

mote_ir_graph *mote_ir_head(const mote_ir_graph *g, int32_t t, char *err, size_t errlen)
{
    uint8_t *mark = ancestors(g, t);
    if (!mark) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    mote_ir_graph *h = subgraph(g, mark, 1, g->inputs, g->n_inputs, &t, 1, err, errlen);
    free(mark);
    return h;
}

mote_ir_graph *mote_ir_tail(const mote_ir_graph *g, int32_t t, char *err, size_t errlen)
{
    uint8_t *mark = ancestors(g, t);
    if (!mark) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    mote_ir_graph *h = subgraph(g, mark, 0, &t, 1, g->outputs, g->n_outputs, err, errlen);
    free(mark);
    return h;
}

mote_ir_graph *mote_ir_join(const mote_ir_graph *head, const mote_ir_graph *tail, char *err, size_t errlen)
{
    if (head->n_outputs != 1 || tail->n_inputs != 1) {
        snprintf(err, errlen, "join: the first part needs one output and the second one input");
        return NULL;
    }
    const mote_tensor *ho = &head->tensors[head->outputs[0]].t, *ti = &tail->tensors[tail->inputs[0]].t;
    if (ho->type != ti->type || ho->bytes != ti->bytes || ho->q.n != ti->q.n ||
        (ho->q.n >= 1 && (ho->q.scale[0] != ti->q.scale[0] || ho->q.zero_point[0] != ti->q.zero_point[0]))) {
        snprintf(err, errlen, "join: '%s' (%s, %zu bytes) does not feed '%s' (%s, %zu bytes) as it is",
                 head->tensors[head->outputs[0]].name, mote_dtype_name((mote_dtype)ho->type), ho->bytes,
                 tail->tensors[tail->inputs[0]].name, mote_dtype_name((mote_dtype)ti->type), ti->bytes);
        return NULL;
    }
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, errlen);
    int32_t *hm = malloc(sizeof(int32_t) * (size_t)(head->n_tensors + 1));
    int32_t *tm = malloc(sizeof(int32_t) * (size_t)(tail->n_tensors + 1));
    int ok = g && hm && tm;
    if (!ok) mote_irb_fail(&b, "out of memory");
    for (int32_t k = 0; ok && k < head->n_tensors; k++) hm[k] = -1;
    for (int32_t k = 0; ok && k < tail->n_tensors; k++) tm[k] = -1;
    ok = ok && !mote_irb_append(&b, head, hm, "");
    int32_t link = ok ? hm[head->outputs[0]] : -1;
    int same = ho->rank == ti->rank && !memcmp(ho->dims, ti->dims, sizeof(int32_t) * ho->rank);
    if (ok && !same) { /* the same bytes in the second part's shape */
        int32_t r = mote_irb_copy_tensor(&b, &tail->tensors[tail->inputs[0]], "joined_");
        mote_opts o = mote_irb_opts();
        ok = r >= 0 && !mote_irb_op(&b, MOTE_OP_RESHAPE, &link, 1, &r, 1, &o);
        link = r;
    }
    if (ok) tm[tail->inputs[0]] = link;
    ok = ok && !mote_irb_append(&b, tail, tm, "");
    int32_t in[8], out[8];
    for (int i = 0; ok && i < head->n_inputs && i < 8; i++) in[i] = hm[head->inputs[i]];
    for (int i = 0; ok && i < tail->n_outputs && i < 8; i++) out[i] = tm[tail->outputs[i]];
    ok = ok && head->n_inputs <= 8 && tail->n_outputs <= 8 &&
         !mote_irb_io(&b, in, head->n_inputs, out, tail->n_outputs);
    if (ok && head->description) g->description = strdup(head->description);
    free(hm);
    free(tm);
    if (!ok) {
        mote_ir_free(g);
        return NULL;
    }
    return g;
}
