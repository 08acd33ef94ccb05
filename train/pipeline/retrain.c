/* A float model file taken apart to train it again (mote/pipeline.h: tp_retrain): its integer front end,
 * if it has one, kept as a graph; its classifier as a training-engine model with the file's weights; the
 * dataset's examples as the classifier sees them (the front end run on the host runtime, its int8
 * features dequantized). After training, the classifier is exported and joined to the front end again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/tflite_write.h"
#include "host_model.h"
#include "import/import.h"
#include "ir/build.h"
#include "mote/export.h"
#include "mote/pipeline.h"

static int fail(char *err, size_t errlen, const char *what, const char *detail)
{
    snprintf(err, errlen, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return -1;
}

/* The DEQUANTIZE that hands a front end's int8 features to a float classifier, or -1. */
static int32_t front_end_cut(const mote_ir_graph *g)
{
    for (int32_t o = 0; o < g->n_ops; o++) {
        const mote_ir_op *op = &g->ops[o];
        if (op->op != MOTE_OP_DEQUANTIZE) continue;
        const mote_tensor *in = &g->tensors[op->io[0]].t, *out = &g->tensors[op->io[1]].t;
        if (in->type == MOTE_I8 && !(in->flags & MOTE_TENSOR_CONST) && in->q.n == 1 && out->type == MOTE_F32) return o;
    }
    return -1;
}

/* Every example of ds through the front end (or as it is) into the classifier's float input. */
static int features(tp_retrain *r, char *err, size_t errlen)
{
    char e[512] = "";
    mote_host_model *hm = NULL;
    if (r->head8) {
        mote_ir_graph *h = mote_ir_clone(r->head8, e, sizeof e);
        if (!h || !(hm = mote_host_model_new(h, "front end", e, sizeof e))) return fail(err, errlen, "front end", e);
    }
    const ds_dataset *ds = r->ds;
    const size_t fs = tr_shape_size(r->shape);
    const mote_tensor *hin = hm ? &hm->m.tensors[hm->m.inputs[0]] : NULL;
    const mote_tensor *cin = &r->cls_graph->tensors[r->cls_graph->inputs[0]].t;
    if ((hin ? hin->bytes / mote_dtype_size((mote_dtype)hin->type) : fs) != ds->example_size) {
        mote_host_model_free(hm);
        snprintf(err, errlen, "the model's input takes %zu values, the dataset's examples have %zu",
                 hin ? hin->bytes / mote_dtype_size((mote_dtype)hin->type) : fs, ds->example_size);
        return -1;
    }
    uint8_t *in = malloc((hin ? hin->bytes : cin->bytes) + 1), *out = malloc(fs + 1);
    int rc = in && out ? 0 : fail(err, errlen, "out of memory", NULL);
    for (int s = 0; !rc && s < 3; s++) {
        size_t n = ds_count(ds, s, -1), *idx = malloc(sizeof(size_t) * (n + 1));
        r->x[s] = malloc(sizeof(float) * fs * (n + 1));
        r->y[s] = malloc(sizeof(int32_t) * (n + 1));
        if (!idx || !r->x[s] || !r->y[s]) rc = fail(err, errlen, "out of memory", NULL);
        if (!rc) ds_indices(ds, s, idx);
        for (size_t i = 0; !rc && i < n; i++) {
            const float *ex = ds->x + idx[i] * ds->example_size;
            float *f = r->x[s] + i * fs;
            r->y[s][i] = ds->label[idx[i]];
            if (!hm) {
                memcpy(f, ex, sizeof(float) * fs);
                continue;
            }
            tp_example_input(hin, ex, ds->example_size, r->raw_scale, in);
            mote_host_run(hm, in, out);
            for (size_t k = 0; k < fs; k++) f[k] = r->in_scale * (float)((int32_t)(int8_t)out[k] - r->in_zp);
        }
        r->n[s] = (int)n;
        free(idx);
    }
    free(in);
    free(out);
    mote_host_model_free(hm);
    return rc;
}

int tp_retrain_open(tp_retrain *r, const char *path, const char *data, const ds_options *o, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char e[512] = "";
    if (!(r->g = mote_import_file(path, e, sizeof e))) return fail(err, errlen, path, e);
    int32_t cut = front_end_cut(r->g);
    if (cut >= 0) {
        const mote_ir_op *d = &r->g->ops[cut];
        const mote_tensor *q = &r->g->tensors[d->io[0]].t;
        r->in_scale = q->q.scale[0];
        r->in_zp = q->q.zero_point[0];
        if (!(r->head8 = mote_ir_head(r->g, d->io[0], e, sizeof e)) || !(r->headf = mote_ir_head(r->g, d->io[1], e, sizeof e)) ||
            !(r->cls_graph = mote_ir_tail(r->g, d->io[1], e, sizeof e)))
            return fail(err, errlen, "taking the front end apart", e);
    } else if (!(r->cls_graph = mote_ir_clone(r->g, e, sizeof e))) {
        return fail(err, errlen, "copying the model", e);
    }
    if (!(r->cls = tr_import_float(r->cls_graph, e, sizeof e))) return fail(err, errlen, "the classifier", e);
    tr_node_info in;
    tr_model_node(r->cls, tr_model_input(r->cls), &in);
    r->shape = in.shape;
    const mote_tensor *min = &r->g->tensors[r->g->inputs[0]].t;
    r->raw_scale = min->type == MOTE_I16 && min->rank == 1 ? 32768.0f : 1.0f;
    if (ds_load(data, o, &r->ds, e, sizeof e)) return fail(err, errlen, data, e);
    return features(r, err, errlen);
}

tr_dataset tp_retrain_split(const tp_retrain *r, int split)
{
    return (tr_dataset){r->x[split], r->y[split], r->n[split], r->shape};
}

int tp_retrain_export(tp_retrain *r, tr_model *m, const char *float_path, const char *int8_path, char *err,
                      size_t errlen)
{
    char e[512] = "";
    mote_ir_graph *f = tr_export_float(m, e, sizeof e), *q = NULL, *jf = NULL, *jq = NULL;
    int rc = f ? 0 : fail(err, errlen, "float export", e);
    /* int8 calibrated on up to 512 training examples spread over the split */
    const size_t fs = tr_shape_size(r->shape), ntr = (size_t)r->n[0], nc = ntr < 512 ? ntr : 512;
    float *cx = malloc(sizeof(float) * fs * (nc + 1));
    if (!rc && !cx) rc = fail(err, errlen, "out of memory", NULL);
    for (size_t i = 0; !rc && i < nc; i++) memcpy(cx + i * fs, r->x[0] + (i * ntr / nc) * fs, sizeof(float) * fs);
    tr_dataset calib = {cx, NULL, (int)nc, r->shape};
    if (!rc && !(q = r->head8 ? tr_export_int8_input(m, &calib, r->in_scale, r->in_zp, e, sizeof e)
                              : tr_export_int8(m, &calib, e, sizeof e)))
        rc = fail(err, errlen, "int8 export", e);
    free(cx);
    if (!rc && r->head8) {
        if (!(jf = mote_ir_join(r->headf, f, e, sizeof e)) || !(jq = mote_ir_join(r->head8, q, e, sizeof e)))
            rc = fail(err, errlen, "joining the front end", e);
    }
    const mote_ir_graph *wf = jf ? jf : f, *wq = jq ? jq : q;
    if (!rc && r->g->description) { /* what the model says about its input (e.g. the sample rate) carries over */
        free(((mote_ir_graph *)wf)->description);
        free(((mote_ir_graph *)wq)->description);
        ((mote_ir_graph *)wf)->description = strdup(r->g->description);
        ((mote_ir_graph *)wq)->description = strdup(r->g->description);
    }
    if (!rc && (tr_export_write(wf, float_path, e, sizeof e) || tr_export_write(wq, int8_path, e, sizeof e)))
        rc = fail(err, errlen, "writing", e);
    mote_ir_free(f);
    mote_ir_free(q);
    mote_ir_free(jf);
    mote_ir_free(jq);
    return rc;
}

void tp_retrain_close(tp_retrain *r)
{
    mote_ir_free(r->g);
    mote_ir_free(r->head8);
    mote_ir_free(r->headf);
    mote_ir_free(r->cls_graph);
    tr_model_free(r->cls);
    ds_free(r->ds);
    for (int s = 0; s < 3; s++) {
        free(r->x[s]);
        free(r->y[s]);
    }
    memset(r, 0, sizeof *r);
}
