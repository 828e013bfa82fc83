/*
 * loop.h: the loop, which runs machines.
 *
 * A loop (struct rotor_loop) wraps one libevent event_base and a table of
 * machine slots, and runs in one thread: the machines of a loop, their
 * actions and the libevent callbacks added to its base all run in the
 * thread that called rotor_loop_run().  To use several cores, run one
 * loop per thread; they reach each other through notifiers and futures
 * (<rotor/future.h>), and listeners can share a port (<rotor/listener.h>).
 * A loop runs until it is stopped or no machine is left; freeing it ends
 * the machines still alive.
 *
 * Errors follow <rotor/error.h>: 0 or a negative ROTOR_E* code, NULL plus
 * rotor_last_code().
 */
#ifndef ROTOR_LOOP_H
#define ROTOR_LOOP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct rotor_loop;

/* Loop settings.  Fill with rotor_config_init(), then change fields. */
struct rotor_config {
    size_t max_machines;  /* size limit of the machine table, at least 1;
                             default 1048576 */
    void  *context;       /* shared by all machines (rotor_scope_context) */
    int    trace;         /* 1: print every transition to stderr; 0: off;
                             -1: read ROTOR_TRACE from the environment
                             (default); see <rotor/trace.h> */
};

/* Fills *cfg with the defaults.  Returns 0, or ROTOR_EINVAL when cfg is
 * NULL. */
int rotor_config_init(struct rotor_config *cfg);

/* Creates a loop on a new event_base.  cfg may be NULL for the defaults.
 * Returns NULL on failure, rotor_last_code() saying why: ROTOR_EINVAL
 * (max_machines 0), ROTOR_ENOMEM, ROTOR_EIO (libevent or the system
 * refused: no descriptor left, say). */
struct rotor_loop *rotor_loop_new(const struct rotor_config *cfg);

/* Runs the loop until rotor_loop_stop() is called or no machine is left.
 * Returns 0 then; ROTOR_EINVAL when loop is NULL; ROTOR_EBUSY when the
 * loop is running already (called from one of its actions); ROTOR_EIO on
 * a failure of the event loop itself. */
int rotor_loop_run(struct rotor_loop *loop);

/* Makes rotor_loop_run() return after the current event; called before
 * the loop runs, it makes the next run return at once.  Call it from an
 * action or a libevent callback of the loop's own thread (from another
 * thread, rotor_loop_stop_async()).  Returns 0, or ROTOR_EINVAL when loop
 * is NULL. */
int rotor_loop_stop(struct rotor_loop *loop);

/* Like rotor_loop_stop(), callable from any thread while the loop exists
 * (running or not yet running: the request waits for the loop to run).
 * Returns 0, or ROTOR_EINVAL when loop is NULL. */
int rotor_loop_stop_async(struct rotor_loop *loop);

/* Runs loops[0] in the calling thread and each of loops[1..n-1] in a
 * thread of its own (one loop per thread, the way to use several cores),
 * until every one has returned.  SIGINT, SIGTERM and SIGHUP stop them
 * all: they are watched on loops[0]'s event_base while the loops run
 * (libevent lets one event_base at a time handle signals), and the
 * threads started here block them.  The loops stay yours to free.
 * Returns 0 when every loop ended by itself (no machine left, or
 * rotor_loop_stop()), the number of the signal that stopped them, or a
 * negative code: ROTOR_EINVAL (loops NULL, n 0, a loop NULL), ROTOR_ENOMEM,
 * ROTOR_EIO (the signals cannot be watched, or a thread cannot be
 * started: then loops[0] does not run, and the loops already started are
 * stopped and joined before the return), or the first failure of
 * rotor_loop_run(). */
int rotor_loop_run_all(struct rotor_loop *const *loops, size_t n);

/* Ends every machine still alive (each `destroy` runs once; rotor_spawn()
 * fails from there on), then frees the loop and its event_base.  NULL is
 * accepted.  Not to be called from an action. */
void rotor_loop_free(struct rotor_loop *loop);

/* The loop's event_base, for mixing in evdns, evhttp or plain events;
 * NULL (ROTOR_EINVAL) when loop is NULL. */
struct event_base *rotor_loop_base(struct rotor_loop *loop);

/* The context pointer given in rotor_config; NULL when none was, and
 * for loop NULL (then rotor_last_code() is ROTOR_EINVAL). */
void *rotor_loop_context(struct rotor_loop *loop);

/* Number of live machines; 0 for loop NULL (rotor_last_code() is then
 * ROTOR_EINVAL). */
size_t rotor_loop_machines(struct rotor_loop *loop);

/* Number of machines that ended by a transition to `error`; 0 for loop
 * NULL (rotor_last_code() is then ROTOR_EINVAL). */
size_t rotor_loop_errors(struct rotor_loop *loop);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_LOOP_H */
