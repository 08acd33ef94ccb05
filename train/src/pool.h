/* A fixed set of worker threads running numbered tasks; the caller is worker 0 and takes tasks too.
 * Tasks go to whichever thread is free first: a task's result must not depend on the worker running it
 * (worker ids only pick scratch buffers). */
#ifndef MOTE_TRAIN_POOL_H
#define MOTE_TRAIN_POOL_H

typedef struct tr_pool tr_pool;
typedef void (*tr_task_fn)(void *ctx, int task, int worker);

tr_pool *tr_pool_new(int threads);  /* NULL if a thread cannot be started */
void tr_pool_free(tr_pool *p);
int tr_pool_threads(const tr_pool *p);
void tr_pool_run(tr_pool *p, int tasks, tr_task_fn fn, void *ctx);

#endif
