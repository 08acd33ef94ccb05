/* Signal front ends (host side of train/frontend/): the feature extraction a model carries with it.
 *
 * A front end is a graph of runtime ops from raw int16 sensor samples to int8 features. It is built once
 * per training run (its parameters fitted to the training data where it needs that, e.g. normalisation),
 * and then used twice: training computes every example's features by running that graph on the host's
 * mote runtime, and the exported model is that graph followed by the classifier, one TFLite file from
 * raw samples to class probabilities. The device runs the same kernels on the same bytes, so the
 * features it sees are the ones the model was trained on, bit for bit. Parameters (sample rate, frame
 * length/stride, bins, ...) live in the graph's constants and options, not in the caller's code.
 *
 * Raw input: audio [samples] int16 (PCM), motion [window, axes] int16 (sensor units, e.g. milli-g).
 * Examples come as the dataset loader gives them (mote/dataset.h: audio as sample / 32768, motion in
 * sensor units times value_scale); fe_features converts them to int16 (rounding, saturating).
 *
 * Errors: NULL / -1 and one line in err naming the parameter or example. */
#ifndef MOTE_FRONTEND_H
#define MOTE_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"
#include "mote/train.h"

typedef enum { FE_AUDIO = 1, FE_MOTION = 2 } fe_kind;

typedef struct fe_frontend fe_frontend;

/* ---- audio: framing, window, FFT, mel filter bank, (noise reduction), log, normalisation ---------- */
typedef struct {
    int sample_rate;        /* Hz; default 16000 */
    int samples;            /* raw samples per inference; default one second */
    int stride_ms;          /* frame stride; default 25 */
    int frame_strides;      /* frame length in strides (2: 50 ms frames at a 25 ms stride); default 1 */
    int bins;               /* mel channels; default 20 */
    float lower_hz, upper_hz; /* filter bank band; defaults 125 Hz and 0.9 * Nyquist */
    int noise_reduction;    /* 1: spectral subtraction + PCAN gain control (TFLM micro_speech's options) */
    int normalize;          /* 1 (default): the clip scaled to full range first (power-of-two gain), so the
                               features do not depend on the recording level */
    int normalize_features; /* 1: each mel bin's mean over the clip's frames subtracted from its int8 features
                               (cepstral mean normalisation, MEAN + SUB in the graph): a speaker's or
                               microphone's spectral tilt out of the features */
} fe_audio_params;

/* ---- motion: windows of 3-axis samples, per-axis statistics and spectral power ------------------- */
typedef struct {
    int window;             /* samples per inference; default 26 */
    int axes;               /* default 3 */
    int bands;              /* spectral power bands per axis; default 4 */
} fe_motion_params;

void fe_audio_defaults(fe_audio_params *p);
void fe_motion_defaults(fe_motion_params *p);

/* A front end; x holds n training examples in the loader's layout (audio: samples floats each, motion:
 * window * axes) for fitting the normalisation (n may be 0: fixed defaults). */
fe_frontend *fe_audio_new(const fe_audio_params *p, const float *x, size_t n, char *err, size_t errlen);
fe_frontend *fe_motion_new(const fe_motion_params *p, const float *x, size_t n, char *err, size_t errlen);
void fe_free(fe_frontend *fe);

fe_kind fe_get_kind(const fe_frontend *fe);
size_t fe_raw_samples(const fe_frontend *fe);    /* int16 values per inference (all axes) */
tr_shape fe_feature_shape(const fe_frontend *fe); /* the classifier's input: [frames, bins, 1] or [F] */
/* The int8 features' quantization: real = scale * (q - zero_point). */
void fe_feature_quant(const fe_frontend *fe, float *scale, int32_t *zero_point);
/* The front end's graph (owned by fe): input 0 int16 raw, output 0 int8 features of fe_feature_shape. */
const mote_ir_graph *fe_graph(const fe_frontend *fe);

/* One loader value as a raw int16 sample: value * scale, rounded to nearest, saturated. What fe_features
 * feeds the graph, and what scoring feeds a model with an int16 input. */
int16_t fe_raw_sample(float value, float scale);

/* One example's features through the host runtime: q (int8, may be NULL) and/or f (dequantized floats,
 * may be NULL), each tr_shape_size(fe_feature_shape(fe)) long. Not thread-safe per fe. */
int fe_features(fe_frontend *fe, const float *example, int8_t *q, float *f, char *err, size_t errlen);

/* One graph: fe's graph, then classifier, whose input 0 takes fe's features (same element count): as
 * int8 with fe's quantization, or as float32 (a DEQUANTIZE is put between); a RESHAPE joins them where
 * the shapes differ. Neither argument is changed; NULL with err on a mismatch. */
mote_ir_graph *fe_chain(const fe_frontend *fe, const mote_ir_graph *classifier, char *err, size_t errlen);

/* A copy of a graph (new tensors, ops, constants; description kept). NULL on allocation failure. */
mote_ir_graph *fe_graph_copy(const mote_ir_graph *g);

#endif
