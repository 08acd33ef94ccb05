/* The rollout's scheduler: its state's start and stop, the compile workers
 * (each runs queued jobs, then lets deployments move on) and the deployment
 * ticker (advances every live deployment once a second or when woken). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moted_ctx.h"
#include "rollout/deploy.h"
#include "rollout/jobs.h"
#include "rollout/sched.h"

#define TICK_SECONDS 1

void rollout_wake(struct moted_rollout *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->wake = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int rollout_init(struct moted_rollout *r, moted *m, mote_store *s, const char *data_dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    r->s = s;
    snprintf(r->data_dir, sizeof r->data_dir, "%s", data_dir);
    atomic_init(&r->polls, 0);
    if (rollout_keys_load(&r->keys, data_dir, err, errlen) != 0) return -1;
    if (pthread_mutex_init(&r->mu, NULL) != 0 || pthread_cond_init(&r->cv, NULL) != 0) {
        snprintf(err, errlen, "rollout: cannot create a mutex");
        return -1;
    }
    return 0;
}

void rollout_fini(struct moted_rollout *r)
{
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    rollout_keys_wipe(&r->keys);
}

/* Sleep up to TICK_SECONDS or until woken; 1 when stopping. */
static int wait_tick(struct moted_rollout *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += TICK_SECONDS;
    pthread_mutex_lock(&r->mu);
    while (!r->stop && !r->wake)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0) break;
    r->wake = 0;
    int stop = r->stop;
    pthread_mutex_unlock(&r->mu);
    return stop;
}

static int stopping(struct moted_rollout *r)
{
    pthread_mutex_lock(&r->mu);
    int s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void *worker_main(void *arg)
{
    struct moted_rollout *r = arg;
    while (!stopping(r)) {
        int rc = compile_run_next(r);
        if (rc == 0) {
            /* A finished job may let deployments leave "compiling". */
            if (deploy_tick(r) != 0) moted_log(r->m, "error", "deployments: %s", mote_store_error(r->s));
            continue;
        }
        if (rc < 0) moted_log(r->m, "error", "compile worker: %s", mote_store_error(r->s));
        if (wait_tick(r)) break;
    }
    return NULL;
}

static void *ticker_main(void *arg)
{
    struct moted_rollout *r = arg;
    do {
        if (deploy_tick(r) != 0) moted_log(r->m, "error", "deployments: %s", mote_store_error(r->s));
    } while (!wait_tick(r));
    return NULL;
}

moted_rollout *moted_rollout_start(moted *m, mote_store *s, const char *data_dir, int workers, char *err,
                                   size_t errlen)
{
    moted_rollout *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "rollout: out of memory");
        return NULL;
    }
    if (rollout_init(r, m, s, data_dir, err, errlen) != 0) {
        free(r);
        return NULL;
    }
    if (mote_store_job_requeue_running(r->s) != 0) {
        snprintf(err, errlen, "%s", mote_store_error(r->s));
        moted_rollout_stop(r);
        return NULL;
    }
    int n = workers > 0 ? workers : 1;
    r->workers = calloc((size_t)n, sizeof *r->workers);
    if (!r->workers) {
        snprintf(err, errlen, "rollout: out of memory");
        moted_rollout_stop(r);
        return NULL;
    }
    r->n_workers = n;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&r->workers[i], NULL, worker_main, r) != 0) {
            snprintf(err, errlen, "rollout: cannot start compile worker %d", i);
            moted_rollout_stop(r);
            return NULL;
        }
        r->started_workers++;
    }
    if (pthread_create(&r->ticker, NULL, ticker_main, r) != 0) {
        snprintf(err, errlen, "rollout: cannot start the deployment ticker");
        moted_rollout_stop(r);
        return NULL;
    }
    r->ticker_started = 1;
    return r;
}

void moted_rollout_stop(moted_rollout *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < r->started_workers; i++) pthread_join(r->workers[i], NULL);
    if (r->ticker_started) pthread_join(r->ticker, NULL);
    free(r->workers);
    rollout_fini(r);
    free(r);
}

const char *moted_rollout_key_hex(const moted_rollout *r)
{
    return r ? r->keys.pk_hex : "";
}
