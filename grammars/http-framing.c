/* http-framing.c: what a parsed request head says about its body and
 * connection (RFC 9112 6, 9.3; RFC 9110 5.6.1 lists, 7.2 Host).
 *
 * One pass over the fields, dispatching on the name's length; the few
 * fields that matter are read as comma lists.  The order of checks makes
 * smuggling attempts fail closed: Transfer-Encoding with Content-Length,
 * or in HTTP/1.0, or with chunked not last, is a 400 (and every error
 * closes the connection). */
#include <string.h>

#include "http-parser.h"

#define ERR(P, st, why) ((P)->status = (st), (P)->reason = (why), -(st))

/* The byte classes of http-parser.h: the one table of them. */
const unsigned char http_byte_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 7, 4, 5, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 4,	/*  !"#$%&'()*+,-./ */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 4, 6, 4, 4,	/* 0-9 :;<=>? */
	4, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,	/* @A-O */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 4, 6, 5, 7,	/* P-Z [\]^_ */
	5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,	/* `a-o */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 4, 5, 4, 7, 0,	/* p-z {|}~ DEL */
	/* 0x80-0xff, obs-text: field values only */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

static int is_tchar(unsigned char c)
{
	return http_byte_class[c] & HTTP_TCHAR;
}

#define TOKEN_IS(s, n, lit) http__name_is((s), (n), (lit), sizeof(lit) - 1)

struct list {
	const char *s, *e;
};

static void skip_ows(struct list *l)
{
	while (l->s < l->e && (*l->s == ' ' || *l->s == '\t'))
		l->s++;
}

static int skip_token(struct list *l)
{
	const char *t = l->s;

	while (l->s < l->e && is_tchar((unsigned char)*l->s))
		l->s++;
	return l->s > t;
}

static int skip_quoted(struct list *l)
{
	if (l->s == l->e || *l->s != '"')
		return 0;
	for (l->s++; l->s < l->e; l->s++) {
		if (*l->s == '"') {
			l->s++;
			return 1;
		}
		if (*l->s == '\\' && ++l->s == l->e)
			return 0;
	}
	return 0;
}

/* The next element of a list: 1 with its token (and whether parameters
 * follow it), 0 at the end, -1 on bad syntax.  Empty elements are
 * skipped, as RFC 9110 5.6.1.2 asks of recipients. */
static int list_next(struct list *l, const char **tok, size_t *n, int *params)
{
	for (;;) {
		skip_ows(l);
		if (l->s == l->e)
			return 0;
		if (*l->s != ',')
			break;
		l->s++;
	}
	*tok = l->s;
	if (!skip_token(l))
		return -1;
	*n = (size_t)(l->s - *tok);
	*params = 0;
	skip_ows(l);
	while (l->s < l->e && *l->s == ';') {
		*params = 1;
		l->s++;
		skip_ows(l);
		if (!skip_token(l))
			return -1;
		skip_ows(l);
		if (l->s == l->e || *l->s != '=')
			return -1;
		l->s++;
		skip_ows(l);
		if (!skip_token(l) && !skip_quoted(l))
			return -1;
		skip_ows(l);
	}
	if (l->s < l->e && *l->s != ',')
		return -1;
	return 1;
}

/* What the fields say about framing, for requests and responses alike;
 * why: the error of the field that made a helper return -1. */
struct framing {
	int cl_seen, te_seen, te_chunked_last, te_chunked, te_other;
	int close, keep_alive, hosts, expect_continue;
	uint64_t cl;
	const char *why;
};

#define FAIL(fr, text) ((fr)->why = (text), -1)

static void list_init(struct list *l, const char *buf, const struct http_field *f)
{
	l->s = buf + f->value.off;
	l->e = l->s + f->value.len;
}

static int content_length(struct framing *fr,
	const char *buf, const struct http_field *f)
{
	struct list l;
	const char *t;
	size_t n, i;
	int params, r, any = 0;

	/* Most are one number: read it at once (a list, as some senders
	 * repeat the value, goes the long way). */
	t = buf + f->value.off;
	n = f->value.len;
	if (n > 0 && n <= 18) {
		uint64_t v = 0;
		for (i = 0; i < n && (unsigned char)(t[i] - '0') <= 9; i++)
			v = v * 10 + (uint64_t)(t[i] - '0');
		if (i == n) {
			if (fr->cl_seen && v != fr->cl)
				return FAIL(fr, "differing Content-Length values");
			fr->cl_seen = 1;
			fr->cl = v;
			return 0;
		}
	}
	list_init(&l, buf, f);
	while ((r = list_next(&l, &t, &n, &params)) > 0) {
		uint64_t v = 0;

		if (params)
			return FAIL(fr, "invalid Content-Length");
		for (i = 0; i < n; i++) {
			unsigned d = (unsigned char)t[i] - '0';

			if (d > 9)
				return FAIL(fr, "invalid Content-Length");
			if (v > (UINT64_MAX - d) / 10)
				return FAIL(fr, "Content-Length overflow");
			v = v * 10 + d;
		}
		if (fr->cl_seen && v != fr->cl)
			return FAIL(fr, "differing Content-Length values");
		fr->cl_seen = 1;
		fr->cl = v;
		any = 1;
	}
	if (r < 0 || !any)
		return FAIL(fr, "invalid Content-Length");
	return 0;
}

static int transfer_encoding(struct framing *fr,
	const char *buf, const struct http_field *f)
{
	struct list l;
	const char *t;
	size_t n;
	int params, r, any = 0;

	fr->te_seen = 1;
	list_init(&l, buf, f);
	while ((r = list_next(&l, &t, &n, &params)) > 0) {
		any = 1;
		fr->te_chunked_last = TOKEN_IS(t, n, "chunked");
		if (fr->te_chunked_last) {
			if (params)
				return FAIL(fr, "parameters on chunked");
			fr->te_chunked++;
		} else {
			fr->te_other = 1;
		}
	}
	if (r < 0 || !any)
		return FAIL(fr, "invalid Transfer-Encoding");
	return 0;
}

static int connection(struct framing *fr,
	const char *buf, const struct http_field *f)
{
	struct list l;
	const char *t;
	size_t n;
	int params, r;

	list_init(&l, buf, f);
	while ((r = list_next(&l, &t, &n, &params)) > 0) {
		if (params)
			return FAIL(fr, "invalid Connection");
		if (TOKEN_IS(t, n, "close"))
			fr->close = 1;
		else if (TOKEN_IS(t, n, "keep-alive"))
			fr->keep_alive = 1;
	}
	if (r < 0)
		return FAIL(fr, "invalid Connection");
	return 0;
}

/* Four bytes a step: every Host carries one, so it is worth unrolling. */
static int host_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	const unsigned char *cl = http_byte_class;
	unsigned all = HTTP_HOSTCHAR;

	for (; e - p >= 4; p += 4)
		all &= cl[p[0]] & cl[p[1]] & cl[p[2]] & cl[p[3]];
	for (; p < e; p++)
		all &= cl[*p];
	return (all & HTTP_HOSTCHAR) != 0;
}

/* The name "Host", in any case: one compare of four bytes. */
static int is_host(const char *name)
{
	uint32_t v, host;

	memcpy(&v, name, 4);
	memcpy(&host, "host", 4);
	return (v | 0x20202020u) == host;
}

static int one_field(struct http_parser *p, struct framing *fr,
	const char *buf, const struct http_field *f)
{
	const char *name = buf + f->name.off;

	switch (f->name.len) {
	case 4:
		if (is_host(name)) {
			if (++fr->hosts > 1)
				return ERR(p, 400, "more than one Host");
			if (!host_ok(buf + f->value.off, f->value.len))
				return ERR(p, 400, "invalid Host");
		}
		break;
	case 6:
		if (TOKEN_IS(name, 6, "expect") &&
		    TOKEN_IS(buf + f->value.off, f->value.len, "100-continue"))
			fr->expect_continue = 1;
		break;
	case 10:
		if (TOKEN_IS(name, 10, "connection") &&
		    connection(fr, buf, f) < 0)
			return ERR(p, 400, fr->why);
		break;
	case 14:
		if (TOKEN_IS(name, 14, "content-length") &&
		    content_length(fr, buf, f) < 0)
			return ERR(p, 400, fr->why);
		break;
	case 17:
		if (TOKEN_IS(name, 17, "transfer-encoding") &&
		    transfer_encoding(fr, buf, f) < 0)
			return ERR(p, 400, fr->why);
		break;
	}
	return 0;
}

int http__request_framing(struct http_parser *p, const char *buf)
{
	struct http_request *r = &p->req;
	struct framing fr;
	unsigned i;
	int rc;

	memset(&fr, 0, sizeof fr);
	for (i = 0; i < r->nfields; i++)
		if ((rc = one_field(p, &fr, buf, &r->fields[i])) < 0)
			return rc;
	if (fr.hosts == 0 && r->minor == 1)
		return ERR(p, 400, "no Host in an HTTP/1.1 request");
	if (fr.te_seen) {
		if (fr.cl_seen)
			return ERR(p, 400, "both Content-Length and Transfer-Encoding");
		if (r->minor == 0)
			return ERR(p, 400, "Transfer-Encoding in HTTP/1.0");
		if (!fr.te_chunked_last)
			return ERR(p, 400, "chunked is not the final transfer coding");
		if (fr.te_chunked > 1)
			return ERR(p, 400, "chunked applied more than once");
		if (fr.te_other)
			return ERR(p, 501, "transfer coding not implemented");
		r->body = HTTP_BODY_CHUNKED;
	} else if (fr.cl_seen) {
		if (fr.cl > p->lim.body_max)
			return ERR(p, 413, "Content-Length over the body limit");
		r->body = HTTP_BODY_LENGTH;
		r->content_length = fr.cl;
	}
	r->keep_alive = (uint8_t)(!fr.close && (r->minor == 1 || fr.keep_alive));
	r->expect_continue = (uint8_t)(fr.expect_continue && r->minor == 1);
	return 0;
}

/* ---- responses (RFC 9112 6.3) ---- */

#define RERR(P, code, text) ((P)->error = (code), (P)->reason = (text), (code))

/* The fields that frame a response; a -1 of a helper is fr->why. */
static int response_field(struct framing *fr, const char *buf,
	const struct http_field *f)
{
	const char *name = buf + f->name.off;

	switch (f->name.len) {
	case 10:
		return TOKEN_IS(name, 10, "connection") ?
			connection(fr, buf, f) : 0;
	case 14:
		return TOKEN_IS(name, 14, "content-length") ?
			content_length(fr, buf, f) : 0;
	case 17:
		return TOKEN_IS(name, 17, "transfer-encoding") ?
			transfer_encoding(fr, buf, f) : 0;
	}
	return 0;
}

/* Strict where RFC 9112 is lenient, since a lenient client is what
 * response smuggling needs: Transfer-Encoding with Content-Length, or in
 * HTTP/1.0, or with a coding other than one final chunked (which the RFC
 * would read as close-delimited), is an error. */
static int response_transfer_coding(struct http_response_parser *P,
	const struct framing *fr)
{
	if (fr->cl_seen)
		return RERR(P, HTTP_CLIENT_EPROTO,
			"both Content-Length and Transfer-Encoding");
	if (P->res.minor == 0)
		return RERR(P, HTTP_CLIENT_EPROTO, "Transfer-Encoding in HTTP/1.0");
	if (!fr->te_chunked_last)
		return RERR(P, HTTP_CLIENT_EPROTO,
			"chunked is not the final transfer coding");
	if (fr->te_chunked > 1)
		return RERR(P, HTTP_CLIENT_EPROTO, "chunked applied more than once");
	if (fr->te_other)
		return RERR(P, HTTP_CLIENT_EPROTO, "transfer coding not supported");
	return 0;
}

/* 1xx, 204, 304 and answers to HEAD have no body (RFC 9112 6.3, 1-2). */
static int no_body(const struct http_response_parser *P)
{
	unsigned st = P->res.status;

	return P->head_request || st < 200 || st == 204 || st == 304;
}

int http__response_framing(struct http_response_parser *P, const char *buf)
{
	struct http_response_head *r = &P->res;
	struct framing fr;
	unsigned i;

	memset(&fr, 0, sizeof fr);
	if (r->status == 101)	/* we never ask for an upgrade */
		return RERR(P, HTTP_CLIENT_EPROTO,
			"101 Switching Protocols without an upgrade");
	for (i = 0; i < r->nfields; i++)
		if (response_field(&fr, buf, &r->fields[i]) < 0)
			return RERR(P, HTTP_CLIENT_EPROTO, fr.why);
	if (fr.te_seen && response_transfer_coding(P, &fr) < 0)
		return P->error;
	if (no_body(P))
		r->body = HTTP_BODY_NONE;
	else if (fr.te_seen)
		r->body = HTTP_BODY_CHUNKED;
	else if (fr.cl_seen) {
		if (fr.cl > P->lim.body_max)
			return RERR(P, HTTP_CLIENT_ETOOBIG,
				"Content-Length over the body limit");
		r->body = HTTP_BODY_LENGTH;
		r->content_length = fr.cl;
	} else {
		r->body = HTTP_BODY_CLOSE;
	}
	r->keep_alive = (uint8_t)(!fr.close && r->body != HTTP_BODY_CLOSE &&
		(r->minor == 1 || fr.keep_alive));
	return 0;
}
