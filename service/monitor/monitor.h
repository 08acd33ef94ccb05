/* Drift monitoring inside moted (monitor/, docs/monitoring.md): the windows
 * of inference statistics that devices report (device/include/mote/
 * infer_stats.h) are summed per model version and device group; every
 * `window` inferences the sum is compared with the version's baseline (the
 * same statistics on its evaluation data, pushed with it) and with the
 * group's own first window, signal by signal; a signal past its threshold
 * for two windows in a row fires an alert, one back under its lower
 * threshold for two windows resolves it (hysteresis). Alerts are stored,
 * listed by the API and exported as Prometheus metrics. */
#ifndef MOTED_MONITOR_H
#define MOTED_MONITOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "moted.h"

struct mote_store;
typedef struct moted_monitor moted_monitor;

/* ---- one window of statistics (window.c) ---- */
#define MON_MAX_CLASSES 64
#define MON_CONF_BINS 10
#define MON_MAX_FEATURES 16
#define MON_LAT_BUCKETS 16

typedef struct {
    double n, errors;
    int n_classes, n_features;
    double classes[MON_MAX_CLASSES];
    double confidence[MON_CONF_BINS];
    double sum[MON_MAX_FEATURES], sumsq[MON_MAX_FEATURES], values[MON_MAX_FEATURES], oor[MON_MAX_FEATURES];
    double latency[MON_LAT_BUCKETS];
} mon_window;

/* Parse and check a window document (mote_stats_json's): 0, or -1 with a message naming the field. */
int mon_window_parse(json_t *j, mon_window *w, char *err, size_t errlen);
/* acc += w (classes and features widen to the larger count). */
void mon_window_add(mon_window *acc, const mon_window *w);

/* ---- the monitor (monitor.c) ---- */
/* window: inferences per evaluation of a model version in a group (<= 0: 500). NULL with a message. */
moted_monitor *moted_monitor_new(moted *m, struct mote_store *s, int window, char *err, size_t errlen);
void moted_monitor_free(moted_monitor *mon);
/* A device's report: the window its active artifact ran. An artifact moted did not build is ignored (0).
 * 0, or -1 with a message (bad window: the caller answers 400; storage: logged). */
int moted_monitor_ingest(moted_monitor *mon, const char *device_id, const char *artifact, json_t *window, char *err,
                         size_t errlen);
/* The drift document of one model version (every group it was reported in). */
json_t *moted_monitor_status(moted_monitor *mon, int64_t model_id);
/* Prometheus text: mote_drift{model,version,group,signal}, mote_alerts_firing, mote_drift_windows_total. */
void moted_monitor_metrics(moted_monitor *mon, FILE *out);

/* ---- sampling policies (sampling.c) ---- */
/* Check a policy document {"max_confidence": 0..1, "random_rate": 0..1, "max_per_hour": 0..3600}
 * (max_per_hour 0: off): 0, or -1 with a message naming the field. */
int mon_policy_check(json_t *p, char *err, size_t errlen);
/* Set (NULL or max_per_hour 0: remove) a group's policy, in the store and the monitor's cache. */
int moted_monitor_set_policy(moted_monitor *mon, const char *group, json_t *policy, char *err, size_t errlen);
/* What a device with these tags is asked for, as the agent reads it ({"max_confidence_permille",
 * "random_permille","max_per_hour"}, the first of its groups with a policy); NULL when none asks. */
json_t *moted_monitor_device_policy(moted_monitor *mon, json_t *tags);

#endif
