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
static inline int hop_by_hop(const char *name, size_t n)
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

void http__relay_begin(struct http_relay *r)
{
	r->nextra = 0;
}

void http__relay_add(struct http_relay *r, const char *name, size_t nlen,
	const char *pre, size_t plen, const char *value, size_t vlen)
{
	struct http_relay_extra *e = &r->extra[r->nextra++];

	e->name = name;
	e->nlen = nlen;
	e->pre = pre;
	e->plen = plen;
	e->value = value;
	e->vlen = vlen;
	e->join = -1;
}

ptrdiff_t http__via_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s)
		return -1;
	/* Not all of HTTP_HOSTCHAR: "," and "(" would end the list element. */
	while ((http_byte_class[*p] & HTTP_TCHAR) || *p == ':' || *p == '[' ||
	       *p == ']')
		p++;
	return *p || p == (const unsigned char *)s ? -1 : (ptrdiff_t)(p -
		(const unsigned char *)s);
}

/* The caller's extra fields, checked (they may come from anywhere). */
static int add_checked(struct http_relay *r, const struct http_header *extra,
	size_t nextra)
{
	size_t k;
	int ok = 1;

	if (nextra > HTTP_RELAY_EXTRA_MAX || (nextra && !extra))
		return -1;
	for (k = 0; k < nextra; k++) {
		size_t nlen, vlen;

		if (!extra[k].name || !extra[k].value)
			return -1;
		nlen = token_ok(extra[k].name, &ok);
		vlen = value_ok(extra[k].value, &ok);
		if (!ok || hop_by_hop(extra[k].name, nlen))
			return -1;
		http__relay_add(r, extra[k].name, nlen, "", 0, extra[k].value,
			vlen);
	}
	return 0;
}

/* The extra fields that field i (kept) takes. */
static void join_to(struct http_relay *r, unsigned i, const char *name,
	size_t n)
{
	size_t k;

	for (k = 0; k < r->nextra; k++)
		if (same_token(name, n, r->extra[k].name, r->extra[k].nlen))
			r->extra[k].join = (int)i;
}

/* Is the field named in a Connection field of the head (there may be
 * several: one list)? */
static int connection_names(const struct http_relay *r, const char *name,
	size_t n)
{
	unsigned i;

	for (i = 0; i < r->nf; i++) {
		const struct http_field *c = &r->f[i];
		if (c->name.len == 10 &&
		    NAME_IS(r->head + c->name.off, 10, "connection") &&
		    named_in(r->head + c->value.off, c->value.len, name, n))
			return 1;
	}
	return 0;
}

/* The head has Connection: the fields it names are dropped too, and the
 * joins are made again without them.  Returns the kept fields' size. */
static size_t drop_connection_named(struct http_relay *r)
{
	size_t size = 0, k;
	unsigned i;

	for (k = 0; k < r->nextra; k++)
		r->extra[k].join = -1;
	for (i = 0; i < r->nf; i++) {
		const struct http_field *f = &r->f[i];
		const char *name = r->head + f->name.off;

		if (r->keep[i] && connection_names(r, name, f->name.len))
			r->keep[i] = 0;
		if (!r->keep[i])
			continue;
		size += f->name.len + 4 + f->value.len;
		join_to(r, i, name, f->name.len);
	}
	return size;
}

/* Does extra k (joined) follow something in its field's value (the
 * received value, or an extra joined before it): then ", " first. */
static int joined_after(const struct http_relay *r, size_t k)
{
	int i = r->extra[k].join;
	size_t j;

	if (r->f[i].value.len)
		return 1;
	for (j = 0; j < k; j++)
		if (r->extra[j].join == i)
			return 1;
	return 0;
}

int http__relay_plan(struct http_relay *r, const char *head,
	const struct http_field *f, unsigned nf,
	const struct http_header *extra, size_t nextra)
{
	size_t size = 0, k;
	int conn = 0;
	unsigned i;

	if (add_checked(r, extra, nextra) < 0)
		return -1;
	r->head = head;
	r->f = f;
	r->nf = nf;
	r->clen = -1;
	/* One pass for the usual head, which has no Connection field. */
	for (i = 0; i < nf; i++) {
		const char *name = head + f[i].name.off;
		size_t n = f[i].name.len;

		r->keep[i] = !hop_by_hop(name, n);
		if (!r->keep[i]) {
			if (n == 10 && NAME_IS(name, n, "connection"))
				conn = 1;
			else if (n == 14 && r->clen < 0 &&
				 NAME_IS(name, n, "content-length"))
				r->clen = (int)i;
			continue;
		}
		size += n + 4 + f[i].value.len;
		join_to(r, i, name, n);
	}
	if (conn)
		size = drop_connection_named(r);
	for (k = 0; k < r->nextra; k++) {
		const struct http_relay_extra *e = &r->extra[k];

		size += e->plen + e->vlen + (e->join < 0 ? e->nlen + 4 :
			joined_after(r, k) ? 2 : 0);
	}
	r->size = size;
	return 0;
}

#define put http__put

static char *put_extra_value(char *d, const struct http_relay_extra *e)
{
	d = put(d, e->pre, e->plen);
	return put(d, e->value, e->vlen);
}

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
			if (r->extra[k].join == (int)i) {
				if (joined_after(r, k)) {
					*d++ = ',';
					*d++ = ' ';
				}
				d = put_extra_value(d, &r->extra[k]);
			}
		*d++ = '\r';
		*d++ = '\n';
	}
	for (k = 0; k < r->nextra; k++) {
		const struct http_relay_extra *e = &r->extra[k];

		if (e->join >= 0)
			continue;
		d = put(d, e->name, e->nlen);
		*d++ = ':';
		*d++ = ' ';
		d = put_extra_value(d, e);
		*d++ = '\r';
		*d++ = '\n';
	}
	return d;
}
