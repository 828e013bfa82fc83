/*
 * stream_fuzz.c: a libFuzzer target for stream expectations.  The input
 * is a byte stream and the sizes of the writes that carry it; it goes
 * through a socketpair into a machine expecting `line max 64`, and the
 * events it gets must be exactly those of a small model of the
 * expectation: whatever the splits, no byte lost, doubled or misjudged.
 *
 * Built by `make fuzz` (fuzz/Makefile.inc) with the runtime's sources
 * compiled in; run:  fuzz/stream_fuzz -max_total_time=60 fuzz/corpus/stream
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <rotor/rotor.h>

#include "stream_fuzz.h"
#include "stream-fuzz-machines.h"

#define MAX_LINE 64

static void record(struct fuzz_record *r, char what, size_t size)
{
    assert(r->n < sizeof r->events);
    r->events[r->n] = what;
    r->sizes[r->n++] = size;
}

void fuzz_attach(struct fuzz_lines *self, rotor_scope *s, const rotor_event *ev)
{
    struct fuzz_seed *seed = rotor_event_data(ev);
    self->rec = &seed->rec;
    if (rotor_stream_attach(s, seed->fd) < 0)
        abort();
}

void fuzz_take(struct fuzz_lines *self, rotor_scope *s, const rotor_event *ev)
{
    size_t n = rotor_event_size(ev);
    const char *line = rotor_stream_peek(s, n);

    assert(line && n >= 1 && n <= MAX_LINE && line[n - 1] == '\n');
    assert(memchr(line, '\n', n - 1) == NULL);
    record(self->rec, 'i', n);
    rotor_stream_consume(s, n);
}

void fuzz_limit(struct fuzz_lines *self, rotor_scope *s, const rotor_event *ev)
{
    record(self->rec, 'l', 0);
}

void fuzz_eof(struct fuzz_lines *self, rotor_scope *s, const rotor_event *ev)
{
    record(self->rec, 'e', rotor_stream_input_length(s));
}

void fuzz_error(struct fuzz_lines *self, rotor_scope *s, const rotor_event *ev)
{
    record(self->rec, 'x', 0);
}

/* The model: lines of at most MAX_LINE bytes, then a limit or the end. */
static void model(const uint8_t *data, size_t len, struct fuzz_record *r)
{
    size_t at = 0;

    for (;;) {
        size_t left = len - at;
        size_t window = left < MAX_LINE ? left : MAX_LINE;
        const uint8_t *nl = memchr(data + at, '\n', window);
        if (nl) {
            record(r, 'i', (size_t)(nl - (data + at)) + 1);
            at += (size_t)(nl - (data + at)) + 1;
        } else if (left >= MAX_LINE) {
            record(r, 'l', 0);
            return;
        } else {
            record(r, 'e', left);
            return;
        }
    }
}

/* Input: one byte N (number of split sizes, at most 15), N bytes of split
 * sizes (0 means "let the loop run twice here"), then the stream. */
int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    static struct fuzz_seed seed;
    struct fuzz_record want = { .n = 0 };

    if (size < 1)
        return 0;
    size_t nsplit = in[0] & 15;
    if (size < 1 + nsplit)
        return 0;
    const uint8_t *splits = in + 1, *data = in + 1 + nsplit;
    size_t len = size - 1 - nsplit;
    if (len > 8192)
        return 0;                   /* stays below the socket buffer */
    model(data, len, &want);

    struct rotor_config cfg;
    rotor_config_init(&cfg);
    cfg.trace = 0;
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    int sv[2];
    if (!loop || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    memset(&seed, 0, sizeof seed);
    seed.fd = sv[0];
    if (rotor_spawn(loop, &fuzz_lines_machine, &seed).gen == 0)
        abort();

    size_t at = 0;
    for (size_t i = 0; at < len; i++) {
        size_t chunk = i < nsplit ? splits[i] : len - at;
        if (chunk > len - at)
            chunk = len - at;
        /* After a limit the machine is gone and the socket closed. */
        if (chunk > 0 && send(sv[1], data + at, chunk, MSG_NOSIGNAL) < 0)
            break;
        at += chunk;
        for (int turn = 0; turn < 2; turn++)
            event_base_loop(rotor_loop_base(loop), EVLOOP_NONBLOCK);
    }
    shutdown(sv[1], SHUT_WR);
    rotor_loop_run(loop);
    rotor_loop_free(loop);
    close(sv[1]);

    if (seed.rec.n != want.n ||
        memcmp(seed.rec.events, want.events, want.n) != 0 ||
        memcmp(seed.rec.sizes, want.sizes, want.n * sizeof *want.sizes) != 0) {
        fprintf(stderr, "stream_fuzz: %zu events, the model says %zu\n",
                seed.rec.n, want.n);
        abort();
    }
    return 0;
}
