/* telnet-q.c: RFC 1143 option negotiation, the Q method.  The tables of
 * the RFC's section 7 are written out as switches, one per received
 * verb pair, with the side as a parameter: "us" answers DO/DONT with
 * WILL/WONT, "him" answers WILL/WONT with DO/DONT. */
#include "rotor/telnet.h"

#include <string.h>

#define SHIFT(side) ((side) == TELNET_Q_US ? 0 : 3)
#define QUEUED 4u	/* the queue bit above the 2 state bits */

static enum telnet_q_state get(const struct telnet_q *q,
    enum telnet_q_side side, unsigned char opt)
{
	return (enum telnet_q_state)((q->opt[opt] >> SHIFT(side)) & 3u);
}

static bool queued(const struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt)
{
	return (q->opt[opt] >> SHIFT(side)) & QUEUED;
}

static void set(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, enum telnet_q_state st, bool queue)
{
	unsigned v = (unsigned)st | (queue ? QUEUED : 0u);

	q->opt[opt] = (unsigned char)((q->opt[opt] & ~(7u << SHIFT(side))) |
	    (v << SHIFT(side)));
}

static bool accepts(const struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt)
{
	const unsigned char *map =
	    side == TELNET_Q_US ? q->accept_us : q->accept_him;

	return map[opt >> 3] & (1u << (opt & 7));
}

/* The verb we send for side to be (enable) or not be in effect: the
 * peer's options are asked for with DO/DONT, ours offered with WILL/WONT. */
static size_t emit(enum telnet_q_side side, bool enable, unsigned char opt,
    unsigned char *out)
{
	out[0] = TELNET_IAC;
	if (side == TELNET_Q_HIM)
		out[1] = enable ? TELNET_DO : TELNET_DONT;
	else
		out[1] = enable ? TELNET_WILL : TELNET_WONT;
	out[2] = opt;
	return 3;
}

/* The peer wants the option on (WILL for him, DO for us). */
static size_t recv_enable(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, unsigned char *out)
{
	bool queue = queued(q, side, opt);

	switch (get(q, side, opt)) {
	case TELNET_Q_NO:
		if (!accepts(q, side, opt))
			return emit(side, false, opt, out);
		set(q, side, opt, TELNET_Q_YES, false);
		return emit(side, true, opt, out);
	case TELNET_Q_YES:
		return 0;	/* in effect already: no answer */
	case TELNET_Q_WANTNO:
		/* Our "off" was answered "on": a peer error.  An "on" queued
		 * behind it is now in effect. */
		q->errors++;
		set(q, side, opt, queue ? TELNET_Q_YES : TELNET_Q_NO, false);
		return 0;
	case TELNET_Q_WANTYES:
		if (!queue) {
			set(q, side, opt, TELNET_Q_YES, false);
			return 0;
		}
		set(q, side, opt, TELNET_Q_WANTNO, false);
		return emit(side, false, opt, out);
	}
	return 0;
}

/* The peer wants the option off (WONT for him, DONT for us). */
static size_t recv_disable(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, unsigned char *out)
{
	bool queue = queued(q, side, opt);

	switch (get(q, side, opt)) {
	case TELNET_Q_NO:
		return 0;	/* off already: no answer */
	case TELNET_Q_YES:
		set(q, side, opt, TELNET_Q_NO, false);
		return emit(side, false, opt, out);
	case TELNET_Q_WANTNO:
		if (!queue) {
			set(q, side, opt, TELNET_Q_NO, false);
			return 0;
		}
		set(q, side, opt, TELNET_Q_WANTYES, false);
		return emit(side, true, opt, out);
	case TELNET_Q_WANTYES:
		/* Refused; a queued "off" is then satisfied too. */
		set(q, side, opt, TELNET_Q_NO, false);
		return 0;
	}
	return 0;
}

void telnet_q_init(struct telnet_q *q)
{
	memset(q, 0, sizeof(*q));
	telnet_q_set_accept(q, TELNET_Q_HIM, TELNET_OPT_ECHO, true);
	telnet_q_set_accept(q, TELNET_Q_HIM, TELNET_OPT_SGA, true);
}

void telnet_q_set_accept(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, bool accept)
{
	unsigned char *map = side == TELNET_Q_US ? q->accept_us : q->accept_him;
	unsigned char bit = (unsigned char)(1u << (opt & 7));

	if (accept)
		map[opt >> 3] |= bit;
	else
		map[opt >> 3] &= (unsigned char)~bit;
}

size_t telnet_q_receive(struct telnet_q *q, unsigned char verb,
    unsigned char opt, unsigned char *out)
{
	switch (verb) {
	case TELNET_WILL:
		return recv_enable(q, TELNET_Q_HIM, opt, out);
	case TELNET_WONT:
		return recv_disable(q, TELNET_Q_HIM, opt, out);
	case TELNET_DO:
		return recv_enable(q, TELNET_Q_US, opt, out);
	case TELNET_DONT:
		return recv_disable(q, TELNET_Q_US, opt, out);
	}
	return 0;
}

size_t telnet_q_request(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, bool enable, unsigned char *out)
{
	enum telnet_q_state st = get(q, side, opt);
	enum telnet_q_state done = enable ? TELNET_Q_YES : TELNET_Q_NO;
	enum telnet_q_state undone = enable ? TELNET_Q_NO : TELNET_Q_YES;
	enum telnet_q_state asking = enable ? TELNET_Q_WANTYES : TELNET_Q_WANTNO;

	if (st == undone) {
		set(q, side, opt, asking, false);
		return emit(side, enable, opt, out);
	}
	if (st == done)
		return 0;
	/* Negotiating: the RFC's queue.  Asking for what is being asked
	 * for cancels a queued reversal; asking for the reverse queues it. */
	set(q, side, opt, st, st != asking);
	return 0;
}

enum telnet_q_state telnet_q_state(const struct telnet_q *q,
    enum telnet_q_side side, unsigned char opt)
{
	return get(q, side, opt);
}

bool telnet_q_enabled(const struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt)
{
	return get(q, side, opt) == TELNET_Q_YES;
}

bool telnet_q_remote_echo(const struct telnet_q *q)
{
	return telnet_q_enabled(q, TELNET_Q_HIM, TELNET_OPT_ECHO);
}
