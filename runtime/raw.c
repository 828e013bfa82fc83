/*
 * raw.c: raw machines watch the descriptor given to rotor_watch_fd() for
 * what their current state declares.  One persistent event per machine,
 * touched only when the declared bits change, so a machine that stays in
 * reading states costs no epoll_ctl per event.
 */
#define _POSIX_C_SOURCE 200809L  /* close */
#include "config.h"

#include <unistd.h>

#include "rotor-internal.h"

/* Delivers `kind` if the machine still lives and still watches `bit`. */
static bool deliver_if(struct rotor_loop *loop, rotor_ref ref, uint8_t bit,
                       int kind)
{
    struct rotor_scope *m = rotor__table_get(&loop->table, ref);

    if (!m || !(m->watching & bit))
        return false;
    rotor__deliver(m, kind, NULL);
    rotor__drain(loop);
    return true;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor_loop *loop = m->loop;
    rotor_ref ref = m->ref;

    /* m may be gone after the first delivery: look it up again. */
    if (what & EV_READ)
        deliver_if(loop, ref, ROTOR_WATCH_READABLE, ROTOR_EV_READABLE);
    if (what & EV_WRITE)
        deliver_if(loop, ref, ROTOR_WATCH_WRITABLE, ROTOR_EV_WRITABLE);
}

static int raw_apply(struct rotor_scope *m)
{
    uint8_t want = 0;

    if (m->fd >= 0 && m->state >= 0)
        want = (m->chart ? rotor__chart_watch(m)
                         : m->type->states[m->state].watch) &
               (ROTOR_WATCH_READABLE | ROTOR_WATCH_WRITABLE);
    if (want == m->watching)
        return 0;
    if (m->watching)
        event_del(&m->io);
    m->watching = 0;
    if (!want)
        return 0;
    short what = EV_PERSIST;
    if (want & ROTOR_WATCH_READABLE)
        what |= EV_READ;
    if (want & ROTOR_WATCH_WRITABLE)
        what |= EV_WRITE;
    if (event_assign(&m->io, m->loop->base, m->fd, what, on_io, m) < 0 ||
        event_add(&m->io, NULL) < 0)
        return rotor__fail(ROTOR_EIO, "%s: cannot watch descriptor %d",
                           m->type->name, m->fd);
    m->watching = want;
    return 0;
}

static void raw_release(struct rotor_scope *m)
{
    /* Remove the event before closing: epoll forgets closed fds by
     * itself, but libevent would then fail (and complain) to delete it. */
    if (m->watching)
        event_del(&m->io);
    m->watching = 0;
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
}

/* A raw machine spawned by a listener watches the accepted socket. */
static int raw_adopt(struct rotor_scope *m, int fd, bool ours)
{
    (void)ours;
    m->fd = fd;
    return 0;
}

const struct rotor__kind_ops rotor__raw_ops = {
    .apply = raw_apply,
    .release = raw_release,
    .adopt = raw_adopt,
};

int rotor_watch_fd(rotor_scope *s, int fd)
{
    if (fd < 0)
        return rotor__fail(ROTOR_EINVAL, "rotor_watch_fd: bad descriptor %d",
                           fd);
    if (s->type->kind != ROTOR_KIND_RAW)
        return rotor__fail(ROTOR_ENOTSUP,
                           "rotor_watch_fd: %s is not a raw machine",
                           s->type->name);
    if (s->fd >= 0)
        return rotor__fail(ROTOR_EEXIST,
                           "rotor_watch_fd: %s already watches %d",
                           s->type->name, s->fd);
    s->fd = fd;
    return raw_apply(s);
}
