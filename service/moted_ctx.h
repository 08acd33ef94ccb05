/* What the parts of moted (http/, api/, rollout/, automl/, monitor/) may ask of the running
 * server, which moted.c starts and wires: its store, rollout, AutoML worker, drift monitor and request
 * engine, its counters and its log. */
#ifndef MOTED_CTX_H
#define MOTED_CTX_H

#include <stdint.h>

#include "moted.h"

struct mote_store;
struct moted_rollout;
struct moted_automl;
struct moted_monitor;
struct moted_http;

struct mote_store *moted_store(moted *m);
struct moted_rollout *moted_rollout_of(moted *m);
struct moted_automl *moted_automl_of(moted *m);
struct moted_monitor *moted_monitor_of(moted *m);
struct moted_http *moted_http_of(moted *m);

/* One JSON object per line on stderr: {"ts","level","msg"}. level "info",
 * "warn", "error"; "info" lines only with log_json (and never for m NULL). */
void moted_log(moted *m, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The log line of one request: method, route pattern, status, microseconds (with log_json). */
void moted_log_request(moted *m, const char *method, const char *route, int status, long long us);

/* Telemetry reports received (mote_telemetry_reports_total): count one, read. */
void moted_count_telemetry(moted *m);
uint64_t moted_telemetry_reports(moted *m);

#endif
