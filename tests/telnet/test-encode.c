/* test-encode.c: the output encoder (grammars/telnet-encode.c).  Each
 * case is encoded whole, one byte at a time and cut in two at every
 * offset, then flushed; every feeding must give the same bytes. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/telnet.h>

#define OUT_MAX 256

/* Encodes in, in pieces cut at cut (0: whole; SIZE_MAX: bytewise). */
static size_t encode_cut(const unsigned char *in, size_t n, size_t cut,
    unsigned char *out)
{
	struct telnet_encoder e;
	size_t off = 0, k = 0;

	telnet_encoder_init(&e);
	while (off < n) {
		size_t piece = cut == SIZE_MAX ? 1 :
		    cut == 0 || off >= cut ? n - off : cut - off;
		size_t w = telnet_encode(&e, in + off, piece, out + k);

		ck_assert_uint_le(w, TELNET_ENCODE_MAX(piece));
		k += w;
		off += piece;
	}
	k += telnet_encode_flush(&e, out + k);
	ck_assert_uint_eq(telnet_encode_flush(&e, out + k), 0);
	return k;
}

#define S(lit) (const unsigned char *)(lit), sizeof(lit) - 1

struct ecase {
	const unsigned char *in;
	size_t len;
	const unsigned char *out;
	size_t out_len;
};

static const struct ecase cases[] = {
	{ S(""), S("") },
	{ S("plain text"), S("plain text") },
	{ S("a\xff" "b"), S("a\xff\xff" "b") },
	{ S("\xff\xff"), S("\xff\xff\xff\xff") },
	{ S("ls\n"), S("ls\r\n") },
	{ S("\n\n"), S("\r\n\r\n") },
	{ S("ls\r\n"), S("ls\r\n") },
	{ S("a\rb"), S("a\r\0b") },
	{ S("\r"), S("\r\0") },
	{ S("\r\r\n"), S("\r\0\r\n") },
	{ S("\r\xff"), S("\r\0\xff\xff") },
	{ S("\r\0"), S("\r\0\0") },
	{ S("\n\r"), S("\r\n\r\0") },
	{ S("x\r\n\r\ny"), S("x\r\n\r\ny") },
	{ S("\xf0\xf1\xfa\xfe"), S("\xf0\xf1\xfa\xfe") },
};

START_TEST(test_case)
{
	const struct ecase *c = &cases[_i];
	unsigned char out[OUT_MAX];
	size_t n;

	n = encode_cut(c->in, c->len, 0, out);
	ck_assert_uint_eq(n, c->out_len);
	ck_assert(memcmp(out, c->out, n) == 0);
	n = encode_cut(c->in, c->len, SIZE_MAX, out);
	ck_assert_uint_eq(n, c->out_len);
	ck_assert(memcmp(out, c->out, n) == 0);
	for (size_t cut = 1; cut < c->len; cut++) {
		n = encode_cut(c->in, c->len, cut, out);
		ck_assert_msg(n == c->out_len && memcmp(out, c->out, n) == 0,
		    "case %d cut at %zu differs", _i, cut);
	}
}
END_TEST

/* A CR at a buffer's end goes out at once; its NUL or LF follows with
 * the next buffer. */
START_TEST(test_cr_at_buffer_end)
{
	struct telnet_encoder e;
	unsigned char out[8];

	telnet_encoder_init(&e);
	ck_assert_uint_eq(telnet_encode(&e, S("\r"), out), 1);
	ck_assert_uint_eq(out[0], '\r');
	ck_assert_uint_eq(telnet_encode(&e, S("\n"), out), 1);
	ck_assert_uint_eq(out[0], '\n');
	ck_assert_uint_eq(telnet_encode(&e, S("\r"), out), 1);
	ck_assert_uint_eq(telnet_encode(&e, S("\xff"), out), 3);
	ck_assert(memcmp(out, "\0\xff\xff", 3) == 0);
}
END_TEST

/* The worst case meets TELNET_ENCODE_MAX. */
START_TEST(test_bound)
{
	struct telnet_encoder e;
	unsigned char out[TELNET_ENCODE_MAX(4)];

	telnet_encoder_init(&e);
	ck_assert_uint_eq(telnet_encode(&e, S("\r"), out), 1);
	ck_assert_uint_eq(telnet_encode(&e, S("\xff\r\xff\n"), out), 9);
	ck_assert_uint_eq(9, TELNET_ENCODE_MAX(4));
	telnet_encoder_init(&e);
	ck_assert_uint_eq(telnet_encode(&e, S("\xff\xff\xff\xff"), out), 8);
}
END_TEST

/* Round trip: what the encoder sends, the parser reads back as the same
 * data (line ends aside), with no command in it. */
static unsigned char rt_got[OUT_MAX];
static size_t rt_len;
static int rt_events;

static void rt_data(void *arg, const unsigned char *b, size_t n)
{
	ck_assert_uint_le(rt_len + n, sizeof(rt_got));
	memcpy(rt_got + rt_len, b, n);
	rt_len += n;
}

static void rt_command(void *arg, unsigned char cmd) { rt_events++; }

static void rt_negotiate(void *arg, unsigned char verb, unsigned char opt)
{
	rt_events++;
}

static void rt_error(void *arg, enum telnet_error err, unsigned char b)
{
	rt_events++;
}

START_TEST(test_round_trip)
{
	static const struct telnet_callbacks cb = {
		.data = rt_data, .command = rt_command,
		.negotiate = rt_negotiate, .error = rt_error,
	};
	uint32_t x = 2463534242u + (uint32_t)_i;
	unsigned char in[64], enc[TELNET_ENCODE_MAX(64)];
	struct telnet_encoder e;
	struct telnet_parser p;
	size_t n;

	for (size_t i = 0; i < sizeof(in); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		/* Bias toward the bytes that matter. */
		in[i] = (x & 3) == 0 ? 0xff : (unsigned char)(x >> 8);
		if (in[i] == '\r' || in[i] == '\n')
			in[i] = 'x';
	}
	telnet_encoder_init(&e);
	n = telnet_encode(&e, in, sizeof(in), enc);
	n += telnet_encode_flush(&e, enc + n);
	rt_len = 0;
	rt_events = 0;
	telnet_parser_init(&p);
	telnet_parse(&p, enc, n, &cb, NULL);
	ck_assert_int_eq(rt_events, 0);
	ck_assert(!telnet_parser_pending(&p));
	ck_assert_uint_eq(rt_len, sizeof(in));
	ck_assert(memcmp(rt_got, in, sizeof(in)) == 0);
}
END_TEST

static Suite *encode_suite(void)
{
	Suite *s = suite_create("telnet-encode");
	TCase *tc = tcase_create("encoder");

	tcase_add_loop_test(tc, test_case, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_cr_at_buffer_end);
	tcase_add_test(tc, test_bound);
	tcase_add_loop_test(tc, test_round_trip, 0, 200);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(encode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
