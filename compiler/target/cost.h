/* Latency estimate of a compiled model on a device, without running it: a
 * linear instruction-count model per kernel variant and core, fitted from
 * `mote verify --layers` runs (bench/calibrate_cost.sh, docs/cost-model.md),
 * and a per-core cycles-per-instruction figure to turn counts into time. */
#ifndef MOTE_TARGET_COST_H
#define MOTE_TARGET_COST_H

#include <stddef.h>
#include <stdint.h>

#include "mote/mote.h"
#include "target/profile.h"

/* instructions ~ a * MACs + b * output elements + c + w * window positions,
 * for one kernel variant (window positions: see mote_cost_node). */
typedef struct {
    char name[48];   /* kernel variant, e.g. "conv_s8" */
    double a, b, c, w;
    int points;      /* layers it was fitted on */
    double rms_pct;  /* residual seen on those layers: RMS and max relative error, % */
    double max_pct;
} mote_cost_kernel;

typedef struct {
    char core[32];            /* core the file was measured on, e.g. "cortex-m4f" */
    double cpi;               /* cycles per instruction: an assumption, see the file */
    double invoke;            /* instructions per inference outside the layers */
    mote_cost_kernel fallback; /* for kernel variants without a line of their own */
    mote_cost_kernel *kernels;
    size_t n_kernels;
    char path[512];           /* file it was read from */
} mote_cost_model;

/* Parse cost-file text; path names the file in messages. 0 ok; -1 with
 * "PATH:LINE: problem" in err (cm is then empty). Free with mote_cost_free. */
int mote_cost_parse(const char *text, const char *path, mote_cost_model *cm, char *err, size_t errlen);
int mote_cost_load_file(const char *path, mote_cost_model *cm, char *err, size_t errlen);
void mote_cost_free(mote_cost_model *cm);

/* The cost directory: $MOTE_COST_DIR if set, else the built-in targets/cost. */
const char *mote_cost_dir(void);

/* Load <dir>/<core>.cost for the profile's core. A core without its own file
 * uses the nearest measured one and says which in note (else note is "").
 * 0 ok; -1 with a message. */
int mote_cost_load_for(const mote_profile *p, mote_cost_model *cm, char *note, size_t notelen, char *err,
                       size_t errlen);

/* What the model needs to know about one node. */
typedef struct {
    const char *kernel;  /* kernel variant name; "?" when the op table has none */
    int64_t macs;        /* multiply-accumulates executed: conv and depthwise skip the
                            padding, so SAME layers do fewer than mote inspect's MACs */
    int64_t out_elems;   /* elements of all outputs */
    int64_t window;      /* (output element, filter/pool tap) pairs inside the input:
                            conv, depthwise and pooling; 0 for other ops */
    double insns;        /* estimated instructions */
    int known;           /* 0: estimated with the fallback figure */
} mote_cost_node;

/* Kernel name, MACs, output elements and window positions of a prepared node. */
void mote_cost_describe(const mote_node *n, const mote_tensor *tensors, mote_cost_node *out);

/* Estimate for one kernel variant; *known = 0 when the fallback was used. */
double mote_cost_kernel_insns(const mote_cost_model *cm, const char *kernel, int64_t macs, int64_t out_elems,
                              int64_t window, int *known);

/* Estimate every node of a prepared model (per_node has m->n_nodes entries,
 * may be NULL) and return the total, including the per-invoke overhead. */
double mote_cost_estimate(const mote_cost_model *cm, const mote_model *m, mote_cost_node *per_node);

/* Milliseconds for insns at clock_mhz with the file's CPI (0 when clock is 0). */
double mote_cost_ms(const mote_cost_model *cm, double insns, unsigned clock_mhz);

#endif
