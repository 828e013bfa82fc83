/*
 * test.c: librotor-test's test loop (<rotor/test.h>): a loop on the
 * virtual clock, peers of stream machines, the records kept in memory.
 *
 * Only the public API of librotor is used here (<rotor/clock.h> is the
 * seam): this library could be built outside the runtime's tree.
 */
#define _GNU_SOURCE             /* accept4 flags, SOCK_NONBLOCK */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "test-internal.h"

/* Rounds of rotor_loop_poll() without any change before the loop counts
 * as idle: a callback may activate an event that runs on the next
 * round. */
#define IDLE_ROUNDS 2
/* A machine that never stops producing (an always-ready file) must not
 * hang the test. */
#define MAX_ROUNDS 10000

/* ---- growing strings ---------------------------------------------------- */

int rt__str_add(struct rt__str *s, const void *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *v = realloc(s->v, cap);
        if (!v)
            return ROTOR_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    memcpy(s->v + s->len, p, n);
    s->len += n;
    s->v[s->len] = '\0';
    return 0;
}

static const char *str_or_empty(struct rt__str *s)
{
    return s->v ? s->v : "";
}

/* ---- records ------------------------------------------------------------ */

static void on_record(void *arg, const char *rec, size_t len)
{
    struct rotor_test *t = arg;

    /* Out of memory loses records: the expectations then fail. */
    if (rt__str_add(&t->records, rec, len) == 0)
        rt__str_add(&t->records, "\n", 1);
    t->nrecords++;
    if (len > 0 && rec[0] == 'E')
        t->nevents++;
    if (t->on_record)
        t->on_record(t, rec, len);
}

struct rotor_test *rotor_test_new(const struct rotor_config *cfg)
{
    struct rotor_config c;

    if (cfg)
        c = *cfg;
    else
        rotor_config_init(&c);
    c.trace = 0;                /* the records are kept here instead */
    struct rotor_test *t = calloc(1, sizeof *t);
    if (!t) {
        rt__fail(ROTOR_ENOMEM, "rotor_test_new: out of memory");
        return NULL;
    }
    t->loop = rotor_loop_new(&c);
    if (!t->loop || rotor_loop_virtual_clock(t->loop) < 0 ||
        rotor_loop_set_records(t->loop, on_record, t) < 0) {
        int code = rotor_last_code();
        rotor_loop_free(t->loop);
        free(t);
        rt__fail(code, "rotor_test_new: %s", rotor_last_error());
        return NULL;
    }
    return t;
}

void rotor_test_free(struct rotor_test *t)
{
    if (!t)
        return;
    rotor_loop_free(t->loop);
    for (size_t i = 0; i < t->npeers; i++) {
        if (t->peers[i].fd >= 0)
            close(t->peers[i].fd);
        free(t->peers[i].out.v);
    }
    free(t->peers);
    free(t->listeners);
    free(t->records.v);
    free(t->scratch.v);
    free(t);
}

struct rotor_loop *rotor_test_loop(struct rotor_test *t)
{
    if (!t)
        rt__fail(ROTOR_EINVAL, "rotor_test_loop: no test");
    return t ? t->loop : NULL;
}

uint64_t rotor_test_now(struct rotor_test *t)
{
    return t ? rotor_loop_now(t->loop) : 0;
}

/* ---- peers -------------------------------------------------------------- */

static bool same_ref(rotor_ref a, rotor_ref b)
{
    return a.slot == b.slot && a.gen == b.gen;
}

struct rt__peer *rt__peer(struct rotor_test *t, rotor_ref ref)
{
    for (size_t i = 0; i < t->npeers; i++)
        if (same_ref(t->peers[i].ref, ref))
            return &t->peers[i];
    return NULL;
}

static int add_peer(struct rotor_test *t, rotor_ref ref, int fd, int mfd)
{
    if (t->npeers == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        struct rt__peer *v = realloc(t->peers, cap * sizeof *v);
        if (!v)
            return ROTOR_ENOMEM;
        t->peers = v;
        t->cap = cap;
    }
    t->peers[t->npeers++] = (struct rt__peer){ .ref = ref, .fd = fd,
                                               .mfd = mfd };
    return 0;
}

/* Reads what the machine wrote.  Returns the bytes read. */
static size_t collect(struct rt__peer *p)
{
    char buf[4096];
    size_t total = 0;
    ssize_t n;

    while (p->fd >= 0 && (n = read(p->fd, buf, sizeof buf)) > 0) {
        if (rt__str_add(&p->out, buf, (size_t)n) < 0)
            break;
        total += (size_t)n;
    }
    return total;
}

static size_t collect_all(struct rotor_test *t)
{
    size_t n = 0;

    for (size_t i = 0; i < t->npeers; i++)
        n += collect(&t->peers[i]);
    return n;
}

/* ---- running ------------------------------------------------------------ */

int rotor_test_settle(struct rotor_test *t)
{
    if (!t)
        return rt__fail(ROTOR_EINVAL, "rotor_test_settle: no test");
    int quiet = 0;

    collect_all(t);
    for (int round = 0; round < MAX_ROUNDS && quiet < IDLE_ROUNDS; round++) {
        size_t before = t->nrecords;
        int err = rotor_loop_poll(t->loop);
        if (err < 0)
            return err;
        size_t got = collect_all(t);
        quiet = (got == 0 && t->nrecords == before) ? quiet + 1 : 0;
    }
    return 0;
}

int rotor_test_advance(struct rotor_test *t, uint64_t ms)
{
    if (!t)
        return rt__fail(ROTOR_EINVAL, "rotor_test_advance: no test");
    uint64_t next;

    rotor_test_settle(t);
    size_t events = t->nevents;
    /* Timer by timer, so that what each one causes (output, I/O) is
     * served before the next one fires, as on the real clock. */
    while (rotor_loop_next_timer(t->loop, &next) == 1 && next <= ms) {
        int n = rotor_loop_advance(t->loop, next);
        if (n < 0)
            return n;
        ms -= next;
        rotor_test_settle(t);
    }
    int n = rotor_loop_advance(t->loop, ms);
    if (n < 0)
        return n;
    rotor_test_settle(t);
    return (int)(t->nevents - events);
}

int rotor_test_send(struct rotor_test *t, rotor_ref to, int event,
                    void *data)
{
    if (!t)
        return rt__fail(ROTOR_EINVAL, "rotor_test_send: no test");
    int err = rotor_loop_send(t->loop, to, event, data);
    if (err < 0)
        return err;
    return rotor_test_settle(t);
}

/* ---- streams and listeners ---------------------------------------------- */

rotor_ref rotor_test_stream(struct rotor_test *t,
                            const struct rotor_machine_type *type,
                            void *seed)
{
    int sv[2];

    if (!t || !type) {
        rt__fail(ROTOR_EINVAL, "rotor_test_stream: %s",
                 t ? "no machine type" : "no test");
        return ROTOR_REF_NONE;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) < 0) {
        rt__fail(ROTOR_EIO, "rotor_test_stream: socketpair: %s",
                 strerror(errno));
        return ROTOR_REF_NONE;
    }
    rotor_ref ref = rotor_spawn_fd(t->loop, type, sv[0], seed);
    if (!rotor_ref_valid(ref) || add_peer(t, ref, sv[1], sv[0]) < 0) {
        close(sv[1]);           /* sv[0] went with the failed spawn */
        if (rotor_ref_valid(ref))
            rt__fail(ROTOR_ENOMEM, "rotor_test_stream: out of memory");
        return ROTOR_REF_NONE;
    }
    rotor_test_settle(t);
    return ref;
}

rotor_ref rotor_test_listen(struct rotor_test *t,
                            const struct rotor_machine_type *listener,
                            void *seed)
{
    if (!t || !listener) {
        rt__fail(ROTOR_EINVAL, "rotor_test_listen: %s",
                 t ? "no machine type" : "no test");
        return ROTOR_REF_NONE;
    }
    struct rt__listener l = { .addr.sun_family = AF_UNIX };
    /* An abstract name: no file, no network; unique per test loop. */
    int n = snprintf(l.addr.sun_path + 1, sizeof l.addr.sun_path - 1,
                     "rotor-test.%ld.%p.%zu", (long)getpid(), (void *)t,
                     t->nlisteners);
    l.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&l.addr, l.len) < 0 ||
        listen(fd, 64) < 0) {
        rt__fail(ROTOR_EIO, "rotor_test_listen: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return ROTOR_REF_NONE;
    }
    struct rt__listener *v = realloc(t->listeners,
                                     (t->nlisteners + 1) * sizeof *v);
    if (!v) {
        close(fd);
        rt__fail(ROTOR_ENOMEM, "rotor_test_listen: out of memory");
        return ROTOR_REF_NONE;
    }
    t->listeners = v;
    l.ref = rotor_listen(t->loop, listener, fd, seed);
    if (!rotor_ref_valid(l.ref))
        return ROTOR_REF_NONE;
    t->listeners[t->nlisteners++] = l;
    rotor_test_settle(t);
    return l.ref;
}

/* The machine of the last S record of kind `accepted` after offset. */
static rotor_ref accepted_since(struct rotor_test *t, size_t offset)
{
    rotor_ref ref = ROTOR_REF_NONE;
    const char *p = t->records.v ? t->records.v + offset : NULL;

    while (p && *p) {
        struct rt__record r;
        if (rt__parse(p, &r) == 0 && r.kind == 'S' &&
            strcmp(r.f[0], "accepted") == 0)
            ref = r.ref;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    return ref;
}

rotor_ref rotor_test_connect(struct rotor_test *t, rotor_ref listener)
{
    struct rt__listener *l = NULL;

    for (size_t i = 0; t && i < t->nlisteners; i++)
        if (same_ref(t->listeners[i].ref, listener))
            l = &t->listeners[i];
    if (!l) {
        rt__fail(ROTOR_EINVAL, "rotor_test_connect: not a listener of "
                 "this test");
        return ROTOR_REF_NONE;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&l->addr, l->len) < 0) {
        rt__fail(ROTOR_EIO, "rotor_test_connect: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return ROTOR_REF_NONE;
    }
    size_t offset = t->records.len;
    rotor_test_settle(t);
    rotor_ref ref = accepted_since(t, offset);
    if (!rotor_ref_valid(ref) || add_peer(t, ref, fd, -1) < 0) {
        close(fd);
        rt__fail(ROTOR_ENOENT, "rotor_test_connect: the listener spawned "
                 "no machine");
        return ROTOR_REF_NONE;
    }
    rotor_test_settle(t);
    return ref;
}

static struct rt__peer *peer_of(struct rotor_test *t, rotor_ref ref,
                                const char *call)
{
    struct rt__peer *p = t ? rt__peer(t, ref) : NULL;

    if (!t)
        rt__fail(ROTOR_EINVAL, "%s: no test", call);
    else if (!p || p->fd < 0)
        rt__fail(ROTOR_ENOENT, "%s: machine %u.%u has no peer here", call,
                 (unsigned)ref.slot, (unsigned)ref.gen);
    return p && p->fd >= 0 ? p : NULL;
}

int rotor_test_input(struct rotor_test *t, rotor_ref ref, const void *data,
                     size_t n)
{
    struct rt__peer *p = peer_of(t, ref, "rotor_test_input");
    const char *b = data;

    if (!p)
        return rotor_last_code();
    while (n > 0) {
        ssize_t w = write(p->fd, b, n);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return rt__fail(ROTOR_EIO, "rotor_test_input: %s",
                            strerror(errno));
        if (w > 0) {
            b += w;
            n -= (size_t)w;
        }
        size_t before = t->nrecords;
        rotor_test_settle(t);   /* the machine reads: room again */
        p = rt__peer(t, ref);
        if (w <= 0 && t->nrecords == before)
            return rt__fail(ROTOR_EIO, "rotor_test_input: the machine "
                            "reads no more (%zu bytes left)", n);
    }
    return 0;
}

int rotor_test_eof(struct rotor_test *t, rotor_ref ref)
{
    struct rt__peer *p = peer_of(t, ref, "rotor_test_eof");

    if (!p)
        return rotor_last_code();
    if (shutdown(p->fd, SHUT_WR) < 0)
        return rt__fail(ROTOR_EIO, "rotor_test_eof: %s", strerror(errno));
    return rotor_test_settle(t);
}

/* A Unix socket closed with bytes it did not read resets its peer
 * (ECONNRESET on the peer's next read): bytes are put in the peer's
 * receive queue through the machine's own descriptor, then it closes. */
int rotor_test_error(struct rotor_test *t, rotor_ref ref)
{
    struct rt__peer *p = peer_of(t, ref, "rotor_test_error");

    if (!p)
        return rotor_last_code();
    if (p->mfd < 0)
        return rt__fail(ROTOR_ENOTSUP, "rotor_test_error: only for "
                        "rotor_test_stream() machines");
    rotor_test_settle(t);
    /* An ended machine closed its end: the number may be reused. */
    if (!rotor_alive(t->loop, ref))
        return rt__fail(ROTOR_ENOENT, "rotor_test_error: the machine ended");
    if (write(p->mfd, "", 1) != 1)
        return rt__fail(ROTOR_EIO, "rotor_test_error: %s", strerror(errno));
    close(p->fd);
    p->fd = -1;
    return rotor_test_settle(t);
}

const char *rotor_test_output(struct rotor_test *t, rotor_ref ref,
                              size_t *len)
{
    struct rt__peer *p = t ? rt__peer(t, ref) : NULL;

    if (!p) {
        rt__fail(t ? ROTOR_ENOENT : ROTOR_EINVAL, "rotor_test_output: %s",
                 t ? "no peer for that machine" : "no test");
        return NULL;
    }
    collect(p);
    if (len)
        *len = p->out.len;
    return str_or_empty(&p->out);
}

int rotor_test_take_output(struct rotor_test *t, rotor_ref ref)
{
    struct rt__peer *p = t ? rt__peer(t, ref) : NULL;

    if (!p)
        return rt__fail(t ? ROTOR_ENOENT : ROTOR_EINVAL,
                        "rotor_test_take_output: %s",
                        t ? "no peer for that machine" : "no test");
    p->out.len = 0;
    if (p->out.v)
        p->out.v[0] = '\0';
    return 0;
}
