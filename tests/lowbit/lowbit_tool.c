/* Test and bench helper: a model with its conv / depthwise / fully connected
 * filters turned to int4 by mote_lowbit_weights, written as .tflite.
 *
 *   lowbit_tool IN.tflite OUT.tflite [--bits 4|1] [--keep-ends] [--op N]...
 *
 * Without --op every qualifying op is converted (--keep-ends: but the first
 * and the last, mote_lowbit_all_keep). Prints the ops converted and
 * the constant bytes before and after. The public `mote quantize --bits 4|1`
 * calls the same functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/tflite_write.h"
#include "import/import.h"
#include "quant/lowbit.h"

static size_t const_bytes(const mote_ir_graph *g)
{
    size_t s = 0;
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].t.flags & MOTE_TENSOR_CONST) s += g->tensors[i].t.bytes;
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: lowbit_tool IN.tflite OUT.tflite [--bits 4|1] [--keep-ends] [--op N]...\n");
        return 2;
    }
    int bits = 4, n_ops = 0, keep_ends = 0;
    int32_t ops[256];
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--bits") && i + 1 < argc) bits = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--keep-ends")) keep_ends = 1;
        else if (!strcmp(argv[i], "--op") && i + 1 < argc && n_ops < 256) ops[n_ops++] = atoi(argv[++i]);
        else {
            fprintf(stderr, "lowbit_tool: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    char err[512] = "";
    mote_ir_graph *g = mote_import_file(argv[1], err, sizeof err);
    if (!g) {
        fprintf(stderr, "lowbit_tool: %s\n", err);
        return 1;
    }
    size_t before = const_bytes(g);
    int32_t done = 0;
    int rc = 0;
    if (n_ops == 0) {
        rc = mote_lowbit_all_keep(g, bits, keep_ends, &done, err, sizeof err);
    } else {
        for (int i = 0; i < n_ops && rc == 0; i++, done++) rc = mote_lowbit_weights(g, ops[i], bits, err, sizeof err);
    }
    if (rc != 0) {
        fprintf(stderr, "lowbit_tool: %s: %s\n", argv[1], err);
        mote_ir_free(g);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    if (mote_tflite_write(g, &buf, &len, err, sizeof err) != 0) {
        fprintf(stderr, "lowbit_tool: writing: %s\n", err);
        mote_ir_free(g);
        return 1;
    }
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "lowbit_tool: cannot write %s\n", argv[2]);
        free(buf);
        mote_ir_free(g);
        return 1;
    }
    printf("%d ops to %d-bit weights; constant bytes %zu -> %zu; %s: %zu bytes\n", (int)done, bits, before,
           const_bytes(g), argv[2], len);
    free(buf);
    mote_ir_free(g);
    return 0;
}
