/*
 * table.c: the machine table.  A slot's generation changes every time
 * the slot is freed, so a rotor_ref kept after its machine ended never
 * names the slot's next occupant.  Free slots are reused last in, first
 * out, which keeps the live part of the table small and warm.
 */
#include "config.h"

#include <stdlib.h>

#include "rotor-internal.h"

#define FIRST_CAP 64u

int rotor__table_init(struct rotor__table *t, size_t max)
{
    if (max == 0)
        return rotor__fail(ROTOR_EINVAL, "max_machines must be at least 1");
    t->slots = NULL;
    t->cap = 0;
    /* UINT32_MAX is the free list's end marker, never a slot. */
    t->max = max >= ROTOR__NO_SLOT ? ROTOR__NO_SLOT - 1 : (uint32_t)max;
    t->free_head = ROTOR__NO_SLOT;
    return 0;
}

void rotor__table_fini(struct rotor__table *t)
{
    rotor__free(t->slots);
    t->slots = NULL;
    t->cap = 0;
}

/* Adds slots [cap, ncap) to the free list, lowest index first out. */
static int grow(struct rotor__table *t)
{
    uint32_t ncap = t->cap ? t->cap * 2 : FIRST_CAP;

    if (t->cap == t->max)
        return rotor__fail(ROTOR_ENOSPC, "machine table full (%u machines)",
                           (unsigned)t->max);
    if (ncap > t->max || ncap < t->cap)
        ncap = t->max;
    struct rotor__slot *s = rotor__realloc(t->slots, ncap * sizeof *s);
    if (!s)
        return rotor__fail(ROTOR_ENOMEM,
                           "out of memory growing the machine table");
    for (uint32_t i = ncap; i-- > t->cap;) {
        s[i].m = NULL;
        s[i].gen = 1;
        s[i].next_free = t->free_head;
        t->free_head = i;
    }
    t->slots = s;
    t->cap = ncap;
    return 0;
}

int rotor__table_put(struct rotor__table *t, struct rotor_scope *m)
{
    if (t->free_head == ROTOR__NO_SLOT) {
        int r = grow(t);
        if (r < 0)
            return r;
    }
    uint32_t i = t->free_head;
    struct rotor__slot *s = &t->slots[i];
    t->free_head = s->next_free;
    s->m = m;
    m->ref.slot = i;
    m->ref.gen = s->gen;
    return 0;
}

struct rotor_scope *rotor__table_get(const struct rotor__table *t,
                                     rotor_ref ref)
{
    if (ref.slot >= t->cap)
        return NULL;
    const struct rotor__slot *s = &t->slots[ref.slot];
    if (s->gen != ref.gen || !s->m || s->m->ending)
        return NULL;
    return s->m;
}

void rotor__table_release(struct rotor__table *t, struct rotor_scope *m)
{
    struct rotor__slot *s = &t->slots[m->ref.slot];

    s->m = NULL;
    if (++s->gen == 0)
        s->gen = 1;
    s->next_free = t->free_head;
    t->free_head = m->ref.slot;
}

bool rotor_ref_valid(rotor_ref ref)
{
    return ref.gen != 0;
}
