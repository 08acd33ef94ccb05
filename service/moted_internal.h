/* moted internals shared by server.c, the api_*.c handlers and the rollout:
 * the server state, logging, metrics and small helpers. */
#ifndef MOTED_INTERNAL_H
#define MOTED_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "http/http.h"
#include "moted.h"
#include "store/store.h"

/* Upper bounds (seconds) of the request latency histogram buckets; +Inf follows. */
#define MOTED_LAT_BUCKETS 13

/* Requests counted per route pattern and status code. */
typedef struct {
    const char *route; /* route pattern, or "unmatched" (static strings) */
    int code;
    uint64_t n;
} moted_route_count;

typedef struct {
    pthread_mutex_t mu; /* guards everything below except the atomics */
    moted_route_count *counts;
    size_t n_counts, cap_counts;
    uint64_t lat_bucket[MOTED_LAT_BUCKETS + 1]; /* per bucket (not cumulative); last is +Inf */
    double lat_sum;
    uint64_t lat_count;
    atomic_uint_fast64_t telemetry_reports;
} moted_metrics;

struct moted_rollout;

struct moted {
    moted_config cfg; /* bind and data_dir point into the buffers below */
    char data_dir[1024];
    char bind[64];
    mote_store *store;
    void *daemon; /* struct MHD_Daemon */
    int port;
    moted_metrics metrics;
    struct moted_rollout *rollout;
    moted_route *routes; /* the core routes, then the rollout's */
    size_t n_routes;
};

mote_store *moted_store(moted *m);
const char *moted_data_dir(moted *m);
const moted_config *moted_cfg(moted *m);

/* One JSON object per line on stderr: {"ts","level","msg"}. level "info",
 * "warn", "error"; "info" lines only with log_json. */
void moted_log(moted *m, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The log line of one request: method, route pattern, status, microseconds (with log_json). */
void moted_log_request(moted *m, const char *method, const char *route, int status, long long us);

/* Metrics: one finished request; a telemetry report; the core's Prometheus text. */
void moted_metrics_request(moted *m, const char *route, int code, double seconds);
void moted_metrics_telemetry(moted *m);
void moted_metrics_write(moted *m, FILE *out);


/* mkdir -p (mode 0700 for what it creates). */
int moted_mkdir_p(const char *dir, char *err, size_t errlen);
/* Data dir: create DIR and DIR/blobs, make admin.token / enroll.token (0600)
 * at first start and make sure the database knows their hashes. */
int moted_datadir_init(moted *m, char *err, size_t errlen);

/* One complete request without a socket (fuzzing, tests): route, the bearer
 * token of `authorization` (the header's value, may be NULL), body limit,
 * handler, as on_request does. query and headers: NULL-terminated key, value
 * lists (may be NULL). resp (moted_resp_init'ed) is released first and
 * always gets a status; moted_resp_release it after. */
void moted_dispatch(moted *m, const char *method, const char *url, const char *authorization, const uint8_t *body,
                    size_t body_len, const char *const *query, const char *const *headers, moted_resp *resp);

/* Route tables of the core handlers. */
extern const moted_route moted_ops_routes[];
extern const size_t moted_ops_n_routes;
extern const moted_route moted_models_routes[];
extern const size_t moted_models_n_routes;
extern const moted_route moted_devices_routes[];
extern const size_t moted_devices_n_routes;

#endif
