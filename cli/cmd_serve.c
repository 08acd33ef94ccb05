/* mote serve: run moted (docs/service.md) in the foreground until SIGINT or SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "moted.h"

static void help(FILE *f)
{
    fprintf(f, "usage: mote serve --data DIR [--port P] [--bind ADDR] [--threads N] [--workers N]\n"
               "                  [--drift-window N] [--quiet]\n\n"
               "Runs moted, the model repository, compile and roll-out service (docs/service.md), with\n"
               "dataset versions, AutoML jobs and drift monitoring, until SIGINT or SIGTERM.\n\n"
               "  --data DIR     data directory (created): database, blobs, keys, tokens; at first\n"
               "                 start DIR/admin.token and DIR/enroll.token are made (mode 0600)\n"
               "  --port P       TCP port (default 8080; 0 = any free one, see DIR/moted.port)\n"
               "  --bind ADDR    listen address (default 127.0.0.1)\n"
               "  --threads N    HTTP threads (default 2)\n"
               "  --workers N    compile workers (default 1)\n"
               "  --drift-window N  inferences per drift evaluation of a model version in a device\n"
               "                 group (default 500; docs/monitoring.md)\n"
               "  --quiet        log only warnings and errors (default: a JSON line per request on stderr)\n"
               "Prints \"moted listening on http://ADDR:PORT\" once serving. Exit status: 0 after a\n"
               "signal; 1 when the service cannot start; 2 usage.\n");
}

/* An integer option in [lo, hi]; -1 (with a message) otherwise. */
static long int_opt(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "mote serve: %s: '%s' is not an integer in %ld..%ld\n", opt, s, lo, hi);
        return -1;
    }
    return v;
}

int cmd_serve(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    moted_config cfg = {.data_dir = NULL, .bind = "127.0.0.1", .port = 8080, .threads = 2, .workers = 1, .log_json = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        long v = 0;
        if (!strcmp(a, "--quiet")) cfg.log_json = 0;
        else if (!strcmp(a, "--data") && has) cfg.data_dir = argv[++i];
        else if (!strcmp(a, "--bind") && has) cfg.bind = argv[++i];
        else if (!strcmp(a, "--port") && has) {
            if ((v = int_opt(a, argv[++i], 0, 65535)) < 0) return 2;
            cfg.port = (int)v;
        } else if (!strcmp(a, "--threads") && has) {
            if ((v = int_opt(a, argv[++i], 1, 256)) < 0) return 2;
            cfg.threads = (int)v;
        } else if (!strcmp(a, "--drift-window") && has) {
            if ((v = int_opt(a, argv[++i], 1, 100000000)) < 0) return 2;
            cfg.drift_window = (int)v;
        } else if (!strcmp(a, "--workers") && has) {
            if ((v = int_opt(a, argv[++i], 1, 64)) < 0) return 2;
            cfg.workers = (int)v;
        } else {
            fprintf(stderr, "mote serve: %s: unknown option or missing value (see --help)\n", a);
            return 2;
        }
    }
    if (!cfg.data_dir) {
        fprintf(stderr, "mote serve: --data DIR is required\n");
        return 2;
    }
    /* Block the stop signals before any thread starts so that only sigwait sees them;
     * a client that hangs up must not kill the server through SIGPIPE. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "mote serve: cannot set up signal handling\n");
        return 1;
    }
    /* AutoML jobs run this very binary (`mote automl`) as a child process. */
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        cfg.mote_exe = exe;
    }
    char err[1024];
    moted *m = moted_start(&cfg, err, sizeof err);
    if (!m) {
        fprintf(stderr, "mote serve: %s\n", err);
        return 1;
    }
    printf("moted listening on http://%s:%d\n", cfg.bind, moted_port(m));
    fflush(stdout);
    int sig = 0;
    if (sigwait(&stop, &sig) != 0) sig = 0;
    moted_stop(m);
    return 0;
}
