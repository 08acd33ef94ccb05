/* Candidates of the mixed-precision search, scored and costed (quant_mixed.h). */
#include "quant_mixed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/tflite_write.h"
#include "estimate.h"
#include "host_model.h"
#include "ir/build.h"

static double real_out(const mote_tensor *t, const uint8_t *b, size_t i)
{
    if (t->type == MOTE_F32) return ((const float *)(const void *)b)[i];
    double q = ((const int8_t *)b)[i];
    return t->q.n >= 1 ? t->q.scale[0] * (q - t->q.zero_point[0]) : q;
}

int quant_mixed_eval(void *user, const mote_ir_graph *g, double *accuracy, double *error, char *err, size_t errlen)
{
    quant_mixed_ctx *c = user;
    mote_ir_graph *copy = mote_ir_clone(g, err, errlen);
    mote_host_model *hm = copy ? mote_host_model_new(copy, "candidate", err, errlen) : NULL;
    if (!hm) return -1;
    const mote_tensor *in = &hm->m.tensors[hm->m.inputs[0]], *out = &hm->m.tensors[hm->m.outputs[0]];
    uint8_t *x = malloc(in->bytes + 1), *y = malloc(mote_host_output_bytes(hm) + 1);
    long right = 0;
    double d2 = 0, r2 = 0;
    int rc = x && y ? 0 : -1;
    for (long i = 0; !rc && i < c->n; i++) {
        if (c->feed(c->src, i, in, x, err, errlen)) {
            rc = -1;
            break;
        }
        mote_host_run(hm, x, y);
        size_t best = 0;
        for (size_t k = 0; k < c->out_n; k++) {
            double v = real_out(out, y, k), f = c->ref[(size_t)i * c->out_n + k];
            d2 += (v - f) * (v - f);
            r2 += f * f;
            if (v > real_out(out, y, best)) best = k;
        }
        right += (int)best == c->labels[i];
    }
    free(x);
    free(y);
    mote_host_model_free(hm);
    *accuracy = c->n ? (double)right / (double)c->n : 0;
    *error = r2 > 0 ? sqrt(d2 / r2) : 0;
    c->evals++;
    return rc;
}

int quant_mixed_cost(void *user, const mote_ir_graph *g, double *flash, double *ms, int *fits, char *err, size_t errlen)
{
    quant_mixed_ctx *c = user;
    char path[128];
    snprintf(path, sizeof path, "%s/candidate.tflite", c->dir);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (mote_tflite_write(g, &bytes, &len, err, errlen)) return -1;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f)) ok = 0;
    free(bytes);
    if (!ok) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    cli_estimate_t e;
    int rc = cli_estimate(path, c->target, &e, err, errlen);
    unlink(path);
    if (rc) return -1;
    *flash = e.flash;
    *ms = e.ms;
    *fits = e.fits;
    return 0;
}

static const char *layer_name(const mote_ir_graph *q, int32_t op, char buf[MOTE_IR_SHORT_NAME])
{
    const mote_ir_op *o = &q->ops[op];
    return mote_ir_short_name(q->tensors[o->io[o->n_in]].name ? q->tensors[o->io[o->n_in]].name : "", buf);
}

void quant_mixed_print(FILE *f, const mote_mixed_result *r, const mote_ir_graph *q)
{
    const mote_mixed_point *c = &r->points[r->chosen];
    fprintf(f, "  mixed precision (float %.2f%% on the calibration samples): %s, %.2f%%, flash %.0f bytes, %.3f ms\n",
            100 * r->float_accuracy, c->label, 100 * c->accuracy, c->flash, c->ms);
    fprintf(f, "  %4s %-18s %-40s %10s %9s  %s\n", "op", "type", "layer", "alone int4", "saves", "width: why");
    for (int i = 0; i < r->n_layers; i++) {
        const mote_mixed_layer *l = &r->layers[i];
        char nb[MOTE_IR_SHORT_NAME];
        fprintf(f, "  %4d %-18s %-40.40s %9.2f%% %9.0f  %s\n", (int)l->op, mote_op_name(q->ops[l->op].op),
                layer_name(q, l->op, nb), 100 * l->accuracy, l->saved, l->why ? l->why : "");
    }
    fprintf(f, "  %-14s %9s %11s %9s %6s %6s\n", "point", "accuracy", "flash", "ms", "front", "int4");
    for (int k = 0; k < r->n_points; k++) {
        const mote_mixed_point *p = &r->points[k];
        int n4 = 0;
        for (int i = 0; i < r->n_layers; i++) n4 += p->int4[i];
        fprintf(f, "  %-14s %8.2f%% %11.0f %9.3f %6s %6d%s\n", p->label, 100 * p->accuracy, p->flash, p->ms,
                p->pareto ? "yes" : "", n4, k == r->chosen ? "   <- chosen" : "");
    }
}

json_t *quant_mixed_json(const mote_mixed_result *r, const mote_ir_graph *q)
{
    json_t *layers = json_array(), *points = json_array();
    for (int i = 0; i < r->n_layers; i++) {
        const mote_mixed_layer *l = &r->layers[i];
        char nb[MOTE_IR_SHORT_NAME];
        json_array_append_new(layers, json_pack("{s:i,s:s,s:s,s:i,s:f,s:f,s:f,s:s?}", "op", (int)l->op, "type",
                                                mote_op_name(q->ops[l->op].op), "name", layer_name(q, l->op, nb),
                                                "bits", l->bits, "accuracy_alone_int4", l->accuracy, "error_alone_int4",
                                                l->error, "flash_saved_alone", l->saved, "why", l->why));
    }
    for (int k = 0; k < r->n_points; k++) {
        const mote_mixed_point *p = &r->points[k];
        json_t *ops = json_array();
        for (int i = 0; i < r->n_layers; i++)
            if (p->int4[i]) json_array_append_new(ops, json_integer(r->layers[i].op));
        json_array_append_new(points, json_pack("{s:s,s:f,s:f,s:f,s:f,s:b,s:b,s:b,s:o}", "label", p->label, "accuracy",
                                                p->accuracy, "error", p->error, "flash", p->flash, "ms", p->ms, "fits",
                                                p->fits, "pareto", p->pareto, "chosen", k == r->chosen, "int4_ops", ops));
    }
    return json_pack("{s:f,s:i,s:o,s:o}", "float_accuracy", r->float_accuracy, "chosen", r->chosen, "layers", layers,
                     "points", points);
}
