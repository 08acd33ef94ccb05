/* What `verify` and `bench` share: gather the input vectors, compute the
 * host runtime's outputs for them, build the compiled model into a firmware
 * for the profile, run it (QEMU or natively, fw.h) and check every output
 * byte against the host runtime and the golden outputs. */
#ifndef MOTE_CLI_DEVICE_RUN_H
#define MOTE_CLI_DEVICE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "driver/compile_job.h"
#include "target/fw.h"

#define DEVICE_PATH 4096

typedef struct {
    const char *cmd;                /* "mote verify": prefix of every error message */
    compile_job *job;
    char work[DEVICE_PATH];         /* build folder: the caller's, or a temporary one */
    int temp;                       /* work is ours: removed by device_session_close */
    char vectors[DEVICE_PATH + 64]; /* all input vectors back to back */
    char golden_dir[DEVICE_PATH];   /* folder holding out_NN.bin, "" when inputs came from one file */
    size_t in_bytes, out_bytes, n_vec;
    uint8_t *in;                    /* n_vec * in_bytes */
    uint8_t *expect;                /* n_vec * out_bytes: what the host runtime computes */
} device_session;

typedef struct {
    const char *format;             /* "c" or "mote" */
    int ok, bit_exact;
    size_t mismatched, golden_checked, golden_equal;
    uint64_t insns;                 /* median over the vectors */
    size_t arena, ram, flash;
    mote_fw_result r;
} device_result;

/* $MOTE_SHARED, else the folder compiled in (MOTE_DEFAULT_SHARED). */
const char *device_shared_dir(void);

/* inputs: a folder of in_NN.bin, one file of vectors, or NULL for
 * <shared>/golden/<model stem>; work: NULL for a temporary folder.
 * 0 ok; -1 with a one-line message on stderr (close it either way). */
int device_session_open(device_session *s, const char *cmd, compile_job *j, const char *inputs, const char *work);
void device_session_close(device_session *s);

/* Emit the model in format (FORMAT_C or FORMAT_MOTE) into <work>/<tag>/package,
 * build and run it on the profile's emulator over the first n_vec vectors
 * (0 = all), with per-layer counts when layers != 0, and compare the outputs.
 * 0 when it ran (rr->bit_exact tells the verdict); -1 with a message.
 * Free rr->r with mote_fw_result_free. */
int device_run(device_session *s, int format, const char *tag, size_t n_vec, int layers, device_result *rr);

/* Remove a folder and everything in it. */
void device_remove_tree(const char *path);

#endif
