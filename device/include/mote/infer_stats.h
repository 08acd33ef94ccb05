/* Inference statistics over a window: what the device agent reports as
 * telemetry and what `mote model push --baseline` computes on evaluation
 * data, with this same code, so a model version's baseline and its field
 * reports are the same numbers (docs/monitoring.md).
 *
 * Per window: inferences and failed ones; counts per top-1 class; a
 * histogram of top-1 confidence (output 0 dequantized, tenths of [0, 1]);
 * for input 0, per feature (its last axis, folded into at most
 * MOTE_STATS_MAX_FEATURES groups) the sum and sum of squares in the input's
 * integer units (float inputs: 1/256ths) and how often a value sat at the
 * type's limits (out of range: the quantizer clipped it); a latency
 * histogram in powers of two of microseconds. Integers only on the wire:
 * the server dequantizes with the model's input scale.
 * C99, no malloc, no stdio, no globals. */
#ifndef MOTE_INFER_STATS_H
#define MOTE_INFER_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "mote/mote.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MOTE_STATS_MAX_CLASSES 64
#define MOTE_STATS_CONF_BINS 10
#define MOTE_STATS_MAX_FEATURES 16
/* bucket i < 2^(i+6) us for i < LAT_BUCKETS - 1 (64 us .. 1 s); the last holds the rest */
#define MOTE_STATS_LAT_BUCKETS 16

typedef struct {
    uint32_t n, errors;
    uint32_t n_classes;                             /* highest class seen + 1 */
    uint32_t classes[MOTE_STATS_MAX_CLASSES];
    uint32_t confidence[MOTE_STATS_CONF_BINS];
    uint32_t n_features;                            /* 0 until the first inference */
    int64_t feat_sum[MOTE_STATS_MAX_FEATURES];
    uint64_t feat_sumsq[MOTE_STATS_MAX_FEATURES];
    uint32_t feat_values[MOTE_STATS_MAX_FEATURES];  /* values summed per feature */
    uint32_t feat_out_of_range[MOTE_STATS_MAX_FEATURES];
    uint32_t latency[MOTE_STATS_LAT_BUCKETS];
} mote_infer_stats;

void mote_stats_reset(mote_infer_stats *s);
/* Add one inference of m (input 0 as given, output 0 as computed); ok 0: it failed (counted, nothing read).
 * Returns the top-1 class, or -1; *conf_permille (may be NULL) gets its confidence in [0, 1000]. */
int mote_stats_add(mote_infer_stats *s, const mote_model *m, uint64_t latency_us, int ok, uint16_t *conf_permille);
/* The window as a JSON object into buf (NUL-terminated): {"n","errors","classes":[..],"confidence":[..],
 * "features":{"sum":[..],"sumsq":[..],"values":[..],"out_of_range":[..]},"latency_us_log2":[..]}.
 * Returns its length, or 0 when cap is too small. */
size_t mote_stats_json(const mote_infer_stats *s, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
