/* What the files of monitor/ share beyond monitor.h: the monitor's state. */
#ifndef MOTED_MONITOR_INTERNAL_H
#define MOTED_MONITOR_INTERNAL_H

#include <pthread.h>

#include "monitor/monitor.h"
#include "store/store.h"

/* The drift signals of monitor.c, in its table's order. */
typedef enum { SIG_CLASS, SIG_CONF, SIG_INPUT, SIG_OOR, SIG_ERRORS, SIG_LATENCY, N_SIGNALS } signal_id;

typedef struct {
    int64_t model_id;
    char group[64];
    char name[128], version[64];
    mon_window acc;
    int windows;            /* evaluated so far */
    int has_last;
    double last[N_SIGNALS];
    double latency_ref_us;  /* the first window's p95 */
    int high[N_SIGNALS], low[N_SIGNALS];
    int64_t alert[N_SIGNALS]; /* firing alert id, 0 none */
} mon_key;

typedef struct {
    int64_t model_id;
    int has;
    mon_window w;
} mon_baseline;

typedef struct {
    char sha[65];
    int64_t model_id;
} mon_artifact;

typedef struct {
    char group[64];
    json_t *policy;
} mon_policy;

struct moted_monitor {
    moted *m;
    struct mote_store *s;
    int window;
    pthread_mutex_t mu;
    mon_key *keys;
    size_t n_keys, cap_keys;
    mon_baseline *baselines;
    size_t n_baselines, cap_baselines;
    mon_artifact *artifacts;
    size_t n_artifacts, cap_artifacts;
    mon_policy *policies;   /* sampling policies by group (sampling.c); policy NULL: none */
    size_t n_policies, cap_policies;
    unsigned long long windows_total;
};

/* Grow an array of n elements of size sz to hold one more; 0 or -1. */
int mon_grow(void **arr, size_t n, size_t *cap, size_t sz);

#endif
