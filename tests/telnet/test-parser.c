/* test-parser.c: the telnet grammar (grammars/telnet.rl).
 *
 * Every case is fed whole, one byte at a time, and cut in two at every
 * offset; each feeding must give the same event log.  The log writes data
 * runs merged between events, so a run cut by a buffer boundary compares
 * equal to the same run whole.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/telnet.h>

#define LOG_MAX 8192

struct rec {
	char log[LOG_MAX];
	size_t len;
	unsigned char data[LOG_MAX];	/* data not yet written to the log */
	size_t data_len;
	size_t data_calls;
	const unsigned char *buf, *end;	/* the buffer being parsed */
};

static void put(struct rec *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->log + r->len, LOG_MAX - r->len, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_lt(r->len + (size_t)n, LOG_MAX);
	r->len += (size_t)n;
}

/* Bytes as text: printable ASCII as is, the rest as \xNN. */
static void put_bytes(struct rec *r, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\')
			put(r, "%c", b[i]);
		else
			put(r, "\\x%02x", b[i]);
	}
}

static void sep(struct rec *r)
{
	if (r->len > 0)
		put(r, " ");
}

static void flush_data(struct rec *r)
{
	if (r->data_len == 0)
		return;
	sep(r);
	put(r, "D(");
	put_bytes(r, r->data, r->data_len);
	put(r, ")");
	r->data_len = 0;
}

static void on_data(void *arg, const unsigned char *b, size_t n)
{
	struct rec *r = arg;

	ck_assert_uint_gt(n, 0);
	ck_assert(b >= r->buf && b + n <= r->end);	/* a span of buf */
	ck_assert_uint_le(r->data_len + n, sizeof(r->data));
	memcpy(r->data + r->data_len, b, n);
	r->data_len += n;
	r->data_calls++;
}

static void on_command(void *arg, unsigned char cmd)
{
	struct rec *r = arg;

	flush_data(r);
	sep(r);
	put(r, "C%u", cmd);
}

static void on_negotiate(void *arg, unsigned char verb, unsigned char opt)
{
	struct rec *r = arg;
	static const char *const name[] = { "WILL", "WONT", "DO", "DONT" };

	ck_assert(verb >= TELNET_WILL && verb <= TELNET_DONT);
	flush_data(r);
	sep(r);
	put(r, "%s%u", name[verb - TELNET_WILL], opt);
}

static void on_subneg(void *arg, unsigned char opt, const unsigned char *b,
    size_t n)
{
	struct rec *r = arg;

	ck_assert_uint_le(n, TELNET_SB_MAX);
	flush_data(r);
	sep(r);
	put(r, "S%u(", opt);
	put_bytes(r, b, n);
	put(r, ")");
}

static void on_error(void *arg, enum telnet_error err, unsigned char byte)
{
	struct rec *r = arg;

	flush_data(r);
	sep(r);
	put(r, "E%d/%u", (int)err, byte);
}

static const struct telnet_callbacks cbs = {
	.data = on_data,
	.command = on_command,
	.negotiate = on_negotiate,
	.subnegotiation = on_subneg,
	.error = on_error,
};

static void feed(struct telnet_parser *p, struct rec *r,
    const unsigned char *b, size_t n)
{
	r->buf = b;
	r->end = b + n;
	telnet_parse(p, b, n, &cbs, r);
}

/* Feeds in in pieces of the sizes in cuts (0-terminated, the rest last),
 * each piece copied to a buffer of its own so that a span outside it
 * would be caught; returns the log and whether a command is pending. */
static void run_cuts(const unsigned char *in, size_t n, const size_t *cuts,
    struct rec *r, bool *pending)
{
	struct telnet_parser p;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	telnet_parser_init(&p);
	while (off < n) {
		size_t k = *cuts ? *cuts++ : n - off;
		unsigned char *piece;

		if (k > n - off)
			k = n - off;
		piece = malloc(k ? k : 1);
		ck_assert_ptr_nonnull(piece);
		memcpy(piece, in + off, k);
		feed(&p, r, piece, k);
		free(piece);
		off += k;
	}
	flush_data(r);
	*pending = telnet_parser_pending(&p);
}

/* The log of in fed whole, checked against every other feeding. */
static void check_all_feedings(const char *name, const unsigned char *in,
    size_t n, const char *expect, bool expect_pending)
{
	static struct rec whole, other;
	size_t none[] = { 0 };
	size_t *ones = calloc(n + 1, sizeof(size_t));
	bool pend, pend2;

	ck_assert_ptr_nonnull(ones);
	run_cuts(in, n, none, &whole, &pend);
	ck_assert_msg(strcmp(whole.log, expect) == 0,
	    "%s, whole: got \"%s\", want \"%s\"", name, whole.log, expect);
	ck_assert_msg(pend == expect_pending, "%s: pending %d", name, pend);

	for (size_t i = 0; i < n; i++)
		ones[i] = 1;
	run_cuts(in, n, ones, &other, &pend2);
	ck_assert_msg(strcmp(other.log, expect) == 0,
	    "%s, bytewise: got \"%s\", want \"%s\"", name, other.log,
	    expect);
	ck_assert_msg(pend2 == expect_pending, "%s: pending %d", name, pend2);
	free(ones);

	for (size_t cut = 1; cut < n; cut++) {
		size_t two[] = { cut, 0 };

		run_cuts(in, n, two, &other, &pend2);
		if (strcmp(other.log, expect) != 0)
			ck_abort_msg("%s, cut at %zu: got \"%s\", want \"%s\"",
			    name, cut, other.log, expect);
		ck_assert_msg(pend2 == expect_pending, "%s: pending %d", name,
		    pend2);
	}
}

#define S(lit) (const unsigned char *)(lit), sizeof(lit) - 1

struct pcase {
	const char *name;
	const unsigned char *in;
	size_t len;
	const char *expect;
	bool pending;
};

static const struct pcase cases[] = {
	{ "empty", S(""), "", false },
	{ "data only", S("hello, world"), "D(hello, world)", false },
	{ "IAC IAC in data", S("a\xff\xff" "b"), "D(a\\xffb)", false },
	{ "IAC IAC alone", S("\xff\xff"), "D(\\xff)", false },
	{ "IAC IAC twice", S("\xff\xff\xff\xff"), "D(\\xff\\xff)", false },
	{ "IAC at the end", S("ab\xff"), "D(ab)", true },
	{ "NOP", S("x\xff\xf1y"), "D(x) C241 D(y)", false },
	{ "DM", S("x\xff\xf2y"), "D(x) C242 D(y)", false },
	{ "BRK", S("x\xff\xf3y"), "D(x) C243 D(y)", false },
	{ "IP", S("x\xff\xf4y"), "D(x) C244 D(y)", false },
	{ "AO", S("x\xff\xf5y"), "D(x) C245 D(y)", false },
	{ "AYT", S("x\xff\xf6y"), "D(x) C246 D(y)", false },
	{ "EC", S("x\xff\xf7y"), "D(x) C247 D(y)", false },
	{ "EL", S("x\xff\xf8y"), "D(x) C248 D(y)", false },
	{ "GA", S("x\xff\xf9y"), "D(x) C249 D(y)", false },
	{ "commands back to back", S("\xff\xf1\xff\xf9\xff\xf6"),
	  "C241 C249 C246", false },
	{ "WILL ECHO", S("\xff\xfb\x01"), "WILL1", false },
	{ "WONT SGA", S("\xff\xfc\x03"), "WONT3", false },
	{ "DO TTYPE", S("\xff\xfd\x18"), "DO24", false },
	{ "DONT NAWS", S("\xff\xfe\x1f"), "DONT31", false },
	{ "DO option 255", S("a\xff\xfd\xff" "b"), "D(a) DO255 D(b)", false },
	{ "WILL option 255", S("\xff\xfb\xff\xff\xff"),
	  "WILL255 D(\\xff)", false },
	{ "WONT option 240 (SE)", S("\xff\xfc\xf0"), "WONT240", false },
	{ "DO option 250 (SB)", S("\xff\xfd\xfa"), "DO250", false },
	{ "DO option 0", S("\xff\xfd\x00z"), "DO0 D(z)", false },
	{ "verb cut before option", S("\xff\xfd"), "", true },
	{ "SB with payload", S("\xff\xfa\x18\x01\xff\xf0"),
	  "S24(\\x01)", false },
	{ "SB TTYPE IS", S("a\xff\xfa\x18\x00xterm\xff\xf0" "b"),
	  "D(a) S24(\\x00xterm) D(b)", false },
	{ "SB empty", S("\xff\xfa\x1f\xff\xf0"), "S31()", false },
	{ "IAC IAC inside SB", S("\xff\xfa\x18" "a\xff\xff" "b\xff\xf0"),
	  "S24(a\\xffb)", false },
	{ "SB payload IAC IAC only", S("\xff\xfa\x05\xff\xff\xff\xff\xff\xf0"),
	  "S5(\\xff\\xff)", false },
	{ "SB option 255", S("\xff\xfa\xff" "ab\xff\xf0"), "S255(ab)", false },
	{ "SB holds SE and SB bytes", S("\xff\xfa\x18\xf0\xfa\xff\xf0"),
	  "S24(\\xf0\\xfa)", false },
	{ "SB unterminated", S("x\xff\xfa\x18" "abc"), "D(x)", true },
	{ "SB cut after IAC", S("\xff\xfa\x18" "abc\xff"), "", true },
	{ "SB cut after SB", S("\xff\xfa"), "", true },
	{ "SB interrupted by WILL",
	  S("\xff\xfa\x18" "ab\xff\xfb\x01" "c"),
	  "E3/24 WILL1 D(c)", false },
	{ "SB interrupted by NOP", S("\xff\xfa\x18\xff\xf1z"),
	  "E3/24 C241 D(z)", false },
	{ "SB interrupted by SB",
	  S("\xff\xfa\x18" "ab\xff\xfa\x1f" "xy\xff\xf0"),
	  "E3/24 S31(xy)", false },
	{ "SB interrupted by unknown", S("\xff\xfa\x18\xff\x07q"),
	  "E3/24 E1/7 D(q)", false },
	{ "IAC unknown", S("a\xff\x07" "b"), "D(a) E1/7 D(b)", false },
	{ "IAC 0", S("\xff\x00"), "E1/0", false },
	{ "IAC 239", S("\xff\xef" "b"), "E1/239 D(b)", false },
	{ "stray SE", S("a\xff\xf0" "b"), "D(a) E2/240 D(b)", false },
	{ "CR NUL and CR LF pass", S("a\r\0b\r\nc"),
	  "D(a\\x0d\\x00b\\x0d\\x0ac)", false },
	{ "telnetd greeting",
	  S("\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"
	    "\xff\xfb\x01\xff\xfb\x03\xff\xfd\x1f\xff\xfd\x21"
	    "\xff\xfa\x18\x01\xff\xf0" "login: "),
	  "DO24 DO32 DO35 DO39 WILL1 WILL3 DO31 DO33 S24(\\x01) D(login: )",
	  false },
};

START_TEST(test_case)
{
	const struct pcase *c = &cases[_i];

	check_all_feedings(c->name, c->in, c->len, c->expect, c->pending);
}
END_TEST

/* Every verb with every option, between data. */
START_TEST(test_every_option)
{
	static const char *const name[] = { "WILL", "WONT", "DO", "DONT" };

	for (unsigned verb = TELNET_WILL; verb <= TELNET_DONT; verb++) {
		unsigned char in[5] = { 'a', TELNET_IAC, (unsigned char)verb,
		    (unsigned char)_i, 'b' };
		char expect[32];

		snprintf(expect, sizeof(expect), "D(a) %s%d D(b)",
		    name[verb - TELNET_WILL], _i);
		check_all_feedings(name[verb - TELNET_WILL], in, sizeof(in),
		    expect, false);
	}
}
END_TEST

/* Every byte after IAC, at the start of a stream and after data. */
START_TEST(test_every_command_byte)
{
	unsigned char in[4] = { 'a', TELNET_IAC, (unsigned char)_i, 'b' };
	char expect[64];

	if (_i == TELNET_IAC)
		snprintf(expect, sizeof(expect), "D(a\\xffb)");
	else if (_i >= TELNET_NOP && _i <= TELNET_GA)
		snprintf(expect, sizeof(expect), "D(a) C%d D(b)", _i);
	else if (_i >= TELNET_WILL)
		snprintf(expect, sizeof(expect), "D(a) %s98",
		    (const char *[]){ "WILL", "WONT", "DO", "DONT" }[_i - 251]);
	else if (_i == TELNET_SB)
		snprintf(expect, sizeof(expect), "D(a)");
	else if (_i == TELNET_SE)
		snprintf(expect, sizeof(expect), "D(a) E2/240 D(b)");
	else
		snprintf(expect, sizeof(expect), "D(a) E1/%d D(b)", _i);
	check_all_feedings("IAC byte", in, sizeof(in), expect,
	    _i == TELNET_SB);
}
END_TEST

/* A payload of n bytes framed as IAC SB 24 ... IAC SE, then "ok". */
static size_t framed_sb(unsigned char *out, size_t n, unsigned char fill)
{
	size_t k = 0;

	out[k++] = TELNET_IAC;
	out[k++] = TELNET_SB;
	out[k++] = TELNET_OPT_TTYPE;
	for (size_t i = 0; i < n; i++) {
		out[k++] = fill;
		if (fill == TELNET_IAC)
			out[k++] = TELNET_IAC;
	}
	out[k++] = TELNET_IAC;
	out[k++] = TELNET_SE;
	out[k++] = 'o';
	out[k++] = 'k';
	return k;
}

START_TEST(test_sb_at_cap)
{
	unsigned char in[2 * TELNET_SB_MAX + 16];
	size_t n = framed_sb(in, TELNET_SB_MAX, 'x');
	char expect[TELNET_SB_MAX + 32];

	strcpy(expect, "S24(");
	memset(expect + 4, 'x', TELNET_SB_MAX);
	strcpy(expect + 4 + TELNET_SB_MAX, ") D(ok)");
	check_all_feedings("SB at cap", in, n, expect, false);
}
END_TEST

START_TEST(test_sb_oversized)
{
	unsigned char in[4 * TELNET_SB_MAX];
	size_t n;

	n = framed_sb(in, TELNET_SB_MAX + 1, 'x');
	check_all_feedings("SB oversized", in, n, "E4/24 D(ok)", false);
	n = framed_sb(in, 3 * TELNET_SB_MAX, 'y');
	check_all_feedings("SB oversized", in, n, "E4/24 D(ok)", false);
	/* Escaped 0xFF count once each toward the cap. */
	n = framed_sb(in, TELNET_SB_MAX + 1, TELNET_IAC);
	check_all_feedings("SB oversized", in, n, "E4/24 D(ok)", false);
}
END_TEST

/* An SB left open at a buffer's end is completed by the next buffer;
 * nothing is reported before its IAC SE. */
START_TEST(test_sb_carries_over)
{
	static const unsigned char a[] = "\xff\xfa\x18" "abc";
	static const unsigned char b[] = "def\xff\xf0xyz";
	struct telnet_parser p;
	struct rec r;

	memset(&r, 0, sizeof(r));
	telnet_parser_init(&p);
	feed(&p, &r, a, sizeof(a) - 1);
	flush_data(&r);
	ck_assert_str_eq(r.log, "");
	ck_assert(telnet_parser_pending(&p));
	feed(&p, &r, b, sizeof(b) - 1);
	flush_data(&r);
	ck_assert_str_eq(r.log, "S24(abcdef) D(xyz)");
	ck_assert(!telnet_parser_pending(&p));
}
END_TEST

/* Data comes as one span per run: no per-byte calls, no copies. */
START_TEST(test_runs_coalesced)
{
	static const unsigned char in[] =
	    "abc\xff\xf1" "def\xff\xff" "ghi\xff\xfd\x01" "jk";
	struct telnet_parser p;
	struct rec r;

	memset(&r, 0, sizeof(r));
	telnet_parser_init(&p);
	feed(&p, &r, in, sizeof(in) - 1);
	flush_data(&r);
	ck_assert_str_eq(r.log, "D(abc) C241 D(def\\xffghi) DO1 D(jk)");
	/* abc | def | \xffghi | jk */
	ck_assert_uint_eq(r.data_calls, 4);
}
END_TEST

/* NULL callbacks are skipped. */
START_TEST(test_null_callbacks)
{
	static const unsigned char in[] =
	    "a\xff\xf1\xff\xfd\x01\xff\xfa\x18x\xff\xf0\xff\x07";
	static const struct telnet_callbacks none = { 0 };
	struct telnet_parser p;

	telnet_parser_init(&p);
	telnet_parse(&p, in, sizeof(in) - 1, &none, NULL);
	ck_assert(!telnet_parser_pending(&p));
}
END_TEST

static Suite *parser_suite(void)
{
	Suite *s = suite_create("telnet-parser");
	TCase *tc = tcase_create("grammar");

	tcase_add_loop_test(tc, test_case, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_every_option, 0, 256);
	tcase_add_loop_test(tc, test_every_command_byte, 0, 256);
	tcase_add_test(tc, test_sb_at_cap);
	tcase_add_test(tc, test_sb_oversized);
	tcase_add_test(tc, test_sb_carries_over);
	tcase_add_test(tc, test_runs_coalesced);
	tcase_add_test(tc, test_null_callbacks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parser_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
