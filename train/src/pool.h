/* A fixed set of worker threads running numbered tasks: task t goes to thread t % threads, the caller
 * being thread 0. Which thread runs a task never changes what it computes. */
#ifndef MOTE_TRAIN_POOL_H
#define MOTE_TRAIN_POOL_H

typedef struct tr_pool tr_pool;
typedef void (*tr_task_fn)(void *ctx, int task, int worker);

tr_pool *tr_pool_new(int threads);  /* NULL if a thread cannot be started */
void tr_pool_free(tr_pool *p);
int tr_pool_threads(const tr_pool *p);
void tr_pool_run(tr_pool *p, int tasks, tr_task_fn fn, void *ctx);

#endif
