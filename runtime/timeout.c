/*
 * timeout.c: state timeouts share libevent common timeouts, one per
 * distinct duration.  Thousands of connections arming the same idle
 * timeout then sit in a FIFO instead of the timer heap, so arming and
 * cancelling cost O(1).
 */
#define _POSIX_C_SOURCE 200809L  /* clock_gettime */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "rotor-internal.h"

static struct rotor__tmo *find(struct rotor__tmo_cache *c, uint32_t ms)
{
    if (c->n && c->v[c->last].ms == ms)
        return &c->v[c->last];
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].ms == ms) {
            c->last = i;
            return &c->v[i];
        }
    }
    return NULL;
}

static struct rotor__tmo *add(struct rotor_loop *loop, uint32_t ms)
{
    struct rotor__tmo_cache *c = &loop->tmo;

    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 8;
        struct rotor__tmo *v = rotor__realloc(c->v, ncap * sizeof *v);
        if (!v) {
            rotor__error("out of memory arming a timeout");
            return NULL;
        }
        c->v = v;
        c->cap = ncap;
    }
    struct rotor__tmo *t = &c->v[c->n];
    t->ms = ms;
    t->tv.tv_sec = ms / 1000;
    t->tv.tv_usec = (ms % 1000) * 1000;
    /* libevent has a limited number of common timeouts; past it a plain
     * timeout (the heap) still works. */
    const struct timeval *common =
        event_base_init_common_timeout(loop->base, &t->tv);
    if (common)
        t->tv = *common;
    c->last = c->n++;
    return t;
}

const struct timeval *rotor__timeout_tv(struct rotor_loop *loop, uint32_t ms)
{
    struct rotor__tmo *t = find(&loop->tmo, ms);

    if (!t)
        t = add(loop, ms);
    return t ? &t->tv : NULL;
}

void rotor__timeout_fini(struct rotor__tmo_cache *c)
{
    rotor__free(c->v);
    c->v = NULL;
    c->n = c->cap = c->last = 0;
}

/* ---- per-level timers of a machine ------------------------------------ */

/* The outermost level (all a flat machine has) is re-armed lazily: an idle
 * timeout re-armed by every request would otherwise cost an event_del and
 * an event_add each time.  Re-arming only moves t0_due; the libevent timer
 * stays where it was, and when it fires early it is added again for what
 * is left.  Cancelling clears t0_due; a timer that fires then is ignored. */
static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool arm_level0(struct rotor_scope *m, uint32_t ms)
{
    m->t0_due = now_us() + (uint64_t)ms * 1000u;
    if ((m->timers_on & 1u) && m->t0_ms == ms)
        return true;            /* pending already; fires at or before due */
    const struct timeval *tv = rotor__timeout_tv(m->loop, ms);
    if (!tv || event_add(&m->timer, tv) < 0)
        return false;
    m->t0_ms = ms;
    m->timers_on |= 1u;
    return true;
}

/* The level-0 timer fired: true when the timeout is really due. */
static bool level0_due(struct rotor_scope *m)
{
    m->timers_on &= (uint16_t)~1u;
    if (m->t0_due == 0)
        return false;           /* cancelled meanwhile */
    uint64_t now = now_us();
    if (now >= m->t0_due) {
        m->t0_due = 0;
        return true;
    }
    uint64_t left = m->t0_due - now;
    struct timeval tv = { (time_t)(left / 1000000u),
                          (suseconds_t)(left % 1000000u) };
    if (event_add(&m->timer, &tv) == 0) {
        m->t0_ms = 0;           /* an odd duration: re-add on the next arm */
        m->timers_on |= 1u;
        return false;
    }
    m->t0_due = 0;
    return true;                /* cannot wait longer: fire now */
}

static void fire(struct rotor_scope *m, int level)
{
    struct rotor_loop *loop = m->loop;
    struct rotor_event ev = ROTOR__EVENT(ROTOR_EV_TIMEOUT, NULL);

    /* the tag says whose timeout it is: the generated dispatch hands it
     * to the state of that depth and the states around it */
    ev.tag = level;
    m->timers_on &= (uint16_t)~(1u << level);
    rotor__deliver_ev(m, &ev);
    rotor__drain(loop);
}

void rotor__timer_fired(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    if (level0_due(arg))
        fire(arg, 0);
}

static void deep_fired(evutil_socket_t fd, short what, void *arg)
{
    struct rotor__level_timer *t = arg;

    (void)fd;
    (void)what;
    fire(t->m, t->level);
}

static struct event *timer_of(struct rotor_scope *m, int level)
{
    if (level == 0)
        return &m->timer;
    if (!m->deep) {
        m->deep = rotor__calloc(ROTOR_MAX_DEPTH - 1, sizeof *m->deep);
        if (!m->deep) {
            rotor__error("%s: out of memory arming a timeout", m->type->name);
            return NULL;
        }
        for (int i = 0; i < ROTOR_MAX_DEPTH - 1; i++) {
            m->deep[i].m = m;
            m->deep[i].level = i + 1;
            event_assign(&m->deep[i].ev, m->loop->base, -1, 0, deep_fired,
                         &m->deep[i]);
        }
    }
    return &m->deep[level - 1].ev;
}

/* A timeout that cannot be armed would leave the machine waiting for
 * ever: the caller ends it as an error. */
static int timer_failed(struct rotor_scope *m)
{
    return rotor__error("%s: cannot arm the timeout of state %s",
                        m->type->name, m->type->states[m->state].name);
}

static void cancel_from(struct rotor_scope *m, int keep)
{
    if (keep == 0)
        m->t0_due = 0;          /* lazily: see level0_due() */
    for (int level = keep > 0 ? keep : 1; level < ROTOR_MAX_DEPTH; level++) {
        if (m->timers_on & (1u << level)) {
            event_del(timer_of(m, level));
            m->timers_on &= (uint16_t)~(1u << level);
        }
    }
}

int rotor__timers_apply(struct rotor_scope *m, int keep)
{
    const struct rotor_state_info *states = m->type->states;

    cancel_from(m, keep);
    for (int s = m->state; s >= 0 && states[s].depth >= keep;
         s = states[s].parent) {
        int level = states[s].depth;
        if (states[s].timeout_ms == 0 || level >= ROTOR_MAX_DEPTH)
            continue;
        if (level == 0) {
            if (!arm_level0(m, states[s].timeout_ms))
                return timer_failed(m);
            continue;
        }
        const struct timeval *tv = rotor__timeout_tv(m->loop, states[s].timeout_ms);
        struct event *ev = tv ? timer_of(m, level) : NULL;
        if (!ev || event_add(ev, tv) < 0)
            return timer_failed(m);
        m->timers_on |= (uint16_t)(1u << level);
    }
    return 0;
}

void rotor__timers_fini(struct rotor_scope *m)
{
    cancel_from(m, 0);
    if (m->timers_on & 1u)
        event_del(&m->timer);
    m->timers_on = 0;
    rotor__free(m->deep);
    m->deep = NULL;
}
