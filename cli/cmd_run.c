/* mote run: raw input bytes in, raw output bytes out (the golden format). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "host_model.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote run MODEL --input IN.bin --output OUT.bin [--repeat N] [--dump-layers DIR]\n\n"
            "Runs MODEL (.tflite) once on IN.bin: the raw bytes of all inputs concatenated in model\n"
            "order. Writes all outputs, concatenated, to OUT.bin.\n\n"
            "  --repeat N          run N more times and print the median time per inference\n"
            "  --dump-layers DIR   write every op's outputs as DIR/opNNN_tTTT.bin\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run op by op (execution order) and save each op's outputs right after it
 * runs (buffers get reused later); files are named by the op's file index. */
static int dump_layers(mote_host_model *hm, const uint8_t *in, const char *dir)
{
    mote_model *m = &hm->m;
    for (int32_t i = 0; i < m->n_inputs; i++) {
        mote_tensor *t = &m->tensors[m->inputs[i]];
        memcpy(t->data, in, t->bytes);
        in += t->bytes;
    }
    for (int32_t n = 0; n < m->n_nodes; n++) {
        mote_invoke_range(m, n, n + 1);
        const mote_node *nd = &m->nodes[n];
        for (int k = 0; k < nd->n_out; k++) {
            int32_t ti = nd->io[nd->n_in + k];
            char path[4096];
            snprintf(path, sizeof path, "%s/op%03d_t%03d.bin", dir, (int)hm->plan.order[n], (int)ti); /* file op index */
            if (cli_write_file(path, m->tensors[ti].data, m->tensors[ti].bytes) != 0) return -1;
        }
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    const char *model = NULL, *in_path = NULL, *out_path = NULL, *dump = NULL;
    long repeat = 0;
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--input") || !strcmp(a, "--output") || !strcmp(a, "--repeat") ||
             !strcmp(a, "--dump-layers")) && i + 1 >= argc) {
            fprintf(stderr, "mote run: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--input")) in_path = argv[++i];
        else if (!strcmp(a, "--output")) out_path = argv[++i];
        else if (!strcmp(a, "--dump-layers")) dump = argv[++i];
        else if (!strcmp(a, "--repeat")) {
            if ((repeat = cli_parse_count("--repeat", argv[++i])) < 0) return 2;
        } else if (a[0] == '-') {
            fprintf(stderr, "mote run: unknown option %s\n", a);
            return 2;
        } else if (!model) model = a;
        else {
            fprintf(stderr, "mote run: unexpected argument %s\n", a);
            return 2;
        }
    }
    if (!model || !in_path || !out_path) {
        help(stderr);
        return 2;
    }
    char err[512];
    mote_host_model *hm = mote_host_model_load(model, err, sizeof err);
    if (!hm) {
        fprintf(stderr, "mote run: %s\n", err);
        return 1;
    }
    size_t in_len = 0;
    uint8_t *in = cli_read_file(in_path, &in_len);
    int rc = 1;
    uint8_t *out = NULL;
    if (!in) goto done;
    if (in_len != mote_host_input_bytes(hm)) {
        fprintf(stderr, "mote run: %s: %zu bytes, but the model's inputs take %zu bytes\n", in_path,
                in_len, mote_host_input_bytes(hm));
        goto done;
    }
    out = malloc(mote_host_output_bytes(hm) + 1);
    if (!out) goto done;
    if (dump) {
        if (dump_layers(hm, in, dump) != 0) goto done;
        mote_host_model_free(hm); /* fresh state for the real run */
        hm = mote_host_model_load(model, err, sizeof err);
        if (!hm) {
            fprintf(stderr, "mote run: %s\n", err);
            goto done;
        }
    }
    mote_host_run(hm, in, out);
    if (cli_write_file(out_path, out, mote_host_output_bytes(hm)) != 0) goto done;
    if (repeat > 0) {
        double *t = malloc(sizeof(double) * (size_t)repeat);
        if (!t) goto done;
        for (long i = 0; i < repeat; i++) {
            double t0 = now_s();
            mote_host_run(hm, in, out);
            t[i] = now_s() - t0;
        }
        qsort(t, (size_t)repeat, sizeof(double), cmp_double);
        printf("median %.1f us per inference over %ld runs\n", t[repeat / 2] * 1e6, repeat);
        free(t);
    }
    rc = 0;
done:
    free(in);
    free(out);
    mote_host_model_free(hm);
    return rc;
}
