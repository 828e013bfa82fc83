/*
 * connect.c: outgoing connections of stream machines.  Numeric addresses
 * connect at once; names go through evdns (one evdns_base per loop, made
 * on first use) so the loop never blocks in getaddrinfo().  Each address
 * the name gave is tried in turn until one connects.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/util.h>

#include "rotor-internal.h"
#include "stream-internal.h"

struct rotor__connect {
    struct rotor_loop *loop;
    rotor_ref ref;
    struct evutil_addrinfo *list, *next;
    struct evdns_getaddrinfo_request *req;
    bool detached;          /* the machine ended while resolving */
    bool in_resolve;        /* evdns_getaddrinfo() may answer at once */
    /* rotor_stream_connect_retry(): failures wait, then try again */
    char *host, *port;
    uint32_t delay_ms, max_ms;
    unsigned attempts;
    struct event retry;
    bool retry_armed;
};

static void connect_free(struct rotor__connect *c)
{
    if (c->retry_armed)
        event_del(&c->retry);
    if (c->list)
        evutil_freeaddrinfo(c->list);
    rotor__free(c->host);
    rotor__free(c->port);
    rotor__free(c);
}

static void schedule_retry(struct rotor_scope *m, struct rotor__connect *c);

/* Starts connecting to the next address; returns 0, or the last errno
 * when none is left. */
static int try_next(struct rotor_scope *m, struct rotor__connect *c, int err)
{
    struct rotor__stream *st = m->kind_data;

    while (c->next) {
        struct evutil_addrinfo *ai = c->next;
        c->next = ai->ai_next;
        int fd = socket(ai->ai_family,
                        SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
            errno == EINPROGRESS) {
            rotor__stream_set_fd(m, fd, true);
            st->io.link = ROTOR__LINK_CONNECTING;
            return 0;
        }
        err = errno;
        close(fd);
    }
    return err ? err : EHOSTUNREACH;
}

void rotor__stream_connect_failed(struct rotor_scope *m, int err)
{
    struct rotor__stream *st = m->kind_data;
    struct rotor__connect *c = st->connect;

    rotor__stream_close_fd(st);
    if (c && try_next(m, c, err) == 0) {
        rotor__stream_refresh(m);
        return;
    }
    if (c && c->max_ms) {
        schedule_retry(m, c);
        return;
    }
    rotor__stream_fail(m, err);
}

/* Both paths (numeric, resolved) end here with an address list. */
static void start(struct rotor_scope *m, struct rotor__connect *c)
{
    int err;

    c->next = c->list;
    c->attempts++;
    err = try_next(m, c, 0);
    if (err && c->max_ms) {
        schedule_retry(m, c);
        return;
    }
    if (err) {
        rotor__stream_fail(m, err);
        return;
    }
    rotor__stream_refresh(m);
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
    struct rotor__connect *c = arg;

    c->req = NULL;
    if (c->detached || result == EVUTIL_EAI_CANCEL) {
        if (res)
            evutil_freeaddrinfo(res);
        if (c->detached) {
            c->loop->dns_detached--;
            connect_free(c);
        }
        return;
    }
    struct rotor_scope *m = rotor__table_get(&c->loop->table, c->ref);
    if (!m) {
        if (res)
            evutil_freeaddrinfo(res);
        return;     /* released: c is freed by release */
    }
    if ((result != 0 || !res) && c->max_ms) {
        c->attempts++;
        schedule_retry(m, c);
    } else if (result != 0 || !res) {
        rotor__stream_fail(m, ROTOR_ERESOLVE);
    } else {
        c->list = res;
        start(m, c);
    }
    /* Answered inside evdns_getaddrinfo(): our caller still uses c, and
     * drains when it is done. */
    if (!c->in_resolve)
        rotor__drain(c->loop);
}

static struct evdns_base *loop_dns(struct rotor_loop *loop)
{
    if (!loop->dns)
        loop->dns = evdns_base_new(loop->base,
                                   EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                   EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    return loop->dns;
}

void rotor__dns_free(struct rotor_loop *loop)
{
    /* A cancelled lookup answers through a deferred callback: let it run,
     * or it and its connection state would never be freed. */
    if (loop->dns_detached)
        event_base_loop(loop->base, EVLOOP_NONBLOCK);
    if (loop->dns)
        evdns_base_free(loop->dns, 0);
    loop->dns = NULL;
}

static void hints_for_stream(struct evutil_addrinfo *hints, int flags)
{
    memset(hints, 0, sizeof *hints);
    hints->ai_family = AF_UNSPEC;
    hints->ai_socktype = SOCK_STREAM;
    hints->ai_protocol = IPPROTO_TCP;
    hints->ai_flags = flags;
}

static int resolve(struct rotor_scope *m, struct rotor__connect *c,
                   const char *host, const char *port)
{
    struct evutil_addrinfo hints;
    struct evdns_base *dns = loop_dns(m->loop);

    if (!dns)
        return rotor__fail(ROTOR_EIO, "rotor_stream_connect: cannot start "
                           "evdns");
    hints_for_stream(&hints, EVUTIL_AI_ADDRCONFIG);
    /* NULL when the callback has run already (an answer from
     * /etc/hosts, or an immediate failure). */
    c->in_resolve = true;
    struct evdns_getaddrinfo_request *req =
        evdns_getaddrinfo(dns, host, port, &hints, on_resolved, c);
    c->in_resolve = false;
    c->req = req;
    return 0;
}

/* Resolves (or parses) host:port and starts connecting; failures end up
 * in rotor__stream_fail() or, with a retry policy, schedule_retry(). */
static int attempt(struct rotor_scope *s, struct rotor__connect *c,
                   const char *host, const char *port)
{
    struct evutil_addrinfo hints, *list = NULL;

    hints_for_stream(&hints, EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV);
    if (evutil_getaddrinfo(host, port, &hints, &list) == 0) {
        c->list = list;
        start(s, c);
        return 0;
    }
    return resolve(s, c, host, port);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct rotor__connect *c = arg;
    struct rotor_loop *loop = c->loop;
    struct rotor_scope *m = rotor__table_get(&loop->table, c->ref);

    c->retry_armed = false;
    if (!m)
        return;
    if (attempt(m, c, c->host, c->port) < 0)
        schedule_retry(m, c);
    rotor__drain(loop);         /* c may be gone after this */
}

/* Waits delay_ms (doubling up to max_ms) before the next attempt; the
 * machine sees nothing until a connection is made. */
static void schedule_retry(struct rotor_scope *m, struct rotor__connect *c)
{
    struct rotor__stream *st = m->kind_data;
    struct timeval tv = { c->delay_ms / 1000, (c->delay_ms % 1000) * 1000 };

    rotor__stream_close_fd(st);
    if (c->list)
        evutil_freeaddrinfo(c->list);   /* names may change meanwhile */
    c->list = c->next = NULL;
    st->io.link = ROTOR__LINK_CONNECTING;
    if (event_add(&c->retry, &tv) < 0) {
        rotor__stream_fail(m, ENOMEM);
        return;
    }
    c->retry_armed = true;
    c->delay_ms = c->delay_ms > c->max_ms / 2 ? c->max_ms : c->delay_ms * 2;
}

/* The connection state for s, or NULL (rotor_last_code() says why). */
static struct rotor__connect *connect_new(rotor_scope *s, const char *caller,
                                          const char *host, const char *port)
{
    struct rotor__stream *st = rotor__stream_get(s, caller);

    if (!st)
        return NULL;
    if (!host || !port) {
        rotor__fail(ROTOR_EINVAL, "%s: no %s", caller, host ? "port" : "host");
        return NULL;
    }
    if (st->io.fd >= 0 || st->connect) {
        rotor__fail(ROTOR_EEXIST, "%s: %s is connected already", caller,
                    s->type->name);
        return NULL;
    }
    struct rotor__connect *c = rotor__calloc(1, sizeof *c);
    if (!c) {
        rotor__fail(ROTOR_ENOMEM, "%s: out of memory", caller);
        return NULL;
    }
    c->loop = s->loop;
    c->ref = s->ref;
    evtimer_assign(&c->retry, s->loop->base, on_retry, c);
    st->connect = c;
    st->io.link = ROTOR__LINK_CONNECTING;
    st->io.told = ROTOR__LINK_NONE;
    return c;
}

/* Undoes connect_new() when the attempt cannot even start. */
static int connect_abandon(rotor_scope *s, struct rotor__connect *c, int code)
{
    struct rotor__stream *st = s->kind_data;

    st->connect = NULL;
    st->io.link = ROTOR__LINK_NONE;
    connect_free(c);
    return code;
}

int rotor_stream_connect_retry(rotor_scope *s, const char *host,
                               const char *port, uint32_t first_ms,
                               uint32_t max_ms)
{
    static const char caller[] = "rotor_stream_connect_retry";

    if (first_ms == 0 || max_ms < first_ms)
        return rotor__fail(ROTOR_EINVAL, "%s: bad delays %u, %u", caller,
                           (unsigned)first_ms, (unsigned)max_ms);
    struct rotor__connect *c = connect_new(s, caller, host, port);
    if (!c)
        return rotor_last_code();
    c->host = rotor__strdup(host);
    c->port = rotor__strdup(port);
    c->delay_ms = first_ms;
    c->max_ms = max_ms;
    if (!c->host || !c->port)
        return connect_abandon(s, c, rotor__fail(ROTOR_ENOMEM,
                                                 "%s: out of memory", caller));
    if (attempt(s, c, host, port) < 0)
        schedule_retry(s, c);
    return 0;
}

unsigned rotor_stream_connect_attempts(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_of(s);

    if (!st) {
        rotor__stream_refuse(s, "rotor_stream_connect_attempts");
        return 0;
    }
    return st->connect ? st->connect->attempts : 0;
}

int rotor_stream_connect(rotor_scope *s, const char *host, const char *port)
{
    struct rotor__connect *c = connect_new(s, "rotor_stream_connect", host,
                                           port);

    if (!c)
        return rotor_last_code();
    int r = attempt(s, c, host, port);
    return r < 0 ? connect_abandon(s, c, r) : 0;
}

void rotor__stream_cancel_connect(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    struct rotor__connect *c = st->connect;

    if (!c)
        return;
    st->connect = NULL;
    if (c->req) {
        c->detached = true;     /* on_resolved frees it */
        c->loop->dns_detached++;
        evdns_getaddrinfo_cancel(c->req);
        return;
    }
    connect_free(c);
}
