/* moted internals: what a route handler sees (request) and fills (response).
 * server.c owns libmicrohttpd, routing, body limits and authentication; a
 * handler only reads a moted_req and answers through the moted_resp_* calls. */
#ifndef MOTED_HTTP_H
#define MOTED_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct moted moted; /* server state: storage, data dir, keys, metrics (moted_internal.h) */

/* Who made the request: decided by server.c from the bearer token before the
 * handler runs, checked against the route's required role. */
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
    /* Without a connection (moted_dispatch): NULL-terminated key, value, key, value, ... lists. */
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
    uint8_t *body; /* malloc'ed, freed by server.c */
    size_t len;
    int fd;        /* >= 0: send this file from offset for len bytes instead of body (server closes it) */
    uint64_t offset;
    uint64_t total;        /* with fd and a Range request: full size for Content-Range */
    char content_range[96];
} moted_resp;

/* A response with nothing set yet (status 0, fd -1); server.c starts every
 * handler with one. A zeroed struct is NOT empty: fd 0 would be stdin. */
void moted_resp_init(moted_resp *resp);
/* Free what a response holds (body, fd) and empty it (for callers outside server.c). */
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

/* One route: "GET", "/v1/models/{name}/{version}", roles allowed (bit mask), handler. */
typedef struct {
    const char *method;
    const char *pattern;
    unsigned roles;
    moted_handler fn;
} moted_route;

#endif
