/* Node attributes and TensorProto payloads of the ONNX importer. Every
 * count and size comes from the file, so each is checked before use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

enum { AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_FLOATS = 6, AT_INTS = 7 };
enum { DT_FLOAT = 1, DT_INT32 = 6, DT_INT64 = 7 };

const onnx_attr *onnx_attr_get(onnx_imp *im, const char *name)
{
    for (size_t i = 0; i < im->node->n_attribute; i++) {
        const onnx_attr *a = im->node->attribute[i];
        if (a->name && !strcmp(a->name, name)) return a;
    }
    return NULL;
}

/* IR version 1 files have no type field: accept the value field alone. */
static int is_type(const onnx_attr *a, int type, int has_value)
{
    return a->has_type ? a->type == type : has_value;
}

int onnx_attr_i(onnx_imp *im, const char *name, int64_t def, int64_t *out)
{
    const onnx_attr *a = onnx_attr_get(im, name);
    *out = def;
    if (!a) return 0;
    if (!is_type(a, AT_INT, a->has_i)) return onnx_fail(im, "attribute '%s' must be an int", name);
    *out = a->i;
    return 0;
}

int onnx_attr_f(onnx_imp *im, const char *name, float def, float *out)
{
    const onnx_attr *a = onnx_attr_get(im, name);
    *out = def;
    if (!a) return 0;
    if (!is_type(a, AT_FLOAT, a->has_f)) return onnx_fail(im, "attribute '%s' must be a float", name);
    if (a->f != a->f) return onnx_fail(im, "attribute '%s' is NaN", name);
    *out = a->f;
    return 0;
}

int onnx_attr_ints(onnx_imp *im, const char *name, int64_t *out, int max, int *n)
{
    const onnx_attr *a = onnx_attr_get(im, name);
    *n = -1;
    if (!a) return 0;
    if (!is_type(a, AT_INTS, a->n_ints > 0)) return onnx_fail(im, "attribute '%s' must be a list of ints", name);
    if (a->n_ints > (size_t)max) return onnx_fail(im, "attribute '%s' has %zu values (at most %d)", name, a->n_ints, max);
    for (size_t i = 0; i < a->n_ints; i++) out[i] = a->ints[i];
    *n = (int)a->n_ints;
    return 0;
}

int onnx_attr_s(onnx_imp *im, const char *name, const char *def, char *out, size_t outlen)
{
    const onnx_attr *a = onnx_attr_get(im, name);
    snprintf(out, outlen, "%s", def);
    if (!a) return 0;
    if (!is_type(a, AT_STRING, a->has_s)) return onnx_fail(im, "attribute '%s' must be a string", name);
    size_t n = a->s.len < outlen - 1 ? a->s.len : outlen - 1;
    if (n) memcpy(out, a->s.data, n);
    out[n] = 0;
    return 0;
}

onnx_value *onnx_tensor_value(onnx_imp *im, const onnx_tensor *t, const char *name, const char *what)
{
    if (t->n_dims > MOTE_MAX_DIMS) {
        onnx_fail(im, "%s '%s': rank %zu (at most %d supported)", what, name, t->n_dims, MOTE_MAX_DIMS);
        return NULL;
    }
    if (t->has_data_location && t->data_location == 1) {
        onnx_fail(im, "%s '%s': external data is not supported", what, name);
        return NULL;
    }
    int32_t dims[MOTE_MAX_DIMS];
    int64_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 1 || t->dims[i] > ONNX_MAX_ELEMS || (n *= t->dims[i]) > ONNX_MAX_ELEMS) {
            onnx_fail(im, "%s '%s': dimension %zu is %lld", what, name, i, (long long)t->dims[i]);
            return NULL;
        }
        dims[i] = (int32_t)t->dims[i];
    }
    int dt = t->data_type;
    if (dt != DT_FLOAT && dt != DT_INT64 && dt != DT_INT32) {
        onnx_fail(im, "%s '%s': data type %d not supported (float32 tensors and int64 shapes only)", what, name, dt);
        return NULL;
    }
    /* int32 constants (rare: some exporters' axes) are kept as int64 */
    onnx_value *v = onnx_define(im, name, (int)t->n_dims, dims, dt == DT_FLOAT ? MOTE_F32 : MOTE_I64);
    if (!v) return NULL;
    size_t es = dt == DT_FLOAT ? 4 : 8;
    v->cdata = malloc((size_t)n * es + 1);
    if (!v->cdata) {
        onnx_fail(im, "out of memory");
        return NULL;
    }
    const size_t fes = dt == DT_INT64 ? 8 : 4; /* element size in the file */
    size_t have = t->has_raw_data ? t->raw_data.len
                  : dt == DT_FLOAT ? t->n_float_data * 4
                  : dt == DT_INT64 ? t->n_int64_data * 8
                                   : t->n_int32_data * 4;
    if (have != (size_t)n * fes) {
        onnx_fail(im, "%s '%s': holds %zu bytes, shape needs %zu", what, name, have, (size_t)n * fes);
        return NULL;
    }
    int64_t *i64 = (int64_t *)v->cdata;
    for (int64_t i = 0; i < n; i++) {
        if (t->has_raw_data) { /* little-endian bytes */
            const uint8_t *p = t->raw_data.data + (size_t)i * fes;
            uint64_t u = 0;
            for (size_t b = 0; b < fes; b++) u |= (uint64_t)p[b] << (8 * b);
            if (dt == DT_FLOAT) {
                uint32_t u32 = (uint32_t)u;
                memcpy((float *)v->cdata + i, &u32, 4);
            } else if (dt == DT_INT64) {
                i64[i] = (int64_t)u;
            } else {
                i64[i] = (int32_t)(uint32_t)u;
            }
        } else if (dt == DT_FLOAT) {
            ((float *)v->cdata)[i] = t->float_data[i];
        } else {
            i64[i] = dt == DT_INT64 ? t->int64_data[i] : t->int32_data[i];
        }
    }
    return v;
}
