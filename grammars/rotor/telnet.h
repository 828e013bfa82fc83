/*
 * <rotor/telnet.h>: librotor-telnet, the telnet protocol (RFC 854, 855,
 * 1143) for rotor programs.
 *
 * The concept: telnet is a byte stream with commands in it, and the
 * library gives it in three layers, each usable without the next.
 *
 *  - The codec, which neither allocates nor does I/O: telnet_parse() is a
 *    push parser (a Ragel grammar) that takes what the server sends, in
 *    buffers of any size, and reports runs of data, commands, option
 *    negotiation and subnegotiations through callbacks; telnet_encode()
 *    is the other way, escaping 0xFF as IAC IAC and sending line ends as
 *    CR LF (a lone CR as CR NUL).
 *  - Option negotiation by the Q method of RFC 1143 (struct telnet_q):
 *    it answers every request once, never acknowledges the mode in
 *    effect again, and so cannot loop with a peer; its policy says which
 *    options each side may perform.
 *  - A client session (struct telnet_client): two rotor machines
 *    (grammars/telnet.rsm) in the caller's loop.  telnet_net connects,
 *    parses, answers negotiation and hands the server's data to the
 *    program; telnet_tty reads the program's input from a descriptor,
 *    encodes it and sends it, reading no faster than the socket drains.
 *    The program keeps the terminal, the screen and the messages: it
 *    gets callbacks for what happens.
 *
 * Names are telnet_* and TELNET_*, like librotor-http's http_*: the
 * protocol's own words, and rotor_* stays librotor's.  The codec and the
 * negotiation cannot fail: their calls return lengths or nothing.  The
 * client's calls follow <rotor/error.h> (0 or a negative ROTOR_E* code;
 * NULL plus rotor_last_code() and rotor_last_error()).  Everything of a
 * client runs on its loop's thread.
 *
 * Link with librotor-telnet and librotor (pkg-config rotor-telnet); the
 * guide is doc/telnet.md, or rotor-telnet(3).
 */
#ifndef ROTOR_TELNET_H
#define ROTOR_TELNET_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== the codec (RFC 854, 855) ======================================= */

/* Two small codecs, neither of which allocates.  telnet_parse() keeps its
 * state between buffers, so a stream fed whole or one byte at a time
 * gives the same data and the same events; telnet_encode() is
 * streaming-safe as well. */

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

/* Option codes (IANA's assigned numbers), for telnet_q_set_accept(). */
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

/* The parser's state.  Plain data: embed it anywhere, no cleanup.  The
 * fields are private; the struct is complete only so that it needs no
 * allocation. */
struct telnet_parser {
	int cs;			/* Ragel's current state */
	unsigned char verb;	/* WILL/WONT/DO/DONT being read */
	unsigned char sb_opt;	/* option of the subnegotiation being read */
	size_t sb_len;		/* payload length so far, may exceed the cap */
	unsigned char sb_buf[TELNET_SB_MAX];
};

/* Prepares p for a new stream.  Cannot fail. */
void telnet_parser_init(struct telnet_parser *p);

/* Parses len bytes of the stream from the server, calling cb's members
 * with arg as they are recognised.  A command cut by the buffer's end is
 * completed by the next call.  Cannot fail: protocol errors go to
 * cb->error and parsing goes on. */
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
	bool after_cr;		/* private: last byte sent was a CR of ours */
};

/* Output bytes telnet_encode() may produce for len input bytes. */
#define TELNET_ENCODE_MAX(len) (2 * (size_t)(len) + 1)

/* Prepares e for a new stream.  Cannot fail. */
void telnet_encoder_init(struct telnet_encoder *e);

/* Encodes len bytes of in into out, which must hold
 * TELNET_ENCODE_MAX(len) bytes; returns the number written. */
size_t telnet_encode(struct telnet_encoder *e, const unsigned char *in,
    size_t len, unsigned char *out);

/* Ends a pending CR (writes its NUL if the last byte encoded was a CR):
 * call it when no more input follows, or when an interactive client
 * wants a lone CR completed now.  out must hold 1 byte; returns 0 or 1. */
size_t telnet_encode_flush(struct telnet_encoder *e, unsigned char *out);

/* ==== option negotiation (RFC 1143, the Q method) ==================== */

/* For every option the state of each side, "us" (options we perform,
 * asked for by DO/DONT, answered by WILL/WONT) and "him" (options the
 * peer performs, asked for by WILL/WONT, answered by DO/DONT), is one of
 * NO, YES, WANTNO, WANTYES, with a queue bit for a request of the
 * opposite sense made while one is pending.  Every request gets one
 * answer and the mode in effect is never acknowledged again, so two such
 * peers cannot loop, whatever each agrees to.  Nothing is allocated:
 * replies go to the caller's buffer, to send as they are. */

/* Bytes of the longest reply (IAC verb option). */
#define TELNET_Q_REPLY_MAX 3

enum telnet_q_side {
	TELNET_Q_US,		/* we perform the option (DO/DONT to us) */
	TELNET_Q_HIM		/* the peer does (WILL/WONT from him) */
};

enum telnet_q_state {
	TELNET_Q_NO = 0,
	TELNET_Q_YES,
	TELNET_Q_WANTNO,	/* we asked to disable, no answer yet */
	TELNET_Q_WANTYES	/* we asked to enable, no answer yet */
};

/* The option states and the policy.  Plain data, like the parser's; read
 * it through the calls below. */
struct telnet_q {
	/* Per option: bits 0-1 us state, bit 2 us queue, bits 3-4 him
	 * state, bit 5 him queue (RFC 1143's OPPOSITE). */
	unsigned char opt[256];
	/* Policy bitmaps: options we agree to perform / let him perform. */
	unsigned char accept_us[32];
	unsigned char accept_him[32];
	/* Answers that RFC 1143 calls errors (a peer that answered DONT
	 * with WILL, say), for diagnostics; they are handled all the same. */
	unsigned long errors;
};

/* All options off; the policy of a plain client: we perform nothing and
 * let the server perform ECHO and SUPPRESS-GO-AHEAD only. */
void telnet_q_init(struct telnet_q *q);

/* Whether we agree when the peer asks (DO for us, WILL for him).  Only
 * future requests are affected; an option in effect stays so. */
void telnet_q_set_accept(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, bool accept);

/* Handles a received IAC verb opt (verb: TELNET_WILL, _WONT, _DO,
 * _DONT; any other verb is ignored).  Writes the reply, if one is due,
 * to out (TELNET_Q_REPLY_MAX bytes) and returns its length, 0 or 3. */
size_t telnet_q_receive(struct telnet_q *q, unsigned char verb,
    unsigned char opt, unsigned char *out);

/* Asks to enable or disable an option on one side, as RFC 1143 does for
 * the user: writes the request into out and returns its length, or
 * queues it behind a pending one (returns 0), or returns 0 when it is
 * already in effect or asked for. */
size_t telnet_q_request(struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt, bool enable, unsigned char *out);

/* The state of opt on one side. */
enum telnet_q_state telnet_q_state(const struct telnet_q *q,
    enum telnet_q_side side, unsigned char opt);

/* True when the option is in effect on that side (state YES). */
bool telnet_q_enabled(const struct telnet_q *q, enum telnet_q_side side,
    unsigned char opt);

/* True when the server echoes what we send, so we must not echo locally. */
bool telnet_q_remote_echo(const struct telnet_q *q);

/* ==== the client session ============================================== */

struct rotor_loop;

/* One client connection and its input (opaque). */
struct telnet_client;

/* Why a session ended (telnet_client_ops' ended). */
enum telnet_end {
	TELNET_END_CLOSED,	/* the server closed the connection */
	TELNET_END_CUT,		/* ... inside a telnet command */
	TELNET_END_NO_CONNECTION, /* connecting failed or timed out (10 s) */
	TELNET_END_LOST,	/* the connection broke */
	TELNET_END_ABORTED,	/* the program's flush asked to end it */
	TELNET_END_STOPPED	/* the loop was freed while it was alive */
};

/* What the session tells the program, on the loop's thread, with the app
 * pointer given to telnet_client_new().  Any member may be NULL. */
struct telnet_client_ops {
	/* The connection is up: the input is read from now on. */
	void (*connected)(void *app);
	/* Data from the server, every telnet command taken out and a CR
	 * NUL made a bare CR (RFC 854): a run of bytes valid during the
	 * call only, never empty.  Several calls may come per read. */
	void (*data)(void *app, const unsigned char *buf, size_t len);
	/* After the data of one read: the time to write it out.  Returns
	 * 0, or -1 to end the session (the output failed, say). */
	int (*flush)(void *app);
	/* The server started or stopped echoing what we send (the ECHO
	 * option); the program's terminal should then not echo, or echo
	 * again. */
	void (*echo)(void *app, bool remote_echo);
	/* The session ended, once, with err 0 or a negative code that
	 * rotor_strerror() words (-ETIMEDOUT for a connection that did not
	 * come up in time). */
	void (*ended)(void *app, enum telnet_end how, int err);
};

/* A session to host (a name or a numeric address) and port (a number or
 * a service name), sending what can be read from in_fd (a socket, a pipe,
 * a terminal: any descriptor the loop can wait on; -1 for no input, in
 * which case our side of the connection is shut once it is up).  From a
 * successful call on, in_fd is the session's: it is closed when the
 * input machine ends, or by telnet_client_free().  When the input ends,
 * the connection is half-closed once the last byte is sent, and the
 * session goes on until the server closes it.  The policy of
 * telnet_q_init() applies.  Returns the session, or NULL with
 * rotor_last_code() ROTOR_EINVAL (host, port or ops NULL) or
 * ROTOR_ENOMEM; in_fd is then not taken. */
struct telnet_client *telnet_client_new(const char *host, const char *port,
    int in_fd, const struct telnet_client_ops *ops, void *app);

/* Starts the session's machines in loop: it connects as the loop runs.
 * The loop may hold any other machines; it must outlive the session.
 * Once per session.  Returns 0, or ROTOR_EINVAL (c or loop NULL),
 * ROTOR_EBUSY (started before), or a failure of rotor_spawn(). */
int telnet_client_start(struct telnet_client *c, struct rotor_loop *loop);

/* Frees the session; call it once its machines are gone: after `ended`
 * and a return of rotor_loop_run(), or after rotor_loop_free() (which
 * ends them).  Closes in_fd if no machine took it.  NULL is allowed. */
void telnet_client_free(struct telnet_client *c);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_TELNET_H */
