/*
 * rt-async.h: shared by the notifier, future and stress tests and their
 * machines (machines/notify.rsm, machines/future.rsm, machines/stress.rsm).
 */
#ifndef RT_ASYNC_H
#define RT_ASYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <rotor/rotor.h>

/* ---- notify.rsm: sleeper ------------------------------------------------ */

struct sleep_rec {
    struct rotor_notifier *n;  /* taken in create */
    rotor_ref   ref;
    int         wakeups;
    int         destroyed;
    int         poke_result;   /* of the notify made from its own action */
    atomic_int  sent;          /* threads count what they sent here */
    int         until;         /* ends at a wakeup once sent >= until */
    bool        stop_on_poke;  /* rotor_loop_stop() in the poke action */
    bool        poke_in_create; /* raise `poke` in create */
    struct rotor_loop *loop;
};

struct sleeper {
    struct sleep_rec *rec;
};

/* ---- future.rsm: waiter ------------------------------------------------- */

#define WAIT_MAX 8

/* A value that counts its destruction. */
struct val {
    int        n;
    pthread_t  freed_by;
    atomic_int *freed;         /* incremented by val_free */
};
void val_free(void *v);
struct val *val_new(int n, atomic_int *freed);

struct wait_rec {
    int   nfut;                /* futures made in create (tags 0..n-1) */
    struct rotor_future  *f[WAIT_MAX];
    struct rotor_promise *p[WAIT_MAX];
    int   got;                 /* resolved events */
    int   until;               /* ends after this many */
    int   tags[WAIT_MAX], values[WAIT_MAX];   /* -1: broken; -2: no value */
    bool  take;                /* take values (else leave them) */
    bool  drop_first;          /* rotor_future_free(f[0]) in create */
    int   self_value;          /* resolve_self resolves p[0] with this */
    bool  kill_after_self;     /* ... then ends itself in the same action */
    bool  stop_after_self;     /* ... or stops the loop */
    int   self_result;
    bool  self_in_create;      /* raise resolve_self in create */
    struct rotor_promise *foreign;  /* resolve_self resolves this instead */
    struct rotor_loop *loop;
    int   destroyed;
    atomic_int *freed;
};

struct waiter {
    struct wait_rec *rec;
};

/* ---- stress.rsm: collector ---------------------------------------------- */

/* Promises for the worker threads. */
struct job_queue {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    struct rotor_promise **p;
    int   *idx;
    size_t head, len, cap;
    bool   closed;
};

struct stress_rec {
    long  total;               /* futures to resolve */
    int   window;              /* outstanding at once */
    long  made, got, broken;
    long long sum;
    struct job_queue *q;
};

struct collector {
    struct stress_rec *rec;
};

#endif /* RT_ASYNC_H */
