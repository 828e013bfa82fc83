/*
 * timeout.c: state timeouts share libevent common timeouts, one per
 * distinct duration.  Thousands of connections arming the same idle
 * timeout then sit in a FIFO instead of the timer heap, so arming and
 * cancelling cost O(1).
 */
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
        struct rotor__tmo *v = realloc(c->v, ncap * sizeof *v);
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
    free(c->v);
    c->v = NULL;
    c->n = c->cap = c->last = 0;
}
