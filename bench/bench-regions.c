/*
 * bench-regions: a machine of four regions with deep history on the
 * statechart engine (regions-machine.rsm) against a hand-written C
 * equivalent doing the same work: four two-state regions that all move
 * on `t`, left on `pause` (their configuration saved) and restored on
 * `resume`, the events t, t, t, pause, resume over and over, each raised
 * by the action of the one before (rotor_raise and the runtime's
 * delivery against a ring buffer and a switch).
 *
 *     bench-regions [-n EVENTS] [-r ROUNDS] [MODE]
 *
 * MODE (for callgrind, one measured part per run): engine, hand; without
 * MODE, both in alternating rounds, medians and the ratio.
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "regions-bench.h"
#include "regions-machine.h"

#define NOINLINE __attribute__((noinline))

/* ---- the work: the same for both ---------------------------------------- */

static const int seq[5] = { rgm_ev_t, rgm_ev_t, rgm_ev_t, rgm_ev_pause,
                            rgm_ev_resume };

void rg_step(struct rgb *self, rotor_scope *s, const rotor_event *ev)
{
    (void)ev;
    if (++self->count < self->limit)
        self->push(self, s, seq[self->count % 5]);
}

void rg_work(struct rgb *self, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    self->work++;
}

/* ---- the engine ---------------------------------------------------------- */

static void raise_next(struct rgb *self, rotor_scope *s, int ev)
{
    (void)self;
    rotor_raise(s, ev, NULL);
}

void rgb_create(struct rgb *self, rotor_scope *s, const rotor_event *ev)
{
    *self = *(const struct rgb *)rotor_event_data(ev);
    self->push(self, s, seq[0]);
}

static struct rotor_loop *loop;

static NOINLINE long engine(long n)
{
    struct rgb seed = { 0, n, 0, raise_next, NULL };
    rotor_ref r = rotor_spawn(loop, &rgm_machine, &seed);
    if (r.gen == 0)
        abort();
    rotor_kill(loop, r);
    return n;
}

/* ---- by hand ------------------------------------------------------------- */

struct ring {
    int ev[64];
    unsigned head, len;
};

static void ring_push(struct rgb *self, rotor_scope *s, int ev)
{
    struct ring *q = self->queue;
    (void)s;
    q->ev[(q->head + q->len++) & 63] = ev;
}

struct hand {
    int region[4];              /* 0 or 1: each region's state */
    int saved[4];               /* the deep history */
    int paused;
};

static NOINLINE void hand_dispatch(struct hand *h, struct rgb *self, int ev)
{
    if (h->paused) {
        if (ev == rgm_ev_resume) {
            rg_step(self, NULL, NULL);
            memcpy(h->region, h->saved, sizeof h->region);
            h->paused = 0;
        }
        return;
    }
    if (ev == rgm_ev_pause) {
        memcpy(h->saved, h->region, sizeof h->saved);
        rg_step(self, NULL, NULL);
        h->paused = 1;
    } else if (ev == rgm_ev_t) {
        rg_step(self, NULL, NULL);
        for (int i = 1; i < 4; i++)
            rg_work(self, NULL, NULL);
        for (int i = 0; i < 4; i++)
            h->region[i] ^= 1;
    }
}

static NOINLINE long hand(long n)
{
    struct ring q = { {0}, 0, 0 };
    struct rgb self = { 0, n, 0, ring_push, &q };
    struct hand h = { {0}, {0}, 0 };

    ring_push(&self, NULL, seq[0]);
    while (q.len) {
        int ev = q.ev[q.head];
        q.head = (q.head + 1) & 63;
        q.len--;
        hand_dispatch(&h, &self, ev);
    }
    return self.count + self.work + h.region[0];
}

/* ---- main ---------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

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

static volatile long sink;

int main(int argc, char **argv)
{
    long n = 2000000;
    int rounds = 5, opt;

    while ((opt = getopt(argc, argv, "n:r:")) != -1) {
        switch (opt) {
        case 'n': n = atol(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bench-regions [-n EVENTS] [-r ROUNDS] "
                    "[engine|hand]\n");
            return 2;
        }
    }
    if (n < 1 || rounds < 1 || rounds > 99)
        return 2;
    struct rotor_config cfg;
    rotor_config_init(&cfg);
    cfg.trace = 0;
    loop = rotor_loop_new(&cfg);
    if (!loop)
        return 1;
    if (optind < argc) {            /* one mode, once (for callgrind) */
        if (strcmp(argv[optind], "engine") && strcmp(argv[optind], "hand")) {
            fprintf(stderr, "bench-regions: unknown mode %s\n", argv[optind]);
            return 2;
        }
        sink = strcmp(argv[optind], "engine") ? hand(n) : engine(n);
        rotor_loop_free(loop);
        return 0;
    }
    double te[99], th[99];
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        sink = engine(n);
        te[r] = (now_s() - t0) / n * 1e9;
        t0 = now_s();
        sink = hand(n);
        th[r] = (now_s() - t0) / n * 1e9;
    }
    double e = median(te, rounds), h = median(th, rounds);
    printf("regions: %ld events per run, %d alternating rounds, medians\n",
           n, rounds);
    printf("  engine       %8.1f ns/event\n  hand-written %8.1f ns/event\n"
           "  the engine takes %.1fx the time of the hand-written code\n",
           e, h, e / h);
    rotor_loop_free(loop);
    return 0;
}
