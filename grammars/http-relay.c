/* http-relay.c: the fields of a parsed message as they go on to the next
 * hop (a proxy relaying a request upstream, or an upstream's response to
 * its client): RFC 9110 7.6.1's rules, in one place for both directions.
 *
 * The fields are written from the parsed head as they are (the parser
 * checked them), less those that belong to one connection, and the
 * caller's extra fields (Via, X-Forwarded-For) are joined to the last
 * field of their name as a list element, or added after the others. */
#include <string.h>

#include "http-parser.h"

#define NAME_IS(s, n, lit) http__name_is((s), (n), (lit), sizeof(lit) - 1)

static int fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/* Two tokens equal but for the case of their letters (not by OR-ing
 * 0x20: "^" and "~" are both tokens and differ only in that bit). */
static int same_token(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Fields for this connection only (RFC 9110 7.6.1), and those the next
 * hop's writer makes itself (Host, Content-Length, Date; Expect is
 * answered here).  Told apart by length first. */
int http__hop_by_hop(const char *name, size_t n)
{
	switch (n) {
	case 2: return NAME_IS(name, n, "te");
	case 4: return NAME_IS(name, n, "host") || NAME_IS(name, n, "date");
	case 6: return NAME_IS(name, n, "expect");
	case 7: return NAME_IS(name, n, "trailer") || NAME_IS(name, n, "upgrade");
	case 10: return NAME_IS(name, n, "connection") ||
		NAME_IS(name, n, "keep-alive");
	case 14: return NAME_IS(name, n, "content-length");
	case 16: return NAME_IS(name, n, "proxy-connection");
	case 17: return NAME_IS(name, n, "transfer-encoding");
	case 18: return NAME_IS(name, n, "proxy-authenticate");
	case 19: return NAME_IS(name, n, "proxy-authorization");
	}
	return 0;
}

/* Does the Connection field's list (value bytes v, vlen) name the field
 * name? */
static int named_in(const char *v, size_t vlen, const char *name, size_t n)
{
	const char *p = v, *end = v + vlen;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		const char *t = p;
		while (p < end && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		if (same_token(t, (size_t)(p - t), name, n))
			return 1;
	}
	return 0;
}

/* The NUL has no class: one test per byte finds the end or a bad byte. */
static size_t value_ok(const char *s, int *ok)
{
	const unsigned char *p = (const unsigned char *)s;

	while (http_byte_class[*p] & HTTP_VALUECHAR)
		p++;
	*ok &= *p == '\0';
	return (size_t)(p - (const unsigned char *)s);
}

static size_t token_ok(const char *s, int *ok)
{
	const unsigned char *p = (const unsigned char *)s;

	while (http_byte_class[*p] & HTTP_TCHAR)
		p++;
	*ok &= *p == '\0' && p != (const unsigned char *)s;
	return (size_t)(p - (const unsigned char *)s);
}

int http__relay_plan(struct http_relay *r, const char *head,
	const struct http_field *f, unsigned nf,
	const struct http_header *extra, size_t nextra)
{
	const char *conn = NULL;
	size_t conn_len = 0, size = 0;
	unsigned i;
	size_t k;
	int ok = 1;

	if (nextra > HTTP_RELAY_EXTRA_MAX || (nextra && !extra))
		return -1;
	r->head = head;
	r->f = f;
	r->nf = nf;
	r->extra = extra;
	r->nextra = nextra;
	r->clen = -1;
	for (k = 0; k < nextra; k++) {
		if (!extra[k].name || !extra[k].value)
			return -1;
		r->elen[k][0] = token_ok(extra[k].name, &ok);
		r->elen[k][1] = value_ok(extra[k].value, &ok);
		if (!ok || http__hop_by_hop(extra[k].name, r->elen[k][0]))
			return -1;
		r->join[k] = -1;
	}
	for (i = 0; i < nf; i++)
		if (NAME_IS(head + f[i].name.off, f[i].name.len, "connection")) {
			conn = head + f[i].value.off;
			conn_len = f[i].value.len;
		}
	for (i = 0; i < nf; i++) {
		const char *name = head + f[i].name.off;
		size_t n = f[i].name.len;

		r->keep[i] = !http__hop_by_hop(name, n) &&
			!(conn && named_in(conn, conn_len, name, n));
		if (!r->keep[i]) {
			if (n == 14 && r->clen < 0 &&
			    NAME_IS(name, n, "content-length"))
				r->clen = (int)i;
			continue;
		}
		size += n + 2 + f[i].value.len + 2;
		for (k = 0; k < nextra; k++)
			if (same_token(name, n, extra[k].name, r->elen[k][0]))
				r->join[k] = (int)i;
	}
	for (k = 0; k < nextra; k++)
		size += r->join[k] >= 0 ?
			(f[r->join[k]].value.len ? 2 : 0) + r->elen[k][1] :
			r->elen[k][0] + 2 + r->elen[k][1] + 2;
	r->size = size;
	return 0;
}

#define put http__put

char *http__relay_write(const struct http_relay *r, char *d)
{
	unsigned i;
	size_t k;

	for (i = 0; i < r->nf; i++) {
		const struct http_field *f = &r->f[i];

		if (!r->keep[i])
			continue;
		d = put(d, r->head + f->name.off, f->name.len);
		*d++ = ':';
		*d++ = ' ';
		d = put(d, r->head + f->value.off, f->value.len);
		for (k = 0; k < r->nextra; k++)
			if (r->join[k] == (int)i) {
				if (f->value.len) {
					*d++ = ',';
					*d++ = ' ';
				}
				d = put(d, r->extra[k].value, r->elen[k][1]);
			}
		*d++ = '\r';
		*d++ = '\n';
	}
	for (k = 0; k < r->nextra; k++) {
		if (r->join[k] >= 0)
			continue;
		d = put(d, r->extra[k].name, r->elen[k][0]);
		*d++ = ':';
		*d++ = ' ';
		d = put(d, r->extra[k].value, r->elen[k][1]);
		*d++ = '\r';
		*d++ = '\n';
	}
	return d;
}
