/* test-q.c: RFC 1143 option negotiation (grammars/telnet-q.c). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/telnet.h>

enum { WILL = TELNET_WILL, WONT = TELNET_WONT, DO = TELNET_DO,
       DONT = TELNET_DONT, NONE = 0 };

/* Receives verb opt and checks the reply: NONE for no reply, or the
 * verb answered with, on the same option. */
static void expect_reply(struct telnet_q *q, int verb, int opt, int reply)
{
	unsigned char out[TELNET_Q_REPLY_MAX];
	size_t n = telnet_q_receive(q, (unsigned char)verb,
	    (unsigned char)opt, out);

	if (reply == NONE) {
		ck_assert_msg(n == 0, "%d %d: unexpected reply %u %u", verb,
		    opt, out[1], out[2]);
		return;
	}
	ck_assert_msg(n == 3, "%d %d: no reply, want %d", verb, opt, reply);
	ck_assert_uint_eq(out[0], TELNET_IAC);
	ck_assert_msg(out[1] == reply, "%d %d: reply %u, want %d", verb, opt,
	    out[1], reply);
	ck_assert_uint_eq(out[2], (unsigned)opt);
}

START_TEST(test_will_echo_once)
{
	struct telnet_q q;

	telnet_q_init(&q);
	ck_assert(!telnet_q_remote_echo(&q));
	expect_reply(&q, WILL, TELNET_OPT_ECHO, DO);
	ck_assert(telnet_q_remote_echo(&q));
	expect_reply(&q, WILL, TELNET_OPT_ECHO, NONE);
	expect_reply(&q, WILL, TELNET_OPT_ECHO, NONE);
	ck_assert(telnet_q_remote_echo(&q));
	/* Server stops echoing: acknowledged once, then local echo again. */
	expect_reply(&q, WONT, TELNET_OPT_ECHO, DONT);
	ck_assert(!telnet_q_remote_echo(&q));
	expect_reply(&q, WONT, TELNET_OPT_ECHO, NONE);
	/* And may start again. */
	expect_reply(&q, WILL, TELNET_OPT_ECHO, DO);
	ck_assert(telnet_q_remote_echo(&q));
}
END_TEST

START_TEST(test_will_sga)
{
	struct telnet_q q;

	telnet_q_init(&q);
	expect_reply(&q, WILL, TELNET_OPT_SGA, DO);
	expect_reply(&q, WILL, TELNET_OPT_SGA, NONE);
	ck_assert(telnet_q_enabled(&q, TELNET_Q_HIM, TELNET_OPT_SGA));
	ck_assert(!telnet_q_enabled(&q, TELNET_Q_US, TELNET_OPT_SGA));
}
END_TEST

/* Every other WILL is refused with DONT, every DO with WONT; WONT and
 * DONT of options off get nothing. */
START_TEST(test_refusals)
{
	struct telnet_q q;
	int opt = _i;

	telnet_q_init(&q);
	if (opt != TELNET_OPT_ECHO && opt != TELNET_OPT_SGA) {
		expect_reply(&q, WILL, opt, DONT);
		ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_HIM,
		    (unsigned char)opt), TELNET_Q_NO);
		expect_reply(&q, WILL, opt, DONT);	/* asked again */
	}
	expect_reply(&q, DO, opt, WONT);
	ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_US, (unsigned char)opt),
	    TELNET_Q_NO);
	expect_reply(&q, DONT, opt, NONE);
	expect_reply(&q, WONT, opt, NONE);
	ck_assert_uint_eq(q.errors, 0);
}
END_TEST

START_TEST(test_other_verbs_ignored)
{
	struct telnet_q q;
	unsigned char out[TELNET_Q_REPLY_MAX];

	telnet_q_init(&q);
	ck_assert_uint_eq(telnet_q_receive(&q, TELNET_SB, 1, out), 0);
	ck_assert_uint_eq(telnet_q_receive(&q, TELNET_NOP, 1, out), 0);
}
END_TEST

/* What inetutils telnetd sends first, and what a plain client answers. */
START_TEST(test_telnetd_sequence)
{
	static const struct { int verb, opt, reply; } seq[] = {
		{ DO, TELNET_OPT_TTYPE, WONT },
		{ DO, TELNET_OPT_TSPEED, WONT },
		{ DO, TELNET_OPT_XDISPLOC, WONT },
		{ DO, TELNET_OPT_NEW_ENVIRON, WONT },
		{ DO, TELNET_OPT_OLD_ENVIRON, WONT },
		{ WILL, TELNET_OPT_ECHO, DO },
		{ WILL, TELNET_OPT_SGA, DO },
		{ DO, TELNET_OPT_NAWS, WONT },
		{ DO, TELNET_OPT_LFLOW, WONT },
		{ DO, TELNET_OPT_LINEMODE, WONT },
		{ WILL, TELNET_OPT_STATUS, DONT },
		{ DO, TELNET_OPT_STATUS, WONT },
		{ DO, TELNET_OPT_AUTHENTICATION, WONT },
		{ WILL, TELNET_OPT_ENCRYPT, DONT },
		{ DO, TELNET_OPT_ENCRYPT, WONT },
		{ DO, TELNET_OPT_SGA, WONT },
		{ DO, TELNET_OPT_ECHO, WONT },
		/* telnetd, having seen our answers, restates some modes. */
		{ WILL, TELNET_OPT_ECHO, NONE },
		{ WILL, TELNET_OPT_SGA, NONE },
		{ DONT, TELNET_OPT_ECHO, NONE },
		{ DONT, TELNET_OPT_TTYPE, NONE },
		{ WONT, TELNET_OPT_STATUS, NONE },
	};
	struct telnet_q q;

	telnet_q_init(&q);
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		expect_reply(&q, seq[i].verb, seq[i].opt, seq[i].reply);
	ck_assert(telnet_q_remote_echo(&q));
	ck_assert(telnet_q_enabled(&q, TELNET_Q_HIM, TELNET_OPT_SGA));
	for (int opt = 0; opt < 256; opt++) {
		ck_assert(!telnet_q_enabled(&q, TELNET_Q_US,
		    (unsigned char)opt));
		if (opt != TELNET_OPT_ECHO && opt != TELNET_OPT_SGA)
			ck_assert(!telnet_q_enabled(&q, TELNET_Q_HIM,
			    (unsigned char)opt));
	}
	ck_assert_uint_eq(q.errors, 0);
}
END_TEST

START_TEST(test_policy)
{
	struct telnet_q q;

	telnet_q_init(&q);
	telnet_q_set_accept(&q, TELNET_Q_US, TELNET_OPT_NAWS, true);
	telnet_q_set_accept(&q, TELNET_Q_HIM, TELNET_OPT_ECHO, false);
	expect_reply(&q, DO, TELNET_OPT_NAWS, WILL);
	expect_reply(&q, DO, TELNET_OPT_NAWS, NONE);
	ck_assert(telnet_q_enabled(&q, TELNET_Q_US, TELNET_OPT_NAWS));
	expect_reply(&q, WILL, TELNET_OPT_ECHO, DONT);
	ck_assert(!telnet_q_remote_echo(&q));
	expect_reply(&q, DONT, TELNET_OPT_NAWS, WONT);
	expect_reply(&q, DONT, TELNET_OPT_NAWS, NONE);
}
END_TEST

/* Requests of our own, with RFC 1143's queue. */
START_TEST(test_requests)
{
	struct telnet_q q;
	unsigned char out[TELNET_Q_REPLY_MAX];
	const unsigned char sga = TELNET_OPT_SGA;

	telnet_q_init(&q);
	/* DO SGA; the server's WILL is the answer and gets none. */
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_HIM, sga, true, out),
	    3);
	ck_assert_uint_eq(out[1], TELNET_DO);
	ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_HIM, sga),
	    TELNET_Q_WANTYES);
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_HIM, sga, true, out),
	    0);
	expect_reply(&q, WILL, sga, NONE);
	ck_assert(telnet_q_enabled(&q, TELNET_Q_HIM, sga));
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_HIM, sga, true, out),
	    0);

	/* DONT SGA, then change our mind while it is pending: the queued
	 * DO goes out when the WONT arrives. */
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_HIM, sga, false, out),
	    3);
	ck_assert_uint_eq(out[1], TELNET_DONT);
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_HIM, sga, true, out),
	    0);
	expect_reply(&q, WONT, sga, DO);
	ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_HIM, sga),
	    TELNET_Q_WANTYES);
	expect_reply(&q, WILL, sga, NONE);
	ck_assert(telnet_q_enabled(&q, TELNET_Q_HIM, sga));

	/* Queued, then unqueued: nothing more is sent. */
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_HIM, sga, false, out),
	    3);
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_HIM, sga, true, out),
	    0);
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_HIM, sga, false, out),
	    0);
	expect_reply(&q, WONT, sga, NONE);
	ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_HIM, sga), TELNET_Q_NO);

	/* Enabling our side: WILL, refused with DONT. */
	ck_assert_uint_eq(telnet_q_request(&q, TELNET_Q_US, 31, true, out),
	    3);
	ck_assert_uint_eq(out[1], TELNET_WILL);
	expect_reply(&q, DONT, 31, NONE);
	ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_US, 31), TELNET_Q_NO);
	ck_assert_uint_eq(q.errors, 0);
}
END_TEST

/* WANTYES with a queued disable: the WILL is answered with DONT. */
START_TEST(test_wantyes_opposite)
{
	struct telnet_q q;
	unsigned char out[TELNET_Q_REPLY_MAX];

	telnet_q_init(&q);
	telnet_q_request(&q, TELNET_Q_HIM, TELNET_OPT_ECHO, true, out);
	telnet_q_request(&q, TELNET_Q_HIM, TELNET_OPT_ECHO, false, out);
	expect_reply(&q, WILL, TELNET_OPT_ECHO, DONT);
	ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_HIM, TELNET_OPT_ECHO),
	    TELNET_Q_WANTNO);
	expect_reply(&q, WONT, TELNET_OPT_ECHO, NONE);
	ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_HIM, TELNET_OPT_ECHO),
	    TELNET_Q_NO);
}
END_TEST

/* A peer that answers our DONT with WILL: RFC 1143's error case. */
START_TEST(test_peer_error)
{
	struct telnet_q q;
	unsigned char out[TELNET_Q_REPLY_MAX];

	telnet_q_init(&q);
	expect_reply(&q, WILL, TELNET_OPT_ECHO, DO);
	telnet_q_request(&q, TELNET_Q_HIM, TELNET_OPT_ECHO, false, out);
	expect_reply(&q, WILL, TELNET_OPT_ECHO, NONE);
	ck_assert_uint_eq(q.errors, 1);
	ck_assert_int_eq(telnet_q_state(&q, TELNET_Q_HIM, TELNET_OPT_ECHO),
	    TELNET_Q_NO);
}
END_TEST

/* Two Q-method peers with random policies and random requests, joined
 * by two FIFO channels: every exchange ends, and both agree on every
 * option at the end. */
#define NOPT 4		/* few options, so that requests collide */
#define CHAN_MAX 4096

struct chan {
	unsigned char b[CHAN_MAX];
	size_t head, tail;
};

static uint64_t rng;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void chan_put(struct chan *c, const unsigned char *b, size_t n)
{
	ck_assert_uint_le(c->tail + n, CHAN_MAX);
	memcpy(c->b + c->tail, b, n);
	c->tail += n;
}

/* Delivers one message of c to q, its reply to back; false if empty. */
static bool deliver(struct chan *c, struct telnet_q *q, struct chan *back)
{
	unsigned char out[TELNET_Q_REPLY_MAX];
	size_t n;

	if (c->head == c->tail)
		return false;
	ck_assert_uint_eq(c->b[c->head], TELNET_IAC);
	n = telnet_q_receive(q, c->b[c->head + 1], c->b[c->head + 2], out);
	c->head += 3;
	chan_put(back, out, n);
	return true;
}

static void random_policy(struct telnet_q *q)
{
	telnet_q_init(q);
	for (unsigned opt = 0; opt < NOPT; opt++) {
		telnet_q_set_accept(q, TELNET_Q_US, (unsigned char)opt,
		    rnd(2));
		telnet_q_set_accept(q, TELNET_Q_HIM, (unsigned char)opt,
		    rnd(2));
	}
}

static void random_request(struct telnet_q *q, struct chan *c)
{
	unsigned char out[TELNET_Q_REPLY_MAX];
	size_t n = telnet_q_request(q, rnd(2) ? TELNET_Q_US : TELNET_Q_HIM,
	    (unsigned char)rnd(NOPT), rnd(2), out);

	chan_put(c, out, n);
}

START_TEST(test_peers_never_loop)
{
	static struct chan ab, ba;
	struct telnet_q a, b;

	rng = 0x9e3779b97f4a7c15ull + (uint64_t)_i * 0x100000001b3ull;
	random_policy(&a);
	random_policy(&b);
	memset(&ab, 0, sizeof(ab));
	memset(&ba, 0, sizeof(ba));
	for (int step = 0; step < 200; step++) {
		switch (rnd(4)) {
		case 0:
			random_request(&a, &ab);
			break;
		case 1:
			random_request(&b, &ba);
			break;
		case 2:
			deliver(&ab, &b, &ba);
			break;
		default:
			deliver(&ba, &a, &ab);
		}
	}
	/* Quiet down: with no new requests, every exchange must end within
	 * a few messages per request outstanding (a loop would not). */
	for (int step = 0; ; step++) {
		bool moved = false;

		ck_assert_msg(step < 4 * 200, "seed %d: negotiation loops", _i);
		if (rnd(2)) {
			moved |= deliver(&ab, &b, &ba);
			moved |= deliver(&ba, &a, &ab);
		} else {
			moved |= deliver(&ba, &a, &ab);
			moved |= deliver(&ab, &b, &ba);
		}
		if (!moved)
			break;
	}
	for (unsigned opt = 0; opt < NOPT; opt++) {
		enum telnet_q_state aus = telnet_q_state(&a, TELNET_Q_US,
		    (unsigned char)opt);
		enum telnet_q_state bhim = telnet_q_state(&b, TELNET_Q_HIM,
		    (unsigned char)opt);
		enum telnet_q_state ahim = telnet_q_state(&a, TELNET_Q_HIM,
		    (unsigned char)opt);
		enum telnet_q_state bus = telnet_q_state(&b, TELNET_Q_US,
		    (unsigned char)opt);

		ck_assert_msg(aus <= TELNET_Q_YES && bhim <= TELNET_Q_YES &&
		    ahim <= TELNET_Q_YES && bus <= TELNET_Q_YES,
		    "seed %d opt %u: still negotiating", _i, opt);
		ck_assert_msg(aus == bhim && ahim == bus,
		    "seed %d opt %u: peers disagree", _i, opt);
	}
	ck_assert_uint_eq(a.errors + b.errors, 0);
}
END_TEST

static Suite *q_suite(void)
{
	Suite *s = suite_create("telnet-q");
	TCase *tc = tcase_create("rfc1143");

	tcase_add_test(tc, test_will_echo_once);
	tcase_add_test(tc, test_will_sga);
	tcase_add_loop_test(tc, test_refusals, 0, 256);
	tcase_add_test(tc, test_other_verbs_ignored);
	tcase_add_test(tc, test_telnetd_sequence);
	tcase_add_test(tc, test_policy);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_wantyes_opposite);
	tcase_add_test(tc, test_peer_error);
	tcase_add_loop_test(tc, test_peers_never_loop, 0, 2000);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(q_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
