/* http_fuzz.c: libFuzzer target for the HTTP/1.1 request parser and the
 * chunked decoder of grammars/ (http.rl, http-framing.c).
 *
 * Build and run from the top of the source tree (grammars/http.c is made
 * by the build, or by `ragel -G2 -o grammars/http.c grammars/http.rl`):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Igrammars fuzz/http_fuzz.c grammars/http.c grammars/http-framing.c -o http_fuzz && ./http_fuzz -max_total_time=180 fuzz/corpus/http
 *
 * The first input byte picks default or tiny limits and seeds the slicing;
 * the rest is fed to both parsers, whole and in random slices, each slice
 * in a fresh heap buffer of exactly its size (so a read past it is an ASan
 * report and a pointer kept across calls goes stale), and the two results
 * must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static size_t next_cut(uint32_t *s, size_t at, size_t len)
{
	size_t step = 1 + rnd(s) % ((rnd(s) & 1) ? 4 : 64);

	return at + step < len ? at + step : len;
}

static int parse_whole(struct http_parser *p, const char *in, size_t len)
{
	char *buf = malloc(len ? len : 1);
	int r;

	memcpy(buf, in, len);
	r = http_request_parse(p, buf, len);
	free(buf);
	return r;
}

static int parse_sliced(struct http_parser *p, const char *in, size_t len,
	uint32_t *seed)
{
	size_t at = 0;
	int r = http_request_parse(p, in, 0);

	while (r == 0 && at < len) {
		char *buf;

		at = next_cut(seed, at, len);
		buf = malloc(at);
		memcpy(buf, in, at);
		r = http_request_parse(p, buf, at);
		free(buf);
	}
	return r;
}

static void check_request(const struct http_parser *p, int r, size_t len)
{
	const struct http_request *q = &p->req;
	unsigned i;

	if (r < 0) {
		CHECK(p->status == -r && p->reason);
		return;
	}
	if (r == 0) {
		CHECK(len < p->lim.head_max);	/* never waits past a limit */
		return;
	}
	CHECK((size_t)r <= len && (uint32_t)r <= p->lim.head_max);
	CHECK(q->method.len > 0 && q->method.off + q->method.len < (uint32_t)r);
	CHECK(q->target.len > 0 && q->target.off + q->target.len < (uint32_t)r);
	CHECK(q->minor <= 1 && q->nfields <= p->lim.fields_max);
	for (i = 0; i < q->nfields; i++) {
		CHECK(q->fields[i].name.len > 0);
		CHECK(q->fields[i].value.off + q->fields[i].value.len < (uint32_t)r);
	}
	if (q->body == HTTP_BODY_LENGTH)
		CHECK(q->content_length <= p->lim.body_max);
}

static void same_request(const struct http_parser *a, int ra,
	const struct http_parser *b, int rb)
{
	CHECK(ra == rb && a->status == b->status);
	CHECK((a->reason == NULL) == (b->reason == NULL));
	CHECK(!a->reason || !strcmp(a->reason, b->reason));
	if (ra > 0) {
		const struct http_request *x = &a->req, *y = &b->req;

		CHECK(!memcmp(&x->method, &y->method, sizeof x->method));
		CHECK(!memcmp(&x->target, &y->target, sizeof x->target));
		CHECK(x->method_id == y->method_id && x->form == y->form);
		CHECK(x->minor == y->minor && x->body == y->body);
		CHECK(x->keep_alive == y->keep_alive);
		CHECK(x->content_length == y->content_length);
		CHECK(x->nfields == y->nfields);
		CHECK(!memcmp(x->fields, y->fields, x->nfields * sizeof x->fields[0]));
	}
}

/* A few pipelined requests: each head parsed whole and sliced. */
static void fuzz_requests(const struct http_limits *lim, const char *in,
	size_t len, uint32_t seed)
{
	static struct http_parser a, b;
	int k;

	for (k = 0; k < 4; k++) {
		int ra, rb;

		http_parser_init(&a, lim);
		http_parser_init(&b, lim);
		ra = parse_whole(&a, in, len);
		rb = parse_sliced(&b, in, len, &seed);
		check_request(&a, ra, len);
		same_request(&a, ra, &b, rb);
		if (ra <= 0)
			return;
		in += ra;
		len -= (size_t)ra;
	}
}

struct decoded {
	int r;		/* 1: done, 0: more, < 0: -status */
	size_t used;
	size_t nbody;
	uint64_t hash;
};

static void decode(const struct http_limits *lim, const char *in, size_t len,
	uint32_t *seed, struct decoded *d)
{
	struct http_chunked c;
	size_t at = 0;

	http_chunked_init(&c, lim);
	memset(d, 0, sizeof *d);
	d->hash = 1469598103934665603u;
	while (at < len && d->r == 0) {
		size_t end = seed ? next_cut(seed, at, len) : len;
		size_t n = end - at;
		char *slice = malloc(n);
		const char *s = slice;

		memcpy(slice, in + at, n);
		while (n > 0) {
			const char *data;
			size_t dlen, i;
			ptrdiff_t r = http_chunked_parse(&c, s, n, &data, &dlen);

			if (r < 0) {
				CHECK(c.reason && c.status == -r);
				d->r = (int)r;
				break;
			}
			CHECK(r > 0 && (size_t)r <= n);
			CHECK(dlen == 0 || (data >= s && data + dlen <= s + r));
			for (i = 0; i < dlen; i++)
				d->hash = (d->hash ^ (uint8_t)data[i]) * 1099511628211u;
			d->nbody += dlen;
			s += r;
			n -= (size_t)r;
			d->used += (size_t)r;
			if (http_chunked_done(&c)) {
				d->r = 1;
				break;
			}
		}
		free(slice);
		at = end;
	}
	CHECK(d->nbody <= lim->body_max);
}

static void fuzz_chunked(const struct http_limits *lim, const char *in,
	size_t len, uint32_t seed)
{
	struct decoded a, b;

	decode(lim, in, len, NULL, &a);
	decode(lim, in, len, &seed, &b);
	CHECK(a.r == b.r);
	if (a.r >= 0)
		CHECK(a.nbody == b.nbody && a.hash == b.hash);
	if (a.r == 1)
		CHECK(a.used == b.used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_limits *lim;
	uint32_t seed;

	if (size < 1)
		return 0;
	lim = (data[0] & 1) ? &tiny : &http_limits_default;
	seed = 0x9e3779b9u ^ data[0];
	fuzz_requests(lim, (const char *)data + 1, size - 1, seed);
	fuzz_chunked(lim, (const char *)data + 1, size - 1, seed);
	return 0;
}
