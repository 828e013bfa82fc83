/* test-http-response.c: the HTTP/1.1 response parser of grammars/ (the
 * client's), from a table of valid and invalid response heads.  Every
 * head is parsed whole and again one byte at a time, each prefix in a
 * fresh heap buffer of exactly its length (the buffer moves between
 * calls; reading past it is an ASan or valgrind error); both runs must
 * agree on the result, the error's words and the framing. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-parser.h"

enum { COMPLETE = 0, MORE = 1 };
#define ANY (-1)

struct rcase {
	const char *name;
	const char *in;
	size_t len;
	int expect;		/* COMPLETE, MORE, or an HTTP_CLIENT_E* code */
	const char *why;	/* the parser's reason for an error */
	int body;		/* enum http_body, or ANY */
	uint64_t cl;
	int keep_alive;		/* or ANY */
	int head_request;	/* the request was HEAD */
};

#define OK(n, s, body, cl, ka) { n, s, sizeof(s) - 1, COMPLETE, NULL, body, cl, ka, 0 }
#define OK_HEAD(n, s, body, ka) { n, s, sizeof(s) - 1, COMPLETE, NULL, body, 0, ka, 1 }
#define BAD(n, s, code, why) { n, s, sizeof(s) - 1, code, why, ANY, 0, ANY, 0 }
#define AGAIN(n, s) { n, s, sizeof(s) - 1, MORE, NULL, ANY, 0, ANY, 0 }
#define NONE HTTP_BODY_NONE
#define LEN HTTP_BODY_LENGTH
#define CHUNKED HTTP_BODY_CHUNKED
#define CLOSE HTTP_BODY_CLOSE
#define EPROTO_ HTTP_CLIENT_EPROTO
#define ETOOBIG HTTP_CLIENT_ETOOBIG
#define S200 "HTTP/1.1 200 OK\r\n"

static const struct rcase rcases[] = {
	/* framing */
	OK("Content-Length", S200 "Content-Length: 5\r\n\r\n", LEN, 5, 1),
	OK("Content-Length 0", S200 "Content-Length: 0\r\n\r\n", LEN, 0, 1),
	OK("chunked", S200 "Transfer-Encoding: chunked\r\n\r\n", CHUNKED, 0, 1),
	OK("chunked in any case", S200 "transfer-encoding: Chunked\r\n\r\n", CHUNKED, 0, 1),
	OK("close-delimited", S200 "Server: x\r\n\r\n", CLOSE, 0, 0),
	OK("close-delimited HTTP/1.0", "HTTP/1.0 200 OK\r\n\r\n", CLOSE, 0, 0),
	OK("HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", LEN, 1, 1),
	OK("HTTP/1.0 without keep-alive", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", LEN, 1, 0),
	OK("Connection: close", S200 "Connection: close\r\nContent-Length: 2\r\n\r\n", LEN, 2, 0),
	OK("same Content-Length twice", S200 "Content-Length: 3\r\nContent-Length: 3\r\n\r\n", LEN, 3, 1),
	OK("Content-Length list of equal values", S200 "Content-Length: 3, 3\r\n\r\n", LEN, 3, 1),
	OK("204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", NONE, 0, 1),
	OK("304 has no body despite its length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", NONE, 0, 1),
	OK_HEAD("HEAD: no body despite its length", S200 "Content-Length: 10\r\n\r\n", NONE, 1),
	OK_HEAD("HEAD: no body despite chunked", S200 "Transfer-Encoding: chunked\r\n\r\n", NONE, 1),
	OK("100 Continue is complete, bodiless", "HTTP/1.1 100 Continue\r\n\r\n", NONE, 0, ANY),
	OK("103 Early Hints", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", NONE, 0, ANY),
	/* status line */
	OK("empty reason", "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", LEN, 0, 1),
	OK("no reason at all", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", LEN, 0, 1),
	OK("reason with spaces and obs-text", "HTTP/1.1 200 Fine \xe9t\xe9 ok\r\nContent-Length: 0\r\n\r\n", LEN, 0, 1),
	OK("HTTP/1.2 reads as 1.1", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", LEN, 0, 1),
	OK("599", "HTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\n", LEN, 0, 1),
	BAD("status 600", "HTTP/1.1 600 No\r\n\r\n", EPROTO_, "invalid status code"),
	BAD("status 099", "HTTP/1.1 099 No\r\n\r\n", EPROTO_, "invalid status code"),
	BAD("two-digit status", "HTTP/1.1 20 OK\r\n\r\n", EPROTO_, "invalid status line"),
	BAD("four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", EPROTO_, "invalid status line"),
	BAD("letters in status", "HTTP/1.1 2x0 OK\r\n\r\n", EPROTO_, "invalid status line"),
	BAD("HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", EPROTO_, "HTTP version not supported"),
	BAD("lower-case http", "http/1.1 200 OK\r\n\r\n", EPROTO_, "invalid status line"),
	BAD("not HTTP at all", "SSH-2.0-OpenSSH\r\n\r\n", EPROTO_, "invalid status line"),
	BAD("two spaces", "HTTP/1.1  200 OK\r\n\r\n", EPROTO_, "invalid status line"),
	BAD("leading empty line", "\r\nHTTP/1.1 200 OK\r\n\r\n", EPROTO_, "invalid status line"),
	BAD("bare LF after status line", "HTTP/1.1 200 OK\n\r\n", EPROTO_, "bare LF"),
	BAD("bare CR in status line", "HTTP/1.1 200 O\rK\r\n\r\n", EPROTO_, "bare CR"),
	BAD("control byte in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", EPROTO_, "invalid status line"),
	BAD("101 without upgrade", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", EPROTO_, "101 Switching Protocols without an upgrade"),
	/* fields */
	BAD("bare CR in a field", S200 "A: b\rc\r\n\r\n", EPROTO_, "bare CR"),
	BAD("bare CR ending a field", S200 "A: b\r\r\n\r\n", EPROTO_, "bare CR"),
	BAD("bare LF ending a field", S200 "A: b\n\r\n", EPROTO_, "bare LF"),
	BAD("obs-fold", S200 "A: b\r\n c\r\n\r\n", EPROTO_, "obs-fold or whitespace before a field name"),
	BAD("space before colon", S200 "A : b\r\n\r\n", EPROTO_, "whitespace before colon or no colon"),
	BAD("empty field name", S200 ": b\r\n\r\n", EPROTO_, "empty field name"),
	BAD("NUL in value", S200 "A: b\0c\r\n\r\n", EPROTO_, "NUL in field value"),
	/* smuggling and sizes */
	BAD("both Content-Length and chunked", S200 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", EPROTO_, "both Content-Length and Transfer-Encoding"),
	BAD("chunked then Content-Length", S200 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", EPROTO_, "both Content-Length and Transfer-Encoding"),
	BAD("negative Content-Length", S200 "Content-Length: -1\r\n\r\n", EPROTO_, "invalid Content-Length"),
	BAD("Content-Length with a sign", S200 "Content-Length: +5\r\n\r\n", EPROTO_, "invalid Content-Length"),
	BAD("empty Content-Length", S200 "Content-Length: \r\n\r\n", EPROTO_, "invalid Content-Length"),
	BAD("Content-Length overflow", S200 "Content-Length: 18446744073709551616\r\n\r\n", EPROTO_, "Content-Length overflow"),
	BAD("differing Content-Length", S200 "Content-Length: 3\r\nContent-Length: 4\r\n\r\n", EPROTO_, "differing Content-Length values"),
	BAD("Content-Length over body_max", S200 "Content-Length: 1048577\r\n\r\n", ETOOBIG, "Content-Length over the body limit"),
	BAD("gzip, chunked", S200 "Transfer-Encoding: gzip, chunked\r\n\r\n", EPROTO_, "transfer coding not supported"),
	BAD("chunked not last", S200 "Transfer-Encoding: chunked, gzip\r\n\r\n", EPROTO_, "chunked is not the final transfer coding"),
	BAD("chunked twice", S200 "Transfer-Encoding: chunked, chunked\r\n\r\n", EPROTO_, "chunked applied more than once"),
	BAD("Transfer-Encoding in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", EPROTO_, "Transfer-Encoding in HTTP/1.0"),
	/* incomplete */
	AGAIN("empty", ""),
	AGAIN("half a status line", "HTTP/1.1 20"),
	AGAIN("no final CRLF", S200 "A: b\r\n"),
};

static int parse_whole(struct http_response_parser *p, const struct rcase *c)
{
	char *buf = malloc(c->len ? c->len : 1);
	int r;

	memcpy(buf, c->in, c->len);
	r = http_response_parse(p, buf, c->len);
	free(buf);
	return r;
}

static int parse_bytewise(struct http_response_parser *p, const struct rcase *c)
{
	int r = 0;

	for (size_t n = 1; n <= c->len && r == 0; n++) {
		char *buf = malloc(n);

		memcpy(buf, c->in, n);
		r = http_response_parse(p, buf, n);
		free(buf);
	}
	return r;
}

static void check_case(const struct rcase *c, struct http_response_parser *p,
	int r)
{
	if (c->expect == MORE) {
		ck_assert_msg(r == 0, "%s: %d (%s)", c->name, r,
			p->reason ? p->reason : "");
		return;
	}
	if (c->expect < 0) {
		ck_assert_msg(r == c->expect, "%s: %d, not %d (%s)", c->name, r,
			c->expect, p->reason ? p->reason : "");
		ck_assert_msg(p->reason && !strcmp(p->reason, c->why),
			"%s: \"%s\", not \"%s\"", c->name,
			p->reason ? p->reason : "(null)", c->why);
		return;
	}
	ck_assert_msg(r == (int)c->len, "%s: %d, not %zu (%s)", c->name, r,
		c->len, p->reason ? p->reason : "");
	if (c->body != ANY)
		ck_assert_msg(p->res.body == c->body, "%s: body %d, not %d",
			c->name, p->res.body, c->body);
	if (c->body == LEN)
		ck_assert_uint_eq(p->res.content_length, c->cl);
	if (c->keep_alive != ANY)
		ck_assert_msg(p->res.keep_alive == c->keep_alive,
			"%s: keep_alive %d", c->name, p->res.keep_alive);
}

START_TEST(table)
{
	const struct rcase *c = &rcases[_i];
	struct http_response_parser a, b;
	int ra, rb;

	http_response_parser_init(&a, NULL);
	http_response_parser_init(&b, NULL);
	http_response_parser_reset(&a, c->head_request);
	http_response_parser_reset(&b, c->head_request);
	ra = parse_whole(&a, c);
	rb = parse_bytewise(&b, c);
	check_case(c, &a, ra);
	check_case(c, &b, rb);
}
END_TEST

START_TEST(status_reason_fields)
{
	static const char in[] = "HTTP/1.1 404 Not Found\r\nServer: t\r\n"
		"X-Long:  a b  \r\nContent-Length: 0\r\n\r\n";
	struct http_response_parser p;
	const struct http_field *f;

	http_response_parser_init(&p, NULL);
	ck_assert_int_eq(http_response_parse(&p, in, sizeof in - 1),
		(int)sizeof in - 1);
	ck_assert_uint_eq(p.res.status, 404);
	ck_assert_uint_eq(p.res.minor, 1);
	ck_assert_uint_eq(p.res.reason.len, 9);
	ck_assert(!memcmp(in + p.res.reason.off, "Not Found", 9));
	ck_assert_uint_eq(p.res.nfields, 3);
	f = http_response_field(&p, in, "x-long");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->value.len, 3);	/* OWS trimmed */
	ck_assert(!memcmp(in + f->value.off, "a b", 3));
	ck_assert_ptr_null(http_response_field(&p, in, "x-none"));
}
END_TEST

/* A 1xx, then the final response in the same buffer: the caller drops
 * the interim head and parses on with the parser reset. */
START_TEST(interim_then_final)
{
	static const char in[] = "HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 102 Processing\r\n\r\n"
		S200 "Content-Length: 2\r\n\r\nok";
	struct http_response_parser p;
	size_t at = 0;
	int r, interim = 0;

	http_response_parser_init(&p, NULL);
	for (;;) {
		r = http_response_parse(&p, in + at, sizeof in - 1 - at);
		ck_assert_int_gt(r, 0);
		if (p.res.status >= 200)
			break;
		ck_assert_uint_eq(p.res.body, NONE);
		interim++;
		at += (size_t)r;
		http_response_parser_reset(&p, 0);
	}
	ck_assert_int_eq(interim, 2);
	ck_assert_uint_eq(p.res.status, 200);
	ck_assert_uint_eq(p.res.body, LEN);
	ck_assert_uint_eq(p.res.content_length, 2);
	ck_assert_str_eq(in + at + r, "ok");
}
END_TEST

/* Limits: the status line, the head, the number of fields. */
START_TEST(limits)
{
	struct http_limits lim = http_limits_default;
	struct http_response_parser p;
	char buf[512];
	int n;

	lim.line_max = 40;
	lim.head_max = 200;
	lim.fields_max = 3;

	http_response_parser_init(&p, &lim);
	n = snprintf(buf, sizeof buf, "HTTP/1.1 200 %060d\r\n\r\n", 0);
	ck_assert_int_eq(http_response_parse(&p, buf, (size_t)n), ETOOBIG);
	ck_assert_str_eq(p.reason, "status line too long");

	http_response_parser_init(&p, &lim);
	n = snprintf(buf, sizeof buf, S200 "A: %0200d\r\n\r\n", 0);
	ck_assert_int_eq(http_response_parse(&p, buf, (size_t)n), ETOOBIG);
	ck_assert_str_eq(p.reason, "response header section too large");
	/* the limit holds without the rest having come */
	http_response_parser_init(&p, &lim);
	ck_assert_int_eq(http_response_parse(&p, buf, 200), ETOOBIG);

	http_response_parser_init(&p, &lim);
	n = snprintf(buf, sizeof buf, S200 "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
	ck_assert_int_eq(http_response_parse(&p, buf, (size_t)n), ETOOBIG);
	ck_assert_str_eq(p.reason, "too many header fields");
	/* an error sticks */
	ck_assert_int_eq(http_response_parse(&p, buf, (size_t)n), ETOOBIG);
}
END_TEST

/* The chunked decoder the client shares with the server, on a response
 * body: data, extensions, trailers; and its errors. */
START_TEST(chunked_body)
{
	static const char body[] = "4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\nNEXT";
	struct http_chunked c;
	const char *in = body, *data;
	size_t len = sizeof body - 1, dlen;
	char out[32];
	size_t nout = 0;

	http_chunked_init(&c, NULL);
	while (!http_chunked_done(&c)) {
		ptrdiff_t r = http_chunked_parse(&c, in, len, &data, &dlen);
		ck_assert_int_gt(r, 0);
		if (dlen)	/* data is NULL when a step brings none */
			memcpy(out + nout, data, dlen);
		nout += dlen;
		in += r;
		len -= (size_t)r;
	}
	ck_assert_uint_eq(nout, 9);
	ck_assert(!memcmp(out, "Wikipedia", 9));
	ck_assert_str_eq(in, "NEXT");

	http_chunked_init(&c, NULL);
	ck_assert_int_eq(http_chunked_parse(&c, "-1\r\n", 4, &data, &dlen), -400);
	http_chunked_init(&c, NULL);
	ck_assert_int_eq(http_chunked_parse(&c, "11111111111111111\r\n", 19,
		&data, &dlen), -400);
	ck_assert_str_eq(c.reason, "chunk size overflow");
	http_chunked_init(&c, NULL);
	ck_assert_int_eq(http_chunked_parse(&c, "1\r\nab\r\n", 7, &data, &dlen), 4);
	ck_assert_int_eq(http_chunked_parse(&c, "b\r\n", 3, &data, &dlen), -400);
	ck_assert_str_eq(c.reason, "no CRLF after chunk data");
}
END_TEST

/* The request side still parses after the field actions were shared. */
START_TEST(request_still_parses)
{
	static const char in[] = "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n\r\n";
	struct http_parser p;

	http_parser_init(&p, NULL);
	ck_assert_int_eq(http_request_parse(&p, in, sizeof in - 1),
		(int)sizeof in - 1);
	ck_assert_uint_eq(p.req.nfields, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-response");
	TCase *tc = tcase_create("parser");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, table, 0, (int)(sizeof rcases / sizeof rcases[0]));
	tcase_add_test(tc, status_reason_fields);
	tcase_add_test(tc, interim_then_final);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, chunked_body);
	tcase_add_test(tc, request_still_parses);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
