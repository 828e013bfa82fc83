/*
 * clock.h: the loop's clock, real or virtual.
 *
 * A loop measures its timeouts (state `timeout D;`, named timeouts,
 * rotor_send_after()) on CLOCK_MONOTONIC through libevent.  Switched to a
 * virtual clock, it measures them on a clock that stands still until
 * rotor_loop_advance() moves it: every timer falling due on the way
 * fires then, in due order, at once.  This is what librotor-test
 * (<rotor/test.h>) builds on; a program that never switches pays one
 * test of a pointer per timer armed.  Descriptors (sockets, pipes) are
 * still watched by libevent: rotor_loop_run() and libevent's own loop
 * serve them, but fire no virtual timer.
 *
 * Errors follow <rotor/error.h>: 0 (or a count) or a negative ROTOR_E*.
 */
#ifndef ROTOR_CLOCK_H
#define ROTOR_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_loop;

/* Switches loop to a virtual clock that reads 0 now.  Only while no
 * machine lives (timers armed on the real clock would be lost): returns
 * 0, ROTOR_EINVAL (loop NULL), ROTOR_EBUSY (machines live, or the loop
 * runs), ROTOR_ENOMEM. */
int rotor_loop_virtual_clock(struct rotor_loop *loop);

/* Moves the virtual clock forward by ms, firing every timer that falls
 * due on the way in due order (timers due at the same time in the order
 * they were armed), each event run to completion before the next timer
 * fires.  Returns how many timers fired (a state timeout re-armed while
 * pending is moved lazily: it may fire early once, silently, and re-arm
 * itself for the rest), ROTOR_EINVAL (loop NULL),
 * ROTOR_ENOTSUP (the loop's clock is real) or ROTOR_EBUSY (called from
 * an action). */
int rotor_loop_advance(struct rotor_loop *loop, uint64_t ms);

/* When the next virtual timer falls due: 1 and *ms the milliseconds
 * from now (rounded up), 0 when no timer is armed, ROTOR_EINVAL (loop or
 * ms NULL), ROTOR_ENOTSUP (the clock is real). */
int rotor_loop_next_timer(struct rotor_loop *loop, uint64_t *ms);

/* Serves what libevent finds ready now (descriptors, activated events)
 * without waiting, once, and returns: a loop on a virtual clock runs its
 * I/O so.  Returns 0, ROTOR_EINVAL (loop NULL), ROTOR_EBUSY (the loop
 * runs, or called from an action), ROTOR_EIO. */
int rotor_loop_poll(struct rotor_loop *loop);

/* The loop's clock: milliseconds since the loop was made (real clock)
 * or since it was switched to the virtual one.  0 for loop NULL. */
uint64_t rotor_loop_now(struct rotor_loop *loop);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_CLOCK_H */
