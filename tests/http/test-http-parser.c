/* test-http-parser.c: the HTTP/1.1 request parser and chunked decoder of
 * grammars/, from tables of valid and invalid inputs.  Every request is
 * parsed whole and again one byte at a time, each prefix in a fresh heap
 * buffer of exactly its length (so the buffer moves between calls and
 * reading past it is an ASan error); both runs must agree.  Every chunked
 * body is decoded whole, one byte at a time and split at every position. */
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
	int expect;	/* COMPLETE (head is all of in), MORE, or -status */
	int body;	/* enum http_body, or ANY */
	uint64_t cl;
	int keep_alive;	/* or ANY */
};

#define OK(n, s, body, cl, ka) { n, s, sizeof(s) - 1, COMPLETE, body, cl, ka }
#define BAD(n, s, st) { n, s, sizeof(s) - 1, -(st), ANY, 0, ANY }
#define AGAIN(n, s) { n, s, sizeof(s) - 1, MORE, ANY, 0, ANY }
#define NONE HTTP_BODY_NONE
#define LEN HTTP_BODY_LENGTH
#define CHUNKED HTTP_BODY_CHUNKED
#define H11 "GET / HTTP/1.1\r\nHost: x\r\n"
#define P11 "POST / HTTP/1.1\r\nHost: x\r\n"

static const struct rcase rcases[] = {
	/* request line */
	OK("simple GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("HEAD", "HEAD /a/b?c=d HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("POST", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", LEN, 3, 1),
	OK("PUT", "PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", LEN, 0, 1),
	OK("DELETE", "DELETE /p HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("PATCH", "PATCH /p HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("TRACE", "TRACE /p HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("OPTIONS asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("CONNECT authority-form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", NONE, 0, 1),
	OK("extension method", "M-SEARCH /x HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("method of every tchar", "!#$%&'*+-.^_`|~09AZaz / HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("lower-case method is a token", "get / HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("absolute-form", "GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n", NONE, 0, 1),
	OK("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", NONE, 0, 0),
	OK("empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	OK("query with odd bytes", "GET /a?b=|{}^\"<> HTTP/1.1\r\nHost: x\r\n\r\n", NONE, 0, 1),
	BAD("OPTIONS-only asterisk-form", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("target neither path nor URI", "GET foo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("CONNECT with origin-form", "CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("CONNECT without port", "CONNECT example.com HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("fragment in target", "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
	BAD("HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505),
	BAD("HTTP/0.9 version", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505),
	BAD("HTTP/3.1", "GET / HTTP/3.1\r\n\r\n", 505),
	BAD("garbage version", "GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400),
	BAD("two-digit major", "GET / HTTP/11.1\r\nHost: x\r\n\r\n", 400),
	BAD("lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("version without minor", "GET / HTTP/1\r\nHost: x\r\n\r\n", 400),
	BAD("space after version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
	BAD("no version (HTTP/0.9)", "GET /\r\n\r\n", 400),
	BAD("two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("tab separator", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("space before method", " GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("( in method", "GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("@ in method", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("/ in method", "G/T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("NUL in method", "GE\0T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("NUL in target", "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("control byte in target", "GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("DEL in target", "GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("obs-text in target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("bare CR in request line", "GET / HTTP/1.1\rHost: x\r\n\r\n", 400),
	BAD("bare LF ends request line", "GET / HTTP/1.1\nHost: x\r\n\r\n", 400),
	BAD("bare LF everywhere", "GET / HTTP/1.1\nHost: x\n\n", 400),

	/* field lines */
	OK("OWS trimmed", "GET / HTTP/1.1\r\nHost: \t x \t\r\n\r\n", NONE, 0, 1),
	OK("empty value", H11 "X-Empty:\r\nX-Blank:  \t \r\n\r\n", NONE, 0, 1),
	OK("obs-text in value", H11 "X-Name: caf\xc3\xa9\xff\r\n\r\n", NONE, 0, 1),
	OK("inner whitespace kept", H11 "X-A: a \t b\r\n\r\n", NONE, 0, 1),
	OK("name case ignored", "GET / HTTP/1.1\r\nhOsT: x\r\ncontent-LENGTH: 4\r\n\r\n", LEN, 4, 1),
	OK("long value with inner tab", H11 "User-Agent: Mozilla/5.0 (X11;\tLinux x86_64) Gecko/20100101 Firefox/128.0\r\n\r\n", NONE, 0, 1),
	OK("long obs-text value", H11 "X-U: \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xff\x80 \r\n\r\n", NONE, 0, 1),
	BAD("DEL deep in a long value", H11 "X-A: abcdefghijklmnopq\x7fr\r\n\r\n", 400),
	BAD("NUL deep in a long value", H11 "X-A: abcdefghijk\0lmnopqrstuvwxyz\r\n\r\n", 400),
	BAD("bare LF deep in a long value", H11 "X-A: abcdefghijklmnop\nX-B: c\r\n\r\n", 400),
	BAD("bare CR deep in a long value", H11 "X-A: abcdefghijklmnop\rX-B: c\r\n\r\n", 400),
	BAD("obs-fold", H11 "X-A: a\r\n b\r\n\r\n", 400),
	BAD("obs-fold with tab", H11 "X-A: a\r\n\tb\r\n\r\n", 400),
	BAD("whitespace before first field", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400),
	BAD("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
	BAD("tab before colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400),
	BAD("bare CR in value", H11 "X-A: a\rb\r\n\r\n", 400),
	BAD("CR CR LF", H11 "X-A: a\r\r\n\r\n", 400),
	BAD("bare CR ends head", H11 "\rX", 400),
	BAD("bare LF ends field", H11 "X-A: a\n\r\n", 400),
	BAD("bare LF ends head", H11 "\n", 400),
	BAD("NUL in value", H11 "X-A: a\0b\r\n\r\n", 400),
	BAD("NUL in name", H11 "X-\0A: b\r\n\r\n", 400),
	BAD("control byte in value", H11 "X-A: a\x01" "b\r\n\r\n", 400),
	BAD("escape in value", H11 "X-A: \x1b[0m\r\n\r\n", 400),
	BAD("DEL in value", H11 "X-A: a\x7f\r\n\r\n", 400),
	BAD("DEL in name", H11 "X\x7f: a\r\n\r\n", 400),
	BAD("( in name", H11 "X(A): a\r\n\r\n", 400),
	BAD("@ in name", H11 "X@A: a\r\n\r\n", 400),
	BAD("/ in name", H11 "X/A: a\r\n\r\n", 400),
	BAD("quote in name", H11 "X\"A: a\r\n\r\n", 400),
	BAD("obs-text in name", H11 "X\xc3\xa9: a\r\n\r\n", 400),
	BAD("empty name", H11 ": a\r\n\r\n", 400),
	BAD("no colon", H11 "X-A a\r\n\r\n", 400),

	/* Host */
	OK("Host with port", "GET / HTTP/1.1\r\nHost: x.example:8080\r\n\r\n", NONE, 0, 1),
	OK("Host IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", NONE, 0, 1),
	OK("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", NONE, 0, 1),
	BAD("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400),
	BAD("two Hosts", "GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", 400),
	BAD("two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: x\r\nhost: y\r\n\r\n", 400),
	BAD("Host with path", "GET / HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
	BAD("Host with userinfo", "GET / HTTP/1.1\r\nHost: u@x\r\n\r\n", 400),
	BAD("Host with space", "GET / HTTP/1.1\r\nHost: x y\r\n\r\n", 400),

	/* Content-Length */
	OK("CL leading zeros", P11 "Content-Length: 007\r\n\r\n", LEN, 7, 1),
	OK("CL equal list", P11 "Content-Length: 5, 5\r\n\r\n", LEN, 5, 1),
	OK("CL equal fields", P11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", LEN, 5, 1),
	OK("CL at body limit", P11 "Content-Length: 1048576\r\n\r\n", LEN, 1048576, 1),
	BAD("CL differing list", P11 "Content-Length: 5, 6\r\n\r\n", 400),
	BAD("CL differing fields", P11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
	BAD("CL plus sign", P11 "Content-Length: +5\r\n\r\n", 400),
	BAD("CL minus sign", P11 "Content-Length: -5\r\n\r\n", 400),
	BAD("CL non-digit", P11 "Content-Length: 5a\r\n\r\n", 400),
	BAD("CL hex", P11 "Content-Length: 0x5\r\n\r\n", 400),
	BAD("CL empty", P11 "Content-Length:\r\n\r\n", 400),
	BAD("CL two numbers", P11 "Content-Length: 5 5\r\n\r\n", 400),
	BAD("CL fraction", P11 "Content-Length: 5.0\r\n\r\n", 400),
	BAD("CL overflow", P11 "Content-Length: 18446744073709551616\r\n\r\n", 400),
	BAD("CL far overflow", P11 "Content-Length: 99999999999999999999999\r\n\r\n", 400),
	BAD("CL over body limit", P11 "Content-Length: 1048577\r\n\r\n", 413),
	BAD("CL max uint64 over limit", P11 "Content-Length: 18446744073709551615\r\n\r\n", 413),

	/* Transfer-Encoding */
	OK("TE chunked", P11 "Transfer-Encoding: chunked\r\n\r\n", CHUNKED, 0, 1),
	OK("TE Chunked case", P11 "Transfer-Encoding: ChUnKeD \r\n\r\n", CHUNKED, 0, 1),
	OK("TE empty elements", P11 "Transfer-Encoding: , ,chunked,\r\n\r\n", CHUNKED, 0, 1),
	BAD("CL and TE", P11 "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
	BAD("TE and CL", P11 "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
	BAD("TE gzip only", P11 "Transfer-Encoding: gzip\r\n\r\n", 400),
	BAD("TE chunked, gzip", P11 "Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
	BAD("TE gzip, chunked", P11 "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
	BAD("TE unknown, chunked", P11 "Transfer-Encoding: foo, chunked\r\n\r\n", 501),
	BAD("TE over two fields", P11 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
	BAD("TE chunked then other field", P11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
	BAD("TE chunked twice", P11 "Transfer-Encoding: chunked, chunked\r\n\r\n", 400),
	BAD("TE with parameter on chunked", P11 "Transfer-Encoding: chunked;q=1\r\n\r\n", 400),
	BAD("TE empty", P11 "Transfer-Encoding:\r\n\r\n", 400),
	BAD("TE bad syntax", P11 "Transfer-Encoding: chunked x\r\n\r\n", 400),
	BAD("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
	BAD("TE chunked\\v smuggling", P11 "Transfer-Encoding: chunked\x0b\r\n\r\n", 400),
	BAD("TE xchunked", P11 "Transfer-Encoding: xchunked\r\n\r\n", 400),

	/* Connection and Expect */
	OK("1.1 close", H11 "Connection: close\r\n\r\n", NONE, 0, 0),
	OK("1.1 Close in list", H11 "Connection: Upgrade, CLOSE\r\n\r\n", NONE, 0, 0),
	OK("1.1 keep-alive", H11 "Connection: Keep-Alive\r\n\r\n", NONE, 0, 1),
	OK("1.1 other token", H11 "Connection: upgrade\r\n\r\n", NONE, 0, 1),
	OK("1.0 default close", "GET / HTTP/1.0\r\nHost: x\r\n\r\n", NONE, 0, 0),
	OK("1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", NONE, 0, 1),
	OK("1.0 keep-alive, close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", NONE, 0, 0),
	OK("1.0 keep-alive in 2nd field", "GET / HTTP/1.0\r\nConnection: foo\r\nConnection: ,keep-alive,\r\n\r\n", NONE, 0, 1),
	OK("keepalive is not keep-alive", "GET / HTTP/1.0\r\nConnection: keepalive\r\n\r\n", NONE, 0, 0),
	OK("Expect 100-continue", P11 "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n", LEN, 1, 1),
	BAD("Connection bad syntax", H11 "Connection: close;x\r\n\r\n", 400),

	/* incomplete */
	AGAIN("empty input", ""),
	AGAIN("empty line only", "\r\n"),
	AGAIN("request line only", "GET / HTTP/1.1\r\n"),
	AGAIN("no final CRLF", "GET / HTTP/1.1\r\nHost: x\r\n"),
	AGAIN("final CR only", "GET / HTTP/1.1\r\nHost: x\r\n\r"),
};

#define NRCASES ((int)(sizeof rcases / sizeof rcases[0]))

struct outcome {
	int r;
	struct http_parser p;
};

static void parse_whole(const char *in, size_t len,
	const struct http_limits *lim, struct outcome *o)
{
	char *buf = malloc(len ? len : 1);

	memcpy(buf, in, len);
	http_parser_init(&o->p, lim);
	o->r = http_request_parse(&o->p, buf, len);
	free(buf);
}

/* Every prefix in a new exact-size buffer, as a moving evbuffer would be. */
static void parse_bytewise(const char *in, size_t len,
	const struct http_limits *lim, struct outcome *o)
{
	size_t i;

	http_parser_init(&o->p, lim);
	o->r = http_request_parse(&o->p, in, 0);
	for (i = 1; i <= len && o->r == 0; i++) {
		char *buf = malloc(i);

		memcpy(buf, in, i);
		o->r = http_request_parse(&o->p, buf, i);
		free(buf);
	}
}

static void same_outcome(const char *name, const struct outcome *a,
	const struct outcome *b)
{
	const struct http_request *x = &a->p.req, *y = &b->p.req;
	unsigned i;

	ck_assert_msg(a->r == b->r, "%s: whole %d, bytewise %d", name, a->r, b->r);
	ck_assert_int_eq(a->p.status, b->p.status);
	if (a->p.reason || b->p.reason)
		ck_assert_str_eq(a->p.reason, b->p.reason);
	if (a->r <= 0)
		return;
	ck_assert_uint_eq(x->method.off, y->method.off);
	ck_assert_uint_eq(x->method.len, y->method.len);
	ck_assert_uint_eq(x->target.off, y->target.off);
	ck_assert_uint_eq(x->target.len, y->target.len);
	ck_assert_uint_eq(x->minor, y->minor);
	ck_assert_uint_eq(x->body, y->body);
	ck_assert_uint_eq(x->content_length, y->content_length);
	ck_assert_uint_eq(x->keep_alive, y->keep_alive);
	ck_assert_uint_eq(x->nfields, y->nfields);
	for (i = 0; i < x->nfields; i++)
		ck_assert(!memcmp(&x->fields[i], &y->fields[i], sizeof x->fields[i]));
}

START_TEST(request_table)
{
	const struct rcase *c = &rcases[_i];
	struct outcome whole, bytewise;

	parse_whole(c->in, c->len, NULL, &whole);
	parse_bytewise(c->in, c->len, NULL, &bytewise);
	same_outcome(c->name, &whole, &bytewise);
	switch (c->expect) {
	case COMPLETE:
		ck_assert_msg(whole.r == (int)c->len, "%s: %d (%s), want %zu",
			c->name, whole.r, whole.p.reason ? whole.p.reason : "",
			c->len);
		if (c->body != ANY)
			ck_assert_int_eq(whole.p.req.body, c->body);
		ck_assert_uint_eq(whole.p.req.content_length, c->cl);
		if (c->keep_alive != ANY)
			ck_assert_msg(whole.p.req.keep_alive == c->keep_alive,
				"%s: keep_alive %d", c->name, whole.p.req.keep_alive);
		break;
	case MORE:
		ck_assert_msg(whole.r == 0, "%s: %d", c->name, whole.r);
		break;
	default:
		ck_assert_msg(whole.r == c->expect, "%s: %d (%s), want %d",
			c->name, whole.r, whole.p.reason ? whole.p.reason : "",
			c->expect);
		ck_assert_int_eq(whole.p.status, -c->expect);
		ck_assert_ptr_nonnull(whole.p.reason);
		/* an error sticks */
		ck_assert_int_eq(http_request_parse(&whole.p, c->in, c->len),
			c->expect);
	}
}
END_TEST

static int span_is(const char *buf, struct http_span s, const char *want)
{
	return s.len == strlen(want) && !memcmp(buf + s.off, want, s.len);
}

START_TEST(spans)
{
	static const char in[] = "\r\nPOST /a?b HTTP/1.0\r\nHost:  ex:1 \t\r\n"
		"X-Empty: \r\nX-Y:a  b\r\n\r\n";
	struct http_parser p;
	const struct http_request *r = &p.req;
	const struct http_field *f;

	http_parser_init(&p, NULL);
	ck_assert_int_eq(http_request_parse(&p, in, sizeof in - 1), sizeof in - 1);
	ck_assert(span_is(in, r->method, "POST"));
	ck_assert_int_eq(r->method_id, HTTP_POST);
	ck_assert(span_is(in, r->target, "/a?b"));
	ck_assert_int_eq(r->form, HTTP_ORIGIN_FORM);
	ck_assert_int_eq(r->minor, 0);
	ck_assert_int_eq(r->nfields, 3);
	ck_assert(span_is(in, r->fields[0].name, "Host"));
	ck_assert(span_is(in, r->fields[0].value, "ex:1"));
	ck_assert(span_is(in, r->fields[1].name, "X-Empty"));
	ck_assert(span_is(in, r->fields[1].value, ""));
	ck_assert(span_is(in, r->fields[2].value, "a  b"));
	f = http_request_field(&p, in, "x-y");
	ck_assert_ptr_eq(f, &r->fields[2]);
	ck_assert_ptr_null(http_request_field(&p, in, "x-z"));
	/* complete stays complete */
	ck_assert_int_eq(http_request_parse(&p, in, sizeof in - 1), sizeof in - 1);
}
END_TEST

START_TEST(forms_and_methods)
{
	static const struct {
		const char *in;
		int method, form;
	} t[] = {
		{ "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_GET, HTTP_ABSOLUTE_FORM },
		{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OPTIONS, HTTP_ASTERISK_FORM },
		{ "CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_CONNECT, HTTP_AUTHORITY_FORM },
		{ "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_DELETE, HTTP_ORIGIN_FORM },
		{ "PUT / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_PUT, HTTP_ORIGIN_FORM },
		{ "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_HEAD, HTTP_ORIGIN_FORM },
		{ "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_TRACE, HTTP_ORIGIN_FORM },
		{ "PATCH / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_PATCH, HTTP_ORIGIN_FORM },
		{ "GETS / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OTHER, HTTP_ORIGIN_FORM },
	};
	struct http_parser p;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		http_parser_init(&p, NULL);
		ck_assert_int_eq(http_request_parse(&p, t[i].in, strlen(t[i].in)),
			(int)strlen(t[i].in));
		ck_assert_int_eq(p.req.method_id, t[i].method);
		ck_assert_int_eq(p.req.form, t[i].form);
	}
}
END_TEST

START_TEST(pipelined)
{
	static const char in[] = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
		"GET /2 HTTP/1.1\r\nHost: y\r\nConnection: close\r\n\r\n";
	static const size_t first = 28;
	struct http_parser p;
	int r;

	http_parser_init(&p, NULL);
	r = http_request_parse(&p, in, sizeof in - 1);
	ck_assert_int_eq(r, first);
	ck_assert(span_is(in, p.req.target, "/1"));
	ck_assert_int_eq(p.req.keep_alive, 1);
	http_parser_reset(&p);
	r = http_request_parse(&p, in + first, sizeof in - 1 - first);
	ck_assert_int_eq(r, sizeof in - 1 - first);
	ck_assert(span_is(in + first, p.req.target, "/2"));
	ck_assert_int_eq(p.req.keep_alive, 0);
}
END_TEST

static char *repeat(const char *head, char c, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);

	memcpy(s, head, h);
	memset(s + h, c, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

static int parse_both(const char *in, const struct http_limits *lim,
	const char **reason)
{
	struct outcome whole, bytewise;

	parse_whole(in, strlen(in), lim, &whole);
	parse_bytewise(in, strlen(in), lim, &bytewise);
	same_outcome("generated", &whole, &bytewise);
	*reason = whole.p.reason;
	return whole.r;
}

/* Request line: 8192 bytes without its CRLF pass, 8193 are a 414, also
 * before the line ends and when the long part is the method. */
START_TEST(request_line_limit)
{
	const char *why;
	char *s;

	s = repeat("GET /", 'a', 8192 - 14, " HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(parse_both(s, NULL, &why), (int)strlen(s));
	free(s);
	s = repeat("GET /", 'a', 8193 - 14, " HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(parse_both(s, NULL, &why), -414);
	free(s);
	s = repeat("GET /", 'a', 9000, "");
	ck_assert_int_eq(parse_both(s, NULL, &why), -414);
	free(s);
	s = repeat("", 'G', 9000, "");
	ck_assert_int_eq(parse_both(s, NULL, &why), -414);
	free(s);
}
END_TEST

/* The head: 16384 bytes in all pass, 16385 are a 431, also unfinished. */
START_TEST(head_limit)
{
	static const char pre[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ";
	size_t fill = 16384 - (sizeof pre - 1) - 4;
	const char *why;
	char *s;

	s = repeat(pre, 'v', fill, "\r\n\r\n");
	ck_assert_uint_eq(strlen(s), 16384);
	ck_assert_int_eq(parse_both(s, NULL, &why), 16384);
	free(s);
	s = repeat(pre, 'v', fill + 1, "\r\n\r\n");
	ck_assert_int_eq(parse_both(s, NULL, &why), -431);
	free(s);
	s = repeat(pre, 'v', 20000, "");
	ck_assert_int_eq(parse_both(s, NULL, &why), -431);
	free(s);
}
END_TEST

static char *with_fields(unsigned n)
{
	char *s = malloc(32 + n * 16), *e;
	unsigned i;

	e = s + sprintf(s, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 1; i < n; i++)
		e += sprintf(e, "X-%u: %u\r\n", i, i);
	strcpy(e, "\r\n");
	return s;
}

START_TEST(field_count_limit)
{
	struct http_limits lim = http_limits_default;
	const char *why;
	char *s;

	s = with_fields(100);
	ck_assert_int_eq(parse_both(s, NULL, &why), (int)strlen(s));
	free(s);
	s = with_fields(101);
	ck_assert_int_eq(parse_both(s, NULL, &why), -431);
	ck_assert_str_eq(why, "too many header fields");
	free(s);
	lim.fields_max = 3;
	s = with_fields(3);
	ck_assert_int_eq(parse_both(s, &lim, &why), (int)strlen(s));
	free(s);
	s = with_fields(4);
	ck_assert_int_eq(parse_both(s, &lim, &why), -431);
	free(s);
	lim.fields_max = 1000;	/* capped at HTTP_FIELDS_MAX */
	s = with_fields(101);
	ck_assert_int_eq(parse_both(s, &lim, &why), -431);
	free(s);
}
END_TEST

START_TEST(small_limits)
{
	struct http_limits lim = http_limits_default;
	const char *why;

	lim.line_max = 14;
	ck_assert_int_eq(parse_both("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &lim, &why), 27);
	ck_assert_int_eq(parse_both("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", &lim, &why), -414);
	lim.head_max = 27;
	ck_assert_int_eq(parse_both("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &lim, &why), 27);
	ck_assert_int_eq(parse_both("GET / HTTP/1.1\r\nHost: xy\r\n\r\n", &lim, &why), -431);
	lim = http_limits_default;
	lim.body_max = 9;
	ck_assert_int_eq(parse_both("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", &lim, &why), -413);
}
END_TEST

/* ---- chunked ---- */

struct ccase {
	const char *name;
	const char *in;
	size_t len;
	int expect;	/* COMPLETE, MORE or -status */
	const char *body;	/* decoded, for COMPLETE and MORE */
	size_t rest;	/* bytes after the body, for COMPLETE */
};

#define COK(n, s, body, rest) { n, s, sizeof(s) - 1, COMPLETE, body, rest }
#define CBAD(n, s, st) { n, s, sizeof(s) - 1, -(st), NULL, 0 }
#define CMORE(n, s, body) { n, s, sizeof(s) - 1, MORE, body, 0 }

static const struct ccase ccases[] = {
	COK("single chunk", "5\r\nhello\r\n0\r\n\r\n", "hello", 0),
	COK("several chunks", "5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n", "hello, world", 0),
	COK("empty body", "0\r\n\r\n", "", 0),
	COK("hex sizes", "a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n", "0123456789abcdefghijk", 0),
	COK("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello", 0),
	COK("extensions", "5;a=b;c\r\nhello\r\n0;last=\"x;\\\"y\"\r\n\r\n", "hello", 0),
	COK("extension with BWS", "5 ; a = b\r\nhello\r\n0\r\n\r\n", "hello", 0),
	COK("trailers", "5\r\nhello\r\n0\r\nX-A: 1\r\nX-B:  two  \r\n\r\n", "hello", 0),
	COK("data with CRLF inside", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", 0),
	COK("next request after body", "1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "x", 16),
	CMORE("no last chunk", "5\r\nhello\r\n", "hello"),
	CMORE("no final CRLF", "5\r\nhello\r\n0\r\n", "hello"),
	CMORE("in the data", "5\r\nhel", "hel"),
	CBAD("hex overflow", "10000000000000000\r\nx\r\n0\r\n\r\n", 400),
	CBAD("huge chunk over body limit", "ffffffffffffffff\r\nx\r\n0\r\n\r\n", 413),
	CBAD("no size", "\r\nhello\r\n0\r\n\r\n", 400),
	CBAD("size not hex", "g\r\nx\r\n0\r\n\r\n", 400),
	CBAD("negative size", "-5\r\nhello\r\n0\r\n\r\n", 400),
	CBAD("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", 400),
	CBAD("space after size", "5 \r\nhello\r\n0\r\n\r\n", 400),
	CBAD("bare LF after size", "5\nhello\r\n0\r\n\r\n", 400),
	CBAD("bare CR after size", "5\rhello\r\n0\r\n\r\n", 400),
	CBAD("data too long", "5\r\nhello!\r\n0\r\n\r\n", 400),
	CBAD("bare LF after data", "5\r\nhello\n0\r\n\r\n", 400),
	CBAD("no CRLF after data", "5\r\nhelloX\r\n", 400),
	CBAD("extension without name", "5;\r\nhello\r\n0\r\n\r\n", 400),
	CBAD("extension bad value", "5;a=\r\nhello\r\n0\r\n\r\n", 400),
	CBAD("extension unterminated quote", "5;a=\"x\r\nhello\r\n0\r\n\r\n", 400),
	CBAD("NUL in extension", "5;a\0=b\r\nhello\r\n0\r\n\r\n", 400),
	CBAD("trailer obs-fold", "0\r\nX-A: 1\r\n 2\r\n\r\n", 400),
	CBAD("trailer space before colon", "0\r\nX-A : 1\r\n\r\n", 400),
	CBAD("trailer NUL", "0\r\nX-A: \0\r\n\r\n", 400),
	CBAD("trailer bare LF", "0\r\nX-A: 1\n\r\n", 400),
	CBAD("bad final CRLF", "0\r\n\rX", 400),
};

#define NCCASES ((int)(sizeof ccases / sizeof ccases[0]))

struct decoded {
	int r;		/* COMPLETE, MORE or -status */
	size_t used;	/* bytes consumed up to the end of the body */
	size_t nbody;
	char body[1 << 16];
};

/* Feeds in[0, len) cut at the given positions (ascending). */
static void decode_cut(const char *in, size_t len, const size_t *cuts,
	size_t ncuts, const struct http_limits *lim, struct decoded *d)
{
	struct http_chunked c;
	size_t start = 0, k;

	http_chunked_init(&c, lim);
	d->r = MORE;
	d->used = 0;
	d->nbody = 0;
	for (k = 0; k <= ncuts && d->r == MORE; k++) {
		size_t end = k < ncuts ? cuts[k] : len;
		char *slice = malloc(end - start + 1);
		const char *s = slice;
		size_t n = end - start;

		memcpy(slice, in + start, n);
		while (n > 0) {
			const char *data;
			size_t dlen;
			ptrdiff_t r = http_chunked_parse(&c, s, n, &data, &dlen);

			if (r < 0) {
				d->r = (int)r;
				break;
			}
			ck_assert(r > 0 && (size_t)r <= n);
			if (dlen) {
				ck_assert(data >= s && data + dlen <= s + r);
				ck_assert(d->nbody + dlen <= sizeof d->body);
				memcpy(d->body + d->nbody, data, dlen);
				d->nbody += dlen;
			}
			s += r;
			n -= (size_t)r;
			d->used += (size_t)r;
			if (http_chunked_done(&c)) {
				d->r = COMPLETE;
				break;
			}
		}
		free(slice);
		start = end;
	}
}

static void same_decoded(const char *name, const struct decoded *a,
	const struct decoded *b)
{
	ck_assert_msg(a->r == b->r, "%s: %d vs %d", name, a->r, b->r);
	if (a->r >= 0) {
		ck_assert_uint_eq(a->nbody, b->nbody);
		ck_assert(!memcmp(a->body, b->body, a->nbody));
	}
	if (a->r == COMPLETE)
		ck_assert_uint_eq(a->used, b->used);
}

static void decode_all_ways(const char *name, const char *in, size_t len,
	const struct http_limits *lim, struct decoded *whole)
{
	static struct decoded other;
	size_t *cuts = malloc((len + 1) * sizeof *cuts), i;

	decode_cut(in, len, NULL, 0, lim, whole);
	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	decode_cut(in, len, cuts, len ? len - 1 : 0, lim, &other);
	same_decoded(name, whole, &other);
	for (i = 0; i <= len; i++) {
		decode_cut(in, len, &i, 1, lim, &other);
		same_decoded(name, whole, &other);
	}
	free(cuts);
}

START_TEST(chunked_table)
{
	const struct ccase *c = &ccases[_i];
	static struct decoded d;

	decode_all_ways(c->name, c->in, c->len, NULL, &d);
	ck_assert_msg(d.r == c->expect, "%s: %d, want %d", c->name, d.r, c->expect);
	if (c->body) {
		ck_assert_uint_eq(d.nbody, strlen(c->body));
		ck_assert(!memcmp(d.body, c->body, d.nbody));
	}
	if (c->expect == COMPLETE)
		ck_assert_uint_eq(d.used, c->len - c->rest);
}
END_TEST

START_TEST(chunked_limits)
{
	struct http_limits lim = http_limits_default;
	static struct decoded d;
	char *s, *e;
	unsigned i;

	lim.body_max = 10;
	decode_all_ways("at limit", "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 26, &lim, &d);
	ck_assert_int_eq(d.r, COMPLETE);
	decode_all_ways("over limit", "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 27, &lim, &d);
	ck_assert_int_eq(d.r, -413);
	ck_assert_uint_eq(d.nbody, 5);	/* refused before its data */
	lim.body_max = UINT64_MAX;
	decode_all_ways("no limit", "ffffffffffffffff\r\nabc", 21, &lim, &d);
	ck_assert_int_eq(d.r, MORE);

	/* chunk line: 4096 bytes of size and extensions */
	s = repeat("1;x=", 'v', 4096 - 4, "\r\nx\r\n0\r\n\r\n");
	decode_all_ways("long extension", s, strlen(s), NULL, &d);
	ck_assert_int_eq(d.r, COMPLETE);
	free(s);
	s = repeat("1;x=", 'v', 4096 - 3, "\r\nx\r\n0\r\n\r\n");
	decode_all_ways("too long extension", s, strlen(s), NULL, &d);
	ck_assert_int_eq(d.r, -400);
	free(s);
	s = repeat("", '0', 5000, "1\r\nx\r\n0\r\n\r\n");
	decode_all_ways("endless zeros", s, strlen(s), NULL, &d);
	ck_assert_int_eq(d.r, -400);
	free(s);

	/* trailers: 32 fields, 8192 bytes */
	s = malloc(64 * 16);
	for (i = 32; i <= 33; i++) {
		unsigned k;

		e = s + sprintf(s, "0\r\n");
		for (k = 0; k < i; k++)
			e += sprintf(e, "T-%u: %u\r\n", k, k);
		strcpy(e, "\r\n");
		decode_all_ways("trailer count", s, strlen(s), NULL, &d);
		ck_assert_int_eq(d.r, i == 32 ? COMPLETE : -400);
	}
	free(s);
	s = repeat("0\r\nT: ", 'v', 8192 - 7, "\r\n\r\n");
	decode_all_ways("trailers at size limit", s, strlen(s), NULL, &d);
	ck_assert_int_eq(d.r, COMPLETE);
	free(s);
	s = repeat("0\r\nT: ", 'v', 8192 - 6, "\r\n\r\n");
	decode_all_ways("trailers over size limit", s, strlen(s), NULL, &d);
	ck_assert_int_eq(d.r, -400);
	free(s);
}
END_TEST

START_TEST(chunked_after_error)
{
	struct http_chunked c;
	const char *data;
	size_t dlen;

	http_chunked_init(&c, NULL);
	ck_assert_int_eq(http_chunked_parse(&c, "z", 1, &data, &dlen), -400);
	ck_assert_str_eq(c.reason, "invalid chunk size line");
	ck_assert_int_eq(http_chunked_parse(&c, "0\r\n\r\n", 5, &data, &dlen), -400);
	http_chunked_init(&c, NULL);
	ck_assert_int_eq(http_chunked_parse(&c, "0\r\n\r\n", 5, &data, &dlen), 5);
	ck_assert(http_chunked_done(&c));
	ck_assert_int_eq(http_chunked_parse(&c, "1", 1, &data, &dlen), 0);
}
END_TEST

/* The one byte-class table, against the RFCs' definitions written out
 * the slow way; counted, then asserted once (Check reports each
 * assertion to its parent). */
static int tchar_by_rfc(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hostchar_by_rfc(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-._~%!$&'()*+,;=:[]", c));
}

START_TEST(byte_classes)
{
	int wrong = 0;

	for (int c = 0; c < 256; c++) {
		int cl = http_byte_class[c];
		wrong += !(cl & HTTP_TCHAR) != !tchar_by_rfc(c);
		wrong += !(cl & HTTP_HOSTCHAR) != !hostchar_by_rfc(c);
		wrong += !(cl & HTTP_VALUECHAR) !=
			 !((c >= 0x20 && c != 0x7f) || c == '\t');
		wrong += (cl & ~(HTTP_TCHAR | HTTP_HOSTCHAR | HTTP_VALUECHAR)) != 0;
	}
	ck_assert_int_eq(wrong, 0);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http-parser");
	TCase *tc = tcase_create("request");

	tcase_add_loop_test(tc, request_table, 0, NRCASES);
	tcase_add_test(tc, spans);
	tcase_add_test(tc, forms_and_methods);
	tcase_add_test(tc, pipelined);
	tcase_add_test(tc, request_line_limit);
	tcase_add_test(tc, head_limit);
	tcase_add_test(tc, field_count_limit);
	tcase_add_test(tc, small_limits);
	tcase_add_test(tc, byte_classes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("chunked");
	tcase_add_loop_test(tc, chunked_table, 0, NCCASES);
	tcase_add_test(tc, chunked_limits);
	tcase_add_test(tc, chunked_after_error);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
