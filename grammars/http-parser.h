/* http-parser.h: an allocation-free HTTP/1.1 request parser (RFC 9112)
 * for librotor-http's server (grammars/http-server.c): request head,
 * message framing and a streaming chunked-body decoder.  Plain C11, no
 * libevent.  Internal to librotor-http (not installed).
 *
 * Spans are offsets into the caller's buffer, so the buffer may move
 * between calls (a pulled-up evbuffer) as long as its prefix is unchanged.
 *
 * Strict by design: CRLF line ends only (a bare LF is a 400, though RFC
 * 9112 2.2 would let a recipient accept it), no obs-fold, no whitespace
 * before a field's colon or at the start of a field line, no control
 * bytes, no fragment in the request target.  Empty lines before the
 * request line are skipped (RFC 9112 2.2). */
#ifndef HTTP_PARSER_H
#define HTTP_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Room for header fields in struct http_request; limits.fields_max may
 * only lower it. */
#ifndef HTTP_FIELDS_MAX
#define HTTP_FIELDS_MAX 100
#endif

struct http_span {
	uint32_t off;	/* from the start of the buffer given to the parser */
	uint32_t len;
};

struct http_field {
	struct http_span name;
	struct http_span value;	/* leading and trailing OWS trimmed */
};

struct http_limits {
	uint32_t line_max;	/* request line without CRLF: 8192, else 414 */
	uint32_t head_max;	/* whole head with its final CRLF: 16384, else 431 */
	uint32_t fields_max;	/* header fields: 100, else 431 */
	uint32_t chunk_line_max;	/* chunk size + extensions: 4096, else 400 */
	uint32_t trailer_max;	/* trailer section bytes: 8192, else 400 */
	uint32_t trailers_max;	/* trailer fields: 32, else 400 */
	uint64_t body_max;	/* body bytes: 1 MiB, else 413; UINT64_MAX: none */
};

extern const struct http_limits http_limits_default;

/* Byte classes, one table for the parser and the server that writes
 * fields: HTTP_TCHAR is RFC 9110 5.6.2's tchar (field names, tokens);
 * HTTP_HOSTCHAR a byte of Host = uri-host [ ":" port ] (RFC 3986
 * unreserved, pct-encoded, sub-delims, ":" and the brackets of an
 * IP-literal); HTTP_VALUECHAR a byte a field value may hold (VCHAR,
 * obs-text, SP, HTAB: no CR, LF or other control byte). */
enum { HTTP_TCHAR = 1, HTTP_HOSTCHAR = 2, HTTP_VALUECHAR = 4 };
extern const unsigned char http_byte_class[256];

/* enum http_method is public (http_method() of the server returns it):
 * <rotor/http.h> defines it, and needs nothing the parser does not have.
 * Quoted, so found next to this file without an -I. */
#include "rotor/http.h"

enum http_target_form {
	HTTP_ORIGIN_FORM, HTTP_ABSOLUTE_FORM, HTTP_AUTHORITY_FORM,
	HTTP_ASTERISK_FORM
};

enum http_body {
	HTTP_BODY_NONE,		/* no Content-Length, no Transfer-Encoding */
	HTTP_BODY_LENGTH,	/* content_length bytes (maybe 0) */
	HTTP_BODY_CHUNKED,	/* decode with struct http_chunked */
	HTTP_BODY_CLOSE		/* responses only: up to the end of the connection */
};

struct http_request {
	struct http_span method;	/* a token, case-sensitive */
	struct http_span target;
	uint8_t method_id;	/* enum http_method */
	uint8_t form;		/* enum http_target_form */
	uint8_t minor;		/* HTTP/1.<minor>: 0 or 1 */
	uint8_t body;		/* enum http_body */
	uint8_t keep_alive;	/* 1: the connection may serve another request */
	uint8_t expect_continue;	/* HTTP/1.1 with Expect: 100-continue */
	uint16_t nfields;
	uint64_t content_length;	/* with HTTP_BODY_LENGTH */
	struct http_field fields[HTTP_FIELDS_MAX];
};

struct http_parser {
	struct http_limits lim;
	int cs;			/* Ragel state */
	uint32_t off;		/* bytes of the buffer already scanned */
	uint8_t in_head;	/* past the request line */
	int status;		/* HTTP status of the error, 0 if none */
	const char *reason;	/* short text for status, or NULL */
	struct http_request req;
};

/* Sets up a parser with the given limits (NULL: http_limits_default;
 * fields_max is capped at HTTP_FIELDS_MAX, line_max at head_max). */
void http_parser_init(struct http_parser *p, const struct http_limits *lim);

/* Forgets the request, keeps the limits: call before the next request
 * of a connection. */
void http_parser_reset(struct http_parser *p);

/* Parses the request head in buf[0, len).  Call again with the same
 * buffer grown (it may have moved; its first bytes must be the same):
 * scanning resumes where it stopped.  Returns the head's length (> 0)
 * once complete, having checked the framing (p->req.body etc.); 0 if more
 * bytes are needed; or -status (-400, -413, -414, -431, -501, -505) with
 * p->status and p->reason set.  Every error means: answer the status,
 * then close.  Never scans beyond limits.head_max bytes. */
int http_request_parse(struct http_parser *p, const char *buf, size_t len);

/* The first field called name (lower case, compared case-insensitively)
 * of a parsed head in buf, or NULL. */
const struct http_field *http_request_field(const struct http_parser *p,
	const char *buf, const char *name);

/* A chunked body decoder, fed any slices of the body in order. */
struct http_chunked {
	int cs;			/* Ragel state */
	uint8_t phase;		/* where an error happened, for the reason */
	uint8_t done;		/* the final CRLF was consumed */
	uint16_t ntrailers;
	uint32_t line_len;	/* bytes of the current chunk line */
	uint32_t trailer_len;	/* bytes of the trailer section */
	uint64_t size;		/* chunk size being read */
	uint64_t remaining;	/* data bytes of the current chunk not yet seen */
	uint64_t total;		/* data bytes so far */
	int status;
	const char *reason;
	uint32_t chunk_line_max, trailer_max, trailers_max;
	uint64_t body_max;
};

void http_chunked_init(struct http_chunked *c, const struct http_limits *lim);

/* Decodes from buf[0, len).  Returns how many bytes it consumed, and
 * points *data at chunk data among them (*data_len bytes, maybe 0) for the
 * caller to copy out; call again with the rest.  It consumes all of buf
 * unless it reports data or finishes (then the bytes after the body's
 * final CRLF belong to the next request).  Trailer fields are checked and
 * skipped.  Returns -400 or -413 on an error (c->reason says why). */
ptrdiff_t http_chunked_parse(struct http_chunked *c, const char *buf,
	size_t len, const char **data, size_t *data_len);

/* 1 once the last chunk, trailers and final CRLF have been consumed. */
static inline int http_chunked_done(const struct http_chunked *c)
{
	return c->done;
}

/* Derives framing from a complete head; called by http_request_parse.
 * Returns 0 or -status. */
int http__request_framing(struct http_parser *p, const char *buf);

/* ---- responses (the client, grammars/http-client.c) ----
 *
 * The same strictness as requests: CRLF line ends only, no obs-fold, no
 * control bytes, a status line "HTTP/1.x NNN reason" with a status code
 * of 100 to 599 (the reason may be empty, and its space with it).  The
 * errors are the client's codes of <rotor/http-client.h>, negative:
 * HTTP_CLIENT_EPROTO for a response that breaks the grammar or whose
 * framing is ambiguous (both Content-Length and Transfer-Encoding, a
 * transfer coding other than a final chunked, a bad or overflowing
 * Content-Length), HTTP_CLIENT_ETOOBIG for a status line, head, field
 * count or Content-Length over the limits; reason says which. */

struct http_response_head {
	uint16_t status;	/* 100 to 599 */
	uint8_t minor;		/* HTTP/1.<minor>: 0 or 1 (1.2 and up read as 1) */
	uint8_t body;		/* enum http_body */
	uint8_t keep_alive;	/* 1: the connection may carry another request */
	uint16_t nfields;
	struct http_span reason;	/* the reason phrase, maybe empty */
	uint64_t content_length;	/* with HTTP_BODY_LENGTH */
	struct http_field fields[HTTP_FIELDS_MAX];
};

struct http_response_parser {
	struct http_limits lim;	/* line_max, head_max, fields_max, body_max */
	int cs;			/* Ragel state */
	uint32_t off;		/* bytes of the buffer already scanned */
	uint8_t in_head;	/* past the status line */
	uint8_t head_request;	/* the request was HEAD: no body follows */
	int error;		/* HTTP_CLIENT_E* (negative), 0 if none */
	const char *reason;	/* what the error is, or NULL */
	struct http_response_head res;
};

/* Sets up a parser (lim NULL: http_limits_default; capped as for
 * http_parser_init()). */
void http_response_parser_init(struct http_response_parser *p,
	const struct http_limits *lim);

/* Forgets the response, keeps the limits; head_request says whether the
 * response answers a HEAD request (it then has no body, whatever its
 * fields say). */
void http_response_parser_reset(struct http_response_parser *p,
	int head_request);

/* Parses a response head in buf[0, len), resuming like
 * http_request_parse().  Returns the head's length (> 0) once complete,
 * framing checked (p->res.body etc.); 0 if more bytes are needed; or a
 * negative HTTP_CLIENT_E* code with p->error and p->reason set.  An
 * interim response (1xx) is complete too, with body HTTP_BODY_NONE: the
 * caller drops it and parses what follows with the parser reset.  Never
 * scans beyond limits.head_max bytes. */
int http_response_parse(struct http_response_parser *p, const char *buf,
	size_t len);

/* The first field called name (lower case) of a parsed response head in
 * buf, or NULL. */
const struct http_field *http_response_field(
	const struct http_response_parser *p, const char *buf,
	const char *name);

/* Derives framing from a complete response head; called by
 * http_response_parse.  Returns 0 or a negative HTTP_CLIENT_E* code. */
int http__response_framing(struct http_response_parser *p, const char *buf);

/* ---- relaying fields to the next hop (http-relay.c) ----
 *
 * A proxy's forwarded request and relayed response: the parsed fields as
 * they are, less the hop-by-hop ones (RFC 9110 7.6.1: Connection and what
 * it names, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
 * Upgrade, Proxy-Authenticate, Proxy-Authorization) and those the writer
 * makes itself (Host, Content-Length, Date, Expect); each extra field is
 * joined to the last field of its name ("a, b"), or comes after them. */
#define HTTP_RELAY_EXTRA_MAX 8

/* An extra field: pre and value make its value ("1.1 " "rotor"). */
struct http_relay_extra {
	const char *name, *pre, *value;
	size_t nlen, plen, vlen;
	int join;		/* the field it joins, or -1 */
};

struct http_relay {
	const char *head;
	const struct http_field *f;
	unsigned nf;
	/* The writer's own (Via, X-Forwarded-For), then the caller's. */
	struct http_relay_extra extra[HTTP_RELAY_EXTRA_MAX + 2];
	size_t nextra;
	size_t size;		/* bytes http__relay_write() writes */
	int clen;		/* the (dropped) Content-Length field, or -1 */
	uint8_t keep[HTTP_FIELDS_MAX];
};

/* The parsed fields of a request the server took (http-server.c):
 * returns the head they index. */
const char *http__exchange_fields(const struct http_exchange *x,
	const struct http_field **f, unsigned *n);

/* The client's address as text (http_remote_addr(), without a copy), or
 * NULL when the connection is not over IP. */
const char *http__exchange_peer(const struct http_exchange *x, size_t *len);

/* The token s (n bytes) equal to lit (nl bytes), a lower case name of
 * letters, digits and '-'?  OR-ing 0x20 maps no token or value byte but
 * an upper case letter onto one of those, so one OR per byte folds the
 * case; a word at a time for the longer names.  (Not for two arbitrary
 * tokens: "^" and "~" differ in that bit alone.) */
static inline int http__name_is(const char *s, size_t n, const char *lit,
	size_t nl)
{
	const uint64_t lower = 0x2020202020202020u;
	size_t i;

	if (n != nl)
		return 0;
	if (n >= 8 && n <= 16) {	/* two words, the second ending at n */
		uint64_t a, b, c, d;
		memcpy(&a, s, 8);
		memcpy(&b, lit, 8);
		memcpy(&c, s + n - 8, 8);
		memcpy(&d, lit + n - 8, 8);
		return (a | lower) == b && (c | lower) == d;
	}
	for (i = 0; i < n; i++)
		if ((s[i] | 0x20) != lit[i])
			return 0;
	return 1;
}

/* Copies n bytes to d and returns d + n: the short pieces of a head
 * (names, values, numbers) with a few moves, the others with memcpy. */
static inline char *http__put(char *d, const void *src, size_t n)
{
	const char *s = (const char *)src;

	if (n >= 8 && n <= 16) {	/* two words, overlapping */
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n >= 2 && n < 4) {
		uint16_t a, b;
		memcpy(&a, s, 2);
		memcpy(&b, s + n - 2, 2);
		memcpy(d, &a, 2);
		memcpy(d + n - 2, &b, 2);
	} else if (n == 1) {
		*d = *s;
	} else if (n) {
		memcpy(d, s, n);
	}
	return d + n;
}

/* Starts a plan with no extra field. */
void http__relay_begin(struct http_relay *r);

/* Adds one of the writer's own fields, made of checked bytes (name a
 * token; pre, value field-value bytes): nothing is checked again.  At
 * most two, before http__relay_plan(). */
void http__relay_add(struct http_relay *r, const char *name, size_t nlen,
	const char *pre, size_t plen, const char *value, size_t vlen);

/* Decides which fields go on, with the caller's extra fields after the
 * writer's own; r->size is what they take.  Returns 0, or -1 for an
 * extra field that is malformed or hop-by-hop, or too many. */
int http__relay_plan(struct http_relay *r, const char *head,
	const struct http_field *f, unsigned nf,
	const struct http_header *extra, size_t nextra);

/* A Via received-by (RFC 9110 7.6.3: a pseudonym, or host[:port] with
 * a name or an IP address): its length, or -1 when s is NULL, empty or
 * holds another byte. */
ptrdiff_t http__via_len(const char *s);

/* Writes the planned fields ("NAME: VALUE\r\n" each) at d; returns the
 * end. */
char *http__relay_write(const struct http_relay *r, char *d);

#endif
