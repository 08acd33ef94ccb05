/* Scoring a model file on a dataset (tp_score_file, mote/pipeline.h) with mote's host runtime: the
 * numbers a device running that file would give. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_model.h"
#include "mote/pipeline.h"

void tp_example_input(const mote_tensor *in, const float *x, size_t n, float raw_scale, uint8_t *dst)
{
    for (size_t i = 0; i < n; i++) {
        if (in->type == MOTE_F32) {
            ((float *)(void *)dst)[i] = x[i];
        } else if (in->type == MOTE_I16) {
            ((int16_t *)(void *)dst)[i] = fe_raw_sample(x[i], raw_scale);
        } else {
            float v = nearbyintf(x[i] / in->q.scale[0]) + (float)in->q.zero_point[0];
            ((int8_t *)dst)[i] = (int8_t)(v > 127.0f ? 127 : v < -128.0f ? -128 : v);
        }
    }
}

static int argmax(const mote_tensor *out, const uint8_t *y, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++) {
        double a = out->type == MOTE_F32 ? ((const float *)(const void *)y)[k] : ((const int8_t *)y)[k];
        double b = out->type == MOTE_F32 ? ((const float *)(const void *)y)[best] : ((const int8_t *)y)[best];
        if (a > b) best = k;
    }
    return best;
}

int tp_score_file(const char *path, const ds_dataset *ds, const size_t *idx, size_t n, float raw_scale,
                  tp_score *s, char *err, size_t errlen)
{
    char e[512] = "";
    s->n = 0;
    s->accuracy = NAN;
    mote_host_model *hm = mote_host_model_load(path, e, sizeof e);
    if (!hm) {
        snprintf(err, errlen, "%s: %s", path, e);
        return -1;
    }
    const mote_ir_graph *g = hm->g;
    const mote_tensor *in = &g->tensors[g->inputs[0]].t, *out = &g->tensors[g->outputs[0]].t;
    size_t in_n = in->bytes / mote_dtype_size((mote_dtype)in->type);
    int classes = (int)(out->bytes / mote_dtype_size((mote_dtype)out->type));
    const char *bad = NULL;
    if (g->n_inputs != 1) bad = "the model has more than one input";
    else if (in->type != MOTE_F32 && in->type != MOTE_I16 && !(in->type == MOTE_I8 && in->q.n == 1))
        bad = "the model's input is not float32, int16 or per-tensor int8";
    else if (out->type != MOTE_F32 && out->type != MOTE_I8) bad = "the model's output is not float32 or int8";
    else if (in_n != ds->example_size) bad = "the model's input size differs from the dataset's examples";
    else if (classes != ds->n_labels) bad = "the model's output count differs from the dataset's labels";
    if (bad) {
        snprintf(err, errlen, "%s: %s (input %zu values, %d outputs; dataset: %zu values per example, %d labels)", path, bad,
                 in_n, classes, ds->example_size, ds->n_labels);
        mote_host_model_free(hm);
        return -1;
    }
    uint8_t *ib = malloc(mote_host_input_bytes(hm)), *ob = malloc(mote_host_output_bytes(hm));
    int *conf = calloc((size_t)classes * (size_t)classes, sizeof(int));
    if (!ib || !ob || !conf) {
        free(ib), free(ob), free(conf);
        mote_host_model_free(hm);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        tp_example_input(in, ds->x + idx[i] * ds->example_size, ds->example_size, raw_scale, ib);
        mote_host_run(hm, ib, ob);
        int p = argmax(out, ob, classes), y = ds->label[idx[i]];
        conf[y * classes + p]++;
        right += p == y;
    }
    free(s->confusion);
    s->confusion = conf;
    s->n = n;
    s->accuracy = n ? (double)right / (double)n : NAN;
    free(ib), free(ob);
    mote_host_model_free(hm);
    return 0;
}
