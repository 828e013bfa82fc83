/*
 * raw.h: raw machines, which watch a descriptor of their own.
 *
 * A raw machine (`raw;` in .rsm) is given one descriptor with
 * rotor_watch_fd() (a listener gives it the accepted socket before
 * `create`).  States that say `watch readable;` or `watch writable;` then
 * receive `readable` and `writable` events for it, and the actions read
 * and write it themselves: the runtime buffers nothing.  The machine owns
 * the descriptor: the runtime closes it after `destroy`.  What a stream
 * machine does for you instead is in <rotor/stream.h>.
 *
 * Errors follow <rotor/error.h>: 0 or a negative ROTOR_E* code.
 */
#ifndef ROTOR_RAW_H
#define ROTOR_RAW_H

#include <rotor/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Gives the running raw machine a descriptor to watch, from now on as
 * its states declare.  Returns 0; ROTOR_EINVAL when fd is negative;
 * ROTOR_ENOTSUP when the machine is not a raw one; ROTOR_EEXIST when it
 * has a descriptor already; ROTOR_EIO when libevent cannot watch fd (the
 * machine owns fd in that case too). */
int rotor_watch_fd(rotor_scope *s, int fd);

/* The descriptor given to rotor_watch_fd() (or by a listener), or -1
 * when none was. */
int rotor_scope_fd(rotor_scope *s);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_RAW_H */
