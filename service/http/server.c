/* The request engine on libmicrohttpd: a pool of epoll threads, reading a
 * body within the route's limit, answering early when a request cannot
 * succeed, a metric and a log line per request; listening and stopping. The
 * steps that need no socket are in route.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http/engine.h"
#include "moted_ctx.h"

/* Hand resp to MHD (it takes the body or fd), count and log the request. */
static enum MHD_Result send_resp(moted_http *h, struct MHD_Connection *conn, http_req *c, const char *method,
                                 moted_resp *resp)
{
    struct MHD_Response *r;
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
    double sec = http_since(c);
    http_metrics_count(&h->metrics, route, status, sec);
    moted_log_request(h->m, method, route, status, (long long)(sec * 1e6));
    c->done = 1;
    return ret;
}

static enum MHD_Result send_error(moted_http *h, struct MHD_Connection *conn, http_req *c, const char *method)
{
    moted_resp resp;
    moted_resp_init(&resp);
    moted_resp_error(&resp, c->verdict, "%s", c->msg);
    return send_resp(h, conn, c, method, &resp);
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
    moted_http *h = cls;
    http_req *c = *con_cls;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) return MHD_NO;
        *con_cls = c;
        http_begin(h, method, url, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
                   c);
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
            return send_error(h, conn, c, method);
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
    if (c->verdict) return send_error(h, conn, c, method);
    if (c->body) c->body[c->len] = 0;
    moted_req req = {.method = method,
                     .path = url,
                     .body = c->body ? c->body : (const uint8_t *)"",
                     .body_len = c->len,
                     .conn = conn};
    moted_resp resp;
    moted_resp_init(&resp);
    http_call(h, c, &req, &resp);
    return send_resp(h, conn, c, method, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)conn, (void)t;
    http_req *c = *con_cls;
    if (!c) return;
    free(c->body);
    free(c);
    *con_cls = NULL;
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

moted_http *moted_http_new(moted *m, moted_auth_fn auth, const char *bind, int port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int v6;
    if (!bind || strlen(bind) >= sizeof ((moted_http *)0)->bind || port < 0 || port > 65535 ||
        listen_addr(bind, port, &ss, &v6) != 0) {
        snprintf(err, errlen, "--bind/--port: '%s' port %d is not an IP address and port", bind ? bind : "", port);
        return NULL;
    }
    moted_http *h = calloc(1, sizeof *h);
    if (!h || http_metrics_init(&h->metrics) != 0) {
        snprintf(err, errlen, h ? "cannot create a mutex" : "out of memory");
        free(h);
        return NULL;
    }
    h->m = m;
    h->auth = auth;
    h->port = port;
    snprintf(h->bind, sizeof h->bind, "%s", bind);
    return h;
}

int moted_http_start(moted_http *h, int threads, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int v6 = 0;
    if (listen_addr(h->bind, h->port, &ss, &v6) != 0) {
        snprintf(err, errlen, "--bind %s: not an IPv4 or IPv6 address", h->bind);
        return -1;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0);
    h->daemon = MHD_start_daemon(flags, (uint16_t)h->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, errlen, "%s:%d: cannot listen (address in use or not available)", h->bind, h->port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info) h->port = (int)info->port;
    return 0;
}

int moted_http_port(const moted_http *h)
{
    return h->port;
}

void moted_http_free(moted_http *h)
{
    if (!h) return;
    if (h->daemon) MHD_stop_daemon(h->daemon);
    free(h->routes);
    http_metrics_free(&h->metrics);
    free(h);
}
