/* telnet-encode.c: the client's output side of the telnet stream. */
#include "rotor/telnet.h"

void telnet_encoder_init(struct telnet_encoder *e)
{
	e->after_cr = false;
}

size_t telnet_encode(struct telnet_encoder *e, const unsigned char *in,
    size_t len, unsigned char *out)
{
	unsigned char *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];

		/* The CR before is sent already: LF makes it a CR LF, any
		 * other byte needs the NUL of a lone CR (RFC 854) first. */
		if (e->after_cr) {
			e->after_cr = false;
			if (c == '\n') {
				*o++ = '\n';
				continue;
			}
			*o++ = '\0';
		}
		switch (c) {
		case '\r':
			*o++ = '\r';
			e->after_cr = true;
			break;
		case '\n':
			*o++ = '\r';
			*o++ = '\n';
			break;
		case TELNET_IAC:
			*o++ = TELNET_IAC;
			*o++ = TELNET_IAC;
			break;
		default:
			*o++ = c;
		}
	}
	return (size_t)(o - out);
}

size_t telnet_encode_flush(struct telnet_encoder *e, unsigned char *out)
{
	if (!e->after_cr)
		return 0;
	e->after_cr = false;
	out[0] = '\0';
	return 1;
}
