/* telnet.rl: the telnet byte stream from the server (RFC 854, 855) as a
 * Ragel push parser.  Compiled with `ragel -G2` into telnet.c.
 *
 * The whole stream is one regular language, so the machine's state (tp->cs)
 * is all that carries over between buffers, with the negotiation verb and
 * the subnegotiation being read.  Data bytes in the data state are a
 * self-loop without actions: a run is reported as one span of the buffer,
 * cut only by an IAC or the buffer's end.
 */
#include "rotor/telnet.h"

#include <string.h>

%%{
	machine tn;
	alphtype unsigned char;
	access tp->;

	IAC = 255;
	SB = 250;
	SE = 240;
	cmd = 241..249;		# NOP DM BRK IP AO AYT EC EL GA
	verb = 251..254;	# WILL WONT DO DONT
	unknown = 0..239;

	# Data mode ends at an IAC: report the run before it.
	action flush {
		if (run != NULL && fpc > run && cb->data != NULL)
			cb->data(arg, run, (size_t)(fpc - run));
		run = NULL;
	}
	# Back in data mode after a command: the next run starts after it.
	action resume { run = fpc + 1; }
	# IAC IAC: the second byte is a literal 0xFF and opens the next run.
	action literal { run = fpc; }

	action command {
		if (cb->command != NULL)
			cb->command(arg, fc);
	}
	action verb { tp->verb = fc; }
	action negotiate {
		if (cb->negotiate != NULL)
			cb->negotiate(arg, tp->verb, fc);
	}
	action unknown { report(cb, arg, TELNET_ERR_UNKNOWN_COMMAND, fc); }
	action stray_se { report(cb, arg, TELNET_ERR_STRAY_SE, fc); }

	action sb_begin {
		tp->sb_opt = fc;
		tp->sb_len = 0;
	}
	# Keeps the first TELNET_SB_MAX bytes; counts one past to know that
	# the payload was too long, and no further (no overflow).
	action sb_put {
		if (tp->sb_len < TELNET_SB_MAX)
			tp->sb_buf[tp->sb_len] = fc;
		if (tp->sb_len <= TELNET_SB_MAX)
			tp->sb_len++;
	}
	action sb_end {
		if (tp->sb_len > TELNET_SB_MAX)
			report(cb, arg, TELNET_ERR_SB_TOO_LONG, tp->sb_opt);
		else if (cb->subnegotiation != NULL)
			cb->subnegotiation(arg, tp->sb_opt, tp->sb_buf,
			    tp->sb_len);
	}
	action sb_interrupt {
		report(cb, arg, TELNET_ERR_SB_INTERRUPTED, tp->sb_opt);
	}

	# After an IAC, a command that is complete in itself.
	iac_cmd = cmd @command
		| verb @verb any @negotiate
		| unknown @unknown;

	# Payload bytes, with IAC IAC as a literal 0xFF.
	sb_body = ( (any - IAC) @sb_put | IAC IAC @sb_put )*;

	# SB opt payload, up to IAC SE.  Inside it, IAC followed by anything
	# else ends the payload unreported (RFC 855 leaves this undefined;
	# like BSD telnet, we take it that the IAC SE was left off, rather
	# than swallow the rest of the stream) and is parsed as a command
	# outside SB.  IAC SB so opens the next subnegotiation.
	sb_chain = SB any @sb_begin sb_body
		( IAC SB @sb_interrupt any @sb_begin sb_body )*
		IAC ( SE @sb_end | iac_cmd >sb_interrupt );

	iac_seq = IAC >flush (
		  IAC @literal
		| iac_cmd @resume
		| SE @stray_se @resume
		| sb_chain @resume
	);

	main := ( (any - IAC) | iac_seq )*;
}%%

%% write data noerror nofinal noentry;

static void report(const struct telnet_callbacks *cb, void *arg,
    enum telnet_error err, unsigned char byte)
{
	if (cb->error != NULL)
		cb->error(arg, err, byte);
}

void telnet_parser_init(struct telnet_parser *tp)
{
	memset(tp, 0, sizeof(*tp));
	%% write init;
}

bool telnet_parser_pending(const struct telnet_parser *tp)
{
	return tp->cs != tn_start;
}

/* Ragel's goto-driven code falls from one labelled block into the next on
 * purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
void telnet_parse(struct telnet_parser *tp, const unsigned char *buf,
    size_t len, const struct telnet_callbacks *cb, void *arg)
{
	const unsigned char *p = buf, *pe = buf + len;
	/* Start of the data run being read, NULL outside data mode.  The
	 * data state is the start state: every complete command leads back
	 * to it. */
	const unsigned char *run = tp->cs == tn_start ? buf : NULL;

	if (len == 0)
		return;
	%% write exec;
	if (run != NULL && pe > run && cb->data != NULL)
		cb->data(arg, run, (size_t)(pe - run));
}
#pragma GCC diagnostic pop
