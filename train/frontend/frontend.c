/* What the front ends share (mote/frontend.h): preparing a front-end graph on the host, running it, and
 * joining it to a classifier. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/tflite_write.h"
#include "import/import.h"
#include "internal.h"

static int fail(char *err, size_t errlen, const char *msg, const char *detail)
{
    if (err && errlen) snprintf(err, errlen, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
    return -1;
}

fe_frontend *fe_alloc(fe_kind kind)
{
    fe_frontend *fe = calloc(1, sizeof *fe);
    if (fe) fe->kind = kind;
    return fe;
}

void fe_free(fe_frontend *fe)
{
    if (!fe) return;
    mote_ir_free(fe->graph);
    mote_host_model_free(fe->hm);
    free(fe->in);
    free(fe->out);
    free(fe);
}

int fe_finish(fe_frontend *fe, char *err, size_t errlen)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    char e[256] = "";
    if (mote_tflite_write(fe->graph, &bytes, &len, e, sizeof e)) return fail(err, errlen, "front end: writing its graph", e);
    mote_ir_graph *g = mote_import_bytes(bytes, len, "front end", e, sizeof e);
    free(bytes);
    if (!g) return fail(err, errlen, "front end: reading its graph back", e);
    if (!(fe->hm = mote_host_model_new(g, "front end", e, sizeof e))) return fail(err, errlen, "front end: preparing its graph", e);
    if (mote_host_input_bytes(fe->hm) != fe->raw * sizeof(int16_t) ||
        mote_host_output_bytes(fe->hm) != tr_shape_size(fe->feat))
        return fail(err, errlen, "front end: its graph's input or output size differs from its parameters", NULL);
    fe->in = malloc(fe->raw * sizeof(int16_t));
    fe->out = malloc(tr_shape_size(fe->feat));
    if (!fe->in || !fe->out) return fail(err, errlen, "front end: out of memory", NULL);
    return 0;
}

int16_t fe_raw_sample(float value, float scale)
{
    float v = nearbyintf(value * scale);
    return (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : v);
}

void fe_to_int16(const fe_frontend *fe, const float *example, int16_t *raw)
{
    for (size_t i = 0; i < fe->raw; i++) raw[i] = fe_raw_sample(example[i], fe->raw_scale);
}

void fe_run_raw(fe_frontend *fe) { mote_host_run(fe->hm, (const uint8_t *)fe->in, (uint8_t *)fe->out); }

fe_kind fe_get_kind(const fe_frontend *fe) { return fe->kind; }
size_t fe_raw_samples(const fe_frontend *fe) { return fe->raw; }
tr_shape fe_feature_shape(const fe_frontend *fe) { return fe->feat; }
const mote_ir_graph *fe_graph(const fe_frontend *fe) { return fe->graph; }

void fe_feature_quant(const fe_frontend *fe, float *scale, int32_t *zero_point)
{
    *scale = fe->scale;
    *zero_point = fe->zp;
}

int fe_features(fe_frontend *fe, const float *example, int8_t *q, float *f, char *err, size_t errlen)
{
    for (size_t i = 0; i < fe->raw; i++)
        if (!isfinite(example[i])) return fail(err, errlen, "front end: the example has a NaN or infinite sample", NULL);
    fe_to_int16(fe, example, fe->in);
    fe_run_raw(fe);
    size_t n = tr_shape_size(fe->feat);
    if (q) memcpy(q, fe->out, n);
    if (f)
        for (size_t i = 0; i < n; i++) f[i] = fe->scale * (float)((int32_t)fe->out[i] - fe->zp);
    return 0;
}

/* ---- copying and chaining graphs ---- */

static int32_t *new_map(int32_t n)
{
    int32_t *m = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (m)
        for (int32_t i = 0; i < n; i++) m[i] = -1;
    return m;
}

mote_ir_graph *fe_graph_copy(const mote_ir_graph *g)
{
    char err[128] = "";
    return mote_ir_clone(g, err, sizeof err);
}

mote_ir_graph *fe_chain(const fe_frontend *fe, const mote_ir_graph *cls, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    const mote_ir_graph *f = fe->graph;
    if (cls->n_inputs != 1 || cls->n_outputs < 1) {
        fail(err, errlen, "front end: the classifier must have one input", NULL);
        return NULL;
    }
    const mote_ir_tensor *ci = &cls->tensors[cls->inputs[0]];
    const mote_tensor *fo = &f->tensors[f->outputs[0]].t;
    const int is_float = ci->t.type == MOTE_F32;
    if (is_float ? ci->t.bytes != fo->bytes * 4
                 : (ci->t.type != MOTE_I8 || ci->t.bytes != fo->bytes || ci->t.q.n != 1 ||
                    fabsf(ci->t.q.scale[0] - fe->scale) > 1e-6f * fe->scale || ci->t.q.zero_point[0] != fe->zp)) {
        fail(err, errlen, "front end: the classifier's input is neither the front end's int8 features nor their float32 values", NULL);
        return NULL;
    }
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, errlen);
    int32_t *fmap = new_map(f->n_tensors), *cmap = new_map(cls->n_tensors);
    int ok = g && fmap && cmap && !mote_irb_append(&b, f, fmap, "");
    if (ok) {
        int32_t feat = fmap[f->outputs[0]];
        int same = ci->t.rank == fo->rank && !memcmp(ci->t.dims, fo->dims, sizeof(int32_t) * fo->rank);
        mote_opts o = mote_irb_opts();
        if (!same) { /* the features in the classifier's shape */
            int32_t r = mote_irb_tensor(&b, "features_reshaped", MOTE_I8, ci->t.rank, ci->t.dims);
            ok = r >= 0 && !mote_irb_quant(&b, r, 1, 0, &fe->scale, &fe->zp) &&
                 !mote_irb_op(&b, MOTE_OP_RESHAPE, &feat, 1, &r, 1, &o);
            feat = r;
        }
        if (ok && is_float) { /* a float classifier takes the features' real values */
            int32_t r = mote_irb_copy_tensor(&b, ci, "");
            ok = r >= 0 && !mote_irb_op(&b, MOTE_OP_DEQUANTIZE, &feat, 1, &r, 1, &o);
            feat = r;
        }
        cmap[cls->inputs[0]] = feat;
    }
    ok = ok && !mote_irb_append(&b, cls, cmap, "");
    if (ok) {
        int32_t in = fmap[f->inputs[0]], out[8];
        for (int i = 0; i < cls->n_outputs && i < 8; i++) out[i] = cmap[cls->outputs[i]];
        ok = !mote_irb_io(&b, &in, 1, out, cls->n_outputs < 8 ? cls->n_outputs : 8);
    }
    if (ok) { /* "<front end> + <classifier>": mote eval reads the sample rate back from it */
        size_t len = strlen(f->description ? f->description : "") + strlen(cls->description ? cls->description : "") + 4;
        if ((ok = (g->description = malloc(len)) != NULL))
            snprintf(g->description, len, "%s + %s", f->description ? f->description : "", cls->description ? cls->description : "");
    }
    free(fmap);
    free(cmap);
    if (!ok) {
        if (err && errlen && !err[0]) snprintf(err, errlen, "front end: out of memory joining the graphs");
        mote_ir_free(g);
        return NULL;
    }
    return g;
}
