/* mote_infer_stats: accumulate and write one window (mote/infer_stats.h). */
#include <string.h>

#include "codec.h"
#include "mote/infer_stats.h"

void mote_stats_reset(mote_infer_stats *s)
{
    memset(s, 0, sizeof *s);
}

/* Element i of t as an integer in the tensor's units (float: 1/256ths), and whether it sits at the type's limits. */
static int64_t unit_value(const mote_tensor *t, int64_t i, int *at_limit)
{
    switch (t->type) {
    case MOTE_I8: {
        int8_t v = ((const int8_t *)t->data)[i];
        *at_limit = v == -128 || v == 127;
        return v;
    }
    case MOTE_U8: {
        uint8_t v = ((const uint8_t *)t->data)[i];
        *at_limit = v == 0 || v == 255;
        return v;
    }
    case MOTE_I16: {
        int16_t v = ((const int16_t *)t->data)[i];
        *at_limit = v == -32768 || v == 32767;
        return v;
    }
    case MOTE_F32: {
        float f = ((const float *)t->data)[i] * 256.0f;
        *at_limit = 0;
        if (!(f > -1e15f && f < 1e15f)) return 0; /* NaN or absurd: not summed as a value */
        return (int64_t)(f < 0 ? f - 0.5f : f + 0.5f);
    }
    default:
        *at_limit = 0;
        return 0;
    }
}

/* Element i of t dequantized (float as is). */
static float real_value(const mote_tensor *t, int64_t i)
{
    float scale = t->q.n ? t->q.scale[0] : 1.0f;
    int32_t zp = t->q.n ? t->q.zero_point[0] : 0;
    switch (t->type) {
    case MOTE_I8: return scale * (float)(((const int8_t *)t->data)[i] - zp);
    case MOTE_U8: return scale * (float)(((const uint8_t *)t->data)[i] - zp);
    case MOTE_I16: return scale * (float)(((const int16_t *)t->data)[i] - zp);
    case MOTE_F32: return ((const float *)t->data)[i];
    default: return 0.0f;
    }
}

static void add_input(mote_infer_stats *s, const mote_tensor *t)
{
    int64_t n = mote_tensor_elems(t);
    int32_t c = t->rank ? t->dims[t->rank - 1] : 1;
    if (n <= 0 || c <= 0 || !t->data) return;
    uint32_t groups = (uint32_t)(c < MOTE_STATS_MAX_FEATURES ? c : MOTE_STATS_MAX_FEATURES);
    if (s->n_features == 0) s->n_features = groups;
    for (int64_t i = 0; i < n; i++) {
        int at_limit;
        int64_t v = unit_value(t, i, &at_limit);
        /* feature f of the last axis folds into group f * groups / c */
        uint32_t g = (uint32_t)((int64_t)(i % c) * groups / c);
        if (g >= s->n_features) continue;
        s->feat_sum[g] += v;
        s->feat_sumsq[g] += (uint64_t)(v < 0 ? -v : v) * (uint64_t)(v < 0 ? -v : v);
        s->feat_values[g]++;
        s->feat_out_of_range[g] += (uint32_t)at_limit;
    }
}

int mote_stats_add(mote_infer_stats *s, const mote_model *m, uint64_t latency_us, int ok, uint16_t *conf_permille)
{
    if (conf_permille) *conf_permille = 0;
    s->n++;
    uint32_t b = 0;
    while (b + 1 < MOTE_STATS_LAT_BUCKETS && latency_us >= ((uint64_t)64 << b)) b++;
    s->latency[b]++;
    if (!ok || m->n_outputs < 1 || m->n_inputs < 1) {
        s->errors++;
        return -1;
    }
    add_input(s, &m->tensors[m->inputs[0]]);
    const mote_tensor *o = &m->tensors[m->outputs[0]];
    int64_t n = mote_tensor_elems(o);
    if (n <= 0 || !o->data) return -1;
    int64_t best = 0;
    float top = real_value(o, 0);
    for (int64_t i = 1; i < n; i++) {
        float v = real_value(o, i);
        if (v > top) top = v, best = i;
    }
    if (best < MOTE_STATS_MAX_CLASSES) {
        s->classes[best]++;
        if ((uint32_t)best + 1 > s->n_classes) s->n_classes = (uint32_t)best + 1;
    }
    int bin = top <= 0.0f ? 0 : top >= 1.0f ? MOTE_STATS_CONF_BINS - 1 : (int)(top * MOTE_STATS_CONF_BINS);
    s->confidence[bin]++;
    if (conf_permille) *conf_permille = (uint16_t)(top <= 0.0f ? 0 : top >= 1.0f ? 1000 : (int)(top * 1000.0f + 0.5f));
    return (int)best;
}

static void u32_array(mj_writer *w, const uint32_t *v, uint32_t n)
{
    mjw_raw(w, "[");
    for (uint32_t i = 0; i < n; i++) {
        if (i) mjw_raw(w, ",");
        mjw_u64(w, v[i]);
    }
    mjw_raw(w, "]");
}

size_t mote_stats_json(const mote_infer_stats *s, char *buf, size_t cap)
{
    mj_writer w;
    mjw_init(&w, buf, cap);
    mjw_raw(&w, "{");
    mjw_key(&w, "n", 1);
    mjw_u64(&w, s->n);
    mjw_key(&w, "errors", 0);
    mjw_u64(&w, s->errors);
    mjw_key(&w, "classes", 0);
    u32_array(&w, s->classes, s->n_classes);
    mjw_key(&w, "confidence", 0);
    u32_array(&w, s->confidence, MOTE_STATS_CONF_BINS);
    mjw_key(&w, "features", 0);
    mjw_raw(&w, "{");
    mjw_key(&w, "sum", 1);
    mjw_raw(&w, "[");
    for (uint32_t i = 0; i < s->n_features; i++) {
        if (i) mjw_raw(&w, ",");
        if (s->feat_sum[i] < 0) mjw_raw(&w, "-");
        mjw_u64(&w, s->feat_sum[i] < 0 ? (uint64_t)0 - (uint64_t)s->feat_sum[i] : (uint64_t)s->feat_sum[i]);
    }
    mjw_raw(&w, "]");
    mjw_key(&w, "sumsq", 0);
    mjw_raw(&w, "[");
    for (uint32_t i = 0; i < s->n_features; i++) {
        if (i) mjw_raw(&w, ",");
        mjw_u64(&w, s->feat_sumsq[i]);
    }
    mjw_raw(&w, "]");
    mjw_key(&w, "values", 0);
    u32_array(&w, s->feat_values, s->n_features);
    mjw_key(&w, "out_of_range", 0);
    u32_array(&w, s->feat_out_of_range, s->n_features);
    mjw_raw(&w, "}");
    mjw_key(&w, "latency_us_log2", 0);
    u32_array(&w, s->latency, MOTE_STATS_LAT_BUCKETS);
    mjw_raw(&w, "}");
    return mjw_end(&w) == 0 ? w.len : 0;
}
