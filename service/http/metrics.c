/* The engine's request metrics: requests by route pattern and status, and
 * the latency histogram, as Prometheus text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/engine.h"

static const double lat_bounds[HTTP_LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,    0.25,  0.5,    1,     2.5,  5};

int http_metrics_init(http_metrics *mt)
{
    memset(mt, 0, sizeof *mt);
    return pthread_mutex_init(&mt->mu, NULL) == 0 ? 0 : -1;
}

void http_metrics_free(http_metrics *mt)
{
    free(mt->counts);
    pthread_mutex_destroy(&mt->mu);
}

void http_metrics_count(http_metrics *mt, const char *route, int code, double seconds)
{
    pthread_mutex_lock(&mt->mu);
    size_t i;
    for (i = 0; i < mt->n_counts; i++)
        if (mt->counts[i].code == code && !strcmp(mt->counts[i].route, route)) break;
    if (i == mt->n_counts) {
        if (mt->n_counts == mt->cap_counts) {
            size_t nc = mt->cap_counts ? mt->cap_counts * 2 : 32;
            http_route_count *g = realloc(mt->counts, nc * sizeof *g);
            if (!g) goto hist; /* the histogram still counts it */
            mt->counts = g;
            mt->cap_counts = nc;
        }
        mt->counts[i] = (http_route_count){route, code, 0};
        mt->n_counts++;
    }
    mt->counts[i].n++;
hist:;
    int b = 0;
    while (b < HTTP_LAT_BUCKETS && seconds > lat_bounds[b]) b++;
    mt->lat_bucket[b]++;
    mt->lat_sum += seconds;
    mt->lat_count++;
    pthread_mutex_unlock(&mt->mu);
}

/* Label values may hold anything but '"', '\\' and newlines unescaped. */
static void label_value(FILE *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') fputc('\\', out);
        if (*v == '\n') fputs("\\n", out);
        else fputc(*v, out);
    }
}

void moted_http_metrics(moted_http *h, FILE *out)
{
    http_metrics *mt = &h->metrics;
    fputs("# HELP mote_http_requests_total HTTP requests by route pattern and status code.\n"
          "# TYPE mote_http_requests_total counter\n",
          out);
    pthread_mutex_lock(&mt->mu);
    for (size_t i = 0; i < mt->n_counts; i++) {
        fputs("mote_http_requests_total{route=\"", out);
        label_value(out, mt->counts[i].route);
        fprintf(out, "\",code=\"%d\"} %llu\n", mt->counts[i].code, (unsigned long long)mt->counts[i].n);
    }
    fputs("# HELP mote_http_request_seconds Time from the request line to the response being queued.\n"
          "# TYPE mote_http_request_seconds histogram\n",
          out);
    uint64_t cum = 0;
    for (int b = 0; b <= HTTP_LAT_BUCKETS; b++) {
        cum += mt->lat_bucket[b];
        if (b < HTTP_LAT_BUCKETS)
            fprintf(out, "mote_http_request_seconds_bucket{le=\"%g\"} %llu\n", lat_bounds[b], (unsigned long long)cum);
        else
            fprintf(out, "mote_http_request_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    fprintf(out, "mote_http_request_seconds_sum %.6f\nmote_http_request_seconds_count %llu\n", mt->lat_sum,
            (unsigned long long)mt->lat_count);
    pthread_mutex_unlock(&mt->mu);
}
