/*
 * stream-buffer.c: a stream's input and output, and the public calls that
 * take bytes from the one and give bytes to the other.
 *
 * Input read while the input evbuffer is empty goes into a scratch buffer
 * of the loop instead (stream-io.c), lent to the stream until the
 * readable callback returns: a request or a line that arrives whole is
 * parsed, answered and consumed there, with no evbuffer chain allocated,
 * filled, drained and freed for it.  What is left when the callback
 * returns moves into the evbuffer (rotor__stream_return_scratch), so an
 * idle connection holds no more than before.
 *
 * Small output waits in obuf while the output evbuffer is empty; it
 * spills into the evbuffer before anything that writes to or hands out
 * the evbuffer itself, so bytes keep their order.
 */
#define _GNU_SOURCE             /* memrchr */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "stream-internal.h"

/* n lent bytes (at most those there are) are used up. */
static void take_lent(struct rotor__stream *st, size_t n)
{
    if (n > st->in.vlen)
        n = st->in.vlen;
    st->in.view += n;
    st->in.vlen -= n;
    st->in.scan = 0;    /* offsets moved: search from the start */
}

int rotor__stream_keep_lent(struct rotor__stream *st)
{
    if (st->in.vlen == 0)
        return 0;
    int r = evbuffer_add(st->in.buf, st->in.view, st->in.vlen);
    st->in.used = true;
    st->in.view = NULL;
    st->in.vlen = 0;
    if (r < 0) {
        rotor__stream_mark_failed(st, ENOMEM);
        return -1;
    }
    return 0;
}

void rotor__stream_keep_scratch(struct rotor_scope *m)
{
    if (rotor__stream_keep_lent(m->kind_data) < 0) {
        rotor__stream_refresh(m);
        rotor__drain(m->loop);
    }
}

/* Moves obuf into the evbuffer.  0, or -1 (the stream failed). */
static int spill(struct rotor__stream *st)
{
    if (st->out.olen == 0)
        return 0;
    st->out.used = true;
    if (evbuffer_add(st->out.buf, st->out.obuf, st->out.olen) < 0) {
        rotor__stream_mark_failed(st, ENOMEM);
        return -1;
    }
    st->out.olen = 0;
    return 0;
}

void rotor__stream_empty(struct rotor__stream *st)
{
    evbuffer_drain(st->in.buf, evbuffer_get_length(st->in.buf));
    evbuffer_drain(st->out.buf, evbuffer_get_length(st->out.buf));
    st->in.view = NULL;
    st->in.vlen = 0;
    st->out.olen = 0;
}

/* ---- input ------------------------------------------------------------- */

struct evbuffer *rotor_stream_input(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_get(s, "rotor_stream_input");

    if (!st)
        return NULL;
    if (rotor__stream_keep_lent(st) < 0) {  /* the caller sees it all */
        rotor__fail(ROTOR_ENOMEM, "rotor_stream_input: out of memory");
        return NULL;
    }
    st->in.used = st->in.handed = true;
    return st->in.buf;
}

size_t rotor_stream_input_length(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st) {
        rotor__stream_refuse(s, "rotor_stream_input_length");
        return 0;
    }
    return rotor__in_len(st);
}

size_t rotor_stream_output_length(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st) {
        rotor__stream_refuse(s, "rotor_stream_output_length");
        return 0;
    }
    return rotor__out_len(st);
}

const char *rotor_stream_peek(rotor_scope *s, size_t n)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st) {
        rotor__stream_refuse(s, "rotor_stream_peek");
        return NULL;
    }
    if (rotor__in_len(st) < n || n > SSIZE_MAX) {
        rotor__fail(ROTOR_EMSGSIZE, "rotor_stream_peek: %zu bytes wanted, "
                    "%zu held", n, rotor__in_len(st));
        return NULL;
    }
    if (st->in.vlen)
        return st->in.view;
    return (const char *)evbuffer_pullup(st->in.buf, (ssize_t)n);
}

const char *rotor_stream_extent(rotor_scope *s, size_t *len)
{
    struct rotor__stream *st = rotor__stream_of(s);
    size_t n = 0;
    const char *p = st ? rotor__stream_first_extent(st, &n) : NULL;

    if (!st)
        rotor__stream_refuse(s, "rotor_stream_extent");
    if (len)
        *len = n;
    return n ? p : NULL;
}

/* The offset just past the last `byte` in the evbuffer, or 0. */
static size_t through_last_chained(struct rotor__stream *st, char byte)
{
    struct evbuffer_iovec vec[64];
    int n = evbuffer_peek(st->in.buf, -1, NULL, vec, 64);

    if (n > 64)
        return 0;       /* very fragmented: let the caller go line by line */
    size_t before = rotor__in_ev_len(st);
    for (int i = n - 1; i >= 0; i--) {
        before -= vec[i].iov_len;
        const char *hit = memrchr(vec[i].iov_base, byte, vec[i].iov_len);
        if (hit)
            return before + (size_t)(hit - (const char *)vec[i].iov_base) + 1;
    }
    return 0;
}

size_t rotor_stream_through_last(rotor_scope *s, char byte)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st) {
        rotor__stream_refuse(s, "rotor_stream_through_last");
        return 0;
    }
    if (st->in.vlen) {
        const char *hit = memrchr(st->in.view, byte, st->in.vlen);
        return hit ? (size_t)(hit - st->in.view) + 1 : 0;
    }
    return through_last_chained(st, byte);
}

size_t rotor_stream_read(rotor_scope *s, void *buf, size_t n)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st || (!buf && n > 0)) {
        if (st)
            rotor__fail(ROTOR_EINVAL, "rotor_stream_read: buf is NULL");
        else
            rotor__stream_refuse(s, "rotor_stream_read");
        return 0;
    }
    if (st->in.vlen) {
        n = n < st->in.vlen ? n : st->in.vlen;
        memcpy(buf, st->in.view, n);
        take_lent(st, n);
        return n;
    }
    int got = evbuffer_remove(st->in.buf, buf, n);
    return got > 0 ? (size_t)got : 0;
}

int rotor_stream_consume(rotor_scope *s, size_t n)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st)
        return rotor__stream_refuse(s, "rotor_stream_consume");
    if (st->in.vlen)
        take_lent(st, n);
    else
        evbuffer_drain(st->in.buf, n);
    return 0;
}

/* ---- output ------------------------------------------------------------ */

struct evbuffer *rotor_stream_output(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_get(s, "rotor_stream_output");

    if (!st)
        return NULL;
    if (spill(st) < 0) {    /* the caller sees all the output, in order */
        rotor__fail(ROTOR_ENOMEM, "rotor_stream_output: out of memory");
        return NULL;
    }
    st->out.used = st->out.handed = true;
    return st->out.buf;
}

/* Can n more bytes wait in obuf?  Only while the evbuffer is empty, and
 * never once the caller holds the evbuffer (bytes added there would
 * overtake those in obuf). */
static inline bool fits_small(struct rotor__stream *st, size_t n)
{
    return !st->out.handed && rotor__out_ev_len(st) == 0 &&
           n <= ROTOR__OBUF - st->out.olen;
}

/* Appends to the output: obuf when it fits, or the evbuffer.  0, or -1
 * when out of memory. */
static inline int out_append(struct rotor__stream *st, const void *data, size_t n)
{
    if (fits_small(st, n)) {
        memcpy(st->out.obuf + st->out.olen, data, n);
        st->out.olen += n;
        return 0;
    }
    st->out.used = true;
    if (spill(st) < 0 || evbuffer_add(st->out.buf, data, n) < 0)
        return -1;
    return 0;
}

static struct rotor__stream *refuse_failed(struct rotor__stream *st,
                                           const char *caller)
{
    rotor__fail(rotor__stream_failure(st), "%s: the stream has failed: %s",
                caller, rotor_strerror(st->io.err));
    return NULL;
}

/* The stream of s if output can be added to it; NULL and the code in
 * rotor_last_code() if not. */
static inline struct rotor__stream *writable(rotor_scope *s,
                                             const char *caller)
{
    struct rotor__stream *st = rotor__stream_get(s, caller);

    if (st && rotor__stream_failed(st))
        return refuse_failed(st, caller);
    return st;
}

int rotor_stream_write(rotor_scope *s, const void *data, size_t n)
{
    struct rotor__stream *st = writable(s, "rotor_stream_write");

    if (!st)
        return rotor_last_code();
    if (!data && n > 0)
        return rotor__fail(ROTOR_EINVAL, "rotor_stream_write: data is NULL");
    if (out_append(st, data, n) < 0)
        return rotor__fail(ROTOR_ENOMEM, "rotor_stream_write: out of memory");
    return 0;
}

/* The bytes of iov[0..n), or a negative code. */
static inline int iov_total(const struct iovec *iov, int n, size_t *total)
{
    if (n < 0 || (n > 0 && !iov))
        return rotor__fail(ROTOR_EINVAL, "rotor_stream_writev: bad vector");
    *total = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len > SIZE_MAX - *total)
            return rotor__fail(ROTOR_EMSGSIZE,
                               "rotor_stream_writev: too many bytes");
        *total += iov[i].iov_len;
    }
    return 0;
}

int rotor_stream_writev(rotor_scope *s, const struct iovec *iov, int n)
{
    struct rotor__stream *st = writable(s, "rotor_stream_writev");
    size_t total = 0;

    if (!st)
        return rotor_last_code();
    int r = iov_total(iov, n, &total);
    if (r < 0)
        return r;
    if (fits_small(st, total)) {
        for (int i = 0; i < n; i++) {
            memcpy(st->out.obuf + st->out.olen, iov[i].iov_base,
                   iov[i].iov_len);
            st->out.olen += iov[i].iov_len;
        }
        return 0;
    }
    /* Into the evbuffer, all or nothing (a half answer would corrupt the
     * stream for good): once the room is there, no add can fail. */
    st->out.used = true;
    if (spill(st) < 0 || evbuffer_expand(st->out.buf, total) < 0)
        return rotor__fail(ROTOR_ENOMEM, "rotor_stream_writev: out of memory");
    for (int i = 0; i < n; i++)
        evbuffer_add(st->out.buf, iov[i].iov_base, iov[i].iov_len);
    return 0;
}

int rotor_stream_printf(rotor_scope *s, const char *fmt, ...)
{
    struct rotor__stream *st = writable(s, "rotor_stream_printf");
    va_list ap;

    if (!st)
        return rotor_last_code();
    if (!fmt)
        return rotor__fail(ROTOR_EINVAL, "rotor_stream_printf: fmt is NULL");
    if (spill(st) < 0)
        return rotor__fail(ROTOR_ENOMEM, "rotor_stream_printf: out of memory");
    st->out.used = true;
    va_start(ap, fmt);
    int r = evbuffer_add_vprintf(st->out.buf, fmt, ap);
    va_end(ap);
    if (r < 0)
        return rotor__fail(ROTOR_ENOMEM, "rotor_stream_printf: out of memory");
    return 0;
}

/* Echo of lent bytes: copied (at most one read).  Returns bytes moved. */
static size_t echo_lent(struct rotor__stream *st, size_t n)
{
    n = n < st->in.vlen ? n : st->in.vlen;
    if (out_append(st, st->in.view, n) < 0) {
        rotor__stream_mark_failed(st, ENOMEM);
        take_lent(st, n);
        return 0;
    }
    take_lent(st, n);
    return n;
}

/* Echo of evbuffer chains, moved without copying. */
static size_t echo_chained(struct rotor__stream *st, size_t n)
{
    st->out.used = true;
    size_t before = evbuffer_get_length(st->out.buf);
    int moved = evbuffer_remove_buffer(st->in.buf, st->out.buf, n);
    /* libevent 2.1 drops the bytes it fails to copy (out of memory) and
     * counts them moved anyway: the stream is corrupt, fail it. */
    if (moved > 0 &&
        evbuffer_get_length(st->out.buf) - before != (size_t)moved) {
        rotor__stream_mark_failed(st, ENOMEM);
        return 0;
    }
    return moved > 0 ? (size_t)moved : 0;
}

size_t rotor_stream_echo(rotor_scope *s, size_t n)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st) {
        rotor__stream_refuse(s, "rotor_stream_echo");
        return 0;
    }
    if (st->in.vlen && !rotor__stream_failed(st))
        return echo_lent(st, n);
    /* Output is discarded once failed; the input is dropped the same way,
     * so that the expectation moves on to `error`. */
    if (rotor__stream_failed(st) || spill(st) < 0) {
        rotor_stream_consume(s, n);
        return 0;
    }
    return echo_chained(st, n);
}
