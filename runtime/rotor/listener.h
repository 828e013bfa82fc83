/*
 * listener.h: listener machines and the sockets they listen on.
 * Included by <rotor/rotor.h> and <rotor/stream.h>.
 *
 * A listener machine (`listener; spawns M;` in .rsm) owns a bound and
 * listening socket.  Each connection it accepts is spawned as a machine
 * of type M, with the socket attached (a stream M) or watched (a raw M),
 * and the listener then gets `accepted` (rotor_event_data() is a pointer
 * to the child's rotor_ref).  When the machine table is full the new
 * socket is closed and the listener gets `spawn_failed`; when accept()
 * runs out of descriptors the listener stops accepting for a while
 * instead of spinning, and resumes by itself.  rotor_listen_socket()
 * makes the socket, one per loop when several loops share a port;
 * rotor_listen_addr_parse() reads the "[HOST:]PORT" of a command line
 * for it, and rotor_socket_describe() says where it listens.
 *
 * Errors follow <rotor/error.h>.
 */
#ifndef ROTOR_LISTENER_H
#define ROTOR_LISTENER_H

#include <stddef.h>

#include <rotor/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_loop;
struct rotor_ref;

/* rotor_listen_socket() flags. */
#define ROTOR_LISTEN_REUSEPORT 0x1  /* SO_REUSEPORT: several sockets (one
                                       per loop, per thread) share the
                                       port; the kernel spreads clients */

/* Opens a non-blocking, close-on-exec TCP socket listening on host:port
 * (numeric port; "0" picks a free one, see rotor_socket_port()), with
 * SO_REUSEADDR and, as flags ask, SO_REUSEPORT.  host NULL: all
 * addresses.  Returns the descriptor (>= 0); ROTOR_EINVAL for unknown
 * flags or port NULL; ROTOR_ERESOLVE when host or port is no address;
 * ROTOR_ENOTSUP when SO_REUSEPORT is asked for and not supported;
 * ROTOR_EADDRINUSE when the port is taken; ROTOR_EIO when socket(),
 * bind() or listen() fail otherwise.  rotor_last_error() names host,
 * port and the system's reason. */
int rotor_listen_socket(const char *host, const char *port, int flags);

/* The local port a socket is bound to (>= 0); ROTOR_EINVAL when fd is
 * not a socket; ROTOR_ENOTSUP when it is not an IP socket. */
int rotor_socket_port(int fd);

/* Splits a command-line address "[HOST:]PORT" into host and port, for
 * rotor_listen_socket().  HOST may be a name, an IPv4 address or a
 * bracketed IPv6 one ("[::1]:8080", the brackets dropped in host); a
 * bare IPv6 address is refused, its colons being ambiguous.  Without a
 * HOST, default_host is copied (NULL: host is "").  PORT is 1 to 5
 * digits, at most 65535 ("0": the kernel picks).  Returns 0;
 * ROTOR_EINVAL when an argument is NULL or the address is malformed
 * (empty host or port, a port that is no number); ROTOR_EMSGSIZE when
 * host or port does not fit its buffer.  On failure host and port are
 * left as they were. */
int rotor_listen_addr_parse(const char *arg, const char *default_host,
                            char *host, size_t host_size,
                            char *port, size_t port_size);

/* Writes the "HOST:PORT" a socket is bound to into out, numeric, IPv6
 * hosts in brackets ("127.0.0.1:3000", "[::1]:3000"): after port "0",
 * the port the kernel picked.  Returns the length written (without the
 * '\0'); ROTOR_EINVAL when out is NULL or fd is not a socket;
 * ROTOR_ENOTSUP when it is not an IP socket; ROTOR_EMSGSIZE when out is
 * too small (64 bytes always fit: INET6_ADDRSTRLEN, brackets, port). */
int rotor_socket_describe(int fd, char *out, size_t out_size);

/* Starts a listener machine of type `listener` on fd, a bound and
 * listening socket, which it owns from then on (also when this fails:
 * the socket is closed).  seed goes to the listener's `create`.
 * Returns the listener's reference; on failure one that rotor_ref_valid()
 * refuses, with rotor_last_code(): ROTOR_EINVAL (loop or listener NULL,
 * fd < 0), ROTOR_ENOTSUP (not a listener type, or no `spawns`),
 * ROTOR_ENOSPC, ROTOR_ENOMEM or ROTOR_EIO (the socket cannot be watched),
 * or the codes of rotor_spawn(). */
struct rotor_ref rotor_listen(struct rotor_loop *loop,
                              const struct rotor_machine_type *listener,
                              int fd, void *seed);

/* Connections accepted so far by the listener machine s, and times
 * accepting was paused for lack of descriptors.  0 for a machine that is
 * not a listener (rotor_last_code(): ROTOR_EINVAL for NULL, ROTOR_ENOTSUP
 * for another kind). */
unsigned long rotor_listener_accepted(rotor_scope *s);
unsigned long rotor_listener_pauses(rotor_scope *s);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_LISTENER_H */
