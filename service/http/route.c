/* The request engine without the socket: "{param}" routing, bearer-token
 * roles, the route's body limit, calling the handler, and a whole request
 * through those (moted_http_dispatch). server.c feeds it from libmicrohttpd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/engine.h"
#include "moted_ctx.h"

#define MAX_SEGMENTS 12

double http_since(const http_req *c)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - c->t0.tv_sec) + (double)(t.tv_nsec - c->t0.tv_nsec) * 1e-9;
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

static void find_route(moted_http *h, const char *method, const char *url, http_req *c)
{
    if (strlen(url) > HTTP_MAX_PATH) {
        c->verdict = 404;
        snprintf(c->msg, sizeof c->msg, "path: longer than %d bytes", HTTP_MAX_PATH);
        return;
    }
    int path_known = 0;
    for (size_t i = 0; i < h->n_routes; i++) {
        char *seg[MAX_SEGMENTS];
        snprintf(c->path, sizeof c->path, "%s", url);
        int n = split_path(c->path, seg);
        const char *params[MOTED_MAX_PARAMS] = {0};
        int np = 0;
        if (n < 0 || !match_pattern(h->routes[i].pattern, seg, n, params, &np)) continue;
        path_known = 1;
        if (strcmp(h->routes[i].method, method) != 0) continue;
        c->route = &h->routes[i];
        memcpy(c->params, params, sizeof params);
        c->n_params = np;
        return;
    }
    c->verdict = path_known ? 405 : 404;
    if (path_known) snprintf(c->msg, sizeof c->msg, "%.16s %.200s: method not allowed", method, url);
    else snprintf(c->msg, sizeof c->msg, "%.200s: no such route", url);
}

/* Role of the bearer token; verdict 401/403/500 when it does not open the route. */
static void authenticate(moted_http *h, const char *hdr, http_req *c)
{
    if (!c->route->roles) return; /* public */
    if (!hdr || strncasecmp(hdr, "Bearer ", 7) != 0 || strlen(hdr + 7) == 0 || strlen(hdr + 7) > 256) {
        c->verdict = 401;
        snprintf(c->msg, sizeof c->msg, "Authorization: a bearer token is required");
        return;
    }
    char err[400] = "";
    c->role = MOTED_ROLE_NONE;
    if (h->auth(h->m, hdr + 7, &c->role, c->device_id, err, sizeof err) != 0) {
        c->verdict = 500;
        snprintf(c->msg, sizeof c->msg, "storage: %.250s", err);
        moted_log(h->m, "error", "authentication: %s", err);
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

void http_begin(moted_http *h, const char *method, const char *url, const char *authorization, http_req *c)
{
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    find_route(h, method, url, c);
    if (!c->verdict) authenticate(h, authorization, c);
    c->limit = c->route ? c->route->body_limit : MOTED_BODY_JSON;
}

void http_call(moted_http *h, const http_req *c, moted_req *req, moted_resp *resp)
{
    memcpy(req->params, c->params, sizeof req->params);
    req->n_params = c->n_params;
    req->role = c->role;
    req->device_id = c->role == MOTED_ROLE_DEVICE ? c->device_id : NULL;
    c->route->fn(h->m, req, resp);
    if (resp->status < 100 || resp->status > 599) {
        moted_log(h->m, "error", "%s %s: the handler set no response", req->method, c->route->pattern);
        moted_resp_error(resp, 500, "internal error: no response");
    }
}

int moted_http_add_routes(moted_http *h, const moted_route *r, size_t n)
{
    moted_route *g = realloc(h->routes, (h->n_routes + n) * sizeof *g);
    if (!g) return -1;
    memcpy(g + h->n_routes, r, n * sizeof *r);
    h->routes = g;
    h->n_routes += n;
    return 0;
}

void moted_http_dispatch(moted_http *h, const char *method, const char *url, const char *authorization,
                         const uint8_t *body, size_t body_len, const char *const *query, const char *const *headers,
                         moted_resp *resp)
{
    http_req *c = calloc(1, sizeof *c);
    uint8_t *copy = NULL;
    moted_resp_release(resp);
    if (!c) {
        moted_resp_error(resp, 500, "out of memory");
        return;
    }
    http_begin(h, method, url, authorization, c);
    if (!c->verdict && body_len > c->limit) {
        c->verdict = 413;
        snprintf(c->msg, sizeof c->msg, "body: %zu bytes, the limit here is %zu", body_len, c->limit);
    }
    /* The handler sees a NUL-terminated copy, as over HTTP. */
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
                         .body = copy ? copy : (const uint8_t *)"",
                         .body_len = copy ? body_len : 0,
                         .query = query,
                         .headers = headers};
        http_call(h, c, &req, resp);
    }
    http_metrics_count(&h->metrics, c->route ? c->route->pattern : "unmatched", resp->status, http_since(c));
    free(copy);
    free(c);
}
