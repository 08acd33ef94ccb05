/* report.html of `mote quantize`: sizes and accuracy before and after; per activation the range observed
 * against the range kept, and the signal-to-quantization-noise ratio left. */
#ifndef MOTE_CLI_QUANT_REPORT_H
#define MOTE_CLI_QUANT_REPORT_H

#include <stddef.h>

#include "quant/mixed.h"
#include "quant/quant.h"

typedef struct {
    const char *model, *output;
    const mote_ir_graph *g;        /* the float graph */
    const mote_calib *calib;
    const mote_ptq_opts *opts;
    const mote_ptq_report *rep;
    long samples;                  /* calibration samples */
    size_t bytes_in, bytes_out;    /* the two files */
    int has_accuracy;              /* a classifier: the three numbers below mean something */
    double float_accuracy, int8_accuracy, agreement;
    double output_rel_error;       /* RMS(int8 - float) / RMS(float) over the outputs */
    const mote_mixed_result *mixed; /* --bits auto, or NULL */
    const mote_ir_graph *q;        /* the written graph (layer names for the mixed table) */
    const char *target;
} quant_report;

/* 0, or -1 with a message naming the file on stderr. */
int quant_report_write_html(const quant_report *r, const char *path);

#endif
