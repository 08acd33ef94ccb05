/* Post-training quantization: a float graph and calibration data in, an int8 graph out (TFLite's int8
 * conventions: per-channel symmetric weights, per-tensor asymmetric activations, int32 biases).
 *
 * calibrate (calib.c) -> choose each activation's range (range.c) -> rewrite the graph (ptq.c).
 * Calibration runs the float graph on the host with every activation kept, twice: once for each
 * tensor's min and max (and, for bias correction, the mean error that quantizing a layer's weights adds
 * to its outputs), once for a histogram over that range, from which min/max, percentile and MSE ranges
 * are read. Integer parts of a graph (a front end, an int8 model) pass through unchanged. */
#ifndef MOTE_QUANT_H
#define MOTE_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

typedef enum {
    MOTE_RANGE_MINMAX = 0, /* every value observed: no clipping */
    MOTE_RANGE_PERCENTILE, /* the central `percentile` % of values */
    MOTE_RANGE_MSE,        /* the clip range with the least quantization error over the histogram */
    MOTE_RANGE_AUTO        /* per tensor, whichever of the three has the least error */
} mote_range_method;

typedef struct {
    mote_range_method method;
    double percentile;      /* for PERCENTILE and AUTO, e.g. 99.99 */
    int fc_per_channel;     /* FULLY_CONNECTED weights per unit (default per tensor, as TFLite's converter) */
    int bias_correction;    /* fold the mean output error of quantized weights into the biases */
    int float_io;           /* keep float inputs/outputs: QUANTIZE in, DEQUANTIZE out */
} mote_ptq_opts;

mote_ptq_opts mote_ptq_defaults(void);
const char *mote_range_method_name(mote_range_method m);
/* "minmax", "percentile", "mse", "auto" -> 0 (and *m), else -1. */
int mote_range_method_parse(const char *s, mote_range_method *m);

/* What calibration saw of one float activation. */
#define MOTE_CALIB_BINS 2048
typedef struct {
    int32_t tensor;        /* in the float graph */
    double lo, hi;         /* observed min and max */
    double sum, sumsq;     /* for mean and variance */
    uint64_t count;        /* values seen */
    uint64_t *hist;        /* MOTE_CALIB_BINS bins over [lo, hi] (second pass) */
} mote_act_stats;

typedef struct mote_calib mote_calib;

/* Reads sample i (0 <= i < n) into `input`: the float graph's input bytes. 0, or -1 with err set. */
typedef int (*mote_calib_fetch)(void *user, long i, uint8_t *input, char *err, size_t errlen);
/* Called after each sample of each pass (pass 0 or 1). */
typedef void (*mote_calib_progress)(void *user, int pass, long done, long n);

/* Prepare to calibrate g (one input; float activations), which must outlive the calibration. o decides
 * the weights' quantization, which bias correction must know. NULL with err set. */
mote_calib *mote_calib_new(const mote_ir_graph *g, const mote_ptq_opts *o, char *err, size_t errlen);
/* Run both passes over n samples. 0, or -1 with err set. */
int mote_calib_run(mote_calib *c, long n, mote_calib_fetch fetch, mote_calib_progress progress, void *user,
                   char *err, size_t errlen);
size_t mote_calib_input_bytes(const mote_calib *c);
/* Stats of float tensor t, or NULL if t is not an observed activation. */
const mote_act_stats *mote_calib_stats(const mote_calib *c, int32_t t);
/* Bias correction of op `op` (CONV_2D/DEPTHWISE_CONV_2D/FULLY_CONNECTED): per output channel, the mean
 * of (quantized - float weights) x its inputs; NULL if none was measured. *n = channels. */
const double *mote_calib_bias_shift(const mote_calib *c, int32_t op, int *n);
void mote_calib_free(mote_calib *c);

/* The range chosen for one activation and how. */
typedef struct {
    int32_t tensor;        /* float graph */
    mote_range_method method;  /* the method that set [lo, hi] (never AUTO) */
    double lo, hi;         /* the clip range (0 included) */
    double mse;            /* expected squared error per value under that range */
    float scale;           /* the int8 parameters given (after ties and fixed outputs) */
    int32_t zero_point;
} mote_act_choice;

/* range.c: the clip range of one activation under method m (AUTO: the least error of the three). */
mote_act_choice mote_range_choose(const mote_act_stats *s, mote_range_method m, double percentile);
/* TFLite's asymmetric int8 parameters for [lo, hi] widened to hold 0. */
void mote_act_params(double lo, double hi, float *scale, int32_t *zero_point);

/* What quantization did, for reports. */
typedef struct {
    mote_act_choice *acts;  /* one per quantized activation */
    int32_t n_acts;
    int32_t n_weights;      /* weight tensors quantized */
    int32_t n_bias_corrected;
} mote_ptq_report;

void mote_ptq_report_free(mote_ptq_report *r);

/* The int8 graph of float graph g from its calibration. NULL with err naming the op and tensor at fault. */
mote_ir_graph *mote_ptq(const mote_ir_graph *g, const mote_calib *c, const mote_ptq_opts *o, mote_ptq_report *rep,
                        char *err, size_t errlen);

/* Shared with calib.c: float values of a weight tensor (float32, or int8/hybrid dequantized); NULL if
 * neither. Caller frees. */
float *mote_quant_weights_float(const mote_tensor *t);
/* Symmetric int8 quantization of weights w (layout of op `op`'s filter t, per channel or per tensor as
 * o says): q (t's element count) and scales (*n_ch of them; axis *axis), each at least min_scales[c]
 * (NULL: no floor). 0, or -1 out of memory. */
int mote_quant_weights_s8(mote_op op, const mote_tensor *t, const float *w, const mote_ptq_opts *o,
                          const float *min_scales, int8_t *q, float **scales, int *n_ch, int *axis);

#endif
