/* moted: the TinyML-as-a-Service server (docs/service.md). Started by
 * `mote serve`; everything it keeps lives in config.data_dir. */
#ifndef MOTED_H
#define MOTED_H

#include <stddef.h>

typedef struct moted moted;

typedef struct {
    const char *data_dir; /* created if missing */
    const char *bind;     /* listen address, NULL = "127.0.0.1" */
    int port;             /* 0 = any free port (see DIR/moted.port) */
    int threads;          /* HTTP worker threads, <= 0 = 2 */
    int workers;          /* compile workers, <= 0 = 1 */
    int log_json;         /* 1: a JSON log line per request on stderr; 0: only warnings and errors */
    const char *mote_exe; /* the mote binary AutoML jobs run (`mote automl`); NULL: AutoML jobs are refused */
    int drift_window;     /* inferences per drift evaluation of a model version in a group, <= 0 = 500 */
} moted_config;

/* Open the data dir (database, tokens, keys), start listening and serving.
 * NULL with a one-line message in err. */
moted *moted_start(const moted_config *c, char *err, size_t errlen);
/* The port actually bound. */
int moted_port(moted *m);
/* Stop serving, join every thread, close the store, free. NULL ok. */
void moted_stop(moted *m);

#endif
