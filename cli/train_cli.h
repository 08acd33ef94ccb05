/* The dataset and front-end options `mote train` and `mote eval` share. */
#ifndef MOTE_CLI_TRAIN_CLI_H
#define MOTE_CLI_TRAIN_CLI_H

#include "mote/pipeline.h"

#define TRAIN_DATA_HELP                                                                                       \
    "Data (docs/datasets.md):\n"                                                                              \
    "  --data DIR           a folder with metadata.csv (file,label[,group][,split]), class folders,\n"        \
    "                       MNIST IDX files, or a numeric table\n"                                            \
    "  --task T             audio (WAV), motion (CSV sensor logs), image (PNG, raw, IDX, tables)\n"          \
    "  --label-column C --group-column C --split-column C --file-column C\n"                                  \
    "                       manifest columns (defaults: label or the column after file; group, speaker,\n"    \
    "                       recording, ...; split); --split-column '' ignores the manifest's split\n"         \
    "  --split A,B,C        train,validation,test fractions of the split by group (default 0.8,0.1,0.1)\n"    \
    "  --test-group G       every example of group G is the test set, all others train (leave one out)\n"     \
    "  --labels a,b,c       label names in class order\n"                                                     \
    "Audio front end:\n"                                                                                      \
    "  --sample-rate HZ (the files') --seconds S (1) --stride-ms N (25) --frame-strides K (1)\n"              \
    "  --bins N (20) --lower-hz F (125) --upper-hz F (0.9 Nyquist) --noise-reduction\n"                       \
    "  --no-normalize       keep the recording level (default: each clip scaled to full range first)\n"                       \
    "  --normalize-features subtract each mel bin's mean over the clip (in the graph): spectral tilt out\n"      \
    "  --no-normalize-features\n"                                                                              \
    "Motion front end:\n"                                                                                     \
    "  --window N (26) --hop N (window/2) --axes N (3) --bands N (4) --rate HZ (for reports)\n"               \
    "  --value-scale F (1) --raw (no front end: raw windows into a 1-D CNN)\n"

/* Parses argv[*i] (and its value) if it is one of the options above, into c.
 * 1: consumed (*i moved past the value); 0: not one of them; -1: bad value (message on stderr). */
int train_cli_data_option(tp_config *c, int argc, char **argv, int *i, const char *cmd);

/* The dataset options that score or feed model g (`mote eval`, `mote quantize --calib`): g's input says what it
 * takes (int16 [samples]: raw audio, int16 [window, axes]: raw motion, else the example itself) and a model
 * from mote train names its sample rate. From c (c->task wins if set) into *o, *raw_scale. 0, or -1 with a
 * message on stderr. */
int train_cli_data_for_model(const tp_config *c, const mote_ir_graph *g, ds_options *o, float *raw_scale, const char *cmd);

#endif
