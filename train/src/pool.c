/* Worker threads for the training engine. A run publishes (fn, ctx, tasks) under a new generation;
 * the caller and the workers take tasks from a shared counter (tagged with the generation, so a worker
 * waking late never takes a task of a later run) until none are left, and the caller returns once every
 * task has finished. Workers spin briefly for the next run before sleeping on a condition variable. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define SPIN 1000  /* polls (tens of nanoseconds each with pause) before sleeping */

struct tr_pool {
    int threads;
    pthread_t *tids;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    unsigned generation;        /* under mu */
    int quit;                   /* under mu */
    tr_task_fn fn;              /* under mu */
    void *ctx;
    int tasks;
    atomic_uint published;      /* generation, for spinning without the lock */
    atomic_uint_least64_t next; /* generation << 32 | next task */
    atomic_int remaining;       /* tasks of the current run not finished */
};

typedef struct {
    tr_pool *p;
    int id;
} worker_arg;

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void work(tr_pool *p, unsigned gen, tr_task_fn fn, void *ctx, int tasks, int id)
{
    for (;;) {
        uint_least64_t v = atomic_load(&p->next);
        do {
            if ((unsigned)(v >> 32) != gen || (uint32_t)v >= (uint32_t)tasks) return;
        } while (!atomic_compare_exchange_weak(&p->next, &v, v + 1));
        fn(ctx, (int)(uint32_t)v, id);
        if (atomic_fetch_sub(&p->remaining, 1) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    tr_pool *p = wa->p;
    int id = wa->id;
    free(wa);
    unsigned seen = 0;
    for (;;) {
        for (int i = 0; i < SPIN && atomic_load(&p->published) == seen; i++) relax();
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
        work(p, seen, fn, ctx, tasks, id);
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
    atomic_init(&p->published, 0u);
    atomic_init(&p->next, 0u);
    atomic_init(&p->remaining, 0);
    for (int i = 1; i < threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa) wa->p = p, wa->id = i;
        if (!wa || pthread_create(&p->tids[i], NULL, worker_main, wa) != 0) {
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
    unsigned gen = ++p->generation;
    p->fn = fn;
    p->ctx = ctx;
    p->tasks = tasks;
    atomic_store(&p->remaining, tasks);
    atomic_store(&p->next, (uint_least64_t)gen << 32);
    atomic_store(&p->published, gen);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    work(p, gen, fn, ctx, tasks, 0);
    for (int i = 0; i < SPIN && atomic_load(&p->remaining) > 0; i++) relax();
    if (atomic_load(&p->remaining) > 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->remaining) > 0) pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}
