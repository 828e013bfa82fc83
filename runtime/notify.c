/*
 * notify.c: the loop's mailbox and notifiers.
 *
 * The mailbox is how other threads reach a loop: a lock-free list of
 * nodes (a notifier's wakeup, a future's resolution), pushed with a
 * compare-and-swap on its head, and one eventfd (a pipe where there is
 * none) written only by the post that finds the list empty.  The loop
 * takes the whole list with one exchange, so a burst of N posts costs it
 * one read and one atomic operation.  The mailbox has its own reference
 * count: every notifier and future holds one, so it outlives the loop
 * while they exist.  A freed loop swaps a "closed" mark into the head:
 * posts fail cleanly from then on, and none can slip in after the last
 * take.
 *
 * From the loop's own thread while it runs, notifications skip all that
 * and go straight to the loop's event queue: no lock, no system call.
 */
#define _GNU_SOURCE   /* pipe2 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#define HAVE_EVENTFD_ 1
#endif

#include "rotor-internal.h"

/* Producers hammer `head`; the loop changes `refs` with every future it
 * makes or frees: apart, they do not share a cache line. */
struct rotor__mailbox {
    _Alignas(64) _Atomic(struct rotor__mnode *) head;  /* newest first */
    _Alignas(64) atomic_uint refs;
    atomic_bool     stop_req;    /* rotor_loop_stop_async() */
    int             rfd, wfd;    /* the same eventfd, or a pipe */
    struct event   *ev;          /* loop thread only */
};

/* The head of a closed mailbox. */
static struct rotor__mnode closed_mark;
#define CLOSED (&closed_mark)

/* The loop running in this thread (for the no-system-call path).  Not
 * initial-exec: that would put all of librotor's thread-locals (the
 * error texts too) in glibc's static TLS room, which a dlopen()ed copy
 * may not find. */
static _Thread_local struct rotor_loop *running_here;

/* What a machine shares with its notifiers: whether it has ended. */
struct rotor__life {
    atomic_uint refs;
    atomic_bool dead;
};

struct rotor_notifier {
    struct rotor__mnode    node;    /* first: the mailbox links it */
    atomic_uint            refs;    /* the user's, and one while queued */
    atomic_bool            pending; /* queued and not yet delivered */
    struct rotor__mailbox *mb;
    struct rotor__life    *life;
    rotor_ref              target;
};

/* ---- the mailbox -------------------------------------------------------- */

void rotor__mailbox_ref(struct rotor__mailbox *mb)
{
    atomic_fetch_add_explicit(&mb->refs, 1, memory_order_relaxed);
}

void rotor__mailbox_unref(struct rotor__mailbox *mb)
{
    if (atomic_fetch_sub_explicit(&mb->refs, 1, memory_order_acq_rel) != 1)
        return;
    close(mb->rfd);
    if (mb->wfd != mb->rfd)
        close(mb->wfd);
    rotor__aligned_free(mb, alignof(struct rotor__mailbox));
}

static int open_fds(struct rotor__mailbox *mb)
{
#ifdef HAVE_EVENTFD_
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd >= 0) {
        mb->rfd = mb->wfd = fd;
        return 0;
    }
#endif
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
        return rotor__fail(ROTOR_EIO,
                           "cannot make the loop's wakeup channel: %s",
                           strerror(errno));
    mb->rfd = p[0];
    mb->wfd = p[1];
    return 0;
}

/* Makes the loop's descriptor readable.  A full pipe or an eventfd at its
 * maximum is readable already, so a failed write loses nothing. */
static void kick(struct rotor__mailbox *mb)
{
    ssize_t r;
    if (mb->rfd == mb->wfd) {
        uint64_t one = 1;
        do
            r = write(mb->wfd, &one, sizeof one);
        while (r < 0 && errno == EINTR);
    } else {
        char c = 0;
        do
            r = write(mb->wfd, &c, 1);
        while (r < 0 && errno == EINTR);
    }
}

static void clear(struct rotor__mailbox *mb)
{
    char buf[256];
    ssize_t r;

    if (mb->rfd == mb->wfd) {
        uint64_t n;
        r = read(mb->rfd, &n, sizeof n);
        return;
    }
    do
        r = read(mb->rfd, buf, sizeof buf);
    while (r == (ssize_t)sizeof buf || (r < 0 && errno == EINTR));
}

/* Takes everything posted; returns it oldest first. */
static struct rotor__mnode *take_all(struct rotor__mailbox *mb,
                                     struct rotor__mnode *replace)
{
    struct rotor__mnode *n =
        atomic_exchange_explicit(&mb->head, replace, memory_order_acquire);
    struct rotor__mnode *list = NULL;

    if (n == CLOSED)
        return NULL;
    while (n) {
        struct rotor__mnode *next = n->next;
        n->next = list;
        list = n;
        n = next;
    }
    return list;
}

static void on_mail(evutil_socket_t fd, short what, void *arg)
{
    struct rotor_loop *loop = arg;

    /* Read before taking: a post after the take finds the list empty and
     * writes the fd again. */
    clear(loop->mbox);
    bool stop = atomic_exchange_explicit(&loop->mbox->stop_req, false,
                                         memory_order_relaxed);
    struct rotor__mnode *n = take_all(loop->mbox, NULL);
    while (n) {
        struct rotor__mnode *next = n->next;   /* n may be freed below */
        if (n->kind == ROTOR_EV_WAKEUP)
            rotor__notifier_arrive(loop, (struct rotor_notifier *)n);
        else
            rotor__future_arrive(loop, (struct rotor_future *)n);
        n = next;
    }
    if (stop)
        rotor_loop_stop(loop);
}

int rotor__mailbox_open(struct rotor_loop *loop)
{
    struct rotor__mailbox *mb =
        rotor__aligned_calloc(alignof(struct rotor__mailbox), sizeof *mb);

    if (!mb)
        return rotor__fail(ROTOR_ENOMEM, "out of memory creating a loop");
    int r = open_fds(mb);
    if (r < 0) {
        rotor__aligned_free(mb, alignof(struct rotor__mailbox));
        return r;
    }
    atomic_init(&mb->head, NULL);
    atomic_init(&mb->refs, 1);
    atomic_init(&mb->stop_req, false);
    mb->ev = event_new(loop->base, mb->rfd, EV_READ | EV_PERSIST, on_mail,
                       loop);
    if (!mb->ev || event_add(mb->ev, NULL) < 0) {
        if (mb->ev)
            event_free(mb->ev);
        rotor__mailbox_unref(mb);
        return rotor__fail(ROTOR_EIO,
                           "cannot watch the loop's wakeup channel");
    }
    loop->mbox = mb;
    return 0;
}

static void discard(struct rotor__mnode *n)
{
    while (n) {
        struct rotor__mnode *next = n->next;
        if (n->kind == ROTOR_EV_WAKEUP)
            rotor__notifier_arrive(NULL, (struct rotor_notifier *)n);
        else
            rotor__future_discard((struct rotor_future *)n);
        n = next;
    }
}

void rotor__mailbox_close(struct rotor_loop *loop)
{
    struct rotor__mailbox *mb = loop->mbox;

    if (!mb)
        return;
    event_free(mb->ev);
    mb->ev = NULL;
    /* Closed first: a destructor run below that posts again fails and
     * disposes of its value at once. */
    discard(take_all(mb, CLOSED));
    loop->mbox = NULL;
    rotor__mailbox_unref(mb);
}

int rotor__mailbox_post(struct rotor__mailbox *mb, struct rotor__mnode *n)
{
    struct rotor__mnode *old =
        atomic_load_explicit(&mb->head, memory_order_relaxed);

    do {
        if (old == CLOSED)
            return ROTOR_ESHUTDOWN;
        n->next = old;
    } while (!atomic_compare_exchange_weak_explicit(
                 &mb->head, &old, n, memory_order_release,
                 memory_order_relaxed));
    /* Only the post that found the list empty wakes the loop; the caller
     * holds a reference to mb, so the fd is still open. */
    if (!old)
        kick(mb);
    return 0;
}

static bool is_closed(struct rotor__mailbox *mb)
{
    return atomic_load_explicit(&mb->head, memory_order_acquire) == CLOSED;
}

struct rotor_loop *rotor__mailbox_enter(struct rotor_loop *loop)
{
    struct rotor_loop *prev = running_here;

    running_here = loop;
    return prev;
}

struct rotor_loop *rotor__mailbox_local(struct rotor__mailbox *mb)
{
    struct rotor_loop *loop = running_here;

    return loop && loop->mbox == mb ? loop : NULL;
}

struct rotor__mailbox *rotor__loop_mailbox(struct rotor_loop *loop)
{
    return loop->mbox;
}

int rotor_loop_stop_async(struct rotor_loop *loop)
{
    struct rotor__mailbox *mb = loop ? loop->mbox : NULL;

    if (!mb)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_stop_async: no loop");
    if (rotor__mailbox_local(mb))
        return rotor_loop_stop(loop);
    atomic_store_explicit(&mb->stop_req, true, memory_order_relaxed);
    kick(mb);
    return 0;
}

/* ---- notifiers ---------------------------------------------------------- */

static void life_unref(struct rotor__life *l)
{
    if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1)
        rotor__free(l);
}

void rotor__life_end(struct rotor_scope *m)
{
    if (!m->life)
        return;
    atomic_store_explicit(&m->life->dead, true, memory_order_release);
    life_unref(m->life);
    m->life = NULL;
}

static void notifier_unref(struct rotor_notifier *n)
{
    if (atomic_fetch_sub_explicit(&n->refs, 1, memory_order_acq_rel) != 1)
        return;
    life_unref(n->life);
    rotor__mailbox_unref(n->mb);
    rotor__free(n);
}

/* The machine's share of its notifiers, made with the first one. */
static struct rotor__life *life_of(struct rotor_scope *m)
{
    if (!m->life) {
        struct rotor__life *l = rotor__malloc(sizeof *l);
        if (!l)
            return NULL;
        atomic_init(&l->refs, 1);       /* the machine's */
        atomic_init(&l->dead, false);
        m->life = l;
    }
    return m->life;
}

struct rotor_notifier *rotor_notifier_new(rotor_scope *s)
{
    if (!s) {
        rotor__fail(ROTOR_EINVAL, "rotor_notifier_new: no machine");
        return NULL;
    }
    struct rotor_notifier *n = rotor__malloc(sizeof *n);

    if (!n || !life_of(s)) {
        rotor__free(n);
        rotor__fail(ROTOR_ENOMEM, "rotor_notifier_new: out of memory");
        return NULL;
    }
    n->node.next = NULL;
    n->node.kind = ROTOR_EV_WAKEUP;
    atomic_init(&n->refs, 1);
    atomic_init(&n->pending, false);
    n->mb = s->loop->mbox;
    rotor__mailbox_ref(n->mb);
    n->life = s->life;
    atomic_fetch_add_explicit(&n->life->refs, 1, memory_order_relaxed);
    n->target = s->ref;
    return n;
}

static int machine_ended(void)
{
    return rotor__fail(ROTOR_ESHUTDOWN,
                       "rotor_notifier_notify: the machine has ended");
}

static int loop_freed(void)
{
    return rotor__fail(ROTOR_ESHUTDOWN,
                       "rotor_notifier_notify: the loop has been freed");
}

/* In the loop's own thread: straight to the event queue. */
static int notify_local(struct rotor_loop *loop, struct rotor_notifier *n)
{
    if (!rotor__table_get(&loop->table, n->target))
        return machine_ended();
    int r = rotor__queue_push(&loop->queue, n->target, ROTOR_EV_WAKEUP, NULL);
    if (r < 0)
        return r;
    rotor__drain(loop);
    return 0;
}

int rotor_notifier_notify(struct rotor_notifier *n)
{
    if (!n)
        return rotor__fail(ROTOR_EINVAL, "rotor_notifier_notify: no notifier");
    if (is_closed(n->mb))
        return loop_freed();
    if (atomic_load_explicit(&n->life->dead, memory_order_acquire))
        return machine_ended();
    struct rotor_loop *loop = rotor__mailbox_local(n->mb);
    if (loop)
        return notify_local(loop, n);
    /* One queued wakeup at a time: a pending one covers this call. */
    if (atomic_exchange_explicit(&n->pending, true, memory_order_acq_rel))
        return 0;
    atomic_fetch_add_explicit(&n->refs, 1, memory_order_relaxed);
    if (rotor__mailbox_post(n->mb, &n->node) < 0) {
        atomic_store_explicit(&n->pending, false, memory_order_relaxed);
        notifier_unref(n);
        return loop_freed();
    }
    return 0;
}

void rotor_notifier_free(struct rotor_notifier *n)
{
    if (n)
        notifier_unref(n);
}

/* loop NULL: the loop is being freed, nothing is delivered. */
void rotor__notifier_arrive(struct rotor_loop *loop, struct rotor_notifier *n)
{
    /* An exchange, not a store: it reads the notifier's last `pending`
     * write, so whatever a merged notify's caller wrote before is
     * visible to the machine that handles this wakeup. */
    atomic_exchange_explicit(&n->pending, false, memory_order_acq_rel);
    struct rotor_scope *m =
        loop ? rotor__table_get(&loop->table, n->target) : NULL;
    if (m) {
        rotor__deliver(m, ROTOR_EV_WAKEUP, NULL);
        rotor__drain(loop);
    }
    notifier_unref(n);
}
