/* test-http-relay.c: the fields a proxy relays to the next hop
 * (grammars/http-relay.c, behind http_respond_relay() and the client
 * request's `relay`): a response head is parsed, planned with extra
 * fields, and written, and the text is compared whole. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http-parser.h"

static struct http_response_parser parser;

/* Parses head (a complete response head) with the client's parser. */
static const char *parsed(const char *head)
{
	http_response_parser_init(&parser, NULL);
	ck_assert_int_eq(http_response_parse(&parser, head, strlen(head)),
		(int)strlen(head));
	return head;
}

/* The relayed fields of head with extra, as text ("" when refused: the
 * plan's result is *rc). */
static struct http_relay r;

static char *relayed_as(const char *head, int ours,
	const struct http_header *extra, size_t nextra, int *rc)
{
	const char *b = parsed(head);

	http__relay_begin(&r);
	if (ours) {	/* a proxy's Via and X-Forwarded-For, checked before */
		http__relay_add(&r, "Via", 3, "1.0 ", 4, "rotor", 5);
		http__relay_add(&r, "X-Forwarded-For", 15, "", 0, "192.0.2.1", 9);
	}
	*rc = http__relay_plan(&r, b, parser.res.fields, parser.res.nfields,
		extra, nextra);
	if (*rc < 0)
		return strdup("");
	char *out = malloc(r.size + 1);
	ck_assert_ptr_nonnull(out);
	char *end = http__relay_write(&r, out);
	ck_assert_uint_eq((size_t)(end - out), r.size);	/* planned = written */
	*end = '\0';
	return out;
}

static char *relayed(const char *head, const struct http_header *extra,
	size_t nextra, int *rc)
{
	return relayed_as(head, 0, extra, nextra, rc);
}

/* The writer's own fields (a proxy's, checked when it was configured):
 * joined like the caller's, and before them. */
static char *relayed_with_ours(const char *head,
	const struct http_header *extra, size_t nextra, int *rc)
{
	return relayed_as(head, 1, extra, nextra, rc);
}

#define EXPECT_RELAY(head, extra, n, want) do { \
	int rc_; \
	char *got_ = relayed((head), (extra), (n), &rc_); \
	ck_assert_int_eq(rc_, 0); \
	ck_assert_str_eq(got_, (want)); \
	free(got_); \
} while (0)

START_TEST(end_to_end_fields_go_on_as_they_came)
{
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		"X-Odd:   spaced  \r\nCache-Control: no-cache\r\n\r\n", NULL, 0,
		"Content-Type: text/plain\r\nX-Odd: spaced\r\n"
		"Cache-Control: no-cache\r\n");
}
END_TEST

START_TEST(hop_by_hop_and_writer_fields_are_dropped)
{
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
		"Keep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X\r\n"
		"Transfer-Encoding: chunked\r\nUpgrade: h2c\r\n"
		"Proxy-Connection: close\r\nProxy-Authenticate: Basic\r\n"
		"Proxy-Authorization: x\r\nDate: today\r\nHost: h\r\n"
		"Expect: 100-continue\r\nX-Kept: 1\r\n\r\n", NULL, 0,
		"X-Kept: 1\r\n");
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"a\"\r\n\r\n",
		NULL, 0, "ETag: \"a\"\r\n");
	ck_assert_int_eq(r.clen, 0);	/* the length, for the framing */
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nETag: \"a\"\r\n\r\n", NULL, 0,
		"ETag: \"a\"\r\n");
	ck_assert_int_eq(r.clen, -1);
}
END_TEST

/* RFC 9110 7.6.1: a field the Connection field names is for this hop. */
START_TEST(fields_connection_names_are_dropped)
{
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nConnection: X-Secret ,, x-other\r\n"
		"X-Secret: 1\r\nX-OTHER: 2\r\nX-Public: 3\r\n\r\n", NULL, 0,
		"X-Public: 3\r\n");
	/* Several Connection fields make one list; what they name goes, and
	 * an extra field joins the last field kept of its name. */
	static const struct http_header via[] = { { "Via", "1.1 rotor" } };
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nConnection: x-a\r\nVia: 1.0 p\r\n"
		"X-A: 1\r\nX-B: 2\r\nVia: 1.0 hop\r\nconnection: X-B, via\r\n"
		"X-C: 3\r\n\r\n", via, 1, "X-C: 3\r\nVia: 1.1 rotor\r\n");
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nVia: 1.0 p\r\nX-B: 2\r\n"
		"Via: 1.0 hop\r\nConnection: X-B\r\n\r\n", via, 1,
		"Via: 1.0 p\r\nVia: 1.0 hop, 1.1 rotor\r\n");
	/* Case folds letters only: "^" and "~" differ by the case bit. */
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nConnection: a~b\r\na^b: 1\r\n\r\n",
		NULL, 0, "a^b: 1\r\n");
}
END_TEST

START_TEST(extra_fields_join_the_last_of_their_name)
{
	static const struct http_header via[] = {
		{ "Via", "1.1 rotor" }, { "X-Added", "yes" },
	};

	EXPECT_RELAY("HTTP/1.1 200 OK\r\nvia: 1.0 a\r\nX-Y: 1\r\nVIA: 1.1 b\r\n\r\n",
		via, 2,
		"via: 1.0 a\r\nX-Y: 1\r\nVIA: 1.1 b, 1.1 rotor\r\nX-Added: yes\r\n");
	/* An empty value takes the extra alone; a second one is a second
	 * list element. */
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nVia:\r\n\r\n", via, 1,
		"Via: 1.1 rotor\r\n");
	static const struct http_header two[] = { { "A", "1" }, { "a", "2" } };
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nA:\r\n\r\n", two, 2, "A: 1, 2\r\n");
	/* Not joined to a field whose name differs by more than case. */
	static const struct http_header tilde[] = { { "X~Y", "2" } };
	EXPECT_RELAY("HTTP/1.1 200 OK\r\nX^Y: 1\r\n\r\n", tilde, 1,
		"X^Y: 1\r\nX~Y: 2\r\n");
	/* None of that name: after the others. */
	EXPECT_RELAY("HTTP/1.1 204 No Content\r\nServer: s\r\n\r\n", via, 1,
		"Server: s\r\nVia: 1.1 rotor\r\n");
}
END_TEST

START_TEST(bad_extra_fields_are_refused)
{
	static const struct http_header crlf[] = { { "X", "a\r\nInjected: 1" } };
	static const struct http_header space[] = { { "Bad Name", "v" } };
	static const struct http_header hop[] = { { "Connection", "close" } };
	static const struct http_header none[] = { { NULL, "v" } };
	struct http_header many[HTTP_RELAY_EXTRA_MAX + 1];
	const char *head = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
	int rc;

	for (size_t i = 0; i < HTTP_RELAY_EXTRA_MAX + 1; i++)
		many[i] = (struct http_header){ "X-N", "1" };
	free(relayed(head, crlf, 1, &rc));
	ck_assert_int_eq(rc, -1);
	free(relayed(head, space, 1, &rc));
	ck_assert_int_eq(rc, -1);
	free(relayed(head, hop, 1, &rc));
	ck_assert_int_eq(rc, -1);
	free(relayed(head, none, 1, &rc));
	ck_assert_int_eq(rc, -1);
	free(relayed(head, many, HTTP_RELAY_EXTRA_MAX + 1, &rc));
	ck_assert_int_eq(rc, -1);
	free(relayed(head, many, HTTP_RELAY_EXTRA_MAX, &rc));
	ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(writer_fields_come_first_and_join)
{
	static const struct http_header mine[] = { { "Via", "1.1 user" } };
	struct http_header many[HTTP_RELAY_EXTRA_MAX];
	int rc;
	char *got;

	got = relayed_with_ours("HTTP/1.1 200 OK\r\nVia: 1.1 a\r\n\r\n",
		mine, 1, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(got, "Via: 1.1 a, 1.0 rotor, 1.1 user\r\n"
		"X-Forwarded-For: 192.0.2.1\r\n");
	free(got);
	got = relayed_with_ours("HTTP/1.1 200 OK\r\n"
		"x-forwarded-for: 198.51.100.2\r\n\r\n", NULL, 0, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(got, "x-forwarded-for: 198.51.100.2, 192.0.2.1\r\n"
		"Via: 1.0 rotor\r\n");
	free(got);
	/* The writer's two do not count against the caller's eight. */
	for (size_t i = 0; i < HTTP_RELAY_EXTRA_MAX; i++)
		many[i] = (struct http_header){ "X-N", "1" };
	free(relayed_with_ours("HTTP/1.1 200 OK\r\n\r\n", many,
		HTTP_RELAY_EXTRA_MAX, &rc));
	ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(via_names_are_tokens_or_host_port)
{
	ck_assert_int_eq(http__via_len("rotor"), 5);
	ck_assert_int_eq(http__via_len("proxy.example:8080"), 18);
	ck_assert_int_eq(http__via_len("[2001:db8::1]:80"), 16);
	ck_assert_int_eq(http__via_len(NULL), -1);
	ck_assert_int_eq(http__via_len(""), -1);
	ck_assert_int_eq(http__via_len("a,b"), -1);	/* a second element */
	ck_assert_int_eq(http__via_len("a (c)"), -1);	/* a comment */
	ck_assert_int_eq(http__via_len("a\r\nX: 1"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-relay");
	TCase *tc = tcase_create("relay");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, end_to_end_fields_go_on_as_they_came);
	tcase_add_test(tc, hop_by_hop_and_writer_fields_are_dropped);
	tcase_add_test(tc, fields_connection_names_are_dropped);
	tcase_add_test(tc, extra_fields_join_the_last_of_their_name);
	tcase_add_test(tc, bad_extra_fields_are_refused);
	tcase_add_test(tc, writer_fields_come_first_and_join);
	tcase_add_test(tc, via_names_are_tokens_or_host_port);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
