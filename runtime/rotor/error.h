/*
 * error.h: how every call of librotor says that it failed.
 *
 * One convention, everywhere:
 *
 *   - A call that returns `int` returns 0 (or a count, a length or an
 *     identifier, never negative) on success and a negative ROTOR_E* code
 *     on failure.  Test it with `< 0`; compare it with the constants below.
 *   - A call that returns a pointer returns NULL on failure; a call that
 *     returns a rotor_ref returns one that rotor_ref_valid() refuses.  In
 *     both cases rotor_last_code() gives the ROTOR_E* code.
 *   - Every failure also leaves a message with the details (which call,
 *     which machine) that rotor_last_error() returns, per thread.
 *   - A bad argument is an error (ROTOR_EINVAL), never a silent no-op.
 *     Calls documented as accepting NULL (the *_free calls) are the only
 *     exceptions.
 *
 * The codes are negated errno values, so that rotor_strerror() words them
 * and a code can be handed on where an errno is expected (as -code).
 * ROTOR_ERESOLVE is rotor's own, outside the errno range.
 */
#ifndef ROTOR_ERROR_H
#define ROTOR_ERROR_H

#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ROTOR_OK        0
#define ROTOR_EINVAL    (-EINVAL)     /* a bad argument */
#define ROTOR_ENOMEM    (-ENOMEM)     /* out of memory */
#define ROTOR_ENOENT    (-ENOENT)     /* no such machine (ended, or never was) */
#define ROTOR_EEXIST    (-EEXIST)     /* already set (a descriptor, a value) */
#define ROTOR_ENOSPC    (-ENOSPC)     /* a table or queue is full */
#define ROTOR_EBUSY     (-EBUSY)      /* not allowed from here, or now */
#define ROTOR_ENOTSUP   (-ENOTSUP)    /* not for this kind of machine, or
                                         not built in (TLS without OpenSSL) */
#define ROTOR_ESHUTDOWN (-ESHUTDOWN)  /* the loop or machine has ended: the
                                         value or wakeup was not delivered */
#define ROTOR_EMSGSIZE  (-EMSGSIZE)   /* a size over its limit */
#define ROTOR_EADDRINUSE (-EADDRINUSE) /* the address is taken (a port) */
#define ROTOR_EIO       (-EIO)        /* a failure of libevent or the system */
#define ROTOR_ERESOLVE  (-100001)     /* a host name did not resolve */

/* A message for a ROTOR_E* code, or for a (positive) errno value as
 * rotor_event_error() gives it: "host name not found" for
 * ROTOR_ERESOLVE, strerror()'s words for the others. */
const char *rotor_strerror(int code);

/* The message of the last failure in this thread ("" if none). */
const char *rotor_last_error(void);

/* The ROTOR_E* code of the last failure in this thread (0 if none). */
int rotor_last_code(void);

/* Sets what rotor_last_code() and rotor_last_error() give in this thread
 * (message NULL: ""), for libraries built on librotor that follow its
 * convention (librotor-test).  Returns code. */
int rotor_set_error(int code, const char *message);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_ERROR_H */
