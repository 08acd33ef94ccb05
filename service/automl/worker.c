/* The AutoML worker: one thread, one search at a time (a search already uses
 * every core). Each job runs `mote automl` as a child process in its own
 * process group, at a lower priority than the server, so a crash or a kill
 * of the search never takes moted down and stopping it stops everything it
 * started. Its stderr status lines become the job's progress (and
 * DATA/automl/N/log.txt), its stdout JSON the result that publish.c reads. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "automl/internal.h"
#include "moted_ctx.h"

struct moted_automl {
    moted *m;
    mote_store *s;
    char dir[1024];   /* DATA/automl */
    char exe[1024];   /* "" when jobs are refused */
    pthread_mutex_t mu; /* guards stop, wake; with cv */
    pthread_cond_t cv;
    int stop, wake, started;
    pthread_t thread;
};

enum { CHILD_OK, CHILD_FAILED, CHILD_STOPPED, CHILD_CANCELLED };

int moted_automl_enabled(const moted_automl *a)
{
    return a && a->exe[0];
}

int moted_automl_path(const moted_automl *a, int64_t job, const char *leaf, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/%lld%s%s", a->dir, (long long)job, *leaf ? "/" : "", leaf);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

void moted_automl_wake(moted_automl *a)
{
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->wake = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

static int stopping(moted_automl *a)
{
    pthread_mutex_lock(&a->mu);
    int s = a->stop;
    pthread_mutex_unlock(&a->mu);
    return s;
}

/* Sleep up to `seconds` or until woken; 1 when stopping. */
static int wait_for(moted_automl *a, int seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    pthread_mutex_lock(&a->mu);
    while (!a->stop && !a->wake)
        if (pthread_cond_timedwait(&a->cv, &a->mu, &ts) != 0) break;
    a->wake = 0;
    int stop = a->stop;
    pthread_mutex_unlock(&a->mu);
    return stop;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The job's dataset files in job_dir/data, extracted once (data.tmp, then a rename). */
static int lay_out_data(moted_automl *a, const mote_automl_rec *j, const char *job_dir, char *data, size_t datalen,
                        char *err, size_t errlen)
{
    snprintf(data, datalen, "%s/data", job_dir);
    struct stat st;
    if (stat(data, &st) == 0) return 0;
    mote_dataset_rec ds;
    int r = mote_store_dataset_get(a->s, j->dataset, j->dataset_version, &ds);
    if (r != 0) {
        snprintf(err, errlen, "dataset %s/%s: %s", j->dataset, j->dataset_version,
                 r == 1 ? "not in the store" : mote_store_error(a->s));
        return -1;
    }
    char blob[1200], tmp[1200];
    r = mote_store_blob_path(a->s, ds.sha256, blob, sizeof blob);
    mote_dataset_free(&ds);
    if (r != 0) {
        snprintf(err, errlen, "dataset %s/%s: its tar blob is missing", j->dataset, j->dataset_version);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s/data.tmp", job_dir);
    pid_t pid = fork(); /* rm -rf of a half-extracted folder, without writing a tree walker */
    if (pid == 0) {
        execlp("rm", "rm", "-rf", tmp, (char *)NULL);
        _exit(127);
    }
    if (pid > 0) waitpid(pid, NULL, 0);
    if (moted_dataset_extract(blob, tmp, err, errlen) != 0) return -1;
    if (rename(tmp, data) != 0) {
        snprintf(err, errlen, "%.300s: %s", data, strerror(errno));
        return -1;
    }
    return 0;
}

/* Stop the child's process group: TERM, then KILL after 10 s. */
static void stop_child(pid_t pid, int *status)
{
    kill(-pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, status, WNOHANG) == pid) return;
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, status, 0);
}

/* Run the search; last gets its last stderr line (the error, when it fails). */
static int run_child(moted_automl *a, const mote_automl_rec *j, char **argv, const char *job_dir, char *last,
                     size_t lastlen)
{
    char out_path[1200], log_path[1200];
    snprintf(out_path, sizeof out_path, "%s/result.json", job_dir);
    snprintf(log_path, sizeof log_path, "%s/log.txt", job_dir);
    last[0] = 0;
    int p[2] = {-1, -1};
    int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
    if (out_fd < 0 || pipe(p) != 0) {
        snprintf(last, lastlen, "%.300s: %s", out_path, strerror(errno));
        if (out_fd >= 0) close(out_fd);
        return CHILD_FAILED;
    }
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. The search dies with moted (a restarted
         * server resumes it; two searches must never share a folder) and holds none of its files. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL); /* `mote serve` blocks TERM and ignores PIPE; the search must not */
        signal(SIGPIPE, SIG_DFL);
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(out_fd, 1);
        dup2(p[1], 2);
        for (long fd = 3; fd < max_fd; fd++) close((int)fd);
        setpriority(PRIO_PROCESS, 0, 10);
        execv(argv[0], argv);
        _exit(127);
    }
    close(out_fd);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        snprintf(last, lastlen, "cannot start the search: %s", strerror(errno));
        return CHILD_FAILED;
    }
    setpgid(pid, pid);
    FILE *log = fopen(log_path, "a");
    char line[512];
    size_t n = 0;
    double next_report = 0;
    int outcome = -1, status = 0, dirty = 0;
    for (;;) {
        struct pollfd pf = {p[0], POLLIN, 0};
        int pr = poll(&pf, 1, 500);
        if (pr > 0) {
            char buf[4096];
            ssize_t got = read(p[0], buf, sizeof buf);
            if (got == 0) break;
            for (ssize_t i = 0; i < got; i++) {
                if (buf[i] == '\n' || buf[i] == '\r') {
                    if (n == 0) continue;
                    line[n] = 0;
                    snprintf(last, lastlen, "%s", line);
                    if (log) {
                        fprintf(log, "%s\n", line);
                        fflush(log); /* readable as it happens */
                    }
                    n = 0;
                    dirty = 1;
                } else if (n + 1 < sizeof line) {
                    line[n++] = buf[i];
                }
            }
        } else if (pr < 0 && errno != EINTR) {
            break;
        }
        if (stopping(a)) {
            stop_child(pid, &status);
            outcome = CHILD_STOPPED;
            break;
        }
        if (now_s() >= next_report) {
            next_report = now_s() + 1;
            if (dirty && mote_store_automl_progress(a->s, j->id, last) != 0)
                moted_log(a->m, "warn", "automl job %lld: progress: %s", (long long)j->id, mote_store_error(a->s));
            dirty = 0;
            mote_automl_rec now;
            if (mote_store_automl_get(a->s, j->id, &now) == 0) {
                int cancelled = !strcmp(now.state, "cancelled");
                mote_automl_free(&now);
                if (cancelled) {
                    stop_child(pid, &status);
                    outcome = CHILD_CANCELLED;
                    break;
                }
            }
        }
    }
    close(p[0]);
    if (outcome < 0) {
        waitpid(pid, &status, 0);
        outcome = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? CHILD_OK : CHILD_FAILED;
        if (outcome == CHILD_FAILED && !last[0])
            snprintf(last, lastlen, "the search %s %d", WIFEXITED(status) ? "exited with" : "was killed by signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        if (dirty) mote_store_automl_progress(a->s, j->id, last);
    }
    if (log) fclose(log);
    return outcome;
}

static void finish(moted_automl *a, const mote_automl_rec *j, const char *state, const char *error, json_t *result)
{
    if (mote_store_automl_finish(a->s, j->id, state, error, result) < 0)
        moted_log(a->m, "error", "automl job %lld: %s", (long long)j->id, mote_store_error(a->s));
    else
        moted_log(a->m, !strcmp(state, "done") ? "info" : "warn", "automl job %lld %s%s%s", (long long)j->id, state,
                  error && *error ? ": " : "", error ? error : "");
}

static void run_job(moted_automl *a, mote_automl_rec *j)
{
    char job_dir[1100], data[1200], out[1200], err[512], last[512], nums[256];
    char *argv[96];
    if (moted_automl_path(a, j->id, "", job_dir, sizeof job_dir) != 0 ||
        (mkdir(job_dir, 0755) != 0 && errno != EEXIST)) {
        finish(a, j, "failed", "cannot make the job's folder", NULL);
        return;
    }
    if (lay_out_data(a, j, job_dir, data, sizeof data, err, sizeof err) != 0) {
        finish(a, j, "failed", err, NULL);
        return;
    }
    snprintf(out, sizeof out, "%s/out", job_dir);
    if (moted_automl_argv(j->spec, a->exe, data, out, argv, (int)(sizeof argv / sizeof argv[0]), nums,
                          sizeof nums) != 0) {
        finish(a, j, "failed", "the job's options do not fit a command line", NULL);
        return;
    }
    moted_log(a->m, "info", "automl job %lld: searching on %s/%s for %s", (long long)j->id, j->dataset,
              j->dataset_version, json_string_value(json_object_get(j->spec, "target")));
    int r = run_child(a, j, argv, job_dir, last, sizeof last);
    if (r == CHILD_STOPPED || r == CHILD_CANCELLED) return; /* stays running (resumes) / is cancelled already */
    if (r == CHILD_FAILED) {
        finish(a, j, "failed", last, NULL);
        return;
    }
    json_t *result = NULL;
    if (automl_publish(a->m, a->s, j, job_dir, &result, err, sizeof err) != 0) finish(a, j, "failed", err, NULL);
    else finish(a, j, "done", NULL, result);
    json_decref(result);
}

static void *worker(void *arg)
{
    moted_automl *a = arg;
    while (!stopping(a)) {
        mote_automl_rec j;
        int r = mote_store_automl_claim(a->s, &j);
        if (r < 0) moted_log(a->m, "error", "automl claim: %s", mote_store_error(a->s));
        if (r != 0) {
            if (wait_for(a, 2)) break;
            continue;
        }
        run_job(a, &j);
        mote_automl_free(&j);
    }
    return NULL;
}

moted_automl *moted_automl_start(moted *m, mote_store *s, const char *data_dir, const char *mote_exe, char *err,
                                 size_t errlen)
{
    moted_automl *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "automl: out of memory");
        return NULL;
    }
    a->m = m;
    a->s = s;
    int n = snprintf(a->dir, sizeof a->dir, "%s/automl", data_dir);
    if (mote_exe && strlen(mote_exe) < sizeof a->exe) snprintf(a->exe, sizeof a->exe, "%s", mote_exe);
    if (pthread_mutex_init(&a->mu, NULL) != 0 || pthread_cond_init(&a->cv, NULL) != 0 || n < 0 ||
        (size_t)n >= sizeof a->dir - 64) {
        snprintf(err, errlen, "automl: cannot start (mutex or data dir path)");
        free(a);
        return NULL;
    }
    if (mkdir(a->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", a->dir, strerror(errno));
        moted_automl_stop(a);
        return NULL;
    }
    if (mote_store_automl_requeue_running(s) != 0) {
        snprintf(err, errlen, "automl: %s", mote_store_error(s));
        moted_automl_stop(a);
        return NULL;
    }
    if (a->exe[0]) {
        if (pthread_create(&a->thread, NULL, worker, a) != 0) {
            snprintf(err, errlen, "automl: cannot start the worker thread");
            moted_automl_stop(a);
            return NULL;
        }
        a->started = 1;
    }
    return a;
}

void moted_automl_stop(moted_automl *a)
{
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (a->started) pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
