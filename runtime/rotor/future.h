/*
 * future.h: notifiers and futures between machines, loops and threads.
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
 *
 * Errors follow <rotor/error.h>: 0 or a negative ROTOR_E* code, NULL plus
 * rotor_last_code().  ROTOR_ESHUTDOWN says that nobody can receive what
 * was sent: that is an answer more than a failure, and the value handed
 * over has been taken care of (see each function).
 */
#ifndef ROTOR_FUTURE_H
#define ROTOR_FUTURE_H

#include <stdbool.h>

#include <rotor/error.h>
#include <rotor/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_loop;
struct rotor_notifier;
struct rotor_future;
struct rotor_promise;

/* The name librotor 0.1 gave ROTOR_ESHUTDOWN (then the positive 1):
 * returned by rotor_notifier_notify() and rotor_promise_resolve() when
 * nobody can receive what was sent.  Comparisons with ROTOR_ENDED keep
 * working; tests for a positive result do not (see NEWS). */
#define ROTOR_ENDED ROTOR_ESHUTDOWN

/* Destroys a value nobody took; NULL when the value needs no cleanup. */
typedef void rotor_value_free_fn(void *value);

/* ---- notifiers --------------------------------------------------------- */

/* A notifier for the running machine (call it from an action, `create`
 * included).  Hand it to any thread; free it with rotor_notifier_free().
 * Returns NULL when out of memory (rotor_last_code() ROTOR_ENOMEM) or s
 * is NULL (ROTOR_EINVAL). */
struct rotor_notifier *rotor_notifier_new(rotor_scope *s);

/* Wakes the machine: it receives `wakeup` (event data NULL).  Callable
 * from any thread.  Wakeups not yet delivered are merged: several calls
 * before the machine runs may give one `wakeup`.  Returns 0 when the
 * wakeup is on its way; ROTOR_ESHUTDOWN when nothing is sent because
 * the machine has ended or its loop has been freed (rotor_last_error()
 * says which); ROTOR_ENOMEM when, from the loop's own thread, the
 * event cannot be queued; ROTOR_EINVAL when n is NULL. */
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
 * Returns 0; ROTOR_EINVAL when tag < 0 or s, f or p is NULL;
 * ROTOR_ENOMEM when out of memory (*f, *p untouched on failure). */
int rotor_future_new(rotor_scope *s, int tag, struct rotor_future **f,
                     struct rotor_promise **p);

/* The future a `resolved` event carries; NULL for other events (that is
 * no failure: rotor_last_code() is left alone). */
struct rotor_future *rotor_event_future(const rotor_event *ev);

/* The tag given to rotor_future_new() (>= 0); ROTOR_EINVAL when f is
 * NULL. */
int rotor_future_tag(const struct rotor_future *f);

/* True when the promise was freed unresolved: there is no value.  False
 * before anything arrived, for a value, and for f NULL. */
bool rotor_future_broken(const struct rotor_future *f);

/* True once the value has arrived (and until it is taken); false for f
 * NULL. */
bool rotor_future_ready(const struct rotor_future *f);

/* Takes the value: from now on the caller owns it (and its destructor
 * will not run).  Returns NULL when broken, not yet resolved, or already
 * taken (none of them a failure: rotor_future_ready() tells them from a
 * NULL value), and for f NULL (rotor_last_code() ROTOR_EINVAL).  A value
 * not taken while `resolved` is dispatched is destroyed right after. */
void *rotor_future_take(struct rotor_future *f);

/* The owner gives the future up before its value arrived (loop thread
 * only).  A value resolved later is destroyed in the loop thread.  NULL
 * is accepted. */
void rotor_future_free(struct rotor_future *f);

/* Resolves with `value`, from any thread.  `value_free` (may be NULL)
 * destroys the value if the owner never takes it: the owner has ended or
 * gave the future up (then it runs in the loop's thread), or the loop has
 * been freed (then it runs before this returns).
 * Returns 0 when the value is on its way; ROTOR_ESHUTDOWN when the loop
 * has been freed (the value is destroyed already); ROTOR_EEXIST when
 * refused because the promise was resolved before, ROTOR_EINVAL when p
 * is NULL (in both the value is still the caller's).  The promise
 * remains valid: free it with rotor_promise_free(). */
int rotor_promise_resolve(struct rotor_promise *p, void *value,
                          rotor_value_free_fn *value_free);

/* Releases the promise, from any thread.  Unresolved, the owner receives
 * `resolved` with rotor_future_broken() true.  NULL is accepted. */
void rotor_promise_free(struct rotor_promise *p);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_FUTURE_H */
