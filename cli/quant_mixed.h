/* `mote quantize --bits auto`: the scoring and costing the mixed-precision search (compiler/quant/mixed.h)
 * calls for each candidate: accuracy and output error on the calibration samples, flash and estimated
 * latency on the target. */
#ifndef MOTE_CLI_QUANT_MIXED_H
#define MOTE_CLI_QUANT_MIXED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "quant/mixed.h"

typedef struct {
    long n;                 /* calibration samples */
    /* sample i as the bytes of input tensor `in` */
    int (*feed)(void *src, long i, const mote_tensor *in, uint8_t *dst, char *err, size_t errlen);
    void *src;
    const int *labels;      /* n */
    const double *ref;      /* n * out_n: the float model's outputs */
    size_t out_n;
    const char *target;
    char dir[64];           /* a temporary folder for candidate files */
    int evals;              /* candidates scored so far */
    int bar;                /* progress on stderr */
} quant_mixed_ctx;

int quant_mixed_eval(void *user, const mote_ir_graph *g, double *accuracy, double *error, char *err, size_t errlen);
int quant_mixed_cost(void *user, const mote_ir_graph *g, double *flash, double *ms, int *fits, char *err, size_t errlen);

/* The search's result: per layer its width and why, per point accuracy / flash / latency and the front. q:
 * the chosen graph (names and op indices as the int8 one). */
void quant_mixed_print(FILE *f, const mote_mixed_result *r, const mote_ir_graph *q);
json_t *quant_mixed_json(const mote_mixed_result *r, const mote_ir_graph *q);

#endif
