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
 * Records.  ROTOR_TRACE=FILE (any value but empty, "0" and "1") or
 * rotor_loop_trace_file() appends machine-readable records to FILE
 * instead, one write(2) per record with O_APPEND, so that the records of
 * several loops, threads or processes sharing the file never mix.  A new
 * file starts with the line `#rotor-trace 1` (the format's version).  A
 * record is one line of fields separated by one TAB; the first field
 * says its kind, the next three are always
 *     <ms> <machine> <slot>.<gen>
 * ms being the loop's clock (rotor_loop_now(), <rotor/clock.h>: virtual
 * under test), machine the machine type's name.  The kinds:
 *     E <ms> <machine> <slot>.<gen> <from> <event> <to>
 *         an event delivered: from is the active leaf state before it
 *         ("(none)" before the first), event its name (a named timeout
 *         `timeout(NAME)`, a future's resolution `resolved(N)`, N the
 *         future's tag: its index among the machine's `future`
 *         declarations), to a state or (internal), (unhandled), done,
 *         error.  For statecharts from and to are the active leaves,
 *         joined with ',' in document order.
 *     S <ms> <machine> <slot>.<gen> <how> <state>
 *         a machine spawned, by: outside (rotor_spawn() from outside the
 *         machines), action (from an action), fd (rotor_spawn_fd()),
 *         accepted (by a listener), listen (rotor_listen()); state is its
 *         state once started.
 *     I <ms> <machine> <slot>.<gen> <hex>
 *         bytes a stream read (at most 2048 per record), in lowercase hex
 *         (for TLS streams, the plaintext).
 *     X <ms> <machine> <slot>.<gen> eof
 *     X <ms> <machine> <slot>.<gen> error <errno>
 *         a stream read the end of its input, or failed reading.
 *     U <ms> <machine> <slot>.<gen> <event>
 *         a user event sent from outside the machines (rotor_loop_send()).
 * Lines starting with '#' are comments; readers skip kinds they do not
 * know.  rotor-replay(1) (<rotor/test.h>) replays S, I, X and U records
 * and compares E records.
 *
 * Errors follow <rotor/error.h>: 0 or a negative ROTOR_E* code.
 */
#ifndef ROTOR_TRACE_H
#define ROTOR_TRACE_H

#include <stddef.h>

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

/* Receives one record (without the newline; not NUL-terminated): len
 * bytes at record.  Called in the loop's thread. */
typedef void rotor_record_fn(void *arg, const char *record, size_t len);

/* Gives this loop's records (see above) to fn(arg, record, len) too, and
 * turns records on; fn NULL stops giving them (a record file stays).
 * Not to be called from fn itself.
 * Returns 0, ROTOR_EINVAL when loop is NULL, ROTOR_ENOMEM. */
int rotor_loop_set_records(struct rotor_loop *loop, rotor_record_fn *fn,
                           void *arg);

/* Appends this loop's records to the file at path, as ROTOR_TRACE=path
 * does (the header is written first when the file is new).  Returns 0,
 * ROTOR_EINVAL (loop or path NULL or empty), ROTOR_EIO (the file cannot
 * be created or opened), ROTOR_ENOMEM. */
int rotor_loop_trace_file(struct rotor_loop *loop, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_TRACE_H */
