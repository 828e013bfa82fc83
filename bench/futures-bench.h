/* futures-bench.h: shared by bench/bench-futures.c and futures-machine.rsm. */
#ifndef FUTURES_BENCH_H
#define FUTURES_BENCH_H

#include <rotor/rotor.h>

struct fsink_seed {
    long n;                         /* futures to make */
    struct rotor_promise **promises;
};

struct fsink {
    long n, got;
    long long sum;
};

#endif
