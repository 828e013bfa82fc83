/*
 * compose.h: the composition test's shared context and machine data.
 *
 * Three machine types from three .rsm files run in one loop:
 *   hub     (machines/compose_hub.rsm, with the test)
 *   fetcher (machines/compose_fetch.rsm, in libcompose-parts)
 *   summer  (machines/compose_sum.rsm, in libcompose-parts)
 * All three declare `context struct compose_ctx;`.  The hub spawns one
 * summer and N fetchers and keeps their references; each fetcher asks the
 * worker thread for the square of its number through a future, passes the
 * result to the hub through another; the hub sends each part to the
 * summer, whose total comes back through a third.
 */
#ifndef COMPOSE_H
#define COMPOSE_H

#include <pthread.h>
#include <stdbool.h>

#include <rotor/rotor.h>

#define COMPOSE_MAX 64

/* One request for the worker thread. */
struct compose_job {
    long n;
    struct rotor_promise *reply;    /* resolved with a malloc'd long */
};

struct compose_ctx {
    /* the worker thread's queue */
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    struct compose_job jobs[COMPOSE_MAX];
    int  njobs;
    bool closing;
    int  worker_jobs;               /* done by the worker */
    /* what the machines report */
    int  fetchers_done, summers_done;
    long total;                     /* the hub's result */
    bool summer_alive_at_end;
};

/* hub: the seed is the number of fetchers. */
struct hub {
    int       n, parts;
    rotor_ref summer;
    rotor_ref fetchers[COMPOSE_MAX];
    struct rotor_promise *total;    /* handed to the summer */
};

/* fetcher: the seed is a struct fetch_seed (copied). */
struct fetch_seed {
    long n;
    struct rotor_promise *to_hub;
};

struct fetcher {
    long n;
    struct rotor_promise *to_hub;
};

/* summer: the seed is the promise of the total. */
struct summer {
    long total;
    int  added;
    struct rotor_promise *total_promise;
};

/* compose-parts.c: the worker thread. */
void *compose_worker(void *ctx);
void compose_ctx_init(struct compose_ctx *ctx);
void compose_ctx_close(struct compose_ctx *ctx);

#endif /* COMPOSE_H */
