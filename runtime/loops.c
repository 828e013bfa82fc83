/*
 * loops.c: running several loops, one per thread, until each has
 * returned, and stopping them all on SIGINT, SIGTERM or SIGHUP
 * (rotor_loop_run_all).  Every server program wants this, and the
 * details are easy to get wrong: which thread takes the signals, and
 * that another thread's loop is stopped through its mailbox
 * (rotor_loop_stop_async), never directly.
 */
#define _POSIX_C_SOURCE 200809L  /* pthread_sigmask */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <event2/event.h>

#include "rotor-internal.h"

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSIGNALS (sizeof stop_signals / sizeof stop_signals[0])

struct run_all {
    struct rotor_loop *const *loops;
    size_t n;
    int signal;                 /* the one that stopped them, or 0 */
};

struct runner {
    pthread_t thread;
    struct rotor_loop *loop;
    int rc;
};

/* In the first loop's thread, where the signals are watched: stop that
 * loop here and the others by message. */
static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    struct run_all *all = arg;

    (void)what;
    if (all->signal == 0)
        all->signal = (int)sig;
    rotor_loop_stop(all->loops[0]);
    for (size_t i = 1; i < all->n; i++)
        rotor_loop_stop_async(all->loops[i]);
}

static void *run_one(void *arg)
{
    struct runner *r = arg;

    r->rc = rotor_loop_run(r->loop);
    return NULL;
}

/* Starts the loops after the first on threads of their own, which leave
 * the stop signals to the calling thread.  Returns how many started. */
static size_t start_threads(struct runner *runners, size_t n)
{
    sigset_t block, old;
    size_t started = 1;

    sigemptyset(&block);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaddset(&block, stop_signals[i]);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (; started < n; started++)
        if (pthread_create(&runners[started].thread, NULL, run_one,
                           &runners[started]) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return started;
}

static void free_signal_events(struct event **evs)
{
    for (size_t i = 0; i < NSIGNALS; i++)
        if (evs[i])
            event_free(evs[i]);
}

static int watch_signals(struct run_all *all, struct event **evs)
{
    struct event_base *base = rotor_loop_base(all->loops[0]);

    for (size_t i = 0; i < NSIGNALS; i++) {
        evs[i] = evsignal_new(base, stop_signals[i], on_stop_signal, all);
        if (!evs[i] || event_add(evs[i], NULL) < 0)
            return rotor__fail(ROTOR_EIO, "rotor_loop_run_all: cannot "
                               "watch signal %d", stop_signals[i]);
    }
    return 0;
}

static int check_loops(struct rotor_loop *const *loops, size_t n)
{
    if (!loops || n == 0)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_run_all: no loops");
    for (size_t i = 0; i < n; i++)
        if (!loops[i])
            return rotor__fail(ROTOR_EINVAL, "rotor_loop_run_all: loop "
                               "%zu is NULL", i);
    return 0;
}

/* Joins the threads and gives the first failure among all the runs. */
static int join_threads(struct runner *runners, size_t started)
{
    int rc = runners[0].rc;

    for (size_t i = 1; i < started; i++) {
        pthread_join(runners[i].thread, NULL);
        if (rc == 0)
            rc = runners[i].rc;
    }
    return rc;
}

int rotor_loop_run_all(struct rotor_loop *const *loops, size_t n)
{
    struct run_all all = { loops, n, 0 };
    struct event *evs[NSIGNALS] = { NULL };
    int rc = check_loops(loops, n);

    if (rc < 0)
        return rc;
    struct runner *runners = rotor__calloc(n, sizeof *runners);
    if (!runners)
        return rotor__fail(ROTOR_ENOMEM, "rotor_loop_run_all: out of memory");
    for (size_t i = 0; i < n; i++)
        runners[i].loop = loops[i];

    rc = watch_signals(&all, evs);
    size_t started = rc < 0 ? 1 : start_threads(runners, n);
    if (rc == 0 && started < n)
        rc = rotor__fail(ROTOR_EIO, "rotor_loop_run_all: cannot start "
                         "thread %zu of %zu", started + 1, n);
    if (rc < 0) {
        /* Stop what runs already; the first loop never starts. */
        for (size_t i = 1; i < started; i++)
            rotor_loop_stop_async(loops[i]);
    } else {
        run_one(&runners[0]);
    }
    int ran = join_threads(runners, started);
    free_signal_events(evs);
    rotor__free(runners);
    if (rc < 0)
        return rc;
    return ran < 0 ? ran : all.signal;
}
