/* Worker threads for the training engine. A run publishes (fn, ctx, tasks) under a generation number;
 * each thread does tasks id, id + threads, ...; the caller waits until every worker has reported. */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

struct tr_pool {
    int threads;
    pthread_t *tids;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    unsigned long generation;
    int pending, quit;
    tr_task_fn fn;
    void *ctx;
    int tasks;
};

typedef struct {
    tr_pool *p;
    int id;
} worker_arg;

static void run_share(tr_pool *p, tr_task_fn fn, void *ctx, int tasks, int id)
{
    for (int t = id; t < tasks; t += p->threads) fn(ctx, t, id);
}

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    tr_pool *p = wa->p;
    int id = wa->id;
    free(wa);
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->generation == seen && !p->quit) pthread_cond_wait(&p->start, &p->mu);
        if (p->quit) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->generation;
        tr_task_fn fn = p->fn;
        void *ctx = p->ctx;
        int tasks = p->tasks;
        pthread_mutex_unlock(&p->mu);
        run_share(p, fn, ctx, tasks, id);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

tr_pool *tr_pool_new(int threads)
{
    if (threads < 1) threads = 1;
    tr_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = threads;
    p->tids = calloc((size_t)threads, sizeof *p->tids);
    if (!p->tids) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa || pthread_create(&p->tids[i], NULL, worker_main, (wa->p = p, wa->id = i, wa)) != 0) {
            free(wa);
            p->threads = i;  /* join the ones started */
            tr_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void tr_pool_free(tr_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->threads; i++) pthread_join(p->tids[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    free(p->tids);
    free(p);
}

int tr_pool_threads(const tr_pool *p) { return p ? p->threads : 1; }

void tr_pool_run(tr_pool *p, int tasks, tr_task_fn fn, void *ctx)
{
    if (!p || p->threads == 1 || tasks <= 1) {
        for (int t = 0; t < tasks; t++) fn(ctx, t, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->tasks = tasks;
    p->pending = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    run_share(p, fn, ctx, tasks, 0);
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
