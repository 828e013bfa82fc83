/*
 * clock.c: the loop's clock and the virtual timers of a loop under test.
 *
 * A virtual timer is the machine's own struct event, never added to
 * libevent: it sits in a binary heap ordered by (due, arming order), and
 * rotor_loop_advance() calls its callback as libevent would.  The heap is
 * small (the timers of a test's machines): cancelling and re-arming look
 * it through linearly.
 */
#define _POSIX_C_SOURCE 200809L  /* clock_gettime */
#include "config.h"

#include <time.h>

#include "rotor-internal.h"
#include "rotor/clock.h"

struct rotor__vtimer {
    uint64_t      due;          /* microseconds on the virtual clock */
    uint64_t      seq;          /* arming order: ties fire FIFO */
    struct event *ev;
};

struct rotor__vclock {
    uint64_t              now;  /* microseconds */
    uint64_t              seq;
    struct rotor__vtimer *heap;
    size_t                n, cap;
};

uint64_t rotor__real_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool rotor__fired_early(struct rotor_loop *loop, struct event *ev,
                        uint64_t due_us)
{
    uint64_t now = rotor__now_us(loop);

    if (now >= due_us)
        return false;
    uint64_t left = due_us - now;
    struct timeval tv = { (time_t)(left / 1000000u),
                          (suseconds_t)(left % 1000000u) };
    return rotor__timer_add(loop, ev, &tv) == 0;
}

uint64_t rotor__vclock_now(const struct rotor_loop *loop)
{
    return loop->vclock->now;
}

static bool before(const struct rotor__vtimer *a, const struct rotor__vtimer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void swap(struct rotor__vtimer *h, size_t i, size_t j)
{
    struct rotor__vtimer t = h[i];

    h[i] = h[j];
    h[j] = t;
}

static void sift_up(struct rotor__vtimer *h, size_t i)
{
    while (i > 0 && before(&h[i], &h[(i - 1) / 2])) {
        swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(struct rotor__vtimer *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(&h[l], &h[m]))
            m = l;
        if (r < n && before(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        swap(h, i, m);
        i = m;
    }
}

static void remove_at(struct rotor__vclock *c, size_t i)
{
    c->heap[i] = c->heap[--c->n];
    if (i < c->n) {
        sift_down(c->heap, c->n, i);
        sift_up(c->heap, i);
    }
}

void rotor__vtimer_del(struct rotor_loop *loop, struct event *ev)
{
    struct rotor__vclock *c = loop->vclock;

    for (size_t i = 0; i < c->n; i++) {
        if (c->heap[i].ev == ev) {
            remove_at(c, i);
            return;
        }
    }
}

/* Like event_add() on a pending timer: re-arming moves it. */
int rotor__vtimer_add(struct rotor_loop *loop, struct event *ev,
                      const struct timeval *tv)
{
    struct rotor__vclock *c = loop->vclock;

    rotor__vtimer_del(loop, ev);
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        struct rotor__vtimer *h = rotor__realloc(c->heap, ncap * sizeof *h);
        if (!h)
            return -1;
        c->heap = h;
        c->cap = ncap;
    }
    /* A common timeout's tv_usec carries libevent's magic and index in
     * its high bits; the microseconds are the low 20 (a plain timeval's
     * are below 2^20 anyway). */
    uint64_t usec = (uint64_t)tv->tv_usec & 0xfffffu;
    uint64_t us = (uint64_t)tv->tv_sec * 1000000u + usec;
    c->heap[c->n] = (struct rotor__vtimer){ c->now + us, c->seq++, ev };
    sift_up(c->heap, c->n++);
    return 0;
}

int rotor_loop_virtual_clock(struct rotor_loop *loop)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_virtual_clock: no loop");
    if (loop->live > 0 || loop->running || loop->current)
        return rotor__fail(ROTOR_EBUSY, "rotor_loop_virtual_clock: "
                           "machines live already");
    if (loop->vclock)
        return 0;
    loop->vclock = rotor__calloc(1, sizeof *loop->vclock);
    if (!loop->vclock)
        return rotor__fail(ROTOR_ENOMEM, "rotor_loop_virtual_clock: "
                           "out of memory");
    loop->born_us = 0;          /* rotor_loop_now() reads 0 from here */
    return 0;
}

void rotor__vclock_free(struct rotor_loop *loop)
{
    if (!loop->vclock)
        return;
    rotor__free(loop->vclock->heap);
    rotor__free(loop->vclock);
    loop->vclock = NULL;
}

static int check_virtual(struct rotor_loop *loop, const char *call)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "%s: no loop", call);
    if (!loop->vclock)
        return rotor__fail(ROTOR_ENOTSUP, "%s: the loop's clock is real",
                           call);
    return 0;
}

/* Pops the earliest timer if it is due by `until`, and sets the clock to
 * its due time.  NULL when none is. */
static struct event *pop_due(struct rotor__vclock *c, uint64_t until)
{
    if (c->n == 0 || c->heap[0].due > until)
        return NULL;
    struct event *ev = c->heap[0].ev;
    if (c->heap[0].due > c->now)
        c->now = c->heap[0].due;
    remove_at(c, 0);
    return ev;
}

int rotor_loop_advance(struct rotor_loop *loop, uint64_t ms)
{
    int err = check_virtual(loop, "rotor_loop_advance");

    if (err < 0)
        return err;
    if (loop->current)
        return rotor__fail(ROTOR_EBUSY, "rotor_loop_advance: called from "
                           "an action");
    struct rotor__vclock *c = loop->vclock;
    uint64_t left = UINT64_MAX - c->now;
    uint64_t until = ms > left / 1000u ? UINT64_MAX : c->now + ms * 1000u;
    struct rotor_loop *outer = rotor__mailbox_enter(loop);
    struct event *ev;
    int fired = 0;

    rotor__drain(loop);
    while ((ev = pop_due(c, until)) != NULL) {
        /* Called as libevent calls a timer's callback; the callbacks
         * drain the queue themselves. */
        event_callback_fn cb = event_get_callback(ev);
        cb(-1, EV_TIMEOUT, event_get_callback_arg(ev));
        fired++;
    }
    c->now = until;
    rotor__mailbox_enter(outer);
    return fired;
}

int rotor_loop_next_timer(struct rotor_loop *loop, uint64_t *ms)
{
    int err = check_virtual(loop, "rotor_loop_next_timer");

    if (err < 0)
        return err;
    if (!ms)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_next_timer: no ms");
    struct rotor__vclock *c = loop->vclock;
    if (c->n == 0)
        return 0;
    uint64_t left = c->heap[0].due > c->now ? c->heap[0].due - c->now : 0;
    *ms = (left + 999u) / 1000u;
    return 1;
}

uint64_t rotor_loop_now(struct rotor_loop *loop)
{
    if (!loop) {
        rotor__fail(ROTOR_EINVAL, "rotor_loop_now: no loop");
        return 0;
    }
    /* Read now (not a callback's one reading): a caller may measure
     * what its action took. */
    return (rotor__clock_us(loop) - loop->born_us) / 1000u;
}
