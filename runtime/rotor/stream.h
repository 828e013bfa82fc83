/*
 * stream.h: stream machines (buffered sockets with expectations) and
 * listeners.  Included by <rotor/rotor.h>.
 *
 * A stream machine owns one connected descriptor and two libevent
 * evbuffers.  Each state says what it waits for (`expect line max 4096;`,
 * `expect bytes 4;`, `expect until "\r\n\r\n" max 16384;`, `expect flush;`,
 * `expect sleep;`); the runtime reads only while the state wants input,
 * raises `input` when the expectation holds (rotor_event_size() tells how
 * many bytes satisfied it), `limit` when the maximum is reached without a
 * delimiter, `eof` when the peer closed before it held, `flushed` when the
 * output has drained, and `error` (rotor_event_error()) when the socket
 * failed.  Output written by actions is sent right after the transition,
 * and the runtime waits for writability only when the kernel refuses
 * bytes.  While more than the high-water mark of output is pending the
 * machine does not read, so a peer that sends without reading cannot grow
 * our memory.
 */
#ifndef ROTOR_STREAM_H
#define ROTOR_STREAM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <rotor/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evbuffer;
struct rotor_loop;
struct rotor_ref;

/* Output above this many bytes stops reading until it drains. */
#define ROTOR_STREAM_HIGH_WATER (256u * 1024u)

/* Gives the running stream machine a connected descriptor (non-blocking
 * is set here).  The machine owns it: it is closed when the machine ends.
 * Machines spawned by a listener get theirs before `create` runs.
 * Returns 0, or -1 when the machine is not a stream or has one already. */
int rotor_stream_attach(rotor_scope *s, int fd);

/* Connects the running stream machine to host:port.  Numeric addresses
 * connect at once; names are resolved with evdns without blocking the
 * loop.  The machine gets `connected`, or `error` with the errno
 * (ECONNREFUSED, EHOSTUNREACH, ..., or ROTOR_ERESOLVE when the name does
 * not resolve; rotor_strerror() words them).  Bound the wait with the
 * state's `timeout`.
 * Returns 0, or -1 when the connection cannot even be started. */
int rotor_stream_connect(rotor_scope *s, const char *host, const char *port);

/* Like rotor_stream_connect(), but a failed attempt (refused, unreachable,
 * a name that does not resolve) is retried after first_ms, then after
 * twice as long each time up to max_ms, like rotor-stream's Persistent.
 * The machine sees nothing until `connected`; bound the wait with the
 * state's `timeout` if it should not be endless.  Returns 0 or -1. */
int rotor_stream_connect_retry(rotor_scope *s, const char *host,
                               const char *port, uint32_t first_ms,
                               uint32_t max_ms);

/* Connection attempts made by the last rotor_stream_connect*() call. */
unsigned rotor_stream_connect_attempts(rotor_scope *s);

/* Closes the socket and empties both buffers, so that the machine can
 * connect again (after `eof` or `error`, to reconnect). */
void rotor_stream_reset(rotor_scope *s);

/* The descriptor of the running stream machine, or -1. */
int rotor_stream_fd(rotor_scope *s);

/* The input and output buffers, for zero-copy work with evbuffer_*().
 * Once asked for, a buffer stays the one to use: the stream then reads
 * every byte into the input evbuffer (not into the loop's scratch
 * buffer) and appends every byte to the output evbuffer (not to its
 * small buffer), so that bytes the caller takes or adds keep their
 * order; it costs a little speed. */
struct evbuffer *rotor_stream_input(rotor_scope *s);
struct evbuffer *rotor_stream_output(rotor_scope *s);

/* Bytes of input held. */
size_t rotor_stream_input_length(rotor_scope *s);

/* The first n bytes of input, made contiguous; NULL if fewer are held.
 * The pointer is good until input is taken, the next call of
 * rotor_stream_peek(), rotor_stream_extent() or rotor_stream_input(), or
 * the end of the action. */
const char *rotor_stream_peek(rotor_scope *s, size_t n);

/* The first contiguous run of input, *len bytes long (it may be shorter
 * than the whole input, but is never empty when input is held), without
 * copying; NULL and *len = 0 when none is held.  Good as long as a
 * pointer from rotor_stream_peek(). */
const char *rotor_stream_extent(rotor_scope *s, size_t *len);

/* The number of input bytes up to and including the last occurrence of
 * byte, or 0 when it does not occur (to take all complete lines at once). */
size_t rotor_stream_through_last(rotor_scope *s, char byte);

/* Copies up to n bytes of input into buf and removes them; returns how
 * many were copied. */
size_t rotor_stream_read(rotor_scope *s, void *buf, size_t n);

/* Removes n bytes (or all there are) from the input. */
void rotor_stream_consume(rotor_scope *s, size_t n);

/* Appends n bytes to the output.  Returns 0, or -1 when out of memory or
 * the stream has failed. */
int rotor_stream_write(rotor_scope *s, const void *data, size_t n);

/* Appends the n pieces of iov to the output, in order: one call for an
 * answer made of a prepared head, a date and a body.  Returns 0, or -1
 * when out of memory, the stream has failed or the lengths add up to more
 * than SIZE_MAX (nothing appended). */
int rotor_stream_writev(rotor_scope *s, const struct iovec *iov, int n);

/* Appends formatted text to the output.  Returns 0 or -1. */
int rotor_stream_printf(rotor_scope *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Moves the first n bytes of input to the output: whole evbuffer chains
 * without copying (evbuffer_remove_buffer), or a copy of bytes still in
 * the read they arrived with (up to 16 KiB); returns how many moved.  On a failed stream
 * (or when memory runs out, which fails it) the bytes are dropped and 0
 * is returned; `error` follows. */
size_t rotor_stream_echo(rotor_scope *s, size_t n);

/* Half-closes: once the output is sent, the write side is shut down
 * (the peer sees end of file) while reading goes on. */
void rotor_stream_shutdown(rotor_scope *s);

/* Starts a listener machine (`listener; spawns M;` in .rsm) on fd, a
 * bound and listening socket, which it owns from then on.  Each accepted
 * connection is spawned as M with the socket attached (a stream M) or
 * watched (a raw M), then the listener gets `accepted`.  When the machine
 * table is full the new socket is closed and the listener gets
 * `spawn_failed`; when accept() runs out of descriptors the listener
 * stops accepting for a while instead of spinning, and resumes by itself.
 * Returns the listener's reference, or one with gen == 0 on failure. */
struct rotor_ref rotor_listen(struct rotor_loop *loop,
                              const struct rotor_machine_type *listener,
                              int fd, void *seed);

/* Connections accepted so far by the listener, and times accepting was
 * paused for lack of descriptors. */
unsigned long rotor_listener_accepted(rotor_scope *s);
unsigned long rotor_listener_pauses(rotor_scope *s);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_STREAM_H */
