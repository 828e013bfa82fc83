/*
 * listener.c: listener machines accept connections with evconnlistener
 * and spawn one machine (the type's `spawns`) per socket.
 *
 * When accept() fails for lack of descriptors the socket stays readable,
 * so a plain loop would spin at 100% CPU; we disable the evconnlistener
 * and try again after a pause that doubles up to a second, and count the
 * pauses so tests and operators can see it happen.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/listener.h>

#include "rotor-internal.h"

#define PAUSE_FIRST_MS 50u
#define PAUSE_MAX_MS   1000u

struct rotor__listener {
    struct evconnlistener *lev;
    struct event pause;
    uint32_t pause_ms;
    bool paused;
    unsigned long accepted, pauses;
};

/* The listener of s, or NULL with rotor_last_code() set. */
static struct rotor__listener *listener_of(rotor_scope *s, const char *caller)
{
    if (!s) {
        rotor__fail(ROTOR_EINVAL, "%s: no machine", caller);
        return NULL;
    }
    if (s->type->kind != ROTOR_KIND_LISTENER) {
        rotor__fail(ROTOR_ENOTSUP, "%s: %s is not a listener machine",
                    caller, s->type->name);
        return NULL;
    }
    return s->kind_data;
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *addr, int len, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor_loop *loop = m->loop;
    struct rotor__listener *l = m->kind_data;
    rotor_ref self = m->ref;

    l->pause_ms = 0;            /* accepting works again */
    /* Spawn on behalf of the listener, so a full table reaches it as
     * `spawn_failed`; the socket is closed by the failed spawn. */
    struct rotor_scope *prev = loop->current;
    loop->current = m;
    /* evconnlistener accepts with SOCK_NONBLOCK: nothing to probe. */
    rotor_ref child = rotor__spawn_adopting(loop, m->type->spawns, fd, NULL,
                                            "accepted", true);
    loop->current = prev;
    m = rotor__table_get(&loop->table, self);
    if (m && child.gen != 0) {
        l->accepted++;
        rotor__deliver(m, ROTOR_EV_ACCEPTED, &child);
    }
    rotor__drain(loop);
}

/* Accepting cannot resume (out of memory): tell the machine, which ends
 * as an error unless it handles `error`. */
static void listener_broken(struct rotor_scope *m, int err)
{
    struct rotor_loop *loop = m->loop;
    struct rotor_event ev = ROTOR__EVENT(ROTOR_EV_ERROR, NULL);

    ev.err = err;
    rotor__deliver_ev(m, &ev);
    rotor__drain(loop);
}

static void on_pause_over(evutil_socket_t fd, short what, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor__listener *l = m->kind_data;

    l->paused = false;
    if (evconnlistener_enable(l->lev) < 0)
        listener_broken(m, ENOMEM);
}

static bool out_of_descriptors(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor__listener *l = m->kind_data;
    int err = EVUTIL_SOCKET_ERROR();

    if (!out_of_descriptors(err) || l->paused)
        return;     /* ECONNABORTED and the like: the next one may work */
    l->pause_ms = l->pause_ms ? l->pause_ms * 2 : PAUSE_FIRST_MS;
    if (l->pause_ms > PAUSE_MAX_MS)
        l->pause_ms = PAUSE_MAX_MS;
    struct timeval tv = { l->pause_ms / 1000, (l->pause_ms % 1000) * 1000 };
    if (evtimer_add(&l->pause, &tv) < 0)
        return;     /* no timer to resume with: keep accepting */
    evconnlistener_disable(l->lev);
    l->paused = true;
    l->pauses++;
    if (ROTOR__UNLIKELY(m->loop->trace))
        rotor__trace_note(m, "out of descriptors, pausing accept in");
}

static int listener_adopt(struct rotor_scope *m, int fd, bool ours)
{
    (void)ours;
    struct rotor__listener *l = rotor__calloc(1, sizeof *l);

    if (!l)
        return rotor__fail(ROTOR_ENOMEM, "%s: out of memory", m->type->name);
    evutil_make_socket_nonblocking(fd);
    /* backlog 0: the socket listens already.  Created disabled, so that
     * a failure to watch it is seen; not LEV_OPT_CLOSE_ON_FREE, so that
     * on failure the socket is still the caller's to close. */
    l->lev = evconnlistener_new(m->loop->base, on_accept, m,
                                LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED,
                                0, fd);
    if (l->lev && evconnlistener_enable(l->lev) < 0) {
        evconnlistener_free(l->lev);
        l->lev = NULL;
    }
    if (!l->lev) {
        rotor__free(l);
        return rotor__fail(ROTOR_EIO, "%s: cannot listen on descriptor %d",
                           m->type->name, fd);
    }
    evconnlistener_set_error_cb(l->lev, on_accept_error);
    evtimer_assign(&l->pause, m->loop->base, on_pause_over, m);
    m->kind_data = l;
    return 0;
}

static int listener_apply(struct rotor_scope *m)
{
    return 0;       /* accepting does not depend on the state */
}

static void listener_release(struct rotor_scope *m)
{
    struct rotor__listener *l = m->kind_data;

    if (!l)
        return;
    evtimer_del(&l->pause);
    evutil_socket_t fd = evconnlistener_get_fd(l->lev);
    evconnlistener_free(l->lev);
    close(fd);
    rotor__free(l);
    m->kind_data = NULL;
}

const struct rotor__kind_ops rotor__listener_ops = {
    .apply = listener_apply,
    .release = listener_release,
    .adopt = listener_adopt,
};

rotor_ref rotor_listen(struct rotor_loop *loop,
                       const struct rotor_machine_type *listener,
                       int fd, void *seed)
{
    int code = 0;

    if (!loop || !listener || fd < 0)
        code = rotor__fail(ROTOR_EINVAL, "rotor_listen: %s",
                           !loop ? "no loop" : !listener ? "no machine type"
                                                         : "bad descriptor");
    else if (listener->kind != ROTOR_KIND_LISTENER || !listener->spawns)
        code = rotor__fail(ROTOR_ENOTSUP, "rotor_listen: %s is not a "
                           "listener machine", listener->name);
    if (code < 0) {
        if (fd >= 0)
            close(fd);
        return ROTOR_REF_NONE;
    }
    return rotor__spawn_adopting(loop, listener, fd, seed, "listen", false);
}

unsigned long rotor_listener_accepted(rotor_scope *s)
{
    struct rotor__listener *l = listener_of(s, "rotor_listener_accepted");
    return l ? l->accepted : 0;
}

unsigned long rotor_listener_pauses(rotor_scope *s)
{
    struct rotor__listener *l = listener_of(s, "rotor_listener_pauses");
    return l ? l->pauses : 0;
}
