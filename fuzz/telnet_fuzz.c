/* telnet_fuzz.c: libFuzzer target for the telnet grammar (grammars/telnet.rl)
 * and the output encoder.
 *
 * Build and run from the source tree (telnet.c is Ragel's output; `make`
 * makes it, or `ragel -G2 -o grammars/telnet.c grammars/telnet.rl`):
 *
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Igrammars \
 *     fuzz/telnet_fuzz.c grammars/telnet.c grammars/telnet-encode.c \
 *     -o telnet_fuzz && ./telnet_fuzz -max_total_time=180 fuzz/corpus/telnet
 *
 * The first two input bytes seed how the rest is sliced into buffers.
 * For each input it checks that:
 *  - the stream parsed whole, in random slices and one byte at a time gives
 *    the same events and the same data (data merged between events);
 *  - all three agree with a plain byte-at-a-time reference decoder written
 *    here from RFC 854/855 and the documented error handling;
 *  - every data span lies inside the buffer given, and holds no IAC with a
 *    meaning: a 0xFF in data is only ever the second byte of an IAC IAC,
 *    at the start of its span;
 *  - the encoder gives the same bytes whole and sliced, and what it
 *    produces parses back as data only, with no command in it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/telnet.h>

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* An event log: records of kind, two bytes, then for D and S a length and
 * the bytes.  Data is merged into one D record between other events. */
struct log {
	unsigned char *b;
	size_t len, cap;
	unsigned char *data;	/* data not yet written as a record */
	size_t data_len, data_cap;
	const unsigned char *buf, *end;	/* the buffer being parsed */
	const unsigned char *stream;	/* start of the whole stream, or NULL */
};

static void log_bytes(struct log *l, const void *p, size_t n)
{
	if (l->len + n > l->cap) {
		l->cap = 2 * (l->len + n) + 64;
		l->b = realloc(l->b, l->cap);
		CHECK(l->b != NULL);
	}
	memcpy(l->b + l->len, p, n);
	l->len += n;
}

static void log_rec(struct log *l, char kind, unsigned a, unsigned b,
    const unsigned char *p, size_t n)
{
	unsigned char h[3] = { (unsigned char)kind, (unsigned char)a,
	    (unsigned char)b };

	log_bytes(l, h, 3);
	if (kind == 'D' || kind == 'S') {
		log_bytes(l, &n, sizeof(n));
		log_bytes(l, p, n);
	}
}

static void log_flush(struct log *l)
{
	if (l->data_len > 0)
		log_rec(l, 'D', 0, 0, l->data, l->data_len);
	l->data_len = 0;
}

static void log_data(struct log *l, const unsigned char *p, size_t n)
{
	if (l->data_len + n > l->data_cap) {
		l->data_cap = 2 * (l->data_len + n) + 64;
		l->data = realloc(l->data, l->data_cap);
		CHECK(l->data != NULL);
	}
	memcpy(l->data + l->data_len, p, n);
	l->data_len += n;
}

static void on_data(void *arg, const unsigned char *p, size_t n)
{
	struct log *l = arg;

	CHECK(n > 0);
	CHECK(p >= l->buf && p + n <= l->end);
	for (size_t i = 0; i < n; i++) {
		if (p[i] != TELNET_IAC)
			continue;
		/* Only the literal of IAC IAC, opening its span.  Within
		 * the whole stream its escape byte is visible before it. */
		CHECK(i == 0);
		if (l->stream != NULL)
			CHECK(p > l->stream && p[-1] == TELNET_IAC);
	}
	log_data(l, p, n);
}

static void on_command(void *arg, unsigned char cmd)
{
	struct log *l = arg;

	CHECK(cmd >= TELNET_NOP && cmd <= TELNET_GA);
	log_flush(l);
	log_rec(l, 'C', cmd, 0, NULL, 0);
}

static void on_negotiate(void *arg, unsigned char verb, unsigned char opt)
{
	struct log *l = arg;

	CHECK(verb >= TELNET_WILL && verb <= TELNET_DONT);
	log_flush(l);
	log_rec(l, 'N', verb, opt, NULL, 0);
}

static void on_subneg(void *arg, unsigned char opt, const unsigned char *p,
    size_t n)
{
	struct log *l = arg;

	CHECK(n <= TELNET_SB_MAX);
	log_flush(l);
	log_rec(l, 'S', opt, 0, p, n);
}

static void on_error(void *arg, enum telnet_error err, unsigned char byte)
{
	struct log *l = arg;

	log_flush(l);
	log_rec(l, 'E', (unsigned)err, byte, NULL, 0);
}

static const struct telnet_callbacks cbs = {
	on_data, on_command, on_negotiate, on_subneg, on_error
};

static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Parses in slices: step 0 whole, 1 bytewise, else random sizes below
 * step.  Each slice is copied to a buffer of its own, so that ASan sees
 * a span reaching outside it. */
static int parse_sliced(const unsigned char *in, size_t n, size_t step,
    uint32_t seed, struct log *l)
{
	struct telnet_parser p;
	size_t off = 0;

	telnet_parser_init(&p);
	l->stream = step == 0 ? in : NULL;
	while (off < n) {
		size_t k = step == 0 ? n - off : step == 1 ? 1 :
		    1 + next(&seed) % step;
		unsigned char *piece = NULL;

		if (k > n - off)
			k = n - off;
		if (step != 0) {
			piece = malloc(k);
			CHECK(piece != NULL);
			memcpy(piece, in + off, k);
		}
		l->buf = piece ? piece : in + off;
		l->end = l->buf + k;
		telnet_parse(&p, l->buf, k, &cbs, l);
		free(piece);
		off += k;
	}
	log_flush(l);
	return telnet_parser_pending(&p);
}

/* The reference: one byte at a time, as the RFCs read. */
enum ref_state { R_DATA, R_IAC, R_VERB, R_SB_OPT, R_SB, R_SB_IAC };

static int reference(const unsigned char *in, size_t n, struct log *l)
{
	enum ref_state st = R_DATA;
	unsigned char verb = 0, opt = 0, sb[TELNET_SB_MAX];
	size_t sb_len = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = in[i];

		switch (st) {
		case R_DATA:
			if (c == TELNET_IAC)
				st = R_IAC;
			else
				log_data(l, &c, 1);
			break;
		case R_SB_IAC:
			if (c == TELNET_IAC) {
				if (sb_len < TELNET_SB_MAX)
					sb[sb_len] = c;
				sb_len++;
				st = R_SB;
				break;
			}
			if (c == TELNET_SE) {
				log_flush(l);
				if (sb_len > TELNET_SB_MAX)
					log_rec(l, 'E', TELNET_ERR_SB_TOO_LONG,
					    opt, NULL, 0);
				else
					log_rec(l, 'S', opt, 0, sb, sb_len);
				st = R_DATA;
				break;
			}
			log_flush(l);
			log_rec(l, 'E', TELNET_ERR_SB_INTERRUPTED, opt, NULL,
			    0);
			/* fall through: c is a command after IAC */
		case R_IAC:
			st = R_DATA;
			if (c == TELNET_IAC) {
				log_data(l, &c, 1);
			} else if (c >= TELNET_NOP && c <= TELNET_GA) {
				log_flush(l);
				log_rec(l, 'C', c, 0, NULL, 0);
			} else if (c >= TELNET_WILL && c <= TELNET_DONT) {
				verb = c;
				st = R_VERB;
			} else if (c == TELNET_SB) {
				st = R_SB_OPT;
			} else {
				log_flush(l);
				log_rec(l, 'E', c == TELNET_SE ?
				    TELNET_ERR_STRAY_SE :
				    TELNET_ERR_UNKNOWN_COMMAND, c, NULL, 0);
			}
			break;
		case R_VERB:
			log_flush(l);
			log_rec(l, 'N', verb, c, NULL, 0);
			st = R_DATA;
			break;
		case R_SB_OPT:
			opt = c;
			sb_len = 0;
			st = R_SB;
			break;
		case R_SB:
			if (c == TELNET_IAC) {
				st = R_SB_IAC;
			} else {
				if (sb_len < TELNET_SB_MAX)
					sb[sb_len] = c;
				if (sb_len <= TELNET_SB_MAX)
					sb_len++;
			}
			break;
		}
		if (sb_len > TELNET_SB_MAX)
			sb_len = TELNET_SB_MAX + 1;
	}
	log_flush(l);
	return st != R_DATA;
}

static void log_free(struct log *l)
{
	free(l->b);
	free(l->data);
}

static int same(const struct log *a, const struct log *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->b, b->b, a->len) == 0);
}

/* The encoder: whole and sliced agree; the output parses back as data
 * only, equal to the output with IAC IAC undone. */
static void check_encoder(const unsigned char *in, size_t n, uint32_t seed)
{
	unsigned char *whole = malloc(TELNET_ENCODE_MAX(n));
	unsigned char *sliced = malloc(TELNET_ENCODE_MAX(n));
	unsigned char *undone = malloc(TELNET_ENCODE_MAX(n));
	struct telnet_encoder e;
	struct log l = { 0 };
	size_t wn, sn = 0, un = 0, off = 0;

	CHECK(whole && sliced && undone);
	telnet_encoder_init(&e);
	wn = telnet_encode(&e, in, n, whole);
	CHECK(wn <= TELNET_ENCODE_MAX(n));
	wn += telnet_encode_flush(&e, whole + wn);

	telnet_encoder_init(&e);
	while (off < n) {
		size_t k = 1 + next(&seed) % 16;

		if (k > n - off)
			k = n - off;
		sn += telnet_encode(&e, in + off, k, sliced + sn);
		off += k;
	}
	sn += telnet_encode_flush(&e, sliced + sn);
	CHECK(sn == wn && (wn == 0 || memcmp(whole, sliced, wn) == 0));

	for (size_t i = 0; i < wn; i++) {
		undone[un++] = whole[i];
		if (whole[i] == TELNET_IAC) {
			CHECK(i + 1 < wn && whole[i + 1] == TELNET_IAC);
			i++;
		}
		/* Every CR is followed by LF or NUL. */
		if (whole[i] == '\r')
			CHECK(i + 1 < wn && (whole[i + 1] == '\n' ||
			    whole[i + 1] == '\0'));
	}
	CHECK(parse_sliced(whole, wn, 0, 0, &l) == 0);
	CHECK(l.len == (un ? 3 + sizeof(size_t) + un : 0));
	if (un > 0)
		CHECK(l.b[0] == 'D' && memcmp(l.b + 3 + sizeof(size_t), undone,
		    un) == 0);
	log_free(&l);
	free(whole);
	free(sliced);
	free(undone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log whole = { 0 }, sliced = { 0 }, bytes = { 0 }, ref = { 0 };
	uint32_t seed;
	int pw, ps, pb, pr;

	if (size < 2)
		return 0;
	seed = 0x9e3779b9u ^ ((uint32_t)data[0] << 8 | data[1]);
	data += 2;
	size -= 2;

	pw = parse_sliced(data, size, 0, seed, &whole);
	ps = parse_sliced(data, size, 2 + data[-1] % 64, seed, &sliced);
	pb = parse_sliced(data, size, 1, seed, &bytes);
	pr = reference(data, size, &ref);
	CHECK(same(&whole, &sliced) && pw == ps);
	CHECK(same(&whole, &bytes) && pw == pb);
	CHECK(same(&whole, &ref) && pw == pr);
	log_free(&whole);
	log_free(&sliced);
	log_free(&bytes);
	log_free(&ref);

	check_encoder(data, size, seed);
	return 0;
}
