/* moted's HTTP side on libmicrohttpd: a pool of epoll threads, body
 * accumulation with limits, "{param}" routing, bearer-token roles, dispatch
 * to the handlers, a metric and a log line per request. Start and stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "moted_internal.h"
#include "rollout/rollout.h"

#define JSON_LIMIT (64u << 10)
#define MODEL_LIMIT (32u << 20)
#define MAX_SEGMENTS 12
#define MAX_PATH 1024

/* What one request collects between MHD's calls. */
typedef struct {
    struct timespec t0;
    const moted_route *route; /* NULL when no route matched */
    int verdict;              /* 0: run the handler; else the error status to answer */
    char msg[300];            /* the error's message */
    moted_role role;
    char device_id[24];
    size_t limit;
    uint8_t *body;
    size_t len, cap;
    char path[MAX_PATH + 1];  /* split copy of the path; params point into it */
    const char *params[MOTED_MAX_PARAMS];
    int n_params;
    int done;
} req_ctx;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* Split "/a/b/c" in place into segments; -1 if too many. */
static int split_path(char *p, char **seg)
{
    int n = 0;
    if (*p == '/') p++;
    for (;;) {
        if (n == MAX_SEGMENTS) return -1;
        seg[n++] = p;
        char *s = strchr(p, '/');
        if (!s) return n;
        *s = 0;
        p = s + 1;
    }
}

/* Does the pattern match the segments? Captures go to params. */
static int match_pattern(const char *pattern, char **seg, int n, const char **params, int *n_params)
{
    const char *p = pattern[0] == '/' ? pattern + 1 : pattern;
    int k = 0, np = 0;
    while (k < n) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
            if (!seg[k][0] || np == MOTED_MAX_PARAMS) return 0;
            params[np++] = seg[k];
        } else if (strlen(seg[k]) != len || strncmp(seg[k], p, len) != 0) {
            return 0;
        }
        k++;
        if (!e) break;
        p = e + 1;
    }
    /* Both must end together. */
    if (k != n || strchr(p, '/')) return 0;
    *n_params = np;
    return 1;
}

static void find_route(moted *m, const char *method, const char *url, req_ctx *c)
{
    if (strlen(url) > MAX_PATH) {
        c->verdict = 404;
        snprintf(c->msg, sizeof c->msg, "path: longer than %d bytes", MAX_PATH);
        return;
    }
    int path_known = 0;
    for (size_t i = 0; i < m->n_routes; i++) {
        char *seg[MAX_SEGMENTS];
        snprintf(c->path, sizeof c->path, "%s", url);
        int n = split_path(c->path, seg);
        const char *params[MOTED_MAX_PARAMS] = {0};
        int np = 0;
        if (n < 0 || !match_pattern(m->routes[i].pattern, seg, n, params, &np)) continue;
        path_known = 1;
        if (strcmp(m->routes[i].method, method) != 0) continue;
        c->route = &m->routes[i];
        memcpy(c->params, params, sizeof params);
        c->n_params = np;
        return;
    }
    c->verdict = path_known ? 405 : 404;
    if (path_known) snprintf(c->msg, sizeof c->msg, "%.16s %.200s: method not allowed", method, url);
    else snprintf(c->msg, sizeof c->msg, "%.200s: no such route", url);
}

/* Role of the bearer token; verdict 401/403/500 when it does not open the route. */
static void authenticate(moted *m, const char *h, req_ctx *c)
{
    if (!c->route->roles) return; /* public */
    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || strlen(h + 7) == 0 || strlen(h + 7) > 256) {
        c->verdict = 401;
        snprintf(c->msg, sizeof c->msg, "Authorization: a bearer token is required");
        return;
    }
    char hash[65], role[16], seen[32];
    const char *tok = h + 7;
    mote_sha256_hex(tok, strlen(tok), hash);
    /* Devices first: they make nearly all requests. */
    int r = mote_store_device_auth(m->store, hash, c->device_id, seen);
    if (r == 0) {
        c->role = MOTED_ROLE_DEVICE;
        if (mote_store_device_seen(m->store, c->device_id, seen) != 0)
            moted_log(m, "warn", "device %s: last_seen: %s", c->device_id, mote_store_error(m->store));
    } else if (r == 1) {
        r = mote_store_token_role(m->store, hash, role, sizeof role);
        if (r == 0)
            c->role = !strcmp(role, "admin") ? MOTED_ROLE_ADMIN : !strcmp(role, "enroll") ? MOTED_ROLE_ENROLL : MOTED_ROLE_NONE;
    }
    if (r < 0) {
        c->verdict = 500;
        snprintf(c->msg, sizeof c->msg, "storage: %.250s", mote_store_error(m->store));
        moted_log(m, "error", "authentication: %s", mote_store_error(m->store));
        return;
    }
    if (c->role == MOTED_ROLE_NONE) {
        c->verdict = 401;
        snprintf(c->msg, sizeof c->msg, "Authorization: unknown token");
    } else if (!(c->route->roles & (unsigned)c->role)) {
        c->verdict = 403;
        snprintf(c->msg, sizeof c->msg, "Authorization: this token's role may not use %.16s %.200s",
                 c->route->method, c->route->pattern);
    }
}

/* Hand resp to MHD (it takes the body or fd), count and log the request. */
static enum MHD_Result send_resp(moted *m, struct MHD_Connection *conn, req_ctx *c, const char *method,
                                 moted_resp *resp)
{
    struct MHD_Response *r;
    if (resp->status < 100 || resp->status > 599) {
        moted_log(m, "error", "%s %s: the handler set no response", method, c->route ? c->route->pattern : "?");
        moted_resp_error(resp, 500, "internal error: no response");
    }
    if (resp->fd >= 0) {
        r = MHD_create_response_from_fd_at_offset64(resp->len, resp->fd, resp->offset);
        if (r) resp->fd = -1; /* MHD closes it */
    } else if (resp->body) {
        r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (r) resp->body = NULL;
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    int status = resp->status;
    if (r) {
        if (resp->content_type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
        if (resp->content_range[0]) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, resp->content_range);
        if (resp->total || status == 206) MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    }
    moted_resp_release(resp);
    enum MHD_Result ret = r ? MHD_queue_response(conn, (unsigned)status, r) : MHD_NO;
    if (r) MHD_destroy_response(r);
    const char *route = c->route ? c->route->pattern : "unmatched";
    double sec = since(&c->t0);
    moted_metrics_request(m, route, status, sec);
    moted_log_request(m, method, route, status, (long long)(sec * 1e6));
    c->done = 1;
    return ret;
}

static enum MHD_Result send_error(moted *m, struct MHD_Connection *conn, req_ctx *c, const char *method)
{
    moted_resp resp;
    moted_resp_init(&resp);
    moted_resp_error(&resp, c->verdict, "%s", c->msg);
    return send_resp(m, conn, c, method, &resp);
}

/* Does the request announce a body? */
static int expects_body(struct MHD_Connection *conn, unsigned long long *clen, int *has_len)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    *has_len = 0;
    if (cl) {
        char *end;
        errno = 0;
        *clen = strtoull(cl, &end, 10);
        *has_len = !errno && end != cl && *end == 0;
        if (*has_len && *clen == 0) return 0;
    }
    return cl || te;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    moted *m = cls;
    req_ctx *c = *con_cls;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) return MHD_NO;
        *con_cls = c;
        clock_gettime(CLOCK_MONOTONIC, &c->t0);
        find_route(m, method, url, c);
        if (!c->verdict)
            authenticate(m, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), c);
        c->limit = c->route && !strcmp(c->route->pattern, "/v1/models") && !strcmp(method, "POST") ? MODEL_LIMIT
                                                                                                    : JSON_LIMIT;
        unsigned long long clen = 0;
        int has_len;
        int body = expects_body(conn, &clen, &has_len);
        if (!c->verdict && has_len && clen > c->limit) {
            c->verdict = 413;
            snprintf(c->msg, sizeof c->msg, "body: %llu bytes, the limit here is %zu", clen, c->limit);
        }
        /* Answer at once when no body will follow or the client waits for
         * "100 Continue"; otherwise read (and drop) the body first so the
         * client sees the answer rather than a reset connection. */
        const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        if (c->verdict && (!body || (expect && !strcasecmp(expect, "100-continue"))))
            return send_error(m, conn, c, method);
        return MHD_YES;
    }
    if (c->done) { /* answered early; drop what still arrives */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (c->verdict) return MHD_YES;
        if (c->len + n > c->limit) {
            c->verdict = 413;
            snprintf(c->msg, sizeof c->msg, "body: more than %zu bytes, the limit here", c->limit);
            free(c->body);
            c->body = NULL;
            c->len = c->cap = 0;
            return MHD_YES;
        }
        if (c->len + n + 1 > c->cap) {
            size_t nc = c->cap ? c->cap : 4096;
            while (nc < c->len + n + 1) nc *= 2;
            uint8_t *g = realloc(c->body, nc);
            if (!g) {
                c->verdict = 500;
                snprintf(c->msg, sizeof c->msg, "out of memory reading the body");
                return MHD_YES;
            }
            c->body = g;
            c->cap = nc;
        }
        memcpy(c->body + c->len, upload, n);
        c->len += n;
        return MHD_YES;
    }
    if (c->verdict) return send_error(m, conn, c, method);
    if (c->body) c->body[c->len] = 0;
    moted_req req = {.method = method,
                     .path = url,
                     .n_params = c->n_params,
                     .body = c->body ? c->body : (const uint8_t *)"",
                     .body_len = c->len,
                     .role = c->role,
                     .device_id = c->role == MOTED_ROLE_DEVICE ? c->device_id : NULL,
                     .conn = conn};
    memcpy(req.params, c->params, sizeof req.params);
    moted_resp resp;
    moted_resp_init(&resp);
    c->route->fn(m, &req, &resp);
    return send_resp(m, conn, c, method, &resp);
}

void moted_dispatch(moted *m, const char *method, const char *url, const char *authorization, const uint8_t *body,
                    size_t body_len, const char *const *query, const char *const *headers, moted_resp *resp)
{
    req_ctx *c = calloc(1, sizeof *c);
    uint8_t *copy = NULL;
    moted_resp_release(resp);
    if (!c) {
        moted_resp_error(resp, 500, "out of memory");
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    find_route(m, method, url, c);
    if (!c->verdict) authenticate(m, authorization, c);
    c->limit = c->route && !strcmp(c->route->pattern, "/v1/models") && !strcmp(method, "POST") ? MODEL_LIMIT
                                                                                                : JSON_LIMIT;
    if (!c->verdict && body_len > c->limit) {
        c->verdict = 413;
        snprintf(c->msg, sizeof c->msg, "body: %zu bytes, the limit here is %zu", body_len, c->limit);
    }
    /* The handler sees a NUL-terminated copy, as from on_request. */
    if (!c->verdict && body_len && !(copy = malloc(body_len + 1))) {
        c->verdict = 500;
        snprintf(c->msg, sizeof c->msg, "out of memory reading the body");
    }
    if (c->verdict) {
        moted_resp_error(resp, c->verdict, "%s", c->msg);
    } else {
        if (copy) {
            memcpy(copy, body, body_len);
            copy[body_len] = 0;
        }
        moted_req req = {.method = method,
                         .path = url,
                         .n_params = c->n_params,
                         .body = copy ? copy : (const uint8_t *)"",
                         .body_len = copy ? body_len : 0,
                         .role = c->role,
                         .device_id = c->role == MOTED_ROLE_DEVICE ? c->device_id : NULL,
                         .query = query,
                         .headers = headers};
        memcpy(req.params, c->params, sizeof req.params);
        c->route->fn(m, &req, resp);
        if (resp->status < 100 || resp->status > 599) {
            moted_log(m, "error", "%s %s: the handler set no response", method, c->route->pattern);
            moted_resp_error(resp, 500, "internal error: no response");
        }
    }
    moted_metrics_request(m, c->route ? c->route->pattern : "unmatched", resp->status, since(&c->t0));
    free(copy);
    free(c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)conn, (void)t;
    req_ctx *c = *con_cls;
    if (!c) return;
    free(c->body);
    free(c);
    *con_cls = NULL;
}

static int add_routes(moted *m, const moted_route *r, size_t n)
{
    moted_route *g = realloc(m->routes, (m->n_routes + n) * sizeof *g);
    if (!g) return -1;
    memcpy(g + m->n_routes, r, n * sizeof *r);
    m->routes = g;
    m->n_routes += n;
    return 0;
}

static int listen_addr(const char *bind, int port, struct sockaddr_storage *ss, int *v6)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *v6 = 0;
        return 0;
    }
    if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *v6 = 1;
        return 0;
    }
    return -1;
}

moted *moted_start(const moted_config *cfg, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium: cannot initialise");
        return NULL;
    }
    moted *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    if (!cfg->data_dir || !*cfg->data_dir || strlen(cfg->data_dir) >= sizeof m->data_dir) {
        snprintf(err, errlen, "--data: a directory is required (at most %zu bytes)", sizeof m->data_dir - 1);
        free(m);
        return NULL;
    }
    snprintf(m->data_dir, sizeof m->data_dir, "%s", cfg->data_dir);
    snprintf(m->bind, sizeof m->bind, "%s", cfg->bind && *cfg->bind ? cfg->bind : "127.0.0.1");
    m->cfg.data_dir = m->data_dir;
    m->cfg.bind = m->bind;
    if (m->cfg.threads <= 0) m->cfg.threads = 2;
    if (m->cfg.workers <= 0) m->cfg.workers = 1;
    struct sockaddr_storage ss;
    int v6;
    if (cfg->port < 0 || cfg->port > 65535 || listen_addr(m->bind, cfg->port, &ss, &v6) != 0) {
        snprintf(err, errlen, "--bind/--port: '%s' port %d is not an IP address and port", m->bind, cfg->port);
        free(m);
        return NULL;
    }
    if (pthread_mutex_init(&m->metrics.mu, NULL) != 0) {
        snprintf(err, errlen, "cannot create a mutex");
        free(m);
        return NULL;
    }
    atomic_init(&m->metrics.telemetry_reports, 0);
    if (moted_mkdir_p(m->data_dir, err, errlen) != 0) goto fail;
    m->store = mote_store_open(m->data_dir, err, errlen);
    if (!m->store) goto fail;
    if (moted_datadir_init(m, err, errlen) != 0) goto fail;
    m->rollout = moted_rollout_start(m, err, errlen);
    if (!m->rollout) goto fail;
    if (add_routes(m, moted_ops_routes, moted_ops_n_routes) || add_routes(m, moted_models_routes, moted_models_n_routes) ||
        add_routes(m, moted_devices_routes, moted_devices_n_routes) ||
        add_routes(m, moted_rollout_routes, moted_rollout_n_routes)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0);
    m->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)m->cfg.threads,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, m, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
    if (!m->daemon) {
        snprintf(err, errlen, "%s:%d: cannot listen (address in use or not available)", m->bind, cfg->port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? (int)info->port : cfg->port;
    char path[1100], line[16];
    snprintf(path, sizeof path, "%s/moted.port", m->data_dir);
    snprintf(line, sizeof line, "%d\n", m->port);
    if (mote_write_file_atomic(path, line, strlen(line), 0644, err, errlen) != 0) goto fail;
    moted_log(m, "info", "moted listening on %s:%d, data %s, %d threads, %d workers", m->bind, m->port, m->data_dir,
              m->cfg.threads, m->cfg.workers);
    return m;
fail:
    moted_stop(m);
    return NULL;
}

int moted_port(moted *m)
{
    return m->port;
}

void moted_stop(moted *m)
{
    if (!m) return;
    /* Requests first (they use everything), then the rollout's threads, then storage. */
    if (m->daemon) MHD_stop_daemon(m->daemon);
    moted_rollout_stop(m->rollout);
    mote_store_close(m->store);
    free(m->routes);
    free(m->metrics.counts);
    pthread_mutex_destroy(&m->metrics.mu);
    free(m);
}
