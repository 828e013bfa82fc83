/*
 * bench-futures: values per second from P producer threads into one loop.
 *
 *     bench-futures [-n VALUES] [-r ROUNDS] [-p MAX_PRODUCERS] [-o]
 *
 * rotor: a machine makes VALUES futures (not timed), hands the promises
 * to P threads (a contiguous block each), which resolve and free them as
 * fast as they can; timed from the
 * threads' start to the machine's last `resolved`.
 * baseline: the same P threads write one 8-byte message per write() to a
 * pipe that the loop's libevent callback reads (4 KiB per read); timed the
 * same way.  Both carry the same number, summed by the receiver, so both
 * check that nothing was lost.
 *
 * Rounds alternate rotor and baseline; the medians and their ratio are
 * printed, one line per P from 1 to MAX_PRODUCERS (with -o: for
 * MAX_PRODUCERS only).
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "futures-bench.h"
#include "futures-machine.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench-futures: %s: %s\n", what, rotor_last_error());
    exit(1);
}

/* ---- the producers ------------------------------------------------------ */

struct producer {
    pthread_t t;
    int       id, nprod;
    long      n;
    struct rotor_promise **promises;   /* rotor */
    int       wfd;                     /* baseline */
    atomic_int *go;
};

static void wait_go(atomic_int *go)
{
    while (!atomic_load_explicit(go, memory_order_acquire))
        ;
}

/* Producer id's share: a contiguous block, as a real producer's would
 * be (futures made one after the other share cache lines). */
static long first_of(const struct producer *p, int id)
{
    return p->n * id / p->nprod;
}

static void *resolve_mine(void *arg)
{
    struct producer *p = arg;
    wait_go(p->go);
    for (long i = first_of(p, p->id); i < first_of(p, p->id + 1); i++) {
        if (rotor_promise_resolve(p->promises[i], (void *)(intptr_t)i,
                                  NULL) != 0)
            abort();
        rotor_promise_free(p->promises[i]);
    }
    return NULL;
}

static void *write_mine(void *arg)
{
    struct producer *p = arg;
    wait_go(p->go);
    for (long i = first_of(p, p->id); i < first_of(p, p->id + 1); i++) {
        int64_t v = i;
        while (write(p->wfd, &v, sizeof v) != (ssize_t)sizeof v)
            if (errno != EINTR && errno != EAGAIN)
                abort();
    }
    return NULL;
}

static void start(struct producer *ps, int nprod, void *(*fn)(void *))
{
    for (int i = 0; i < nprod; i++)
        pthread_create(&ps[i].t, NULL, fn, &ps[i]);
}

static void join(struct producer *ps, int nprod)
{
    for (int i = 0; i < nprod; i++)
        pthread_join(ps[i].t, NULL);
}

/* ---- rotor -------------------------------------------------------------- */

void fsink_create(struct fsink *self, rotor_scope *s, const rotor_event *ev)
{
    struct fsink_seed *seed = rotor_event_data(ev);
    struct rotor_future *f;

    self->n = seed->n;
    for (long i = 0; i < seed->n; i++)
        if (rotor_future_new(s, 0, &f, &seed->promises[i]) < 0)
            die("rotor_future_new");
}

bool fsink_last(struct fsink *self, rotor_scope *s, const rotor_event *ev)
{
    return self->got + 1 == self->n;
}

void fsink_got(struct fsink *self, rotor_scope *s, const rotor_event *ev)
{
    self->sum += (intptr_t)rotor_future_take(rotor_event_future(ev));
    self->got++;
}

static double run_rotor(long n, int nprod)
{
    struct rotor_promise **promises = malloc(n * sizeof *promises);
    struct producer ps[8];
    atomic_int go = 0;
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.trace = 0;
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    if (!loop)
        die("rotor_loop_new");
    struct fsink_seed seed = { n, promises };
    if (rotor_spawn(loop, &fsink_machine, &seed).gen == 0)
        die("rotor_spawn");
    for (int i = 0; i < nprod; i++)
        ps[i] = (struct producer){ .id = i, .nprod = nprod, .n = n,
                                   .promises = promises, .go = &go };
    start(ps, nprod, resolve_mine);
    double t0 = now_s();
    atomic_store_explicit(&go, 1, memory_order_release);
    if (rotor_loop_run(loop) < 0)
        die("rotor_loop_run");
    double dt = now_s() - t0;
    join(ps, nprod);
    rotor_loop_free(loop);
    free(promises);
    return n / dt;
}

/* ---- baseline: one pipe write per message -------------------------------- */

struct pipe_sink {
    struct event_base *base;
    long n, got;
    long long sum;
    char buf[4096];
    size_t have;
};

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
    struct pipe_sink *ps = arg;
    ssize_t r = read(fd, ps->buf + ps->have, sizeof ps->buf - ps->have);
    if (r <= 0)
        return;
    size_t len = ps->have + (size_t)r, off = 0;
    for (; off + sizeof(int64_t) <= len; off += sizeof(int64_t)) {
        int64_t v;
        memcpy(&v, ps->buf + off, sizeof v);
        ps->sum += v;
        ps->got++;
    }
    ps->have = len - off;
    memmove(ps->buf, ps->buf + off, ps->have);
    if (ps->got == ps->n)
        event_base_loopbreak(ps->base);
}

static double run_pipe(long n, int nprod)
{
    int p[2];
    struct producer ps[8];
    atomic_int go = 0;
    struct pipe_sink sink = { .n = n };

    if (pipe2(p, O_CLOEXEC) < 0)
        abort();
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    sink.base = event_base_new();
    struct event *ev = event_new(sink.base, p[0], EV_READ | EV_PERSIST,
                                 on_pipe, &sink);
    event_add(ev, NULL);
    for (int i = 0; i < nprod; i++)
        ps[i] = (struct producer){ .id = i, .nprod = nprod, .n = n,
                                   .wfd = p[1], .go = &go };
    start(ps, nprod, write_mine);
    double t0 = now_s();
    atomic_store_explicit(&go, 1, memory_order_release);
    event_base_dispatch(sink.base);
    double dt = now_s() - t0;
    join(ps, nprod);
    if (sink.sum != (long long)n * (n - 1) / 2)
        abort();
    event_free(ev);
    event_base_free(sink.base);
    close(p[0]);
    close(p[1]);
    return n / dt;
}

/* ---- main --------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    long n = 1000000;
    int rounds = 5, maxp = 4, minp = 1, opt;
    bool only = false;

    while ((opt = getopt(argc, argv, "n:r:p:o")) != -1) {
        switch (opt) {
        case 'n': n = atol(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        case 'p': maxp = atoi(optarg); break;
        case 'o': only = true; break;
        default:
            fprintf(stderr, "usage: bench-futures [-n VALUES] [-r ROUNDS] "
                    "[-p MAX_PRODUCERS] [-o]\n");
            return 2;
        }
    }
    if (n < 1 || rounds < 1 || rounds > 99 || maxp < 1 || maxp > 8)
        return 2;
    printf("futures: %ld values per run, %d alternating rounds, medians\n",
           n, rounds);
    printf("%-10s %16s %16s %8s\n", "producers", "rotor values/s",
           "pipe values/s", "ratio");
    if (only)
        minp = maxp;
    for (int p = minp; p <= maxp; p++) {
        double r[99], b[99];
        for (int i = 0; i < rounds; i++) {
            r[i] = run_rotor(n, p);
            b[i] = run_pipe(n, p);
        }
        double mr = median(r, rounds), mb = median(b, rounds);
        printf("%-10d %16.0f %16.0f %7.2fx\n", p, mr, mb, mr / mb);
        fflush(stdout);
    }
    return 0;
}
