/* libFuzzer target: ONNX reader (protobuf-c parse, import, passes) +
 * prepare + plan + one invoke. Seeds: the fixtures of tests/onnx (copied by
 * `make fuzz`). A model file from outside must only ever produce an error
 * message: any crash, sanitizer report, leak or hang is a bug in mote. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host_model.h"
#include "import/import.h"

/* Keep each input fast: skip invoking models whose work is huge. */
#define MAX_MACS 20000000
#define MAX_ARENA (64u << 20)
/* A few varints in a graph input's shape ask for gigabytes: skip such graphs
 * before the host model allocates their arena (the importer's own cap is
 * 1 GiB per tensor, as TFLite's). */
#define MAX_TENSOR_SUM ((size_t)256 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    /* the .onnx name sends every input to the ONNX reader, parseable or not */
    mote_ir_graph *g = mote_import_bytes(data, size, "fuzz.onnx", err, sizeof err);
    if (!g) return 0;
    int64_t macs = 0;
    size_t sum = 0;
    for (int32_t i = 0; i < g->n_ops; i++) macs += mote_ir_stats(g, i).macs;
    for (int32_t i = 0; i < g->n_tensors; i++) sum += g->tensors[i].t.bytes;
    if (sum > MAX_TENSOR_SUM) {
        mote_ir_free(g);
        return 0;
    }
    mote_host_model *hm = mote_host_model_new(g, "fuzz", err, sizeof err);
    if (!hm) return 0;
    if (macs <= MAX_MACS && hm->arena_bytes <= MAX_ARENA) {
        size_t in = mote_host_input_bytes(hm), out = mote_host_output_bytes(hm);
        uint8_t *ib = calloc(1, in + 1), *ob = malloc(out + 1);
        if (ib && ob) mote_host_run(hm, ib, ob);
        free(ib);
        free(ob);
    }
    mote_host_model_free(hm);
    return 0;
}
