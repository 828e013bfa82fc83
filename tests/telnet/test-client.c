/* test-client.c: the client session of <rotor/telnet.h> (the machines of
 * grammars/telnet.rsm, grammars/telnet-client.c) against a server run by
 * the test on the same loop's event_base.  Every step of the server
 * waits for what the client sent, never for time: the client's input
 * (a pipe) ends only once the server has seen the input and the answers
 * to its negotiation, and the server closes once it has read the
 * client's half-close. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <rotor/rotor.h>
#include <rotor/telnet.h>

#define IAC "\377"
#define WILL "\373"
#define DO "\375"
#define WONT "\374"

/* ---- what the program is told ------------------------------------------ */

struct told {
	char log[512];          /* connected, data, echo, flush, ended, in order */
	unsigned char data[256];
	size_t data_len;
	int flushes, endings, flush_result;
	enum telnet_end how;
	int err;
};

static void note(struct told *t, const char *what)
{
	size_t n = strlen(t->log);

	snprintf(t->log + n, sizeof t->log - n, "%s%s", n ? " " : "", what);
}

static void on_connected(void *app)
{
	note(app, "connected");
}

static void on_data(void *app, const unsigned char *buf, size_t len)
{
	struct told *t = app;

	ck_assert_uint_gt(len, 0);
	ck_assert_uint_le(t->data_len + len, sizeof t->data);
	memcpy(t->data + t->data_len, buf, len);
	t->data_len += len;
}

static int on_flush(void *app)
{
	struct told *t = app;

	t->flushes++;
	return t->flush_result;
}

static void on_echo(void *app, bool remote_echo)
{
	note(app, remote_echo ? "echo-on" : "echo-off");
}

static void on_ended(void *app, enum telnet_end how, int err)
{
	struct told *t = app;

	note(t, "ended");
	t->endings++;
	t->how = how;
	t->err = err;
}

static const struct telnet_client_ops ops = {
	.connected = on_connected,
	.data = on_data,
	.flush = on_flush,
	.echo = on_echo,
	.ended = on_ended,
};

/* ---- the test's server -------------------------------------------------- */

struct server {
	int lfd, fd;
	struct event *accept_ev, *read_ev;
	const char *script;     /* sent once the client is accepted */
	size_t script_len;
	bool close_at_once;     /* close right after the script */
	char got[256];          /* what the client sent */
	size_t got_len;
	size_t expect_len;      /* when got holds this much ... */
	int *input_end;         /* ... this pipe end is closed */
	bool saw_eof;
};

static void server_read(evutil_socket_t fd, short what, void *arg)
{
	struct server *sv = arg;
	ssize_t n = read(fd, sv->got + sv->got_len, sizeof sv->got - sv->got_len);

	(void)what;
	if (n < 0 && errno == EAGAIN)
		return;
	ck_assert_int_ge(n, 0);
	sv->got_len += (size_t)n;
	if (sv->input_end && *sv->input_end >= 0 &&
	    sv->got_len >= sv->expect_len) {
		close(*sv->input_end);  /* the client's input ends now */
		*sv->input_end = -1;
	}
	if (n == 0) {                   /* the client half-closed: done */
		sv->saw_eof = true;
		event_del(sv->read_ev);
		close(sv->fd);
		sv->fd = -1;
	}
}

static void server_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct server *sv = arg;

	(void)what;
	sv->fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sv->fd, 0);
	ck_assert_int_eq(write(sv->fd, sv->script, sv->script_len),
	    (ssize_t)sv->script_len);
	event_del(sv->accept_ev);
	if (sv->close_at_once) {
		close(sv->fd);
		sv->fd = -1;
		return;
	}
	fcntl(sv->fd, F_SETFL, O_NONBLOCK);
	sv->read_ev = event_new(event_get_base(sv->accept_ev), sv->fd,
	    EV_READ | EV_PERSIST, server_read, sv);
	event_add(sv->read_ev, NULL);
}

/* Listens on a free port of 127.0.0.1, written to port. */
static void server_start(struct server *sv, struct rotor_loop *loop,
    char *port, size_t size)
{
	sv->fd = -1;
	sv->lfd = rotor_listen_socket("127.0.0.1", "0", 0);
	ck_assert_int_ge(sv->lfd, 0);
	snprintf(port, size, "%d", rotor_socket_port(sv->lfd));
	sv->accept_ev = event_new(rotor_loop_base(loop), sv->lfd, EV_READ,
	    server_accept, sv);
	event_add(sv->accept_ev, NULL);
}

static void server_stop(struct server *sv)
{
	if (sv->read_ev)
		event_free(sv->read_ev);
	event_free(sv->accept_ev);
	if (sv->fd >= 0)
		close(sv->fd);
	close(sv->lfd);
}

/* Removes the first copy of part from buf; false if there is none. */
static bool take(char *buf, size_t *len, const char *part, size_t plen)
{
	for (size_t i = 0; i + plen <= *len; i++) {
		if (memcmp(buf + i, part, plen) == 0) {
			memmove(buf + i, buf + i + plen, *len - i - plen);
			*len -= plen;
			return true;
		}
	}
	return false;
}

/* ---- the tests --------------------------------------------------------- */

/* A whole session: negotiation answered by the Q method, CR NUL made a
 * CR, commands taken out of the data, the input encoded and sent, the
 * half-close at its end, the server's close ending the session. */
START_TEST(session)
{
	static const char script[] = IAC WILL "\001" "a\r" IAC "\361"
	    "\0b" IAC DO "\030" "ok";
	static const char input[] = "x\n\377";
	struct told t = { .flush_result = 0 };
	struct server sv = { .script = script, .script_len = sizeof script - 1 };
	struct rotor_loop *loop = rotor_loop_new(NULL);
	char port[16];
	int in[2];

	ck_assert_ptr_nonnull(loop);
	server_start(&sv, loop, port, sizeof port);
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(write(in[1], input, 3), 3);
	sv.expect_len = 3 + 3 + 5;      /* DO ECHO, WONT TTYPE, x CR LF IAC IAC */
	sv.input_end = &in[1];

	struct telnet_client *c = telnet_client_new("127.0.0.1", port, in[0],
	    &ops, &t);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(telnet_client_start(c, loop), 0);
	ck_assert_int_eq(rotor_loop_run(loop), 0);
	ck_assert_uint_eq(rotor_loop_machines(loop), 0);

	ck_assert_str_eq(t.log, "connected echo-on ended");
	ck_assert_int_eq(t.how, TELNET_END_CLOSED);
	ck_assert_int_eq(t.err, 0);
	ck_assert_int_ge(t.flushes, 1);
	ck_assert_uint_eq(t.data_len, 5);
	ck_assert_mem_eq(t.data, "a\rbok", 5);
	ck_assert(sv.saw_eof);
	ck_assert(take(sv.got, &sv.got_len, IAC DO "\001", 3));
	ck_assert(take(sv.got, &sv.got_len, IAC WONT "\030", 3));
	ck_assert_uint_eq(sv.got_len, 5);
	ck_assert_mem_eq(sv.got, "x\r\n\377\377", 5);

	server_stop(&sv);
	rotor_loop_free(loop);
	telnet_client_free(c);
}
END_TEST

/* A flush that fails ends the session, and the input machine with it. */
START_TEST(flush_failure_aborts)
{
	struct told t = { .flush_result = -1 };
	struct server sv = { .script = "hello", .script_len = 5 };
	struct rotor_loop *loop = rotor_loop_new(NULL);
	char port[16];
	int in[2];

	server_start(&sv, loop, port, sizeof port);
	ck_assert_int_eq(pipe(in), 0);  /* input that never ends */
	struct telnet_client *c = telnet_client_new("127.0.0.1", port, in[0],
	    &ops, &t);
	ck_assert_int_eq(telnet_client_start(c, loop), 0);
	ck_assert_int_eq(rotor_loop_run(loop), 0);
	ck_assert_uint_eq(rotor_loop_machines(loop), 0);
	ck_assert_str_eq(t.log, "connected ended");
	ck_assert_int_eq(t.how, TELNET_END_ABORTED);
	ck_assert_int_eq(t.flushes, 1);

	server_stop(&sv);
	rotor_loop_free(loop);
	telnet_client_free(c);
	close(in[1]);
}
END_TEST

/* No input: our side is shut once connected.  A close inside a command
 * is told apart from a clean one. */
START_TEST(cut_inside_a_command)
{
	struct told t = { .flush_result = 0 };
	struct server sv = { .script = "hi" IAC, .script_len = 3,
	    .close_at_once = true };
	struct rotor_loop *loop = rotor_loop_new(NULL);
	char port[16];

	server_start(&sv, loop, port, sizeof port);
	struct telnet_client *c = telnet_client_new("127.0.0.1", port, -1,
	    &ops, &t);
	ck_assert_int_eq(telnet_client_start(c, loop), 0);
	ck_assert_int_eq(rotor_loop_run(loop), 0);
	ck_assert_str_eq(t.log, "connected ended");
	ck_assert_int_eq(t.how, TELNET_END_CUT);
	ck_assert_mem_eq(t.data, "hi", 2);
	ck_assert_uint_eq(t.data_len, 2);

	server_stop(&sv);
	rotor_loop_free(loop);
	telnet_client_free(c);
}
END_TEST

/* A port nobody listens on: never connected, the error given. */
START_TEST(refused)
{
	struct told t = { .flush_result = 0 };
	struct rotor_loop *loop = rotor_loop_new(NULL);
	char port[16];
	int lfd = rotor_listen_socket("127.0.0.1", "0", 0);

	ck_assert_int_ge(lfd, 0);
	snprintf(port, sizeof port, "%d", rotor_socket_port(lfd));
	close(lfd);
	struct telnet_client *c = telnet_client_new("127.0.0.1", port, -1,
	    &ops, &t);
	ck_assert_int_eq(telnet_client_start(c, loop), 0);
	ck_assert_int_eq(rotor_loop_run(loop), 0);
	ck_assert_str_eq(t.log, "ended");
	ck_assert_int_eq(t.how, TELNET_END_NO_CONNECTION);
	ck_assert_int_eq(t.err, -ECONNREFUSED);

	rotor_loop_free(loop);
	telnet_client_free(c);
}
END_TEST

/* A loop freed under a live session ends it; the input no machine took
 * is closed by telnet_client_free(). */
START_TEST(stopped_with_the_loop)
{
	struct told t = { .flush_result = 0 };
	struct rotor_loop *loop = rotor_loop_new(NULL);
	int in[2];

	ck_assert_int_eq(pipe(in), 0);
	struct telnet_client *c = telnet_client_new("127.0.0.1", "9", in[0],
	    &ops, &t);
	ck_assert_int_eq(telnet_client_start(c, loop), 0);
	rotor_loop_free(loop);
	ck_assert_str_eq(t.log, "ended");
	ck_assert_int_eq(t.how, TELNET_END_STOPPED);
	telnet_client_free(c);
	ck_assert_int_eq(fcntl(in[0], F_GETFD), -1);
	close(in[1]);
}
END_TEST

START_TEST(bad_arguments)
{
	struct told t = { .flush_result = 0 };
	struct rotor_loop *loop = rotor_loop_new(NULL);

	ck_assert_ptr_null(telnet_client_new(NULL, "23", -1, &ops, &t));
	ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
	ck_assert_ptr_null(telnet_client_new("h", NULL, -1, &ops, &t));
	ck_assert_ptr_null(telnet_client_new("h", "23", -1, NULL, &t));
	struct telnet_client *c = telnet_client_new("127.0.0.1", "9", -1,
	    &ops, &t);
	ck_assert_int_eq(telnet_client_start(NULL, loop), ROTOR_EINVAL);
	ck_assert_int_eq(telnet_client_start(c, NULL), ROTOR_EINVAL);
	ck_assert_int_eq(telnet_client_start(c, loop), 0);
	ck_assert_int_eq(telnet_client_start(c, loop), ROTOR_EBUSY);
	ck_assert_int_eq(rotor_last_code(), ROTOR_EBUSY);
	rotor_loop_free(loop);
	telnet_client_free(c);
	telnet_client_free(NULL);
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("telnet_client");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, session);
	tcase_add_test(tc, flush_failure_aborts);
	tcase_add_test(tc, cut_inside_a_command);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, stopped_with_the_loop);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(client_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
