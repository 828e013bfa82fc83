/*
 * delay.h: delayed sends, cancellable by id (SCXML's <send delay> and
 * <cancel>).  Included by <rotor/rotor.h>.
 *
 * A machine sends a user event to itself or to another machine of the
 * same loop, to be queued after a delay, exactly as rotor_send() would
 * queue it then.  Each send gets an id; the machine that made it (and
 * only that machine) can cancel it while it is pending.
 *
 * A pending send is dropped, never delivered, when its sender ends
 * (whatever the reason, rotor_loop_free() included) or when its target
 * has ended by the time it is due; its data pointer is then simply
 * forgotten, as for an event queued for a machine that ended.  Nothing
 * is left behind when the loop is freed with sends pending.
 *
 * Ordering: sends fall due by their deadlines.  Sends made with the same
 * delay share one libevent common timeout and arrive in the order they
 * were made; two sends of different delays that fall due at the same
 * microsecond may arrive in either order.  A due send joins the loop's
 * queue behind the events already in it.
 */
#ifndef ROTOR_DELAY_H
#define ROTOR_DELAY_H

#include <stdint.h>

#include <rotor/rotor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Queues user event `event` with `data` for machine `to` (the running
 * machine's own rotor_scope_self() included) `ms` milliseconds from now;
 * 0 means at the loop's next turn, after the events already queued.
 * Call it from an action, guard or `create` of the sending machine `s`.
 * Returns the send's id, > 0 and unique within the loop until 2^31 sends
 * have been made, or:
 *   ROTOR_EINVAL     `event` is not an event that can be sent
 *                    (ROTOR_EV_NONE, ROTOR_EV_CREATE, ROTOR_EV_DESTROY or
 *                    a negative number);
 *   ROTOR_ENOENT     `to` names no live machine of this loop;
 *   ROTOR_ESHUTDOWN  the sender is ending (called from its `destroy`):
 *                    the send would be dropped at once;
 *   ROTOR_ENOMEM     out of memory;
 *   ROTOR_EIO        libevent refused to arm the timer.
 * On failure nothing is sent (see rotor_last_error()). */
int rotor_send_after(rotor_scope *s, rotor_ref to, int event,
                     void *data, uint32_t ms);

/* Cancels the pending send `id` that machine `s` made: it will never be
 * delivered.  Returns 0, or:
 *   ROTOR_EINVAL  id <= 0;
 *   ROTOR_ENOENT  `s` has no pending send of that id: it was delivered,
 *                 dropped or cancelled already, or another machine made
 *                 it (a machine cannot cancel another's sends). */
int rotor_send_cancel(rotor_scope *s, int id);

/* The number of sends machine `s` has pending. */
unsigned rotor_send_pending(rotor_scope *s);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_DELAY_H */
