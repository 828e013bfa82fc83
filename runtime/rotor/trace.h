/*
 * trace.h: tracing, one line per delivered event.
 *
 * A loop with tracing on reports every event it delivers, and every
 * machine it spawns, kills or frees, as one line
 *     [echo_conn#12.3] reading --input--> flushing
 * that is [MACHINE#SLOT.GENERATION] FROM --EVENT--> TO, where TO is a
 * state, (internal), (unhandled), done or error.  The lines go to stderr
 * (one write each, so the lines of several threads' loops do not mix) or
 * to a function of yours.  Tracing is turned on at creation by
 * rotor_config.trace = 1 or, by default, by ROTOR_TRACE=1 in the
 * environment (<rotor/loop.h>); off, it costs one branch per event.
 *
 * Errors follow <rotor/error.h>: 0 or a negative ROTOR_E* code.
 */
#ifndef ROTOR_TRACE_H
#define ROTOR_TRACE_H

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_loop;

/* Receives one trace line (without the newline).  Called in the loop's
 * thread. */
typedef void rotor_trace_fn(void *arg, const char *line);

/* Sends this loop's trace lines to fn(arg, line) instead of stderr, and
 * turns tracing on; fn NULL turns tracing off.  Returns 0, or
 * ROTOR_EINVAL when loop is NULL. */
int rotor_loop_set_trace(struct rotor_loop *loop, rotor_trace_fn *fn,
                         void *arg);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_TRACE_H */
