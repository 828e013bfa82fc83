/*
 * future.h: notifiers and futures between machines, loops and threads.
 * Included by <rotor/rotor.h>.
 *
 * A notifier wakes one machine (it receives `wakeup`) from any thread.
 * A future/promise pair carries one value to the machine that owns the
 * future (it receives `resolved`); the promise may be resolved from the
 * same loop, another loop or any thread, exactly once.
 *
 * Handles stay safe when what they point at is gone: a notifier or
 * promise whose machine has ended, or whose slot was reused, delivers
 * nothing; one whose loop has been freed fails cleanly.  Each holds a
 * reference to its loop's mailbox, which outlives the loop while handles
 * remain.
 *
 * Traffic from other threads goes through one queue and one eventfd (or
 * pipe) per loop: a burst of resolutions costs the loop one wakeup.  From
 * the loop's own thread while it runs, no system call is made.
 */
#ifndef ROTOR_FUTURE_H
#define ROTOR_FUTURE_H

#include <stdbool.h>

#include <rotor/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_loop;
struct rotor_notifier;
struct rotor_future;
struct rotor_promise;

/* Returned by rotor_notifier_notify() and rotor_promise_resolve() when
 * nobody can receive what was sent (see each function). */
#define ROTOR_ENDED 1

/* Destroys a value nobody took; NULL when the value needs no cleanup. */
typedef void rotor_value_free_fn(void *value);

/* ---- notifiers --------------------------------------------------------- */

/* A notifier for the running machine (call it from an action, `create`
 * included).  Hand it to any thread; free it with rotor_notifier_free().
 * Returns NULL when out of memory. */
struct rotor_notifier *rotor_notifier_new(rotor_scope *s);

/* Wakes the machine: it receives `wakeup` (event data NULL).  Callable
 * from any thread.  Wakeups not yet delivered are merged: several calls
 * before the machine runs may give one `wakeup`.  Returns 0 when the
 * wakeup is on its way, ROTOR_ENDED when the machine has ended (nothing
 * is sent), -1 when its loop has been freed (see rotor_last_error()). */
int rotor_notifier_notify(struct rotor_notifier *n);

/* Releases the notifier, from any thread.  A wakeup already on its way is
 * still delivered.  NULL is accepted. */
void rotor_notifier_free(struct rotor_notifier *n);

/* ---- futures ----------------------------------------------------------- */

/* Creates a future owned by the running machine, tagged `tag` (a
 * generated M_fu_NAME constant, or any number >= 0 of the caller's), and
 * its promise.  When the promise is resolved or dropped, the machine
 * receives `resolved` with rotor_event_tag() == tag and the future as
 * rotor_event_future() (and rotor_event_data()).  The future stays valid
 * until that event has been dispatched, rotor_future_free(), or the
 * machine's end, whichever comes first; the runtime frees it then.
 * Returns 0, or -1 when out of memory or tag < 0 (*f, *p untouched). */
int rotor_future_new(rotor_scope *s, int tag, struct rotor_future **f,
                     struct rotor_promise **p);

/* The future a `resolved` event carries; NULL for other events. */
struct rotor_future *rotor_event_future(const rotor_event *ev);

/* The tag given to rotor_future_new(). */
int rotor_future_tag(const struct rotor_future *f);

/* True when the promise was freed unresolved: there is no value. */
bool rotor_future_broken(const struct rotor_future *f);

/* True once the value has arrived (and until it is taken). */
bool rotor_future_ready(const struct rotor_future *f);

/* Takes the value: from now on the caller owns it (and its destructor
 * will not run).  Returns NULL when broken, not yet resolved, or already
 * taken.  A value not taken while `resolved` is dispatched is destroyed
 * right after. */
void *rotor_future_take(struct rotor_future *f);

/* The owner gives the future up before its value arrived (loop thread
 * only).  A value resolved later is destroyed in the loop thread.  NULL
 * is accepted. */
void rotor_future_free(struct rotor_future *f);

/* Resolves with `value`, from any thread.  `value_free` (may be NULL)
 * destroys the value if the owner never takes it: the owner has ended or
 * gave the future up (then it runs in the loop's thread), or the loop has
 * been freed (then it runs before this returns).
 * Returns 0 when the value is on its way; ROTOR_ENDED when the loop has
 * been freed (the value is destroyed already); -1 when refused because
 * the promise was resolved before (the value is still the caller's; see
 * rotor_last_error()).  The promise remains valid: free it with
 * rotor_promise_free(). */
int rotor_promise_resolve(struct rotor_promise *p, void *value,
                          rotor_value_free_fn *value_free);

/* Releases the promise, from any thread.  Unresolved, the owner receives
 * `resolved` with rotor_future_broken() true.  NULL is accepted. */
void rotor_promise_free(struct rotor_promise *p);

/* ---- loops in several threads ------------------------------------------ */

/* Like rotor_loop_stop(), callable from any thread while the loop exists
 * (running or not yet running: the request waits for the loop to run).
 * Returns 0, or -1 when the request cannot be queued. */
int rotor_loop_stop_async(struct rotor_loop *loop);

/* Receives one trace line (without the newline).  Called in the loop's
 * thread. */
typedef void rotor_trace_fn(void *arg, const char *line);

/* Sends this loop's trace lines to fn(arg, line) instead of stderr, and
 * turns tracing on; fn NULL turns tracing off.  rotor_config.trace = 1 or
 * ROTOR_TRACE=1 turn it on at creation, printing to stderr. */
void rotor_loop_set_trace(struct rotor_loop *loop, rotor_trace_fn *fn,
                          void *arg);

/* ---- listening sockets -------------------------------------------------- */

/* rotor_listen_socket() flags. */
#define ROTOR_LISTEN_REUSEPORT 0x1  /* SO_REUSEPORT: several sockets (one
                                       per loop, per thread) share the
                                       port; the kernel spreads clients */

/* Opens a non-blocking, close-on-exec TCP socket listening on host:port
 * (numeric port; "0" picks a free one, see rotor_socket_port()), with
 * SO_REUSEADDR and, as flags ask, SO_REUSEPORT.  host NULL: all
 * addresses.  Returns the descriptor, or -1 (see rotor_last_error()). */
int rotor_listen_socket(const char *host, const char *port, int flags);

/* The local port a socket is bound to, or -1. */
int rotor_socket_port(int fd);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_FUTURE_H */
