/*
 * queue.c: the loop's FIFO of raised and sent events, a ring buffer that
 * doubles when full and never shrinks (its size follows the longest burst).
 */
#include "config.h"

#include <stdlib.h>

#include "rotor-internal.h"

/* Doubles the ring, unrolling it so that it starts at index 0. */
static int grow(struct rotor__queue *q)
{
    size_t ncap = q->cap ? q->cap * 2 : 8;
    struct rotor__qev *ev = rotor__malloc(ncap * sizeof *ev);

    if (!ev)
        return rotor__error("out of memory queueing an event");
    for (size_t i = 0; i < q->len; i++)
        ev[i] = q->ev[(q->head + i) & (q->cap - 1)];
    rotor__free(q->ev);
    q->ev = ev;
    q->cap = ncap;
    q->head = 0;
    return 0;
}

int rotor__queue_push(struct rotor__queue *q, rotor_ref to, int kind,
                      void *data)
{
    if (q->len == q->cap && grow(q) < 0)
        return -1;
    struct rotor__qev *e = &q->ev[(q->head + q->len) & (q->cap - 1)];
    e->to = to;
    e->kind = kind;
    e->data = data;
    q->len++;
    return 0;
}

bool rotor__queue_pop(struct rotor__queue *q, struct rotor__qev *out)
{
    if (q->len == 0)
        return false;
    *out = q->ev[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->len--;
    return true;
}

void rotor__queue_fini(struct rotor__queue *q)
{
    rotor__free(q->ev);
    q->ev = NULL;
    q->cap = q->head = q->len = 0;
}
