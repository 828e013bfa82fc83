/*
 * timeout.c: state timeouts share libevent common timeouts, one per
 * distinct duration.  Thousands of connections arming the same idle
 * timeout then sit in a FIFO instead of the timer heap, so arming and
 * cancelling cost O(1).
 */
#define _POSIX_C_SOURCE 200809L  /* suseconds_t */
#include "config.h"

#include <stdlib.h>

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
            rotor__fail(ROTOR_ENOMEM, "out of memory arming a timeout");
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
static bool arm_level0(struct rotor_scope *m, uint32_t ms)
{
    m->t0_due = rotor__now_us(m->loop) + (uint64_t)ms * 1000u;
    if ((m->timers_on & 1u) && m->t0_ms == ms)
        return true;            /* pending already; fires at or before due */
    const struct timeval *tv = rotor__timeout_tv(m->loop, ms);
    if (!tv || rotor__timer_add(m->loop, &m->timer, tv) < 0)
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
    if (rotor__fired_early(m->loop, &m->timer, m->t0_due)) {
        m->t0_ms = 0;           /* an odd duration: re-add on the next arm */
        m->timers_on |= 1u;
        return false;
    }
    m->t0_due = 0;
    return true;                /* due, or cannot wait longer: fire now */
}

/* The tag says whose timeout it is: the generated dispatch hands it to
 * the state of that depth and the states around it, and `on
 * timeout(NAME)` to the one named. */
static void deliver_timeout(struct rotor_scope *m, int state, int slot)
{
    struct rotor_loop *loop = m->loop;
    struct rotor_event ev = ROTOR__EVENT(ROTOR_EV_TIMEOUT, NULL);

    ev.tag = ROTOR_TIMEOUT_TAG(m->type->states[state].depth, slot);
    ev.origin = state;
    rotor__deliver_ev(m, &ev);
    rotor__drain(loop);
}

/* A level timer belongs to the active state of that depth. */
static void fire(struct rotor_scope *m, int level)
{
    int s = m->state;

    m->timers_on &= (uint16_t)~(1u << level);
    while (s >= 0 && m->type->states[s].depth > level)
        s = m->type->states[s].parent;
    if (s >= 0)
        deliver_timeout(m, s, 0);
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
    if (rotor__fired_early(t->m->loop, &t->ev, t->due_us))
        return;
    fire(t->m, t->level);
}

static struct event *timer_of(struct rotor_scope *m, int level)
{
    if (level == 0)
        return &m->timer;
    if (!m->deep) {
        m->deep = rotor__calloc(ROTOR_MAX_DEPTH - 1, sizeof *m->deep);
        if (!m->deep) {
            rotor__fail(ROTOR_ENOMEM, "%s: out of memory arming a timeout",
                        m->type->name);
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
    return rotor__fail(ROTOR_ENOMEM, "%s: cannot arm the timeout of state %s",
                       m->type->name, m->type->states[m->state].name);
}

static void cancel_from(struct rotor_scope *m, int keep)
{
    if (keep == 0)
        m->t0_due = 0;          /* lazily: see level0_due() */
    /* Up to the deepest level armed: most machines have none above 0,
     * and an external transition per message comes here. */
    for (int level = keep > 0 ? keep : 1;
         level < ROTOR_MAX_DEPTH && (m->timers_on >> level) != 0; level++) {
        if (m->timers_on & (1u << level)) {
            rotor__timer_del(m->loop, timer_of(m, level));
            m->timers_on &= (uint16_t)~(1u << level);
        }
    }
}

/* ---- per-state timers: named timeouts, statecharts -------------------- */

static void state_fired(evutil_socket_t fd, short what, void *arg)
{
    struct rotor__state_timer *t = arg;
    int state = t->state;

    (void)fd;
    (void)what;
    if (rotor__fired_early(t->m->loop, &t->ev, t->due_us))
        return;
    t->state = -1;
    deliver_timeout(t->m, state, t->slot);
}

/* A free timer of m's, made when none is (never moved: libevent holds
 * pointers to pending ones). */
static struct rotor__state_timer *free_timer(struct rotor_scope *m)
{
    for (uint32_t i = 0; i < m->nstimers; i++)
        if (m->stimers[i]->state < 0)
            return m->stimers[i];
    struct rotor__state_timer **v =
        rotor__realloc(m->stimers, (m->nstimers + 1) * sizeof *v);
    if (!v)
        return NULL;
    m->stimers = v;
    struct rotor__state_timer *t = rotor__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->m = m;
    t->state = -1;
    event_assign(&t->ev, m->loop->base, -1, 0, state_fired, t);
    v[m->nstimers++] = t;
    return t;
}

static int arm_one(struct rotor_scope *m, int state, int slot, uint32_t ms)
{
    const struct timeval *tv = rotor__timeout_tv(m->loop, ms);
    struct rotor__state_timer *t = tv ? free_timer(m) : NULL;

    if (!t || rotor__timer_add(m->loop, &t->ev, tv) < 0)
        return rotor__fail(ROTOR_ENOMEM, "%s: cannot arm the timeout of "
                           "state %s", m->type->name,
                           m->type->states[state].name);
    t->state = state;
    t->slot = (uint8_t)slot;
    t->due_us = rotor__now_us(m->loop) + (uint64_t)ms * 1000u;
    return 0;
}

int rotor__state_timers_arm(struct rotor_scope *m, int state,
                            bool with_anonymous)
{
    const struct rotor_state_info *st = &m->type->states[state];

    if (with_anonymous && st->timeout_ms &&
        arm_one(m, state, 0, st->timeout_ms) < 0)
        return -1;
    for (int i = 0; i < st->ntimeouts; i++)
        if (arm_one(m, state, i + 1, st->timeouts[i].ms) < 0)
            return -1;
    return 0;
}

void rotor__state_timers_cancel(struct rotor_scope *m, int state)
{
    for (uint32_t i = 0; i < m->nstimers; i++) {
        struct rotor__state_timer *t = m->stimers[i];
        if (t->state == state) {
            rotor__timer_del(m->loop, &t->ev);
            t->state = -1;
        }
    }
}

/* Flat and hierarchical machines: the named timers of the levels that
 * an external transition left. */
static void cancel_named_from(struct rotor_scope *m, int keep)
{
    for (uint32_t i = 0; i < m->nstimers; i++) {
        struct rotor__state_timer *t = m->stimers[i];
        if (t->state >= 0 && m->type->states[t->state].depth >= keep) {
            rotor__timer_del(m->loop, &t->ev);
            t->state = -1;
        }
    }
}

int rotor__timers_apply(struct rotor_scope *m, int keep)
{
    const struct rotor_state_info *states = m->type->states;

    cancel_from(m, keep);
    if (m->nstimers)
        cancel_named_from(m, keep);
    for (int s = m->state; s >= 0 && states[s].depth >= keep;
         s = states[s].parent) {
        int level = states[s].depth;
        if ((states[s].timeout_ms | states[s].ntimeouts) == 0 ||
            level >= ROTOR_MAX_DEPTH)
            continue;
        if (states[s].ntimeouts && rotor__state_timers_arm(m, s, false) < 0)
            return -1;
        if (states[s].timeout_ms == 0)
            continue;
        if (level == 0) {
            if (!arm_level0(m, states[s].timeout_ms))
                return timer_failed(m);
            continue;
        }
        const struct timeval *tv = rotor__timeout_tv(m->loop, states[s].timeout_ms);
        struct event *ev = tv ? timer_of(m, level) : NULL;
        if (!ev || rotor__timer_add(m->loop, ev, tv) < 0)
            return timer_failed(m);
        m->deep[level - 1].due_us =
            rotor__now_us(m->loop) + (uint64_t)states[s].timeout_ms * 1000u;
        m->timers_on |= (uint16_t)(1u << level);
    }
    return 0;
}

void rotor__timers_fini(struct rotor_scope *m)
{
    for (uint32_t i = 0; i < m->nstimers; i++) {
        if (m->stimers[i]->state >= 0)
            rotor__timer_del(m->loop, &m->stimers[i]->ev);
        rotor__free(m->stimers[i]);
    }
    rotor__free(m->stimers);
    m->stimers = NULL;
    m->nstimers = 0;
    cancel_from(m, 0);
    if (m->timers_on & 1u)
        rotor__timer_del(m->loop, &m->timer);
    m->timers_on = 0;
    rotor__free(m->deep);
    m->deep = NULL;
}
