/* Front door of the compiler (import.h): read, pick the reader, run the passes. */
#include "import/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx/import.h"
#include "import/tflite/import.h"
#include "passes/passes.h"

mote_model_format mote_detect_format(const uint8_t *b, size_t len)
{
    if (len >= 8 && !memcmp(b + 4, "TFL3", 4)) return MOTE_FORMAT_TFLITE;
    if (mote_onnx_probe(b, len)) return MOTE_FORMAT_ONNX;
    return MOTE_FORMAT_UNKNOWN;
}

const char *mote_format_name(mote_model_format f)
{
    return f == MOTE_FORMAT_TFLITE ? "TFLite" : f == MOTE_FORMAT_ONNX ? "ONNX" : "unknown";
}

mote_ir_graph *mote_import(uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    mote_ir_graph *g = NULL;
    mote_model_format f = mote_detect_format(buf, len);
    /* a .onnx file that does not parse gets the ONNX reader's reason */
    size_t nl = strlen(name);
    if (f == MOTE_FORMAT_UNKNOWN && nl >= 5 && !strcmp(name + nl - 5, ".onnx")) f = MOTE_FORMAT_ONNX;
    switch (f) {
    case MOTE_FORMAT_TFLITE: g = mote_tflite_import(buf, len, name, err, errlen); break;
    case MOTE_FORMAT_ONNX: g = mote_onnx_import(buf, len, name, err, errlen); break;
    default:
        free(buf);
        snprintf(err, errlen, "%s: not a TFLite model (no TFL3 identifier) nor an ONNX model (no ModelProto "
                 "with a graph)", name);
        return NULL;
    }
    if (g && mote_passes_run(g, name, err, errlen) != 0) {
        mote_ir_free(g);
        return NULL;
    }
    return g;
}

mote_ir_graph *mote_import_bytes(const uint8_t *data, size_t len, const char *name, char *err, size_t errlen)
{
    if (len > ((size_t)1 << 31)) {
        snprintf(err, errlen, "%s: model larger than 2 GiB", name);
        return NULL;
    }
    uint8_t *buf = aligned_alloc(16, len ? (len + 15) & ~(size_t)15 : 16);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory (%zu bytes)", name, len);
        return NULL;
    }
    if (len) memcpy(buf, data, len);
    return mote_import(buf, len, name, err, errlen);
}

mote_ir_graph *mote_import_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open file", path);
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            if (cap > ((size_t)1 << 31)) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "%s: file larger than 2 GiB", path);
                return NULL;
            }
            /* 16-byte alignment so constant tensors can be read in place */
            uint8_t *nb = aligned_alloc(16, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return NULL;
            }
            if (len) memcpy(nb, buf, len);
            free(buf);
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int read_err = ferror(f);
    fclose(f);
    if (read_err) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return NULL;
    }
    return mote_import(buf, len, path, err, errlen);
}
