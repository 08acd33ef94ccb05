/* moted: the one place that starts and wires the parts (docs/service.md).
 * It opens the data dir's store (store/), makes the tokens of a first start,
 * starts the rollout (rollout/) and the request engine (http/) with the API's
 * routes and token check (api/), and stops them in the reverse order. It also
 * keeps what every part may ask for (moted_ctx.h): the log and the counters. */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api/api.h"
#include "http/http.h"
#include "moted_ctx.h"
#include "automl/automl.h"
#include "monitor/monitor.h"
#include "rollout/rollout.h"
#include "store/store.h"

struct moted {
    moted_config cfg; /* bind and data_dir point into the buffers below */
    char data_dir[1024];
    char bind[64];
    mote_store *store;
    moted_rollout *rollout;
    moted_automl *automl;
    moted_monitor *monitor;
    moted_http *http;
    atomic_uint_fast64_t telemetry_reports;
};

mote_store *moted_store(moted *m)
{
    return m->store;
}

moted_rollout *moted_rollout_of(moted *m)
{
    return m->rollout;
}

moted_automl *moted_automl_of(moted *m)
{
    return m->automl;
}

moted_monitor *moted_monitor_of(moted *m)
{
    return m->monitor;
}

moted_http *moted_http_of(moted *m)
{
    return m->http;
}

void moted_count_telemetry(moted *m)
{
    atomic_fetch_add(&m->telemetry_reports, 1);
}

uint64_t moted_telemetry_reports(moted *m)
{
    return atomic_load(&m->telemetry_reports);
}

/* ---- the log ---- */

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

/* Print o as one line and release it. */
static void log_line(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s) fprintf(stderr, "%s\n", s); /* one call: lines of different threads do not interleave */
    free(s);
}

void moted_log(moted *m, const char *level, const char *fmt, ...)
{
    if ((!m || !m->cfg.log_json) && !strcmp(level, "info")) return;
    char msg[2048], ts[48];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    iso_now_ms(ts);
    log_line(json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level, "msg", msg));
}

void moted_log_request(moted *m, const char *method, const char *route, int status, long long us)
{
    if (!m->cfg.log_json) return;
    char ts[48];
    iso_now_ms(ts);
    log_line(json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "ts", ts, "level", "info", "msg", "request", "method",
                       method, "route", route, "status", status, "us", (json_int_t)us));
}

/* ---- the data dir ---- */

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

/* mkdir -p (mode 0700 for what it creates). */
static int mkdir_p(const char *dir, char *err, size_t errlen)
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

/* Data dir: create DIR and DIR/blobs, make admin.token / enroll.token (0600)
 * at first start and make sure the database knows their hashes. */
static int datadir_init(moted *m, char *err, size_t errlen)
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

/* ---- start and stop ---- */

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
    atomic_init(&m->telemetry_reports, 0);
    /* The address is checked before anything is made on disk. */
    m->http = moted_http_new(m, moted_api_authenticate, m->bind, cfg->port, err, errlen);
    if (!m->http) goto fail;
    if (mkdir_p(m->data_dir, err, errlen) != 0) goto fail;
    m->store = mote_store_open(m->data_dir, err, errlen);
    if (!m->store) goto fail;
    if (datadir_init(m, err, errlen) != 0) goto fail;
    m->monitor = moted_monitor_new(m, m->store, m->cfg.drift_window, err, errlen);
    if (!m->monitor) goto fail;
    m->rollout = moted_rollout_start(m, m->store, m->data_dir, m->cfg.workers, err, errlen);
    if (!m->rollout) goto fail;
    m->automl = moted_automl_start(m, m->store, m->data_dir, m->cfg.mote_exe, err, errlen);
    if (!m->automl) goto fail;
    for (size_t i = 0; i < moted_api_n_tables; i++)
        if (moted_http_add_routes(m->http, moted_api_tables[i]->routes, moted_api_tables[i]->n) != 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    if (moted_http_start(m->http, m->cfg.threads, err, errlen) != 0) goto fail;
    char path[1100], line[16];
    snprintf(path, sizeof path, "%s/moted.port", m->data_dir);
    snprintf(line, sizeof line, "%d\n", moted_port(m));
    if (mote_write_file_atomic(path, line, strlen(line), 0644, err, errlen) != 0) goto fail;
    moted_log(m, "info", "moted listening on %s:%d, data %s, %d threads, %d workers", m->bind, moted_port(m),
              m->data_dir, m->cfg.threads, m->cfg.workers);
    return m;
fail:
    moted_stop(m);
    return NULL;
}

int moted_port(moted *m)
{
    return moted_http_port(m->http);
}

void moted_stop(moted *m)
{
    if (!m) return;
    /* Requests first (they use everything), then the workers, then storage. */
    moted_http_free(m->http);
    moted_automl_stop(m->automl);
    moted_rollout_stop(m->rollout);
    moted_monitor_free(m->monitor);
    mote_store_close(m->store);
    free(m);
}
