/* telnet-parser.h: the telnet byte stream (RFC 854, 855), both ways.
 *
 * Example-protocol code for the telnet client, not part of librotor's
 * public API.  Two small codecs, neither of which allocates:
 *
 *  - telnet_parse(): a push parser (grammars/telnet.rl, compiled by
 *    Ragel).  It keeps its state between buffers, so a stream fed whole
 *    or one byte at a time gives the same data and the same events.
 *  - telnet_encode(): the output side; escapes 0xFF as IAC IAC and turns
 *    line ends into CR LF / CR NUL (RFC 854), also streaming-safe.
 */
#ifndef TELNET_PARSER_H
#define TELNET_PARSER_H

#include <stdbool.h>
#include <stddef.h>

/* Command bytes (RFC 854). */
enum {
	TELNET_SE = 240,	/* end of subnegotiation */
	TELNET_NOP = 241,
	TELNET_DM = 242,	/* data mark (the synch's end) */
	TELNET_BRK = 243,
	TELNET_IP = 244,	/* interrupt process */
	TELNET_AO = 245,	/* abort output */
	TELNET_AYT = 246,	/* are you there */
	TELNET_EC = 247,	/* erase character */
	TELNET_EL = 248,	/* erase line */
	TELNET_GA = 249,	/* go ahead */
	TELNET_SB = 250,	/* start of subnegotiation */
	TELNET_WILL = 251,
	TELNET_WONT = 252,
	TELNET_DO = 253,
	TELNET_DONT = 254,
	TELNET_IAC = 255
};

/* Option codes the example uses or names in tests (assigned numbers). */
enum {
	TELNET_OPT_BINARY = 0,
	TELNET_OPT_ECHO = 1,
	TELNET_OPT_SGA = 3,		/* suppress go ahead */
	TELNET_OPT_STATUS = 5,
	TELNET_OPT_TIMING_MARK = 6,
	TELNET_OPT_TTYPE = 24,		/* terminal type */
	TELNET_OPT_NAWS = 31,		/* window size */
	TELNET_OPT_TSPEED = 32,
	TELNET_OPT_LFLOW = 33,
	TELNET_OPT_LINEMODE = 34,
	TELNET_OPT_XDISPLOC = 35,
	TELNET_OPT_OLD_ENVIRON = 36,
	TELNET_OPT_AUTHENTICATION = 37,
	TELNET_OPT_ENCRYPT = 38,
	TELNET_OPT_NEW_ENVIRON = 39,
	TELNET_OPT_EXOPL = 255
};

/* Largest subnegotiation payload delivered; longer ones are skipped. */
#define TELNET_SB_MAX 256

/* Protocol errors.  None stops the parser: each is reported, the bytes
 * concerned are dropped, and parsing goes on in sync. */
enum telnet_error {
	/* IAC followed by a byte that is no command (0..239); both bytes
	 * are dropped.  The byte is passed along. */
	TELNET_ERR_UNKNOWN_COMMAND = 1,
	/* IAC SE outside a subnegotiation; dropped. */
	TELNET_ERR_STRAY_SE,
	/* Inside SB, IAC followed by neither SE nor IAC.  The subnegotiation
	 * is dropped as if IAC SE had been left off, and the IAC and that
	 * byte are parsed as a command outside SB (so IAC DO X still gets an
	 * answer, and IAC SB opens a new subnegotiation).  The option of
	 * the dropped subnegotiation is passed along. */
	TELNET_ERR_SB_INTERRUPTED,
	/* A subnegotiation's payload exceeded TELNET_SB_MAX bytes; it is
	 * skipped whole, reported when its IAC SE arrives.  The option is
	 * passed along. */
	TELNET_ERR_SB_TOO_LONG
};

/* What the parser reports.  Any member may be NULL (the event is then
 * ignored).  A callback must not call telnet_parse() on the same parser. */
struct telnet_callbacks {
	/* A run of data bytes: a span of the buffer given to telnet_parse(),
	 * valid during the call only.  One call per run of plain data; an
	 * IAC IAC contributes its second byte (a literal 0xFF) to the run
	 * that follows it.  Never empty. */
	void (*data)(void *arg, const unsigned char *buf, size_t len);
	/* IAC followed by one of NOP, DM, BRK, IP, AO, AYT, EC, EL, GA. */
	void (*command)(void *arg, unsigned char cmd);
	/* IAC WILL/WONT/DO/DONT opt; opt may be any byte, 255 included. */
	void (*negotiate)(void *arg, unsigned char verb, unsigned char opt);
	/* IAC SB opt payload IAC SE, with IAC IAC in the payload undone.
	 * payload is the parser's own buffer, valid during the call only. */
	void (*subnegotiation)(void *arg, unsigned char opt,
	    const unsigned char *payload, size_t len);
	/* A protocol error; byte as described for each error. */
	void (*error)(void *arg, enum telnet_error err, unsigned char byte);
};

/* The parser's state.  Plain data: embed it anywhere, no cleanup. */
struct telnet_parser {
	int cs;			/* Ragel's current state */
	unsigned char verb;	/* WILL/WONT/DO/DONT being read */
	unsigned char sb_opt;	/* option of the subnegotiation being read */
	size_t sb_len;		/* payload length so far, may exceed the cap */
	unsigned char sb_buf[TELNET_SB_MAX];
};

/* Prepares p for a new stream. */
void telnet_parser_init(struct telnet_parser *p);

/* Parses len bytes of the stream from the server, calling cb's members
 * with arg as they are recognised.  A command cut by the buffer's end is
 * completed by the next call. */
void telnet_parse(struct telnet_parser *p, const unsigned char *buf,
    size_t len, const struct telnet_callbacks *cb, void *arg);

/* True when the stream so far ends inside a command or subnegotiation
 * (say, to tell a clean end of stream from a cut one). */
bool telnet_parser_pending(const struct telnet_parser *p);

/* Output side.  Escapes 0xFF as IAC IAC; a bare LF becomes CR LF, CR LF
 * stays CR LF, and a CR followed by anything else becomes CR NUL.  A CR
 * at the end of a buffer is sent at once; whether NUL follows it is
 * decided by the next byte, so line ends split across buffers come out
 * right. */
struct telnet_encoder {
	bool after_cr;		/* last byte sent was a CR of ours */
};

/* Output bytes telnet_encode() may produce for len input bytes. */
#define TELNET_ENCODE_MAX(len) (2 * (size_t)(len) + 1)

void telnet_encoder_init(struct telnet_encoder *e);

/* Encodes len bytes of in into out, which must hold
 * TELNET_ENCODE_MAX(len) bytes; returns the number written. */
size_t telnet_encode(struct telnet_encoder *e, const unsigned char *in,
    size_t len, unsigned char *out);

/* Ends a pending CR (writes its NUL if the last byte encoded was a CR):
 * call it when no more input follows, or when an interactive client
 * wants a lone CR completed now.  out must hold 1 byte; returns 0 or 1. */
size_t telnet_encode_flush(struct telnet_encoder *e, unsigned char *out);

#endif
