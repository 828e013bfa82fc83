/* dispatch-bench.h: shared by bench/bench-dispatch.c and dispatch-machine.rsm. */
#ifndef DISPATCH_BENCH_H
#define DISPATCH_BENCH_H

#include <rotor/rotor.h>

struct dsm;
/* How an action sends the next event: rotor_raise, a hand-written queue,
 * or nothing (the caller feeds the events). */
typedef void dsm_push_fn(struct dsm *self, rotor_scope *s, int event);

struct dsm {
    long count, limit;
    dsm_push_fn *push;
    void *queue;
};

#endif
