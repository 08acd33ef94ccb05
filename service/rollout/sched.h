/* The rollout's state and its scheduler (sched.c): struct moted_rollout is
 * what every file of rollout/ works on; the scheduler runs the compile
 * workers and the deployment ticker on it. Without threads (rollout_init)
 * the unit test drives the same code. */
#ifndef MOTED_ROLLOUT_SCHED_H
#define MOTED_ROLLOUT_SCHED_H

#include <pthread.h>
#include <stdatomic.h>

#include "rollout/rollout.h"
#include "rollout/sign.h"

struct moted_rollout {
    moted *m;                /* the server, for its log (NULL: warnings and errors only) */
    mote_store *s;
    char data_dir[1024];     /* scratch folders of C-package compiles */
    rollout_keys keys;
    pthread_mutex_t mu;      /* guards stop, wake; with cv */
    pthread_cond_t cv;
    int stop, wake;
    pthread_t *workers;
    int n_workers, started_workers, ticker_started;
    pthread_t ticker;
    atomic_uint_fast64_t polls; /* device update polls (mote_update_polls_total) */
};

/* Prepare r (keys, lock; no threads) on a store and data dir: 0, or -1 with a message. */
int rollout_init(struct moted_rollout *r, moted *m, mote_store *s, const char *data_dir, char *err, size_t errlen);
/* Undo rollout_init (the threads, if any, are stopped). */
void rollout_fini(struct moted_rollout *r);
/* Wake the workers (a job was queued) and the ticker. NULL ok. */
void rollout_wake(struct moted_rollout *r);

#endif
