/* moted helpers: accessors, JSON log lines, metrics, hashes and tokens, the
 * data directory's files. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "moted_internal.h"

mote_store *moted_store(moted *m)
{
    return m->store;
}

const char *moted_data_dir(moted *m)
{
    return m->data_dir;
}

const moted_config *moted_cfg(moted *m)
{
    return &m->cfg;
}

static void iso_now_ms(char out[48])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    char base[32];
    if (!gmtime_r(&ts.tv_sec, &tm) || !strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm))
        snprintf(base, sizeof base, "1970-01-01T00:00:00");
    snprintf(out, 48, "%.24s.%03dZ", base, (int)((ts.tv_nsec / 1000000) % 1000));
}

void moted_log(moted *m, const char *level, const char *fmt, ...)
{
    if (m && !m->cfg.log_json && !strcmp(level, "info")) return;
    char msg[2048], ts[48];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    iso_now_ms(ts);
    json_t *o = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level, "msg", msg);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s) fprintf(stderr, "%s\n", s); /* one call: lines of different threads do not interleave */
    free(s);
}

void moted_log_request(moted *m, const char *method, const char *route, int status, long long us)
{
    if (!m->cfg.log_json) return;
    char ts[48];
    iso_now_ms(ts);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "ts", ts, "level", "info", "msg", "request",
                          "method", method, "route", route, "status", status, "us", (json_int_t)us);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s) fprintf(stderr, "%s\n", s);
    free(s);
}

/* ---- metrics ---- */

static const double lat_bounds[MOTED_LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,    0.25,  0.5,    1,     2.5,  5};

void moted_metrics_request(moted *m, const char *route, int code, double seconds)
{
    moted_metrics *mt = &m->metrics;
    pthread_mutex_lock(&mt->mu);
    size_t i;
    for (i = 0; i < mt->n_counts; i++)
        if (mt->counts[i].code == code && !strcmp(mt->counts[i].route, route)) break;
    if (i == mt->n_counts) {
        if (mt->n_counts == mt->cap_counts) {
            size_t nc = mt->cap_counts ? mt->cap_counts * 2 : 32;
            moted_route_count *g = realloc(mt->counts, nc * sizeof *g);
            if (!g) goto hist; /* the histogram still counts it */
            mt->counts = g;
            mt->cap_counts = nc;
        }
        mt->counts[i] = (moted_route_count){route, code, 0};
        mt->n_counts++;
    }
    mt->counts[i].n++;
hist:;
    int b = 0;
    while (b < MOTED_LAT_BUCKETS && seconds > lat_bounds[b]) b++;
    mt->lat_bucket[b]++;
    mt->lat_sum += seconds;
    mt->lat_count++;
    pthread_mutex_unlock(&mt->mu);
}

void moted_metrics_telemetry(moted *m)
{
    atomic_fetch_add(&m->metrics.telemetry_reports, 1);
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

void moted_metrics_write(moted *m, FILE *out)
{
    moted_metrics *mt = &m->metrics;
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
    for (int b = 0; b <= MOTED_LAT_BUCKETS; b++) {
        cum += mt->lat_bucket[b];
        if (b < MOTED_LAT_BUCKETS)
            fprintf(out, "mote_http_request_seconds_bucket{le=\"%g\"} %llu\n", lat_bounds[b], (unsigned long long)cum);
        else
            fprintf(out, "mote_http_request_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    fprintf(out, "mote_http_request_seconds_sum %.6f\nmote_http_request_seconds_count %llu\n", mt->lat_sum,
            (unsigned long long)mt->lat_count);
    pthread_mutex_unlock(&mt->mu);
    int64_t n = 0;
    if (mote_store_device_count(m->store, &n) == 0)
        fprintf(out, "# HELP mote_devices Registered devices.\n# TYPE mote_devices gauge\nmote_devices %lld\n",
                (long long)n);
    fprintf(out,
            "# HELP mote_telemetry_reports_total Telemetry reports received from devices.\n"
            "# TYPE mote_telemetry_reports_total counter\nmote_telemetry_reports_total %llu\n",
            (unsigned long long)atomic_load(&mt->telemetry_reports));
}

/* ---- tokens ---- */

/* DIR/<role>.token: read it, or make it at first start; its hash goes into the
 * database either way (the file is the truth after a crash between the two). */
static int ensure_token(moted *m, const char *role, char *err, size_t errlen)
{
    char path[1100], tok[80] = "";
    snprintf(path, sizeof path, "%s/%s.token", m->data_dir, role);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(tok, 1, sizeof tok - 1, f);
        fclose(f);
        tok[n] = 0;
        while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' ')) tok[--n] = 0;
        if (!mote_is_sha256_hex(tok)) {
            snprintf(err, errlen, "%.300s: not a token (expected 64 hex digits)", path);
            return -1;
        }
    } else if (errno == ENOENT) {
        mote_random_hex32(tok);
    } else {
        snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
        return -1;
    }
    char hash[65];
    mote_sha256_hex(tok, 64, hash);
    if (mote_store_token_add(m->store, role, role, hash) != 0) {
        snprintf(err, errlen, "%.300s", mote_store_error(m->store));
        return -1;
    }
    if (!f) {
        char line[96];
        snprintf(line, sizeof line, "%.64s\n", tok);
        if (mote_write_file_atomic(path, line, strlen(line), 0600, err, errlen) != 0) return -1;
    }
    sodium_memzero(tok, sizeof tok);
    return 0;
}

int moted_mkdir_p(const char *dir, char *err, size_t errlen)
{
    char p[1024];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
        snprintf(err, errlen, "%.200s...: path too long", dir);
        return -1;
    }
    /* Each parent in turn; existing ones are fine. */
    for (char *s = p + 1;; s++) {
        char c = *s;
        if (c != '/' && c != 0) continue;
        *s = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%.300s: %s", p, strerror(errno));
            return -1;
        }
        *s = c;
        if (!c) return 0;
    }
}

int moted_datadir_init(moted *m, char *err, size_t errlen)
{
    char blobs[1100];
    snprintf(blobs, sizeof blobs, "%s/blobs", m->data_dir);
    if (mkdir(blobs, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%.300s: %s", blobs, strerror(errno));
        return -1;
    }
    if (ensure_token(m, "admin", err, errlen) != 0 || ensure_token(m, "enroll", err, errlen) != 0) return -1;
    return 0;
}
