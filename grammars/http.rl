/* http.rl: HTTP/1.1 request head and chunked body (RFC 9112), Ragel.
 *
 * The request machine runs over the head once, resuming where it stopped
 * (its state is in struct http_parser).  Limits cost nothing per byte:
 * the scan end `pe` is clipped to the request-line limit, then moved to
 * the head limit once the request line is complete; stopping at a clipped
 * end is the 414 or 431. */
#include <string.h>

#include "http-parser.h"

/* Ragel's goto-driven output falls through case labels on purpose. */
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"

#define ERR(P, st, why) ((P)->status = (st), (P)->reason = (why))

%%{
	machine http_common;
	alphtype unsigned char;

	SPHT = " " | "\t";
	OWS = SPHT*;
	tchar = alnum | [!#$%&'*+\-.^_`|~];
	token = tchar+;
	vchar = 0x21..0x7e;
	obs_text = 0x80..0xff;
	fvchar = vchar | obs_text;
	field_value = fvchar (fvchar | SPHT)*;
}%%

/* Header fields, the same for requests and responses: R is the message
 * (fields, nfields), F a field, b the buffer, P the parser (lim);
 * FIELDS_FULL() records the error of one field too many. */
%%{
	machine http_fields;
	include http_common;

	action name_start {
		if (R->nfields >= P->lim.fields_max) {
			FIELDS_FULL();
			fbreak;
		}
		F = &R->fields[R->nfields];
		F->name.off = (uint32_t)(p - b);
		F->value.off = 0;
		fexec skip_token(p + 1, pe);
	}
	action name_end {
		F = &R->fields[R->nfields];
		F->name.len = (uint32_t)(p - b) - F->name.off;
		F->value.off = (uint32_t)(p - b) + 1;
	}
	action value_start {
		R->fields[R->nfields].value.off = (uint32_t)(p - b);
		fexec skip_value(p + 1, pe);
	}
	action field_end {
		F = &R->fields[R->nfields++];
		{
			const unsigned char *e = p;
			while (e > b + F->value.off && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			F->value.len = (uint32_t)(e - b) - F->value.off;
		}
	}
	field_line = token >name_start ":" @name_end OWS
		(field_value >value_start)? "\r" @field_end "\n";
}%%

const struct http_limits http_limits_default = {
	.line_max = 8192,
	.head_max = 16384,
	.fields_max = 100,
	.chunk_line_max = 4096,
	.trailer_max = 8192,
	.trailers_max = 32,
	.body_max = 1024 * 1024,
};

/* ---- request head ---- */

static int is_lit(const unsigned char *m, const char *lit, uint32_t n)
{
	uint32_t i;

	for (i = 1; i < n; i++)	/* m[0] matched already */
		if (m[i] != (unsigned char)lit[i])
			return 0;
	return 1;
}

%%{
	machine http_request;
	include http_fields;
	variable cs P->cs;

	action method_start { R->method.off = (uint32_t)(p - b); }
	action method_end {
		R->method.len = (uint32_t)(p - b) - R->method.off;
		R->method_id = method_id(b + R->method.off, R->method.len);
	}
	action target_start { R->target.off = (uint32_t)(p - b); }
	action target_end {
		R->target.len = (uint32_t)(p - b) - R->target.off;
	}
	action line_end {
		if (!request_line_end(P, b, p)) {
			fbreak;
		}
		P->in_head = 1;
		pe = b + (len < P->lim.head_max ? len : P->lim.head_max);
	}
	action head_end {
		P->off = (uint32_t)(p + 1 - b);
		if (http__request_framing(P, (const char *)b) == 0)
			done = 1;
		fbreak;
	}

	method = token >method_start %method_end;
	target = (vchar - "#")+ >target_start %target_end;
	version = "HTTP/" digit "." digit;
	request_line = method " " target " " version "\r\n" @line_end;

	main := "\r\n"* request_line field_line* "\r\n" @head_end;

	write data noerror nofinal noentry;
}%%

/* The bytes a field value may go on with (HTAB, SP to "~", obs-text),
 * eight at a time: the machine would take them one by one with several
 * compares each.  The word trick flags bytes below SP (HTAB too: the
 * machine takes it and what follows) or equal to DEL; its lowest flag is
 * always a true one, so on a little-endian machine the count of trailing
 * zeros finds the first such byte. */
static const unsigned char *skip_value(const unsigned char *p,
	const unsigned char *pe)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

	while (pe - p >= 8) {
		uint64_t x, y, hit;

		memcpy(&x, p, 8);
		y = x ^ (ones * 0x7f);
		hit = ((x - ones * 0x20) & ~x & highs) | ((y - ones) & ~y & highs);
		if (hit) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(hit) >> 3);
#else
			break;
#endif
		}
		p += 8;
	}
	while (p < pe && ((*p >= 0x20 && *p != 0x7f) || *p == '\t'))
		p++;
	return p;
}

/* The rest of a field name: a table lookup per byte, where the machine
 * would make several compares (the name's state loops on tchar, so
 * going on after the last one is what the machine would do). */
static const unsigned char *skip_token(const unsigned char *p,
	const unsigned char *pe)
{
	while (p < pe && (http_byte_class[*p] & HTTP_TCHAR))
		p++;
	return p;
}

/* Compared by hand: a libc memcmp call costs more than the whole test. */
static uint8_t method_id(const unsigned char *m, uint32_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && is_lit(m, lit, sizeof(lit) - 1))
	switch (m[0]) {
	case 'G':
		return IS("GET") ? HTTP_GET : HTTP_OTHER;
	case 'H':
		return IS("HEAD") ? HTTP_HEAD : HTTP_OTHER;
	case 'P':
		return IS("POST") ? HTTP_POST : IS("PUT") ? HTTP_PUT :
			IS("PATCH") ? HTTP_PATCH : HTTP_OTHER;
	case 'D':
		return IS("DELETE") ? HTTP_DELETE : HTTP_OTHER;
	case 'C':
		return IS("CONNECT") ? HTTP_CONNECT : HTTP_OTHER;
	case 'O':
		return IS("OPTIONS") ? HTTP_OPTIONS : HTTP_OTHER;
	case 'T':
		return IS("TRACE") ? HTTP_TRACE : HTTP_OTHER;
	}
	return HTTP_OTHER;
#undef IS
}

/* scheme ":" per RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static int has_scheme(const unsigned char *t, uint32_t n)
{
	uint32_t i;

	if (n == 0 || !((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z'))
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = t[i];
		if (c == ':')
			return 1;
		if (!(((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return 0;
}

/* authority-form (CONNECT only): host ":" port, no path, query or userinfo */
static int is_authority(const unsigned char *t, uint32_t n)
{
	uint32_t i, colon = n;

	for (i = 0; i < n; i++) {
		if (t[i] == '/' || t[i] == '?' || t[i] == '@')
			return 0;
		if (t[i] == ':')
			colon = i;
	}
	if (colon == 0 || colon + 1 >= n)
		return 0;
	for (i = colon + 1; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return 0;
	return 1;
}

/* At the request line's LF: the version and the target's form.  Returns 0
 * on an error (status set). */
static int request_line_end(struct http_parser *P, const unsigned char *b,
	const unsigned char *p)
{
	struct http_request *R = &P->req;
	const unsigned char *t = b + R->target.off;

	/* p[-4] and p[-2] are the digits of "HTTP/d.d\r\n" */
	if (p[-4] != '1' || p[-2] > '1') {
		ERR(P, 505, "HTTP version not supported");
		return 0;
	}
	R->minor = (uint8_t)(p[-2] - '0');
	if (R->method_id == HTTP_CONNECT) {
		if (!is_authority(t, R->target.len)) {
			ERR(P, 400, "CONNECT needs an authority-form target");
			return 0;
		}
		R->form = HTTP_AUTHORITY_FORM;
	} else if (t[0] == '/') {
		R->form = HTTP_ORIGIN_FORM;
	} else if (t[0] == '*' && R->target.len == 1) {
		if (R->method_id != HTTP_OPTIONS) {
			ERR(P, 400, "asterisk-form target is for OPTIONS only");
			return 0;
		}
		R->form = HTTP_ASTERISK_FORM;
	} else if (has_scheme(t, R->target.len)) {
		R->form = HTTP_ABSOLUTE_FORM;
	} else {
		ERR(P, 400, "invalid request target");
		return 0;
	}
	return 1;
}

/* Why the machine refused the byte at p, past the first line (F: the
 * field being read). */
static const char *field_error(const unsigned char *p,
	const struct http_field *F)
{
	unsigned char c = *p, prev = p[-1];

	if (prev == '\r')
		return "bare CR";
	if (c == '\n')
		return "bare LF";
	if (prev == '\n') {
		if (c == ' ' || c == '\t')
			return "obs-fold or whitespace before a field name";
		if (c == ':')
			return "empty field name";
		return "invalid field name";
	}
	if (F->value.off == 0) {
		if (c == ' ' || c == '\t')
			return "whitespace before colon or no colon";
		return "invalid field name";
	}
	if (c == 0)
		return "NUL in field value";
	return "control character in field value";
}

/* Why the machine refused the byte at p. */
static const char *request_error(const struct http_parser *P,
	const unsigned char *b, const unsigned char *p)
{
	const struct http_request *R = &P->req;
	unsigned char c = *p;

	if (!P->in_head) {
		if (c == '\n')
			return "bare LF";
		if (p > b && p[-1] == '\r')
			return "bare CR";
		if (R->method.len == 0)
			return "invalid method";
		if (R->target.len == 0)
			return "invalid request target";
		return "invalid request line or HTTP version";
	}
	return field_error(p, &R->fields[R->nfields]);
}

void http_parser_init(struct http_parser *p, const struct http_limits *lim)
{
	p->lim = lim ? *lim : http_limits_default;
	if (p->lim.fields_max > HTTP_FIELDS_MAX)
		p->lim.fields_max = HTTP_FIELDS_MAX;
	if (p->lim.head_max > INT32_MAX)
		p->lim.head_max = INT32_MAX;
	if (p->lim.line_max > p->lim.head_max - 2)
		p->lim.line_max = p->lim.head_max - 2;
	http_parser_reset(p);
}

void http_parser_reset(struct http_parser *P)
{
	struct http_request *R = &P->req;

	%% write init;
	P->off = 0;
	P->in_head = 0;
	P->status = 0;
	P->reason = NULL;
	R->method.len = 0;
	R->target.len = 0;
	R->nfields = 0;
	R->body = HTTP_BODY_NONE;
	R->content_length = 0;
	R->keep_alive = 0;
	R->expect_continue = 0;
}

int http_request_parse(struct http_parser *P, const char *buf, size_t len)
{
	struct http_request *R = &P->req;
	struct http_field *F;
	const unsigned char *b = (const unsigned char *)buf;
	const unsigned char *p, *pe;
	size_t limit;
	int done = 0;

	if (P->status)
		return -P->status;
	if (P->cs == 0 && P->off)	/* complete already */
		return (int)P->off;
	limit = P->in_head ? P->lim.head_max : (size_t)P->lim.line_max + 2;
#define FIELDS_FULL() ERR(P, 431, "too many header fields")
	if (len <= P->off)
		return 0;
	p = b + P->off;
	pe = b + (len < limit ? len : limit);
	(void)F;

	%% write exec;
#undef FIELDS_FULL

	if (done) {
		P->cs = 0;	/* complete: P->off is the head's length */
		return (int)P->off;
	}
	if (P->status)
		return -P->status;
	if (P->cs == 0) {
		ERR(P, 400, request_error(P, b, p));
		return -400;
	}
	P->off = (uint32_t)(p - b);
	if (P->in_head ? P->off >= P->lim.head_max
		       : P->off >= P->lim.line_max + 2) {
		if (P->in_head)
			ERR(P, 431, "request header section too large");
		else
			ERR(P, 414, "request line too long");
		return -P->status;
	}
	return 0;
}

const struct http_field *http_request_field(const struct http_parser *p,
	const char *buf, const char *name)
{
	size_t n = strlen(name), i, j;

	for (i = 0; i < p->req.nfields; i++) {
		const struct http_field *f = &p->req.fields[i];
		const char *s = buf + f->name.off;

		if (f->name.len != n)
			continue;
		/* field names are tokens: OR-ing 0x20 lowercases letters
		 * and maps no other token byte onto a letter, digit or '-' */
		for (j = 0; j < n && (s[j] | 0x20) == name[j]; j++)
			;
		if (j == n)
			return f;
	}
	return NULL;
}


/* ---- response head (the client) ---- */

#define RERR(P, code, why) \
	((P)->error = (code), (P)->reason = (why), (void)0, (code))

%%{
	machine http_response;
	include http_fields;
	variable cs P->cs;

	action major { major = *p; }
	action minor { R->minor = (uint8_t)(*p - '0'); }
	action status_digit {
		R->status = (uint16_t)(R->status * 10 + (*p - '0'));
	}
	action reason_start { R->reason.off = (uint32_t)(p - b); }
	action reason_end {
		R->reason.len = (uint32_t)(p - b) - R->reason.off;
	}
	action line_end {
		if (!status_line_end(P, major)) {
			fbreak;
		}
		P->in_head = 1;
		pe = b + (len < P->lim.head_max ? len : P->lim.head_max);
	}
	action head_end {
		P->off = (uint32_t)(p + 1 - b);
		if (http__response_framing(P, (const char *)b) == 0)
			done = 1;
		fbreak;
	}

	reason_phrase = (fvchar | SPHT)+;
	version = "HTTP/" digit @major "." digit @minor;
	status_code = digit{3} $status_digit;
	status_line = version " " status_code
		(" " (reason_phrase >reason_start %reason_end)?)? "\r\n" @line_end;

	main := status_line field_line* "\r\n" @head_end;

	write data noerror nofinal noentry;
}%%

/* At the status line's LF: the version and the status code.  Returns 0
 * on an error (set). */
static int status_line_end(struct http_response_parser *P, unsigned char major)
{
	struct http_response_head *R = &P->res;

	if (major != '1') {
		(void)RERR(P, HTTP_CLIENT_EPROTO, "HTTP version not supported");
		return 0;
	}
	if (R->minor > 1)	/* RFC 9110 2.5: a higher minor reads as ours */
		R->minor = 1;
	if (R->status < 100 || R->status > 599) {
		(void)RERR(P, HTTP_CLIENT_EPROTO, "invalid status code");
		return 0;
	}
	return 1;
}

static const char *response_error(const struct http_response_parser *P,
	const unsigned char *b, const unsigned char *p)
{
	const struct http_response_head *R = &P->res;

	if (!P->in_head) {
		if (*p == '\n')
			return "bare LF";
		if (p > b && p[-1] == '\r')
			return "bare CR";
		return "invalid status line";
	}
	return field_error(p, &R->fields[R->nfields]);
}

void http_response_parser_init(struct http_response_parser *p,
	const struct http_limits *lim)
{
	p->lim = lim ? *lim : http_limits_default;
	if (p->lim.fields_max > HTTP_FIELDS_MAX)
		p->lim.fields_max = HTTP_FIELDS_MAX;
	if (p->lim.head_max > INT32_MAX)
		p->lim.head_max = INT32_MAX;
	if (p->lim.line_max > p->lim.head_max - 2)
		p->lim.line_max = p->lim.head_max - 2;
	http_response_parser_reset(p, 0);
}

void http_response_parser_reset(struct http_response_parser *P,
	int head_request)
{
	struct http_response_head *R = &P->res;

	%% write init;
	P->off = 0;
	P->in_head = 0;
	P->head_request = (uint8_t)(head_request != 0);
	P->error = 0;
	P->reason = NULL;
	R->status = 0;
	R->minor = 0;
	R->reason.off = 0;
	R->reason.len = 0;
	R->nfields = 0;
	R->body = HTTP_BODY_NONE;
	R->content_length = 0;
	R->keep_alive = 0;
}

int http_response_parse(struct http_response_parser *P, const char *buf,
	size_t len)
{
	struct http_response_head *R = &P->res;
	struct http_field *F;
	const unsigned char *b = (const unsigned char *)buf;
	const unsigned char *p, *pe;
	unsigned char major = 0;
	size_t limit;
	int done = 0;

	if (P->error)
		return P->error;
	if (P->cs == 0 && P->off)	/* complete already */
		return (int)P->off;
	limit = P->in_head ? P->lim.head_max : (size_t)P->lim.line_max + 2;
	if (len <= P->off)
		return 0;
	p = b + P->off;
	pe = b + (len < limit ? len : limit);
	(void)F;
	if (!P->in_head && P->off >= 5)	/* resuming: the version's major */
		major = b[5];
#define FIELDS_FULL() \
	(void)RERR(P, HTTP_CLIENT_ETOOBIG, "too many header fields")
	%% write exec;
#undef FIELDS_FULL

	if (done) {
		P->cs = 0;	/* complete: P->off is the head's length */
		return (int)P->off;
	}
	if (P->error)
		return P->error;
	if (P->cs == 0)
		return RERR(P, HTTP_CLIENT_EPROTO, response_error(P, b, p));
	P->off = (uint32_t)(p - b);
	if (P->in_head ? P->off >= P->lim.head_max
		       : P->off >= P->lim.line_max + 2) {
		if (P->in_head)
			return RERR(P, HTTP_CLIENT_ETOOBIG,
				"response header section too large");
		return RERR(P, HTTP_CLIENT_ETOOBIG, "status line too long");
	}
	return 0;
}

/* Field names are tokens: OR-ing 0x20 lowercases letters and maps no
 * other token byte onto a letter, digit or '-'. */
static const struct http_field *find_field(const struct http_field *f,
	unsigned n, const char *buf, const char *name)
{
	size_t len = strlen(name), i, j;

	for (i = 0; i < n; i++, f++) {
		const char *s = buf + f->name.off;

		if (f->name.len != len)
			continue;
		for (j = 0; j < len && (s[j] | 0x20) == name[j]; j++)
			;
		if (j == len)
			return f;
	}
	return NULL;
}

const struct http_field *http_response_field(
	const struct http_response_parser *p, const char *buf,
	const char *name)
{
	return find_field(p->res.fields, p->res.nfields, buf, name);
}

/* ---- chunked body ---- */

enum { PH_LINE, PH_DATA_CRLF, PH_TRAILERS };

%%{
	machine http_chunked;
	include http_common;
	variable cs C->cs;

	action hex {
		if (C->size >> 60) {
			ERR(C, 400, "chunk size overflow");
			fbreak;
		}
		C->size = C->size << 4 |
			(uint64_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
	}
	action line_byte {
		if (++C->line_len > C->chunk_line_max) {
			ERR(C, 400, "chunk size line too long");
			fbreak;
		}
	}
	action line_end {
		C->line_len = 0;
		if (C->size == 0) {
			C->phase = PH_TRAILERS;
			fnext trailers;
		} else {
			if (C->size > C->body_max - C->total) {
				ERR(C, 413, "chunked body too large");
				fbreak;
			}
			C->remaining = C->size;
			C->total += C->size;
			C->size = 0;
			C->phase = PH_DATA_CRLF;
			fnext data_crlf;
			fbreak;
		}
	}
	action data_crlf_end {
		C->phase = PH_LINE;
		fnext main;
	}
	action trailer_start {
		if (++C->ntrailers > C->trailers_max) {
			ERR(C, 400, "too many trailer fields");
			fbreak;
		}
	}
	action trailer_byte {
		if (++C->trailer_len > C->trailer_max) {
			ERR(C, 400, "trailer section too large");
			fbreak;
		}
	}
	action body_end {
		C->done = 1;
		fbreak;
	}

	qdtext = "\t" | " " | 0x21 | 0x23..0x5b | 0x5d..0x7e | obs_text;
	quoted_pair = "\\" (SPHT | vchar | obs_text);
	quoted_string = "\"" (qdtext | quoted_pair)* "\"";
	chunk_ext = (OWS ";" OWS token (OWS "=" OWS (token | quoted_string))?)*;
	chunk_line = (xdigit+ $hex chunk_ext) $line_byte "\r\n" @line_end;
	trailer_line = token >trailer_start ":" OWS field_value? "\r\n";

	main := chunk_line;
	data_crlf := "\r\n" @data_crlf_end;
	trailers := (trailer_line* "\r\n") $trailer_byte @body_end;

	write data noerror nofinal noentry;
}%%

void http_chunked_init(struct http_chunked *C, const struct http_limits *lim)
{
	if (!lim)
		lim = &http_limits_default;
	memset(C, 0, sizeof *C);
	%% write init;
	C->chunk_line_max = lim->chunk_line_max;
	C->trailer_max = lim->trailer_max;
	C->trailers_max = lim->trailers_max;
	C->body_max = lim->body_max;
}

ptrdiff_t http_chunked_parse(struct http_chunked *C, const char *buf,
	size_t len, const char **data, size_t *data_len)
{
	const unsigned char *b = (const unsigned char *)buf;
	const unsigned char *p = b, *pe = b + len;

	*data = NULL;
	*data_len = 0;
	if (C->status)
		return -C->status;
	if (C->done)
		return 0;
	if (C->remaining == 0) {
		%% write exec;
		if (C->status)
			return -C->status;
		if (C->cs == 0) {
			static const char *const why[] = {
				"invalid chunk size line",
				"no CRLF after chunk data",
				"invalid trailer field",
			};
			ERR(C, 400, why[C->phase]);
			return -400;
		}
		if (C->done)
			return p - b;
	}
	if (C->remaining && p < pe) {
		size_t n = (size_t)(pe - p);

		if (n > C->remaining)
			n = (size_t)C->remaining;
		*data = (const char *)p;
		*data_len = n;
		C->remaining -= n;
		p += n;
	}
	return p - b;
}
