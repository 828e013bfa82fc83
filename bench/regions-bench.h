/* regions-bench.h: shared by bench/bench-regions.c and regions-machine.rsm. */
#ifndef REGIONS_BENCH_H
#define REGIONS_BENCH_H

#include <rotor/rotor.h>

struct rgb;
typedef void rgb_push_fn(struct rgb *self, rotor_scope *s, int event);

struct rgb {
    long count, limit, work;
    rgb_push_fn *push;
    void *queue;
};

#endif
