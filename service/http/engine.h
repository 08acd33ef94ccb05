/* The request engine's internals, shared by http/ only: the engine, what one
 * request collects on its way to a handler, and the steps that server.c (over
 * libmicrohttpd) and moted_http_dispatch (no socket) have in common. */
#ifndef MOTED_HTTP_ENGINE_H
#define MOTED_HTTP_ENGINE_H

#include <pthread.h>
#include <time.h>

#include "http/http.h"

#define HTTP_MAX_PATH 1024
/* Upper bounds (seconds) of the request latency histogram buckets; +Inf follows. */
#define HTTP_LAT_BUCKETS 13

/* Requests counted per route pattern and status code. */
typedef struct {
    const char *route; /* route pattern, or "unmatched" (static strings) */
    int code;
    uint64_t n;
} http_route_count;

typedef struct {
    pthread_mutex_t mu;
    http_route_count *counts;
    size_t n_counts, cap_counts;
    uint64_t lat_bucket[HTTP_LAT_BUCKETS + 1]; /* per bucket (not cumulative); last is +Inf */
    double lat_sum;
    uint64_t lat_count;
} http_metrics;

struct moted_http {
    moted *m;
    moted_auth_fn auth;
    moted_route *routes;
    size_t n_routes;
    char bind[64];
    int port;                 /* asked for, then the one bound */
    void *daemon;             /* struct MHD_Daemon */
    http_metrics metrics;
};

/* What one request collects before its handler runs. */
typedef struct {
    struct timespec t0;
    const moted_route *route; /* NULL when no route matched */
    int verdict;              /* 0: run the handler; else the error status to answer */
    char msg[300];            /* the error's message */
    moted_role role;
    char device_id[24];
    size_t limit;             /* body limit */
    uint8_t *body;
    size_t len, cap;
    char path[HTTP_MAX_PATH + 1]; /* split copy of the path; params point into it */
    const char *params[MOTED_MAX_PARAMS];
    int n_params;
    int done;
} http_req;

/* Start a request: the clock, its route (404/405 verdict), the bearer token
 * of the Authorization value (401/403/500 verdict) and its body limit. */
void http_begin(moted_http *h, const char *method, const char *url, const char *authorization, http_req *c);
/* Run the route's handler on req (method, path, body and connection or
 * query/headers set by the caller; the rest comes from c). resp always has
 * a status after. */
void http_call(moted_http *h, const http_req *c, moted_req *req, moted_resp *resp);
/* Seconds since the request started. */
double http_since(const http_req *c);

/* Request metrics (metrics.c): set up (0, or -1), count one finished request, free. */
int http_metrics_init(http_metrics *mt);
void http_metrics_count(http_metrics *mt, const char *route, int code, double seconds);
void http_metrics_free(http_metrics *mt);

#endif
