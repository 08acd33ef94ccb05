/* Internals shared by the front ends (mote/frontend.h). */
#ifndef MOTE_FRONTEND_INTERNAL_H
#define MOTE_FRONTEND_INTERNAL_H

#include "host_model.h"
#include "ir/build.h"
#include "mote/frontend.h"

struct fe_frontend {
    fe_kind kind;
    mote_ir_graph *graph;   /* raw int16 -> int8 features (owned) */
    mote_host_model *hm;    /* the same graph, written as TFLite, read back and prepared for this host */
    size_t raw;             /* int16 values per inference */
    float raw_scale;        /* loader value * raw_scale = int16 sample (audio 32768, motion 1) */
    tr_shape feat;
    float scale;            /* features: real = scale * (q - zp) */
    int32_t zp;
    int16_t *in;            /* raw (one inference) */
    int8_t *out;            /* features (one inference) */
};

/* A new front end of kind with its fields zeroed (NULL: out of memory). */
fe_frontend *fe_alloc(fe_kind kind);
/* After fe->graph, raw, raw_scale, feat, scale and zp are set: the host model and the buffers. The host
 * model is made from the graph's TFLite bytes, as a device would get them. */
int fe_finish(fe_frontend *fe, char *err, size_t errlen);
/* Raw int16 of one example in the loader's layout (rounded, saturated). */
void fe_to_int16(const fe_frontend *fe, const float *example, int16_t *raw);
/* Runs fe->hm on fe->in into fe->out. */
void fe_run_raw(fe_frontend *fe);

#endif
