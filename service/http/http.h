/* moted's HTTP part: what a route handler sees (request) and fills
 * (response), the route tables, and the request engine that serves them. The
 * engine (server.c on libmicrohttpd, route.c) owns routing, body limits,
 * bearer-token roles and a metric and log line per request; a handler only
 * reads a moted_req and answers through the moted_resp_* calls. */
#ifndef MOTED_HTTP_H
#define MOTED_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "moted.h"

/* Who made the request: decided by the engine from the bearer token before
 * the handler runs, checked against the route's roles. */
typedef enum { MOTED_ROLE_NONE = 0, MOTED_ROLE_ADMIN = 1, MOTED_ROLE_ENROLL = 2, MOTED_ROLE_DEVICE = 4 } moted_role;

#define MOTED_MAX_PARAMS 4

typedef struct {
    const char *method;                    /* "GET", "POST", ... */
    const char *path;                      /* "/v1/models/kws/1.0" */
    const char *params[MOTED_MAX_PARAMS];  /* captures of the route pattern's "{...}" segments, in order */
    int n_params;
    const uint8_t *body;                   /* request body (NUL-terminated copy; body_len excludes the NUL) */
    size_t body_len;
    moted_role role;
    const char *device_id;                 /* set when role == MOTED_ROLE_DEVICE */
    void *conn;                            /* the MHD connection, for moted_req_query/header */
    /* Without a connection (moted_http_dispatch): NULL-terminated key, value, key, value, ... lists. */
    const char *const *query;
    const char *const *headers;
} moted_req;

/* Query-string argument or request header; NULL when absent. */
const char *moted_req_query(const moted_req *r, const char *key);
const char *moted_req_header(const moted_req *r, const char *key);
/* Parse the body as a JSON object; NULL (and a 400 already set on resp) when it is not one. */
struct moted_resp;
json_t *moted_req_json(const moted_req *r, struct moted_resp *resp);

typedef struct moted_resp {
    int status;
    const char *content_type;
    uint8_t *body; /* malloc'ed, freed by the engine */
    size_t len;
    int fd;        /* >= 0: send this file from offset for len bytes instead of body (server closes it) */
    uint64_t offset;
    uint64_t total;        /* with fd and a Range request: full size for Content-Range */
    char content_range[96];
} moted_resp;

/* A response with nothing set yet (status 0, fd -1); the engine starts every
 * handler with one. A zeroed struct is NOT empty: fd 0 would be stdin. */
void moted_resp_init(moted_resp *resp);
/* Free what a response holds (body, fd) and empty it (for callers outside the engine). */
void moted_resp_release(moted_resp *resp);
/* Set a JSON response; takes ownership of (and decrefs) j. */
void moted_resp_json(moted_resp *resp, int status, json_t *j);
/* {"error": "..."} with the status. */
void moted_resp_error(moted_resp *resp, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Status with no body (204, ...). */
void moted_resp_empty(moted_resp *resp, int status);
/* A stored file (blob), honouring "Range: bytes=N-" of the request: 200 or 206, 416 past the end. */
void moted_resp_file(moted_resp *resp, const moted_req *r, const char *path);
/* Bytes with a content type (copies them). */
void moted_resp_bytes(moted_resp *resp, int status, const char *content_type, const void *data, size_t len);

typedef void (*moted_handler)(moted *m, const moted_req *r, moted_resp *resp);

/* Body limits a route declares: JSON requests, model uploads (base64 inside JSON), dataset tars. */
#define MOTED_BODY_JSON ((size_t)64 << 10)
#define MOTED_BODY_MODEL ((size_t)32 << 20)
#define MOTED_BODY_DATASET ((size_t)256 << 20) /* a dataset tar (raw body) */

/* One route: "GET", "/v1/models/{name}/{version}", roles allowed (bit mask;
 * 0 = public), the largest body it reads (413 past it), handler. */
typedef struct {
    const char *method;
    const char *pattern;
    unsigned roles;
    size_t body_limit;
    moted_handler fn;
} moted_route;

/* ---- the request engine ---- */
typedef struct moted_http moted_http;

/* Who holds a bearer token: *role (MOTED_ROLE_NONE when nobody) and, for a
 * device, its id. 0, or -1 with a one-line message in err (the request is
 * then answered 500). */
typedef int (*moted_auth_fn)(moted *m, const char *token, moted_role *role, char device_id[24], char *err,
                             size_t errlen);

/* An engine for server m (handed to every handler) that will listen on bind
 * (an IPv4 or IPv6 address) and port (0: any free one); tokens are resolved by
 * auth. NULL with a message when the address is not one. */
moted_http *moted_http_new(moted *m, moted_auth_fn auth, const char *bind, int port, char *err, size_t errlen);
/* Serve n more routes (the table is copied). 0, or -1 out of memory. */
int moted_http_add_routes(moted_http *h, const moted_route *routes, size_t n);
/* Start listening: threads epoll threads. 0, or -1 with a message. */
int moted_http_start(moted_http *h, int threads, char *err, size_t errlen);
/* The port actually bound (after moted_http_start). */
int moted_http_port(const moted_http *h);
/* Stop listening (requests in flight finish first) and free. NULL ok. */
void moted_http_free(moted_http *h);

/* One complete request without a socket (fuzzing, tests): route, the bearer
 * token of `authorization` (the header's value, may be NULL), body limit,
 * handler, as a request over HTTP. query and headers: NULL-terminated key,
 * value lists (may be NULL). resp (moted_resp_init'ed) is released first and
 * always gets a status; moted_resp_release it after. */
void moted_http_dispatch(moted_http *h, const char *method, const char *url, const char *authorization,
                         const uint8_t *body, size_t body_len, const char *const *query, const char *const *headers,
                         moted_resp *resp);

/* Prometheus text: mote_http_requests_total{route,code}, mote_http_request_seconds (histogram). */
void moted_http_metrics(moted_http *h, FILE *out);

#endif
