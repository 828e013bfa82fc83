/*
 * stream-test.h: the data of the stream test machines
 * (machines/streams.rsm), shared with test-stream.c.
 */
#ifndef STREAM_TEST_H
#define STREAM_TEST_H

#include <stddef.h>

#include <rotor/rotor.h>

/* What a probe saw, in order: "input:4 input:4 eof". */
struct probe_log {
    char   text[8192];
    size_t len;
    int    inputs, limits, eofs, errors, flushed, timeouts, connected;
    int    last_errno;
    int    drained;
    size_t drain_left;      /* output pending at the last `drained` */
    unsigned attempts[4];   /* connection attempts at each `connected` */
    char   data[65536];     /* the input bytes taken, concatenated */
    size_t data_len;
    int    destroyed;
};

/* The seed of every probe machine. */
struct probe_seed {
    int fd;                 /* attached in create, unless -1 */
    const char *host, *port;/* connect_probe: where to connect */
    size_t write_bytes;     /* flush_probe / writer_probe: written in create */
    struct probe_log *log;
};

struct probe {
    struct probe_log *log;
    struct evbuffer *in_kept, *out_kept;    /* cached_probe */
};

/* Appends a word to the probe's log. */
void probe_note(struct probe *p, const char *word, long n);

#endif
