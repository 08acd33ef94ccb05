/* A labelled folder of raw inputs (EEMBC's y_labels.csv: file,num_classes,label per line, optionally
 * ,window_bytes,stride_bytes when a file holds many inputs side by side, e.g. MLPerf Tiny's AD set), as
 * `mote classify` scores and `mote quantize` calibrates on, and how one input becomes a model's input. */
#ifndef MOTE_CLI_LABELLED_H
#define MOTE_CLI_LABELLED_H

#include <stddef.h>
#include <stdint.h>

#include "mote/mote.h"

typedef struct {
    char *dir;
    char **files;   /* names relative to dir */
    int *labels;
    size_t *window; /* bytes of one input in the file (0: the whole file is one) */
    size_t *stride; /* bytes between inputs */
    long n;
    long cached;    /* the file last read (-1 none) and its bytes */
    uint8_t *cache;
    size_t cache_len;
} cli_labelled;

/* One model input: bytes [offset, offset + len) of file `file` (len 0: the whole file). */
typedef struct {
    long file;
    size_t offset, len;
} cli_sample;

/* Rows skip .. skip+limit-1 of DIR/y_labels.csv (limit < 0: to the end). 0, or -1 with a message
 * on stderr prefixed by cmd. */
int cli_labelled_open(const char *dir, long skip, long limit, const char *cmd, cli_labelled *l);
void cli_labelled_free(cli_labelled *l);
/* Is there a DIR/y_labels.csv? */
int cli_labelled_exists(const char *dir);

/* How a file's bytes are read: as the input's bytes (raw), or as uint8 / int8 / float32 values v with
 * real value (v - zero_point) * scale, quantized for the model's input if it is int8. */
typedef enum { CLI_FROM_RAW, CLI_FROM_U8, CLI_FROM_I8, CLI_FROM_F32 } cli_from;
typedef struct {
    cli_from from;
    double scale, zero_point;
} cli_input_conv;

/* --from/--in-scale/--in-zero-point at argv[*i]: 1 consumed (i advanced), 0 not one of them,
 * -1 bad value (message on stderr). */
int cli_input_option(cli_input_conv *c, int argc, char **argv, int *i, const char *cmd);
#define CLI_INPUT_HELP                                                                                   \
    "  --from raw|u8|i8|f32  input file element type (default raw: bytes fed as they are)\n"           \
    "  --in-scale S       with u8/i8/f32: real value = (v - Z) * S (default 1)\n"                    \
    "  --in-zero-point Z  (default 0); real values are then quantized for the model input\n"

/* Every input the files hold, in order (a windowed row gives (size - window) / stride + 1). 0, or -1 with
 * a message on stderr. Free *out. */
int cli_labelled_samples(cli_labelled *l, cli_sample **out, long *n, const char *cmd);
/* One input into t's bytes at dst. 0, or -1 with a message on stderr (the file and sizes). */
int cli_labelled_input(cli_labelled *l, const cli_sample *s, const mote_tensor *t, const cli_input_conv *c, uint8_t *dst,
                       const char *cmd);

#endif
