/* telnet-q.h: telnet option negotiation by the Q method (RFC 1143).
 *
 * Example-protocol code for the telnet client, not part of librotor's
 * public API.  For every option the state of each side, "us" (options we
 * perform, asked for by DO/DONT, answered by WILL/WONT) and "him" (options
 * the peer performs, asked for by WILL/WONT, answered by DO/DONT), is one
 * of NO, YES, WANTNO, WANTYES, with a queue bit for a request of the
 * opposite sense made while one is pending.  Every request gets one answer
 * and the mode in effect is never acknowledged again, so two such peers
 * cannot loop, whatever each agrees to.  Nothing is allocated: replies go
 * to the caller's buffer, to send as they are.
 */
#ifndef TELNET_Q_H
#define TELNET_Q_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of the longest reply (IAC verb option). */
#define TELNET_Q_REPLY_MAX 3

enum telnet_q_side {
	TELNET_Q_US,		/* we perform the option (DO/DONT to us) */
	TELNET_Q_HIM		/* the peer does (WILL/WONT from him) */
};

enum telnet_q_state {
	TELNET_Q_NO = 0,
	TELNET_Q_YES,
	TELNET_Q_WANTNO,	/* we asked to disable, no answer yet */
	TELNET_Q_WANTYES	/* we asked to enable, no answer yet */
};

struct telnet_q {
	/* Per option: bits 0-1 us state, bit 2 us queue, bits 3-4 him
	 * state, bit 5 him queue (RFC 1143's OPPOSITE). */
	unsigned char opt[256];
	/* Policy bitmaps: options we agree to perform / let him perform. */
	unsigned char accept_us[32];
	unsigned char accept_him[32];
	/* Answers that RFC 1143 calls errors (a peer that answered DONT
	 * with WILL, say), for diagnostics; they are handled all the same. */
	unsigned long errors;
};

/* All options off; the policy of a plain client: we perform nothing and
 * let the server perform ECHO and SUPPRESS-GO-AHEAD only. */
void telnet_q_init(struct telnet_q *q);

/* Whether we agree when the peer asks (DO for us, WILL for him).  Only
 * future requests are affected; an option in effect stays so. */
void telnet_q_set_accept(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, bool accept);

/* Handles a received IAC verb opt (verb: TELNET_WILL, _WONT, _DO,
 * _DONT; any other verb is ignored).  Writes the reply, if one is due,
 * to out (TELNET_Q_REPLY_MAX bytes) and returns its length, 0 or 3. */
size_t telnet_q_receive(struct telnet_q *q, unsigned char verb,
    unsigned char opt, unsigned char *out);

/* Asks to enable or disable an option on one side, as RFC 1143 does for
 * the user: writes the request into out and returns its length, or
 * queues it behind a pending one (returns 0), or returns 0 when it is
 * already in effect or asked for. */
size_t telnet_q_request(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, bool enable, unsigned char *out);

enum telnet_q_state telnet_q_state(const struct telnet_q *q,
    enum telnet_q_side side, unsigned char opt);

/* True when the option is in effect on that side (state YES). */
bool telnet_q_enabled(const struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt);

/* True when the server echoes what we send, so we must not echo locally. */
bool telnet_q_remote_echo(const struct telnet_q *q);

#endif
