/*
 * stream.h: stream machines, buffered sockets driven by expectations.
 * Included by <rotor/rotor.h>.
 *
 * A stream machine owns one connected descriptor and two libevent
 * evbuffers.  Each state says what it waits for (`expect line max 4096;`,
 * `expect bytes 4;`, `expect until "\r\n\r\n" max 16384;`, `expect flush;`,
 * `expect sleep;`); the runtime reads only while the state wants input,
 * raises `input` when the expectation holds (rotor_event_size() tells how
 * many bytes satisfied it), `limit` when the maximum is reached without a
 * delimiter, `eof` when the peer closed before it held, `flushed` when the
 * output has drained, `drained` when output that was over the state's
 * `drain HIGH LOW;` high mark is down to its low one, and `error`
 * (rotor_event_error()) when the socket failed.  Output written by
 * actions is sent right after the transition, and the runtime waits for
 * writability only when the kernel refuses bytes.  While more than the
 * high-water mark of output is pending the machine does not read, so a
 * peer that sends without reading cannot grow our memory.
 *
 * Errors follow <rotor/error.h>: calls that return int give 0 (or a
 * descriptor) or a negative ROTOR_E* code; calls that return a pointer
 * give NULL and set rotor_last_code().  Every call refuses a NULL machine
 * (ROTOR_EINVAL) and a machine that is not a stream (ROTOR_ENOTSUP).
 * The calls that return a byte count (size_t) give 0 for those too, and
 * set rotor_last_code(): 0 is also a true answer there.
 *
 * Listeners, which spawn stream machines for accepted connections, are in
 * <rotor/listener.h> (included here, as before).
 */
#ifndef ROTOR_STREAM_H
#define ROTOR_STREAM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <rotor/listener.h>
#include <rotor/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evbuffer;

/* Output above this many bytes stops reading until it drains; also the
 * high mark of `drain LOW;`. */
#define ROTOR_STREAM_HIGH_WATER (256u * 1024u)

/* Gives the running stream machine a connected descriptor (non-blocking
 * is set here).  The machine owns it: it is closed when the machine ends.
 * Machines spawned by a listener get theirs before `create` runs.
 * Returns 0; ROTOR_EINVAL (fd < 0), ROTOR_EEXIST (it has one already),
 * ROTOR_EBUSY (a connection is being made), ROTOR_ENOMEM. */
int rotor_stream_attach(rotor_scope *s, int fd);

/* Connects the running stream machine to host:port.  Numeric addresses
 * connect at once; names are resolved with evdns without blocking the
 * loop.  The machine gets `connected`, or `error` with the errno
 * (ECONNREFUSED, EHOSTUNREACH, ..., or ROTOR_ERESOLVE when the name does
 * not resolve; rotor_strerror() words them).  Bound the wait with the
 * state's `timeout`.
 * Returns 0 when the attempt started; ROTOR_EINVAL (host or port NULL),
 * ROTOR_EEXIST (connected, or connecting, already: rotor_stream_reset()
 * first), ROTOR_ENOMEM, ROTOR_EIO (evdns cannot start). */
int rotor_stream_connect(rotor_scope *s, const char *host, const char *port);

/* Like rotor_stream_connect(), but a failed attempt (refused, unreachable,
 * a name that does not resolve) is retried after first_ms, then after
 * twice as long each time up to max_ms, like rotor-stream's Persistent.
 * The machine sees nothing until `connected`; bound the wait with the
 * state's `timeout` if it should not be endless.  Returns 0, or the codes
 * of rotor_stream_connect() and ROTOR_EINVAL for delays that are 0 or
 * with max_ms < first_ms. */
int rotor_stream_connect_retry(rotor_scope *s, const char *host,
                               const char *port, uint32_t first_ms,
                               uint32_t max_ms);

/* Connection attempts made by the last rotor_stream_connect*() call (0
 * when none was made since the last reset). */
unsigned rotor_stream_connect_attempts(rotor_scope *s);

/* Closes the socket, stops a connection being made and empties both
 * buffers, so that the machine can connect again (after `eof` or `error`,
 * to reconnect).  Returns 0. */
int rotor_stream_reset(rotor_scope *s);

/* The descriptor of the running stream machine; -EBADF when it has none
 * (not attached or connected yet, or reset). */
int rotor_stream_fd(rotor_scope *s);

/* The input and output buffers, for zero-copy work with evbuffer_*().
 * Once asked for, a buffer stays the one to use: the stream then reads
 * every byte into the input evbuffer (not into the loop's scratch
 * buffer) and appends every byte to the output evbuffer (not to its
 * small buffer), so that bytes the caller takes or adds keep their
 * order; it costs a little speed.  NULL on failure (ROTOR_ENOMEM when the
 * bytes held elsewhere cannot be moved there: the stream has failed). */
struct evbuffer *rotor_stream_input(rotor_scope *s);
struct evbuffer *rotor_stream_output(rotor_scope *s);

/* Bytes of input held. */
size_t rotor_stream_input_length(rotor_scope *s);

/* Bytes of output not yet taken by the kernel (to compare with the
 * state's `drain` marks, or ROTOR_STREAM_HIGH_WATER). */
size_t rotor_stream_output_length(rotor_scope *s);

/* The first n bytes of input, made contiguous; NULL with ROTOR_EMSGSIZE
 * if fewer are held.  The pointer is good until input is taken, the next
 * call of rotor_stream_peek(), rotor_stream_extent() or
 * rotor_stream_input(), or the end of the action. */
const char *rotor_stream_peek(rotor_scope *s, size_t n);

/* The first contiguous run of input, *len bytes long (it may be shorter
 * than the whole input, but is never empty when input is held), without
 * copying; NULL and *len = 0 when none is held (not a failure).  Good as
 * long as a pointer from rotor_stream_peek(). */
const char *rotor_stream_extent(rotor_scope *s, size_t *len);

/* The number of input bytes up to and including the last occurrence of
 * byte, or 0 when it does not occur (to take all complete lines at once). */
size_t rotor_stream_through_last(rotor_scope *s, char byte);

/* Copies up to n bytes of input into buf and removes them; returns how
 * many were copied (0: no input, or buf NULL with n > 0: ROTOR_EINVAL). */
size_t rotor_stream_read(rotor_scope *s, void *buf, size_t n);

/* Removes n bytes (or all there are) from the input.  Returns 0. */
int rotor_stream_consume(rotor_scope *s, size_t n);

/* Appends n bytes to the output.  Returns 0; ROTOR_EINVAL (data NULL
 * with n > 0), ROTOR_ENOMEM, or, when the stream has failed, its failure
 * as a code (-EPIPE, -ECONNRESET, ..., ROTOR_ERESOLVE: the negated
 * rotor_event_error() of the `error` event). */
int rotor_stream_write(rotor_scope *s, const void *data, size_t n);

/* Appends the n pieces of iov to the output, in order: one call for an
 * answer made of a prepared head, a date and a body.  All or nothing.
 * Returns 0, or the codes of rotor_stream_write(), ROTOR_EINVAL (n < 0,
 * iov NULL) and ROTOR_EMSGSIZE (the lengths add up to more than
 * SIZE_MAX). */
int rotor_stream_writev(rotor_scope *s, const struct iovec *iov, int n);

/* Appends formatted text to the output.  Returns 0, or the codes of
 * rotor_stream_write() (ROTOR_EINVAL: fmt NULL). */
int rotor_stream_printf(rotor_scope *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Moves the first n bytes of input to the output: whole evbuffer chains
 * without copying (evbuffer_remove_buffer), or a copy of bytes still in
 * the read they arrived with (up to 16 KiB); returns how many moved.  On a
 * failed stream (or when memory runs out, which fails it) the bytes are
 * dropped and 0 is returned; `error` follows. */
size_t rotor_stream_echo(rotor_scope *s, size_t n);

/* Half-closes: once the output is sent, the write side is shut down
 * (the peer sees end of file) while reading goes on.  Returns 0, or
 * ROTOR_ENOMEM (a stream not connected yet could not be made). */
int rotor_stream_shutdown(rotor_scope *s);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_STREAM_H */
