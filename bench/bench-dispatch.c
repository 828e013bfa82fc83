/*
 * bench-dispatch: events through rotorgen's generated dispatch against a
 * hand-written `switch` doing the same work (the same three actions, the
 * same three-state ring), two ways:
 *
 *   direct:  the dispatch function alone, called through a pointer with
 *            the events a, b, c, a, ... (generated M__dispatch against a
 *            hand-written switch of the same shape);
 *   queued:  each action queues the next event and the queue is drained:
 *            rotor_raise() and the runtime's run-to-completion delivery
 *            (queue, dispatch, state bookkeeping, timeout and I/O rules)
 *            against a hand-written ring buffer feeding the switch.
 *
 *     bench-dispatch [-n EVENTS] [-r ROUNDS] [MODE]
 *
 * MODE (for callgrind, one measured part per run): gen-direct,
 * hand-direct, gen-queued, hand-queued; without MODE, all four in
 * alternating rounds with medians and the two ratios.
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dispatch-bench.h"
#include "dispatch-machine.h"

#define NOINLINE __attribute__((noinline))

/* ---- the work: the same for both ---------------------------------------- */

static void next(struct dsm *self, rotor_scope *s, int ev)
{
    if (++self->count < self->limit && self->push)
        self->push(self, s, ev);
}

void step_a(struct dsm *self, rotor_scope *s, const rotor_event *ev)
{
    next(self, s, dsm_ev_b);
}

void step_b(struct dsm *self, rotor_scope *s, const rotor_event *ev)
{
    next(self, s, dsm_ev_c);
}

void step_c(struct dsm *self, rotor_scope *s, const rotor_event *ev)
{
    next(self, s, dsm_ev_a);
}

/* ---- the hand-written switch -------------------------------------------- */

enum { H_S0, H_S1, H_S2 };

static NOINLINE int hand_dispatch(void *data, rotor_scope *s, int state,
                                  int event, const rotor_event *ev)
{
    struct dsm *self = data;
    switch (state) {
    case H_S0:
        if (event == dsm_ev_a) { step_a(self, s, ev); return H_S1; }
        break;
    case H_S1:
        if (event == dsm_ev_b) { step_b(self, s, ev); return H_S2; }
        break;
    case H_S2:
        if (event == dsm_ev_c) { step_c(self, s, ev); return H_S0; }
        break;
    }
    return ROTOR_UNHANDLED;
}

/* ---- direct ------------------------------------------------------------- */

static rotor_dispatch_fn *volatile gen_fn, *volatile hand_fn;

static NOINLINE long run_direct(rotor_dispatch_fn *fn, long n)
{
    static const int seq[3] = { dsm_ev_a, dsm_ev_b, dsm_ev_c };
    struct dsm self = { 0, n, NULL, NULL };
    int state = 0;
    for (long i = 0; i < n; i++)
        state = fn(&self, NULL, state, seq[i % 3], NULL);
    return self.count + state;
}

static NOINLINE long gen_direct(long n) { return run_direct(gen_fn, n); }
static NOINLINE long hand_direct(long n) { return run_direct(hand_fn, n); }

/* ---- queued: the runtime ------------------------------------------------ */

static void raise_next(struct dsm *self, rotor_scope *s, int ev)
{
    rotor_raise(s, ev, NULL);
}

void dsm_create(struct dsm *self, rotor_scope *s, const rotor_event *ev)
{
    *self = *(const struct dsm *)rotor_event_data(ev);
    if (self->push)
        self->push(self, s, dsm_ev_a);
}

static struct rotor_loop *loop;

/* rotor_spawn() runs create, which raises `a`, and drains the queue: all
 * n events run before it returns. */
static NOINLINE long gen_queued(long n)
{
    struct dsm seed = { 0, n, raise_next, NULL };
    rotor_ref r = rotor_spawn(loop, &dsm_machine, &seed);
    if (r.gen == 0)
        abort();
    rotor_kill(loop, r);
    return n;
}

/* ---- queued: by hand ---------------------------------------------------- */

struct ring {
    int ev[64];
    unsigned head, len;
};

static void ring_push(struct dsm *self, rotor_scope *s, int ev)
{
    struct ring *q = self->queue;
    q->ev[(q->head + q->len++) & 63] = ev;
}

static NOINLINE long hand_queued(long n)
{
    struct ring q = { {0}, 0, 0 };
    struct dsm self = { 0, n, ring_push, &q };
    int state = H_S0;
    ring_push(&self, NULL, dsm_ev_a);
    while (q.len) {
        int ev = q.ev[q.head];
        q.head = (q.head + 1) & 63;
        q.len--;
        state = hand_fn(&self, NULL, state, ev, NULL);
    }
    return self.count + state;
}

/* ---- main --------------------------------------------------------------- */

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

static const struct {
    const char *name;
    long (*fn)(long);
} modes[] = {
    { "gen-direct", gen_direct },
    { "hand-direct", hand_direct },
    { "gen-queued", gen_queued },
    { "hand-queued", hand_queued },
};
#define NMODES (sizeof modes / sizeof *modes)

static volatile long sink;

int main(int argc, char **argv)
{
    long n = 10000000;
    int rounds = 5, opt;

    while ((opt = getopt(argc, argv, "n:r:")) != -1) {
        switch (opt) {
        case 'n': n = atol(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bench-dispatch [-n EVENTS] [-r ROUNDS] "
                    "[MODE]\n");
            return 2;
        }
    }
    if (n < 1 || rounds < 1 || rounds > 99)
        return 2;
    gen_fn = dsm_machine.dispatch;
    hand_fn = hand_dispatch;
    struct rotor_config cfg;
    rotor_config_init(&cfg);
    cfg.trace = 0;
    loop = rotor_loop_new(&cfg);
    if (!loop)
        return 1;

    if (optind < argc) {            /* one mode, once (for callgrind) */
        for (size_t m = 0; m < NMODES; m++) {
            if (strcmp(argv[optind], modes[m].name) == 0) {
                sink = modes[m].fn(n);
                rotor_loop_free(loop);
                return 0;
            }
        }
        fprintf(stderr, "bench-dispatch: unknown mode %s\n", argv[optind]);
        return 2;
    }
    double t[NMODES][99];
    for (int r = 0; r < rounds; r++) {
        for (size_t m = 0; m < NMODES; m++) {
            double t0 = now_s();
            sink = modes[m].fn(n);
            t[m][r] = n / (now_s() - t0);
        }
    }
    double med[NMODES];
    printf("dispatch: %ld events per run, %d alternating rounds, medians\n",
           n, rounds);
    for (size_t m = 0; m < NMODES; m++) {
        med[m] = median(t[m], rounds);
        printf("  %-12s %14.0f events/s\n", modes[m].name, med[m]);
    }
    printf("  direct: generated takes %.2fx the time of the hand-written "
           "switch\n", med[1] / med[0]);
    printf("  queued: runtime takes %.2fx the time of the hand-written "
           "queue + switch\n", med[3] / med[2]);
    rotor_loop_free(loop);
    return 0;
}
