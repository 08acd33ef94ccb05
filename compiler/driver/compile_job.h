/* What `compile`, `verify`, `inspect --target` and the service share: a model prepared and
 * planned on the host, a target profile, and the footprint of each format. */
#ifndef MOTE_DRIVER_COMPILE_JOB_H
#define MOTE_DRIVER_COMPILE_JOB_H

#include <stddef.h>

#include "backend/compiled.h"
#include "driver/kernel_choice.h"
#include "host_model.h"
#include "target/profile.h"

typedef enum { FORMAT_C = 1, FORMAT_MOTE = 2, FORMAT_BOTH = 3 } compile_format;

/* Whether one format fits the profile, and the message that says by how much. */
typedef struct {
    int fits;
    char msg[512];
} compile_fit;

typedef struct {
    const char *model_path;
    mote_host_model *hm;
    mote_profile prof;
    mote_compiled_sizes sz;
    uint8_t *mote_file; /* the serialized .mote file */
    size_t mote_len;
    mote_footprint c, mote; /* estimated footprints on the target (code is estimated) */
    compile_fit fit_c, fit_mote; /* the fit verdicts of those footprints */
    mote_optimize optimize; /* the objective the kernels were chosen by */
} compile_job;

/* How the kernels are chosen: the reference ones only (baselines), or the
 * fastest per layer traded against memory by an objective. */
typedef struct {
    int reference;
    mote_optimize optimize;
} compile_kernels;

/* Load and prepare the model with the kernels for the profile's ISA chosen
 * as k says (NULL: optimized, balanced), find the profile, serialize the
 * .mote file and size both formats. 0 ok; -1 with a one-line message on stderr. */
int compile_job_open(compile_job *j, const char *model_path, const char *target, const compile_kernels *k);
/* The same for a profile in hand (the service makes some from device facts);
 * the message goes to err instead of stderr. */
int compile_job_open_profile(compile_job *j, const char *model_path, const mote_profile *prof,
                             const compile_kernels *k, char *err, size_t errlen);

/* Write the job's artifacts into dir (created): with FORMAT_C the C package
 * (model.c, model.h with the C API `prefix`, the kernels' files, build files),
 * with FORMAT_MOTE the .mote file <model stem>.mote, or with `firmware` the
 * .mote file inside an interpreter package with the same C API instead (what
 * verify builds). `source` names the model in the C files' comments (NULL:
 * its path). Fit is the caller's to check (j->fit_c, j->fit_mote).
 * 0 ok, -1 with a message in err. */
int compile_job_emit(const compile_job *j, int format, int firmware, const char *dir, const char *prefix,
                     const char *source, char *err, size_t errlen);

/* Parse --kernels opt|ref into *reference; -1 if unknown. */
int compile_parse_kernels(const char *s, int *reference);
/* Parse the options every compiling command shares, `--kernels opt|ref` and
 * `--optimize speed|memory|balanced`, at argv[*i] with its value after it.
 * 1 if it was one of them (*i moved onto the value), 0 if not or if the value
 * is missing, -1 with "mote CMD: ..." on stderr if the value is unknown. */
int compile_parse_kernel_option(const char *cmd, int argc, char **argv, int *i, compile_kernels *k);
void compile_job_close(compile_job *j);

/* Parse --format; -1 if unknown. */
int compile_parse_format(const char *s);

/* Model file stem: "a/b/kws_int8.tflite" -> "kws_int8". */
void compile_model_stem(const char *path, char *out, size_t outlen);

#endif
