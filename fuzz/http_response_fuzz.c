/* http_response_fuzz.c: libFuzzer target for the HTTP/1.1 response
 * parser of grammars/ (http.rl, http-framing.c), the client's.
 *
 *   make fuzz && fuzz/http_response_fuzz -max_total_time=60 fuzz/corpus/http_response
 *
 * The first input byte picks default or tiny limits, whether the request
 * was HEAD, and seeds the slicing; the rest is parsed as responses (1xx
 * dropped as the client drops them), whole and in random slices, each
 * slice in a fresh heap buffer of exactly its size; the two runs must
 * agree, and what a complete head says must hold together.  A final
 * head is then relayed as a proxy relays it (http-relay.c, with its own
 * Via): exactly the planned bytes, whole field lines, none hop-by-hop. */
#define _GNU_SOURCE		/* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http-parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const struct http_limits tiny = {
	.line_max = 40, .head_max = 160, .fields_max = 4,
	.chunk_line_max = 16, .trailer_max = 48, .trailers_max = 2,
	.body_max = 64,
};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int parse_whole(struct http_response_parser *p, const char *in,
	size_t len)
{
	char *buf = malloc(len ? len : 1);
	int r;

	memcpy(buf, in, len);
	r = http_response_parse(p, buf, len);
	free(buf);
	return r;
}

static int parse_sliced(struct http_response_parser *p, const char *in,
	size_t len, uint32_t *seed)
{
	size_t at = 0;
	int r = http_response_parse(p, in, 0);

	while (r == 0 && at < len) {
		size_t step = 1 + rnd(seed) % ((rnd(seed) & 1) ? 4 : 64);
		char *buf;

		at = at + step < len ? at + step : len;
		buf = malloc(at);
		memcpy(buf, in, at);
		r = http_response_parse(p, buf, at);
		free(buf);
	}
	return r;
}

static void check_head(const struct http_response_parser *p, int r, size_t len)
{
	const struct http_response_head *h = &p->res;

	if (r < 0) {
		CHECK(p->error == r && p->reason);
		CHECK(r == HTTP_CLIENT_EPROTO || r == HTTP_CLIENT_ETOOBIG);
		return;
	}
	if (r == 0) {
		CHECK(len < p->lim.head_max);
		return;
	}
	CHECK((size_t)r <= len && (uint32_t)r <= p->lim.head_max);
	CHECK(h->status >= 100 && h->status <= 599 && h->minor <= 1);
	CHECK(h->nfields <= p->lim.fields_max);
	CHECK(h->reason.off + h->reason.len <= (uint32_t)r);
	for (unsigned i = 0; i < h->nfields; i++)
		CHECK(h->fields[i].value.off + h->fields[i].value.len < (uint32_t)r);
	if (p->head_request || h->status < 200 || h->status == 204 ||
	    h->status == 304)
		CHECK(h->body == HTTP_BODY_NONE);
	if (h->body == HTTP_BODY_LENGTH)
		CHECK(h->content_length <= p->lim.body_max);
	if (h->body == HTTP_BODY_CLOSE)
		CHECK(!h->keep_alive);
}

static void same(const struct http_response_parser *a, int ra,
	const struct http_response_parser *b, int rb)
{
	CHECK(ra == rb && a->error == b->error);
	CHECK(!a->reason == !b->reason);
	CHECK(!a->reason || !strcmp(a->reason, b->reason));
	if (ra > 0) {
		const struct http_response_head *x = &a->res, *y = &b->res;

		CHECK(x->status == y->status && x->minor == y->minor);
		CHECK(x->body == y->body && x->keep_alive == y->keep_alive);
		CHECK(x->content_length == y->content_length);
		CHECK(!memcmp(&x->reason, &y->reason, sizeof x->reason));
		CHECK(x->nfields == y->nfields);
		CHECK(!memcmp(x->fields, y->fields, x->nfields * sizeof x->fields[0]));
	}
}

/* A relayed field's name: never one of this hop's. */
static int dropped_name(const char *s, size_t n)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection", "te", "trailer",
		"transfer-encoding", "upgrade", "content-length", "date",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (n == strlen(names[i]) && !strncasecmp(s, names[i], n))
			return 1;
	return 0;
}

static void check_relayed(const struct http_response_parser *p,
	const char *head)
{
	static struct http_relay r;
	const char *s, *end;
	char *out;

	http__relay_begin(&r);
	http__relay_add(&r, "Via", 3, "1.1 ", 4, "rotor", 5);
	CHECK(http__relay_plan(&r, head, p->res.fields, p->res.nfields,
		NULL, 0) == 0);
	out = malloc(r.size + 1);
	end = http__relay_write(&r, out);
	CHECK((size_t)(end - out) == r.size);
	for (s = out; s < end;) {	/* "NAME: VALUE\r\n" lines only */
		const char *colon = memchr(s, ':', (size_t)(end - s));
		const char *cr = memchr(s, '\r', (size_t)(end - s));

		CHECK(colon && cr && colon < cr && cr + 1 < end && cr[1] == '\n');
		CHECK(!memchr(s, '\n', (size_t)(cr - s)));
		CHECK(!dropped_name(s, (size_t)(colon - s)));
		s = cr + 2;
	}
	CHECK(memmem(out, r.size, "1.1 rotor", 9) != NULL);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response_parser a, b;
	const struct http_limits *lim;
	const char *in;
	uint32_t seed;
	int head;

	if (size < 1)
		return 0;
	lim = (data[0] & 1) ? &tiny : &http_limits_default;
	head = (data[0] & 2) != 0;
	seed = 0x9e3779b9u ^ data[0];
	in = (const char *)data + 1;
	size--;
	for (int k = 0; k < 20; k++) {	/* interim responses, then the final */
		int ra, rb;

		http_response_parser_init(&a, lim);
		http_response_parser_init(&b, lim);
		http_response_parser_reset(&a, head);
		http_response_parser_reset(&b, head);
		ra = parse_whole(&a, in, size);
		rb = parse_sliced(&b, in, size, &seed);
		check_head(&a, ra, size);
		same(&a, ra, &b, rb);
		if (ra > 0 && a.res.status >= 200)
			check_relayed(&a, in);
		if (ra <= 0 || a.res.status >= 200)
			break;
		in += ra;
		size -= (size_t)ra;
	}
	return 0;
}
