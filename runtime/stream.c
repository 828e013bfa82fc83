/*
 * stream.c: stream machines, a connected socket with an input and an
 * output evbuffer, driven by what the current state expects.  This file
 * holds the machine kind's operations (apply a state, adopt a socket,
 * run after actions, release), a stream's life (created, attached,
 * reset, freed) and the public calls about the whole stream.  The rest:
 * see stream-internal.h.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "stream-internal.h"

int rotor__stream_refuse(rotor_scope *s, const char *caller)
{
    if (!s)
        return rotor__fail(ROTOR_EINVAL, "%s: no machine", caller);
    if (s->type->kind != ROTOR_KIND_STREAM)
        return rotor__fail(ROTOR_ENOTSUP, "%s: %s is not a stream machine",
                           caller, s->type->name);
    return 0;   /* a stream with nothing yet: nothing held, nothing to do */
}

int rotor__stream_failure(const struct rotor__stream *st)
{
    int err = st->io.err;

    if (err == 0)
        return ROTOR_EIO;
    return err > 0 ? -err : err;    /* ROTOR_ERESOLVE is negative already */
}

/* Input taken by any route (our accessors, or the evbuffer itself through
 * rotor_stream_input()) moves every offset: search from the start. */
static void on_input_change(struct evbuffer *buf,
                            const struct evbuffer_cb_info *info, void *arg)
{
    struct rotor__stream *st = arg;

    if (info->n_deleted > 0)
        st->in.scan = 0;
}

/* A stream's fresh state, what creating it gives and what reset gives
 * back: everything starts over but what outlives a connection (the
 * evbuffers, whether the caller holds one, a queued check). */
static void stream_fresh(struct rotor__stream *st)
{
    struct evbuffer *in = st->in.buf, *out = st->out.buf;
    bool in_handed = st->in.handed, out_handed = st->out.handed;

    st->io = (struct rotor__stream_io){ .fd = -1 };
    st->in = (struct rotor__stream_in){
        .buf = in, .used = in_handed, .handed = in_handed };
    st->out = (struct rotor__stream_out){
        .buf = out, .used = out_handed, .handed = out_handed };
    st->check.dirty = true;
}

static struct rotor__stream *stream_new(struct rotor_scope *m)
{
    struct rotor__stream *st = rotor__calloc(1, sizeof *st);

    if (!st)
        return NULL;
    st->in.buf = evbuffer_new();
    st->out.buf = evbuffer_new();
    if (!st->in.buf || !st->out.buf ||
        !evbuffer_add_cb(st->in.buf, on_input_change, st)) {
        if (st->in.buf)
            evbuffer_free(st->in.buf);
        if (st->out.buf)
            evbuffer_free(st->out.buf);
        rotor__free(st);
        return NULL;
    }
    evtimer_assign(&st->check.recheck, m->loop->base,
                   rotor__stream_on_recheck, m);
    stream_fresh(st);
    m->kind_data = st;
    return st;
}

struct rotor__stream *rotor__stream_make(rotor_scope *s, const char *caller)
{
    if (!s || s->type->kind != ROTOR_KIND_STREAM) {
        rotor__stream_refuse(s, caller);
        return NULL;
    }
    if (!s->kind_data && !stream_new(s))
        rotor__fail(ROTOR_ENOMEM, "%s: out of memory for a stream", caller);
    return s->kind_data;
}

/* ---- the kind's operations ---------------------------------------------- */

static int stream_adopt(struct rotor_scope *m, int fd, bool ours)
{
    if (!m->kind_data && !stream_new(m))
        return rotor__fail(ROTOR_ENOMEM, "%s: out of memory for a stream",
                           m->type->name);
    rotor__stream_set_fd(m, fd, ours);
    return 0;
}

static int stream_apply(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    if (!st)
        return 0;               /* no socket yet: nothing to watch */
    st->check.dirty = true;     /* a new state: a new expectation */
    st->in.scan = 0;
    st->io.told = ROTOR__LINK_NONE;
    st->out.over_high = false;
    return 0;                   /* the `after` hook that follows does I/O */
}

static void stream_release(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    if (!st)
        return;
    rotor__stream_cancel_connect(m);
    if (m->loop->scratch_user == m)
        m->loop->scratch_user = NULL;
    /* Last chance for output the machine wrote before ending (a state
     * that must not lose it waits for `flushed` before `done`). */
    if (st->io.fd >= 0 && !rotor__stream_connecting(st)) {
        rotor__stream_write_some(st);
        rotor__stream_tls_closing(st);  /* close_notify, if it fits */
    }
    rotor__stream_close_fd(st);
    rotor__stream_tls_end(st, false);
    event_del(&st->check.recheck);
    evbuffer_free(st->in.buf);
    evbuffer_free(st->out.buf);
    rotor__free(st);
    m->kind_data = NULL;
}

const struct rotor__kind_ops rotor__stream_ops = {
    .apply = stream_apply,
    .release = stream_release,
    .after = rotor__stream_settle,
    .internal = rotor__stream_check,
    .adopt = stream_adopt,
};

/* ---- the public API --------------------------------------------------- */

int rotor_stream_attach(rotor_scope *s, int fd)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!s || s->type->kind != ROTOR_KIND_STREAM)
        return rotor__stream_refuse(s, "rotor_stream_attach");
    if (fd < 0)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_stream_attach: bad descriptor %d", fd);
    if (st && st->io.fd >= 0)
        return rotor__fail(ROTOR_EEXIST, "rotor_stream_attach: "
                           "%s has a socket already", s->type->name);
    if (st && rotor__stream_connecting(st))
        return rotor__fail(ROTOR_EBUSY, "rotor_stream_attach: "
                           "%s is connecting", s->type->name);
    int r = stream_adopt(s, fd, false);
    if (r < 0)
        return r;
    if (s->state >= 0 && !s->busy)
        rotor__stream_settle(s);
    return 0;
}

int rotor_stream_fd(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (st && st->io.fd >= 0)
        return st->io.fd;
    int r = rotor__stream_refuse(s, "rotor_stream_fd");
    if (r < 0)
        return r;
    return rotor__fail(-EBADF, "rotor_stream_fd: %s has no descriptor",
                       s->type->name);
}

int rotor_stream_reset(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st)
        return rotor__stream_refuse(s, "rotor_stream_reset");
    rotor__stream_cancel_connect(s);
    rotor__stream_tls_end(st, true);
    rotor__stream_close_fd(st);
    rotor__stream_empty(st);
    stream_fresh(st);
    return 0;
}

int rotor_stream_shutdown(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_get(s, "rotor_stream_shutdown");

    if (!st)
        return rotor_last_code();
    st->out.shut_pending = true;
    return 0;
}
