/*
 * telnet-codec.c: an outside program on the installed librotor-telnet,
 * built by tests/consumer/installcheck.sh with
 *
 *     cc -o telnet-codec telnet-codec.c $(pkg-config --cflags --libs rotor-telnet)
 *
 * It encodes a line for the wire, parses what a server might send, and
 * answers the server's negotiation by the Q method, checking each
 * result.  Prints "telnet-codec: ok" and exits 0, or says what differed
 * and exits 1.
 */
#include <stdio.h>
#include <string.h>

#include <rotor/telnet.h>

static int failures;

static void expect(const char *what, const void *got, size_t got_len,
                   const void *want, size_t want_len)
{
    if (got_len == want_len && memcmp(got, want, want_len) == 0)
        return;
    fprintf(stderr, "telnet-codec: %s: %zu bytes, not the %zu expected\n",
            what, got_len, want_len);
    failures++;
}

/* What the parser reports: the data, and the negotiation answered. */
struct seen {
    unsigned char data[64];
    size_t data_len;
    struct telnet_q q;
    unsigned char replies[16];
    size_t replies_len;
};

static void on_data(void *arg, const unsigned char *buf, size_t len)
{
    struct seen *s = arg;

    if (s->data_len + len <= sizeof s->data) {
        memcpy(s->data + s->data_len, buf, len);
        s->data_len += len;
    }
}

static void on_negotiate(void *arg, unsigned char verb, unsigned char opt)
{
    struct seen *s = arg;

    if (s->replies_len + TELNET_Q_REPLY_MAX <= sizeof s->replies)
        s->replies_len += telnet_q_receive(&s->q, verb, opt,
                                           s->replies + s->replies_len);
}

int main(void)
{
    /* Out: LF as CR LF, 0xFF doubled. */
    struct telnet_encoder e;
    unsigned char out[TELNET_ENCODE_MAX(4)];
    telnet_encoder_init(&e);
    size_t n = telnet_encode(&e, (const unsigned char *)"hi\n\377", 4, out);
    expect("encode", out, n, "hi\r\n\377\377", 6);

    /* In: the server offers to echo, and sends data around a command. */
    static const unsigned char from_server[] = {
        'a', TELNET_IAC, TELNET_WILL, TELNET_OPT_ECHO,
        'b', TELNET_IAC, TELNET_IAC, TELNET_IAC, TELNET_NOP, 'c'
    };
    static const struct telnet_callbacks cb = {
        .data = on_data, .negotiate = on_negotiate,
    };
    struct seen s = { .data_len = 0 };
    struct telnet_parser p;
    telnet_parser_init(&p);
    telnet_q_init(&s.q);
    /* In two pieces, cut inside the negotiation. */
    telnet_parse(&p, from_server, 2, &cb, &s);
    telnet_parse(&p, from_server + 2, sizeof from_server - 2, &cb, &s);
    expect("parse", s.data, s.data_len, "ab\377c", 4);
    static const unsigned char do_echo[] = { TELNET_IAC, TELNET_DO,
                                             TELNET_OPT_ECHO };
    expect("answer", s.replies, s.replies_len, do_echo, sizeof do_echo);
    if (!telnet_q_remote_echo(&s.q) || telnet_parser_pending(&p)) {
        fprintf(stderr, "telnet-codec: the server's echo is not on\n");
        failures++;
    }
    if (failures)
        return 1;
    puts("telnet-codec: ok");
    return 0;
}
