/*
 * test-faults.c: fault injection.
 *
 * Allocation failure: rotor_set_allocator() installs a counting allocator
 * (for librotor and libevent both).  Each scenario runs in a child
 * process once per N = 1, 2, 3, ... with the Nth allocation failing,
 * until runs stop reaching an Nth allocation.  Every run must end by
 * itself (no crash, no hang, no state timeout standing in for a failure
 * nobody reported) with as many blocks freed as allocated after
 * rotor_loop_free(), and a run without a failure must do all its work.
 *
 * Then the edges: a timeout and input ready in the same loop turn,
 * machines ended from inside their own callbacks, descriptor exhaustion
 * under rotor_stream_connect() and rotor_loop_new(), futures and wakeups
 * arriving while the loop is stopped.  (Peer resets, half-closes, refused
 * and timed-out connects: test-stream.c; EMFILE on a listener:
 * tests/e2e/echo-fds.sh; futures after the loop was freed: test-future.c.)
 *
 * To look into a failing run: FAULTS_ONLY=<part of a scenario's name>,
 * FAULTS_FROM=N (start there), FAULTS_TRACE=1 (trace the machines),
 * FAULTS_BT=1 (a backtrace of the failing allocation, glibc), with
 * CK_RUN_CASE=allocation.
 */
#define _GNU_SOURCE
#include "config.h"

#include <check.h>
#include <errno.h>
#if defined(__GLIBC__)
#include <execinfo.h>
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <rotor/rotor.h>

#include "faults-test.h"
#include "machines/faults.h"

/* ---- the counting allocator --------------------------------------------- */

static atomic_long hk_calls;     /* malloc and realloc calls */
static atomic_long hk_fail_at;   /* the call that fails; 0: none */
static atomic_long hk_failed;    /* failures given */
static atomic_long hk_live;      /* blocks allocated and not freed */

static bool hk_fails_now(void)
{
    long n = atomic_fetch_add(&hk_calls, 1) + 1;

    if (n != atomic_load(&hk_fail_at))
        return false;
    atomic_fetch_add(&hk_failed, 1);
#if defined(__GLIBC__)
    if (getenv("FAULTS_BT")) {
        void *bt[32];
        backtrace_symbols_fd(bt, backtrace(bt, 32), 2);
    }
#endif
    errno = ENOMEM;
    return true;
}

static void *hk_malloc(size_t n)
{
    if (hk_fails_now())
        return NULL;
    void *p = malloc(n);
    if (p)
        atomic_fetch_add(&hk_live, 1);
    return p;
}

static void *hk_realloc(void *p, size_t n)
{
    if (hk_fails_now())
        return NULL;
    void *q = realloc(p, n);
    if (!p && q)
        atomic_fetch_add(&hk_live, 1);
    else if (p && !q && n == 0)
        atomic_fetch_sub(&hk_live, 1);
    return q;
}

static void hk_free(void *p)
{
    if (!p)
        return;
    atomic_fetch_sub(&hk_live, 1);
    free(p);
}

static struct rotor_config quiet(void)
{
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.trace = 0;
    return cfg;
}

static int64_t rt_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the scenario machines' actions (fa_*) ------------------------------- */

struct fa_rec fa;
static atomic_int values_made, values_freed;

static void fa_end(rotor_scope *s)
{
    rotor_kill(rotor_scope_loop(s), rotor_scope_self(s));
}

void fa_stale(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    fa.stale++;
}

void fa_echo_create(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    struct fa_echo_seed *seed = rotor_event_data(ev);

    if (seed && rotor_stream_attach(s, seed->fd) < 0) {
        close(seed->fd);        /* not taken: still ours */
        fa_end(s);
    }
}

void fa_echo_destroy(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
}

void fa_echo_line(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    fa.echo_inputs++;
    /* A failed echo fails the stream: `error` follows. */
    if (rotor_stream_echo(s, rotor_event_size(ev)) == rotor_event_size(ev))
        fa.echo_lines++;
}

void fa_talker_create(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    struct fa_echo_seed *seed = rotor_event_data(ev);

    self->fd = seed->fd;
    /* From here the machine owns the descriptor, even if watching fails. */
    if (rotor_watch_fd(s, seed->fd) < 0 ||
        write(self->fd, "one\ntwo\n", 8) != 8)
        fa_end(s);
}

void fa_talker_read(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    char buf[64];
    ssize_t n = read(self->fd, buf, sizeof buf);

    if (n <= 0) {
        if (n == 0 || errno != EAGAIN)
            fa_end(s);
        return;
    }
    for (ssize_t i = 0; i < n; i++)
        fa.talk_lines += buf[i] == '\n';
    self->got += (size_t)n;
    if (self->got >= 8 && !self->shut) {
        self->shut = true;
        shutdown(self->fd, SHUT_WR);
    }
}

void fa_parent_create(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    fa.parent = rotor_scope_self(s);
    for (int i = 0; i < 3; i++) {
        fa.children++;          /* a child may end inside rotor_spawn */
        if (rotor_spawn(rotor_scope_loop(s), &fa_child_machine,
                        NULL).gen == 0)
            fa.children--;
    }
    if (fa.children == 0 || fa_parent_raise_go(s) < 0)
        fa_end(s);
}

void fa_parent_hello(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    rotor_ref *child = rotor_event_data(ev);

    fa.hellos++;
    if (rotor_send(s, *child, fa_child_ev_bye, NULL) < 0)
        rotor_kill(rotor_scope_loop(s), *child);
}

void fa_parent_spawn_failed(struct fa_m *self, rotor_scope *s,
                            const rotor_event *ev)
{
    fa.spawn_failed++;
}

void fa_child_create(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    self->parent = fa.parent;
    if (fa_child_raise_hi(s) < 0)
        fa_end(s);
}

/* The last child to go ends the parent, which would wait for ever. */
void fa_child_destroy(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    struct rotor_loop *loop = rotor_scope_loop(s);

    if (!rotor_alive(loop, self->parent))
        return;
    /* The parent's data is reachable only through its actions; count the
     * children still alive instead. */
    if (--fa.children == 0)
        rotor_kill(loop, self->parent);
}

void fa_child_hi(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    static rotor_ref refs[8];
    static int next;
    rotor_ref *me = &refs[next++ % 8];

    *me = rotor_scope_self(s);
    if (rotor_send(s, self->parent, fa_parent_ev_hello, me) < 0)
        fa_end(s);
}

static void value_free(void *v)
{
    atomic_fetch_add(&values_freed, 1);
    free(v);
}

struct fa_job {
    struct rotor_promise *p[2];
    struct rotor_notifier *n;
};

static void *fa_thread(void *arg)
{
    struct fa_job *job = arg;

    if (job->p[0]) {
        int *v = malloc(sizeof *v);
        *v = 42;
        atomic_fetch_add(&values_made, 1);
        rotor_promise_resolve(job->p[0], v, value_free);
        rotor_promise_free(job->p[0]);
        rotor_promise_free(job->p[1]);      /* broken */
    }
    if (job->n) {
        rotor_notifier_notify(job->n);
        rotor_notifier_free(job->n);
    }
    free(job);
    return NULL;
}

static bool fa_start_thread(struct fa_job *job)
{
    if (fa.nthreads < 8 &&
        pthread_create(&fa.threads[fa.nthreads], NULL, fa_thread, job) == 0) {
        fa.nthreads++;
        return true;
    }
    return false;
}

void fa_waiter_create(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    struct rotor_future *f[2];
    struct fa_job *job = calloc(1, sizeof *job);

    if (rotor_future_new(s, 0, &f[0], &job->p[0]) < 0) {
        free(job);
        fa_end(s);
        return;
    }
    if (rotor_future_new(s, 1, &f[1], &job->p[1]) < 0) {
        rotor_promise_free(job->p[0]);
        free(job);
        fa_end(s);
        return;
    }
    if (!fa_start_thread(job)) {
        rotor_promise_free(job->p[0]);
        rotor_promise_free(job->p[1]);
        free(job);
        fa_end(s);
    }
}

bool fa_waiter_last(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    return self->count == 1;
}

void fa_waiter_got(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    struct rotor_future *f = rotor_event_future(ev);
    int *v = rotor_future_take(f);

    self->count++;
    if (rotor_future_broken(f))
        fa.broken++;
    else
        fa.resolved++;
    if (v) {
        fa.values += *v == 42;
        value_free(v);
    }
}

void fa_sleeper_create(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    struct fa_job *job = calloc(1, sizeof *job);

    job->n = rotor_notifier_new(s);
    if (!job->n || !fa_start_thread(job)) {
        rotor_notifier_free(job->n);
        free(job);
        fa_end(s);
    }
}

void fa_sleeper_woke(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    fa.wakeups++;
}

void fa_accepted(void *self, rotor_scope *s, const rotor_event *ev)
{
    fa.accepted++;
}

void fa_listener_spawn_failed(void *self, rotor_scope *s,
                              const rotor_event *ev)
{
    fa.spawn_failed++;
}

void fa_client_create(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    if (rotor_stream_connect(s, fa.host, fa.port) < 0)
        fa_end(s);
}

/* The listener would wait for ever once its only client is gone. */
void fa_client_destroy(struct fa_m *self, rotor_scope *s,
                       const rotor_event *ev)
{
    rotor_kill(rotor_scope_loop(s), fa.listener);
}

void fa_client_send(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    if (rotor_stream_printf(s, "hi\n") < 0)
        fa_end(s);
}

void fa_client_got(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    char buf[8];

    if (rotor_stream_read(s, buf, sizeof buf) == 3 && memcmp(buf, "hi\n", 3) == 0)
        fa.replies++;
}

/* ---- one scenario run, in a child process -------------------------------- */

enum {
    SC_LINES = 1,       /* raw and stream machines over a socketpair */
    SC_SPAWN = 2,       /* spawn from actions, raise and send */
    SC_ASYNC = 4,       /* futures and a notifier, from threads */
    SC_LISTEN = 8,      /* a listener accepting a client's connection */
    SC_ALL = 15,
};

/* What a child tells its parent. */
enum { RUN_HIT = 10, RUN_MISSED = 11, RUN_BAD = 12 };

struct run_report {
    long calls;         /* allocations made in the run */
    char why[256];      /* RUN_BAD: what went wrong */
};
static struct run_report *report;      /* shared with the children */

static int bad(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(report->why, sizeof report->why, fmt, ap);
    va_end(ap);
    return RUN_BAD;
}

static void start_lines(struct rotor_loop *loop)
{
    int sv[2];
    static struct fa_echo_seed echo_seed, talk_seed;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    echo_seed.fd = sv[0];
    talk_seed.fd = sv[1];
    /* A spawn that fails ran no `create`: the descriptor is still ours,
     * and closing it ends the other side. */
    if (rotor_spawn(loop, &fa_echo_machine, &echo_seed).gen == 0)
        close(sv[0]);
    if (rotor_spawn(loop, &fa_talker_machine, &talk_seed).gen == 0)
        close(sv[1]);
}

static void start_listen(struct rotor_loop *loop)
{
    static char port[16];
    int lfd = rotor_listen_socket("127.0.0.1", "0", 0);

    if (lfd < 0)
        return;
    snprintf(port, sizeof port, "%d", rotor_socket_port(lfd));
    fa.host = "127.0.0.1";
    fa.port = port;
    fa.listener = rotor_listen(loop, &fa_listener_machine, lfd, NULL);
    if (fa.listener.gen != 0 &&
        rotor_spawn(loop, &fa_client_machine, NULL).gen == 0)
        rotor_kill(loop, fa.listener);
}

/* The work a run without a failure must have done. */
static int check_complete(int sc)
{
    int lines = (sc & SC_LINES ? 2 : 0) + (sc & SC_LISTEN ? 1 : 0);

    if (fa.echo_lines != lines ||
        ((sc & SC_LINES) && fa.talk_lines != 2))
        return bad("lines: echoed %d, read back %d", fa.echo_lines,
                   fa.talk_lines);
    if ((sc & SC_SPAWN) && fa.hellos != 3)
        return bad("spawn: %d hellos", fa.hellos);
    if ((sc & SC_ASYNC) && (fa.resolved != 1 || fa.broken != 1 ||
                            fa.values != 1 || fa.wakeups != 1))
        return bad("async: resolved %d broken %d values %d wakeups %d",
                   fa.resolved, fa.broken, fa.values, fa.wakeups);
    if ((sc & SC_LISTEN) && (fa.accepted != 1 || fa.replies != 1))
        return bad("listen: accepted %d replies %d", fa.accepted,
                   fa.replies);
    return RUN_MISSED;
}

static int run_scenario(int sc)
{
    struct rotor_config cfg = quiet();

    cfg.trace = getenv("FAULTS_TRACE") ? 1 : 0;

    memset(&fa, 0, sizeof fa);
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    if (loop) {
        if (sc & SC_LINES)
            start_lines(loop);
        if (sc & SC_SPAWN)
            rotor_spawn(loop, &fa_parent_machine, NULL);
        if (sc & SC_ASYNC) {
            rotor_spawn(loop, &fa_waiter_machine, NULL);
            rotor_spawn(loop, &fa_sleeper_machine, NULL);
        }
        if (sc & SC_LISTEN)
            start_listen(loop);
        rotor_loop_run(loop);
        if (rotor_loop_machines(loop) != 0)
            return bad("rotor_loop_run returned with %zu machines",
                       rotor_loop_machines(loop));
    } else if (!*rotor_last_error()) {
        return bad("rotor_loop_new failed without a message");
    } else if (rotor_last_code() != ROTOR_ENOMEM &&
               rotor_last_code() != ROTOR_EIO) {
        /* libevent's own allocations failing are its failures: EIO */
        return bad("rotor_loop_new failed with code %d", rotor_last_code());
    }
    for (int i = 0; i < fa.nthreads; i++)
        pthread_join(fa.threads[i], NULL);
    rotor_loop_free(loop);
    report->calls = atomic_load(&hk_calls);
    if (atomic_load(&hk_live) != 0)
        return bad("%ld blocks not freed", atomic_load(&hk_live));
    if (atomic_load(&values_made) != atomic_load(&values_freed))
        return bad("%d values made, %d destroyed", atomic_load(&values_made),
                   atomic_load(&values_freed));
    if (fa.stale)
        return bad("%d state timeouts: a failure went unreported", fa.stale);
    if (atomic_load(&hk_failed) > 0)
        return RUN_HIT;
    return check_complete(sc);
}

/* Runs scenario sc with allocation n failing, in a child process. */
static int run_failing(int sc, long n)
{
    fflush(NULL);               /* nothing buffered twice */
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm(20);                      /* a hang is a failure too */
        signal(SIGPIPE, SIG_IGN);
        atomic_store(&hk_calls, 0);
        atomic_store(&hk_failed, 0);
        atomic_store(&hk_fail_at, n);
        /* exit(), not _exit(): LeakSanitizer and valgrind look at the
         * child's heap at exit. */
        exit(run_scenario(sc));
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(!WIFSIGNALED(status), "allocation %ld failing: killed by "
                  "signal %d (%s)", n, WTERMSIG(status),
                  strsignal(WTERMSIG(status)));
    ck_assert_msg(WIFEXITED(status), "allocation %ld failing: no exit", n);
    int code = WEXITSTATUS(status);
    ck_assert_msg(code == RUN_HIT || code == RUN_MISSED,
                  "allocation %ld failing: %s (exit %d)", n,
                  code == RUN_BAD ? report->why : "crashed", code);
    return code;
}

/* N = 1, 2, ... until three runs in a row made fewer than N allocations
 * (the count varies a little with thread timing). */
static void fail_each_allocation(int sc, const char *name)
{
    long n, points = 0, missed = 0;

    if (getenv("FAULTS_ONLY") && !strstr(name, getenv("FAULTS_ONLY")))
        return;

    report = mmap(NULL, sizeof *report, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(report, MAP_FAILED);
    ck_assert_int_eq(run_failing(sc, 0), RUN_MISSED);   /* the whole work */
    long clean_calls = report->calls;
    n = getenv("FAULTS_FROM") ? atol(getenv("FAULTS_FROM")) : 1;
    for (; missed < 3 && n < 100000; n++) {
        if (run_failing(sc, n) == RUN_MISSED) {
            missed++;
        } else {
            missed = 0;
            points = n;
        }
    }
    printf("faults: %s: %ld allocations in a clean run, each of the first "
           "%ld failed in turn, all clean\n", name, clean_calls, points);
    fflush(stdout);
    ck_assert_int_gt(points, 0);
    munmap(report, sizeof *report);
}

START_TEST(fail_loop_only)
{
    fail_each_allocation(0, "loop_new/free");
}
END_TEST

START_TEST(fail_lines)
{
    fail_each_allocation(SC_LINES, "socketpair lines");
}
END_TEST

START_TEST(fail_spawn)
{
    fail_each_allocation(SC_SPAWN, "spawn/raise/send");
}
END_TEST

START_TEST(fail_async)
{
    fail_each_allocation(SC_ASYNC, "futures/notifier");
}
END_TEST

START_TEST(fail_listen)
{
    fail_each_allocation(SC_LISTEN, "listener/connect");
}
END_TEST

START_TEST(fail_all)
{
    fail_each_allocation(SC_ALL, "everything at once");
}
END_TEST

START_TEST(allocator_arguments)
{
    ck_assert_int_eq(rotor_set_allocator(hk_malloc, NULL, hk_free),
                     ROTOR_EINVAL);
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "rotor_set_allocator"));
}
END_TEST

/* ---- a timeout and input in the same loop turn --------------------------- */

static struct ft_race_rec race;

void ft_race_stream_create(struct ft_race *self, rotor_scope *s,
                           const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    ck_assert_int_eq(rotor_stream_attach(s, self->rec->fd), 0);
}

void ft_race_raw_create(struct ft_race *self, rotor_scope *s,
                        const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    ck_assert_int_eq(rotor_watch_fd(s, self->rec->fd), 0);
}

void ft_race_input(struct ft_race *self, rotor_scope *s, const rotor_event *ev)
{
    rotor_stream_consume(s, rotor_event_size(ev));
    self->rec->inputs++;
    self->rec->entered_got = rt_ms();
}

void ft_race_read(struct ft_race *self, rotor_scope *s, const rotor_event *ev)
{
    char buf[64];

    ck_assert_int_gt(read(self->rec->fd, buf, sizeof buf), 0);
    self->rec->inputs++;
    self->rec->entered_got = rt_ms();
}

void ft_race_timeout(struct ft_race *self, rotor_scope *s,
                     const rotor_event *ev)
{
    self->rec->timeouts++;
}

void ft_race_wrong(struct ft_race *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->wrong++;
}

void ft_race_got_timeout(struct ft_race *self, rotor_scope *s,
                         const rotor_event *ev)
{
    self->rec->got_timeout_at = rt_ms();
    self->rec->ends++;
}

void ft_race_end(struct ft_race *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->ends++;
}

/* The line is readable and the 1 ms timeout expired before the loop
 * looks: both are ready in its first turn.  Exactly one wins in
 * `waiting`; the loser must not reach the next state (the timeout of
 * `got` is its own 100 ms, not the stale 1 ms one; `timed_out` does not
 * read).  Returns 1 when the input won. */
static int race_once(const struct rotor_machine_type *t)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    int sv[2];

    ck_assert_ptr_nonnull(loop);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    memset(&race, 0, sizeof race);
    race.fd = sv[0];
    ck_assert_int_eq(write(sv[1], "line\n", 5), 5);
    ck_assert_uint_ne(rotor_spawn(loop, t, &race).gen, 0);
    usleep(5000);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(race.inputs + race.timeouts, 1);
    ck_assert_int_eq(race.wrong, 0);
    ck_assert_int_eq(race.ends, 1);
    if (race.inputs)
        ck_assert_msg(race.got_timeout_at - race.entered_got >= 99,
                      "the timeout of `got` fired after %lld ms",
                      (long long)(race.got_timeout_at - race.entered_got));
    rotor_loop_free(loop);
    close(sv[1]);
    return race.inputs;
}

START_TEST(timeout_and_input_same_turn_stream)
{
    int input_won = 0;
    for (int i = 0; i < 20; i++)
        input_won += race_once(&ft_race_stream_machine);
    printf("faults: stream race: input won %d of 20\n", input_won);
}
END_TEST

START_TEST(timeout_and_input_same_turn_raw)
{
    int input_won = 0;
    for (int i = 0; i < 20; i++)
        input_won += race_once(&ft_race_raw_machine);
    printf("faults: raw race: input won %d of 20\n", input_won);
}
END_TEST

/* ---- machines ended from inside their own callbacks ---------------------- */

static struct ft_kill_rec kr;

void ft_victim_create(struct ft_kill *self, rotor_scope *s,
                      const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
}

void ft_victim_destroy(struct ft_kill *self, rotor_scope *s,
                       const rotor_event *ev)
{
    self->rec->victim_destroyed++;
}

void ft_victim_poked(struct ft_kill *self, rotor_scope *s,
                     const rotor_event *ev)
{
    self->rec->victim_poked++;
}

void ft_killer_create(struct ft_kill *self, rotor_scope *s,
                      const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    ck_assert_int_eq(ft_killer_raise_go(s), 0);
}

void ft_killer_destroy(struct ft_kill *self, rotor_scope *s,
                       const rotor_event *ev)
{
    self->rec->killer_destroyed++;
}

void ft_kill_wrong(struct ft_kill *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->wrong++;
}

void ft_killer_go(struct ft_kill *self, rotor_scope *s, const rotor_event *ev)
{
    struct ft_kill_rec *r = self->rec;
    struct rotor_loop *loop = rotor_scope_loop(s);

    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(rotor_send(s, r->victim, ft_victim_ev_poke, NULL), 0);
    ck_assert_int_eq(ft_killer_raise_again(s), 0);
    r->kill_victim = rotor_kill(loop, r->victim);
    r->destroyed_in_action = r->victim_destroyed;
    r->kill_victim_again = rotor_kill(loop, r->victim);
    r->kill_self = rotor_kill(loop, rotor_scope_self(s));
    r->kill_self_again = rotor_kill(loop, rotor_scope_self(s));
    r->self_alive_after_kill = rotor_alive(loop, rotor_scope_self(s)) &&
                               r->killer_destroyed == 0;
}

void ft_killer_next(struct ft_kill *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->entered_next = true;
}

START_TEST(kill_self_and_queued_victim)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);

    memset(&kr, 0, sizeof kr);
    kr.victim = rotor_spawn(loop, &ft_victim_machine, &kr);
    ck_assert_uint_ne(kr.victim.gen, 0);
    ck_assert_uint_ne(rotor_spawn(loop, &ft_killer_machine, &kr).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(kr.kill_victim, 0);
    ck_assert_int_eq(kr.destroyed_in_action, 1);   /* at once */
    ck_assert_int_eq(kr.kill_victim_again, ROTOR_ENOENT);    /* gone */
    ck_assert_int_eq(kr.kill_self, 0);
    ck_assert_int_eq(kr.kill_self_again, 0);       /* still ending */
    ck_assert(kr.self_alive_after_kill);           /* deferred */
    ck_assert(kr.entered_next);     /* the transition completes first */
    ck_assert_int_eq(kr.victim_destroyed, 1);
    ck_assert_int_eq(kr.killer_destroyed, 1);
    ck_assert_int_eq(kr.victim_poked, 0);          /* queued: dropped */
    ck_assert_int_eq(kr.wrong, 0);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
    ck_assert_uint_eq(rotor_loop_errors(loop), 0);
    rotor_loop_free(loop);
}
END_TEST

void ft_spawner_create(struct ft_kill *self, rotor_scope *s,
                       const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    self->rec->spawner = rotor_scope_self(s);
    ck_assert_int_eq(ft_spawner_raise_again(s), 0);
    rotor_ref a = rotor_spawn(rotor_scope_loop(s), &ft_assassin_machine,
                              self->rec);
    ck_assert_uint_ne(a.gen, 0);            /* it was made, then ended */
    ck_assert(!rotor_alive(rotor_scope_loop(s), a));
    ck_assert_int_eq(self->rec->victim_destroyed, 1);
    ck_assert_int_eq(self->rec->killer_destroyed, 0);  /* busy: deferred */
}

void ft_spawner_entered(struct ft_kill *self, rotor_scope *s,
                        const rotor_event *ev)
{
    self->rec->entered_next = true;
}

void ft_assassin_create(struct ft_kill *self, rotor_scope *s,
                        const rotor_event *ev)
{
    struct rotor_loop *loop = rotor_scope_loop(s);

    self->rec = rotor_event_data(ev);
    self->rec->kill_victim = rotor_kill(loop, self->rec->spawner);
    self->rec->kill_self = rotor_kill(loop, rotor_scope_self(s));
}

/* Ended from `create`, its own and the spawner's that is running it. */
START_TEST(kill_from_create_up_the_stack)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);

    memset(&kr, 0, sizeof kr);
    rotor_ref sp = rotor_spawn(loop, &ft_spawner_machine, &kr);
    ck_assert_uint_ne(sp.gen, 0);
    ck_assert(!rotor_alive(loop, sp));      /* ended when create returned */
    ck_assert_int_eq(kr.kill_victim, 0);
    ck_assert_int_eq(kr.kill_self, 0);
    ck_assert_int_eq(kr.killer_destroyed, 1);
    ck_assert_int_eq(kr.victim_destroyed, 1);
    ck_assert_int_eq(kr.wrong, 0);          /* no entry, no queued event */
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    rotor_loop_free(loop);
}
END_TEST

void ft_kill_stream_create(struct ft_kill *self, rotor_scope *s,
                           const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    ck_assert_int_eq(rotor_stream_attach(s, self->rec->fd), 0);
}

void ft_kill_stream_answer(struct ft_kill *self, rotor_scope *s,
                           const rotor_event *ev)
{
    rotor_stream_consume(s, rotor_event_size(ev));
    ck_assert_int_eq(rotor_stream_printf(s, "last words\n"), 0);
    self->rec->kill_self = rotor_kill(rotor_scope_loop(s),
                                      rotor_scope_self(s));
}

/* A stream that writes and kills itself in one action: the output still
 * leaves before the socket is closed. */
START_TEST(kill_self_flushes_output)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    int sv[2];
    char buf[64];

    memset(&kr, 0, sizeof kr);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    kr.fd = sv[0];
    ck_assert_uint_ne(rotor_spawn(loop, &ft_kill_stream_machine, &kr).gen, 0);
    ck_assert_int_eq(write(sv[1], "bye\n", 4), 4);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(kr.kill_self, 0);
    ck_assert_int_eq(kr.killer_destroyed, 1);
    ck_assert_int_eq(read(sv[1], buf, sizeof buf), 11);
    ck_assert(memcmp(buf, "last words\n", 11) == 0);
    ck_assert_int_eq(read(sv[1], buf, sizeof buf), 0);  /* then closed */
    close(sv[1]);
    rotor_loop_free(loop);
}
END_TEST

/* The peer sent a line and closed at once: the answer fails with EPIPE,
 * which stops reading before the end of file is seen.  The machine must
 * still hear `error` (it used to wait for its timeout). */
START_TEST(answer_to_vanished_peer)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    int sv[2];
    static struct fa_echo_seed seed;

    signal(SIGPIPE, SIG_IGN);
    memset(&fa, 0, sizeof fa);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], "one\n", 4), 4);
    close(sv[1]);
    seed.fd = sv[0];
    ck_assert_uint_ne(rotor_spawn(loop, &fa_echo_machine, &seed).gen, 0);
    int64_t t0 = rt_ms();
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(fa.echo_lines, 1);
    ck_assert_int_eq(fa.stale, 0);
    ck_assert_int_lt(rt_ms() - t0, 1000);
    rotor_loop_free(loop);
}
END_TEST

/* The large answer finds no memory (the next allocation fails, the one
 * that makes room in the output evbuffer): -1, and nothing of it sent. */
static int writev_result;

void ft_writev_answer(struct fa_m *self, rotor_scope *s, const rotor_event *ev)
{
    static char xs[3000], ys[3000];
    struct iovec v[2] = { { xs, sizeof xs }, { ys, sizeof ys } };

    rotor_stream_consume(s, rotor_event_size(ev));
    memset(xs, 'x', sizeof xs);
    memset(ys, 'y', sizeof ys);
    atomic_store(&hk_fail_at, atomic_load(&hk_calls) + 1);
    writev_result = rotor_stream_writev(s, v, 2);
    atomic_store(&hk_fail_at, 0);
    rotor_stream_write(s, "ok\n", 3);
}

START_TEST(writev_all_or_nothing)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    static struct fa_echo_seed seed;
    char back[8192];
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    seed.fd = sv[0];
    writev_result = 0;
    long failed = atomic_load(&hk_failed);
    ck_assert_uint_ne(rotor_spawn(loop, &ft_writev_machine, &seed).gen, 0);
    ck_assert_int_eq(write(sv[1], "go\n", 3), 3);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(atomic_load(&hk_failed) - failed, 1);
    ck_assert_int_eq(writev_result, ROTOR_ENOMEM);
    ck_assert_int_eq(read(sv[1], back, sizeof back), 3);
    ck_assert(memcmp(back, "ok\n", 3) == 0);
    close(sv[1]);
    rotor_loop_free(loop);
}
END_TEST

/* Lines echoed from the loop's scratch buffer until the small output
 * buffer is full, then the output evbuffer cannot grow: the stream fails,
 * that line is dropped rather than given again, the next one too (the
 * stream has failed), and `error` ends the machine. */
START_TEST(echo_out_of_memory_drops_input)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    static struct fa_echo_seed seed;
    char lines[10 * 60], back[64];
    int sv[2];

    memset(&fa, 0, sizeof fa);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    seed.fd = sv[0];
    ck_assert_uint_ne(rotor_spawn(loop, &fa_echo_machine, &seed).gen, 0);
    /* Two lines in one read: the scratch buffer and the event queue are
     * allocated from here on. */
    ck_assert_int_eq(write(sv[1], "w1\nw2\n", 6), 6);
    for (int i = 0; i < 10 && fa.echo_lines < 2; i++)
        event_base_loop(rotor_loop_base(loop), EVLOOP_ONCE);
    ck_assert_int_eq(read(sv[1], back, sizeof back), 6);
    for (int i = 0; i < 10; i++) {
        memset(lines + i * 60, 'a' + i, 59);
        lines[i * 60 + 59] = '\n';
    }
    long failed = atomic_load(&hk_failed);
    atomic_store(&hk_fail_at, atomic_load(&hk_calls) + 1);
    ck_assert_int_eq(write(sv[1], lines, sizeof lines), (ssize_t)sizeof lines);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    atomic_store(&hk_fail_at, 0);
    ck_assert_int_eq(atomic_load(&hk_failed) - failed, 1);
    ck_assert_int_eq(fa.echo_lines, 2 + 8);     /* 8 x 60 bytes fit in 512 */
    ck_assert_int_eq(fa.echo_inputs, 2 + 10);
    ck_assert_int_eq(fa.stale, 0);
    close(sv[1]);
    rotor_loop_free(loop);
}
END_TEST

/* ---- descriptor exhaustion ----------------------------------------------- */

static struct ft_conn_rec conn;

void ft_conn_create(struct ft_conn *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    self->rec->connect_result = rotor_stream_connect(s, self->rec->host,
                                                     self->rec->port);
}

void ft_conn_destroy(struct ft_conn *self, rotor_scope *s,
                     const rotor_event *ev)
{
    self->rec->destroyed++;
}

void ft_conn_connected(struct ft_conn *self, rotor_scope *s,
                       const rotor_event *ev)
{
    self->rec->connected++;
}

void ft_conn_error(struct ft_conn *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->errors++;
    self->rec->err = rotor_event_error(ev);
}

/* Lowers the descriptor limit just above what is open, then takes the
 * rest; returns how many it took (in fds), and the old limit. */
static int exhaust(int *fds, int max, struct rlimit *old)
{
    struct rlimit rl;
    int n = 0;

    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, old), 0);
    int probe = dup(0);
    ck_assert_int_ge(probe, 0);
    close(probe);
    rl = *old;
    rl.rlim_cur = (rlim_t)probe + 8;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    for (int fd; n < max && (fd = dup(0)) >= 0;)
        fds[n++] = fd;
    ck_assert_int_eq(errno, EMFILE);
    return n;
}

static void restore(int *fds, int n, const struct rlimit *old)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, old), 0);
}

/* socket() fails with EMFILE: rotor_stream_connect() returns 0 and the
 * machine gets `error` with EMFILE, as for any failed connection. */
START_TEST(connect_out_of_descriptors)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    int lfd = rotor_listen_socket("127.0.0.1", "0", 0);
    char port[16];
    int fds[64];
    struct rlimit old;

    ck_assert_int_ge(lfd, 0);
    snprintf(port, sizeof port, "%d", rotor_socket_port(lfd));
    memset(&conn, 0, sizeof conn);
    conn.host = "127.0.0.1";
    conn.port = port;
    int n = exhaust(fds, 64, &old);
    ck_assert_uint_ne(rotor_spawn(loop, &ft_conn_machine, &conn).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    restore(fds, n, &old);
    ck_assert_int_eq(conn.connect_result, 0);
    ck_assert_int_eq(conn.errors, 1);
    ck_assert_int_eq(conn.err, EMFILE);
    ck_assert_int_eq(conn.connected, 0);
    ck_assert_int_eq(conn.destroyed, 1);
    /* With descriptors again, the same machine type connects. */
    memset(&conn, 0, sizeof conn);
    conn.host = "127.0.0.1";
    conn.port = port;
    ck_assert_uint_ne(rotor_spawn(loop, &ft_conn_machine, &conn).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(conn.connected, 1);
    close(lfd);
    rotor_loop_free(loop);
}
END_TEST

/* No descriptor for the loop's epoll or wakeup channel: NULL, a message,
 * nothing left allocated. */
START_TEST(loop_new_out_of_descriptors)
{
    struct rotor_config cfg = quiet();
    int fds[64];
    struct rlimit old;
    long live = atomic_load(&hk_live);

    for (int spare = 0; spare < 5; spare++) {
        int n = exhaust(fds, 64, &old);
        for (int i = 0; i < spare && i < n; i++)
            close(fds[n - 1 - i]);      /* leave 0, 1, 2 descriptors */
        struct rotor_loop *loop = rotor_loop_new(&cfg);
        if (loop)
            rotor_loop_free(loop);      /* enough, as it turned out */
        else {
            ck_assert_str_ne(rotor_last_error(), "");
            ck_assert_int_eq(rotor_last_code(), ROTOR_EIO);
        }
        restore(fds, n - (spare < n ? spare : n), &old);
        ck_assert_int_eq(atomic_load(&hk_live), live);
    }
}
END_TEST

/* ---- futures and wakeups while the loop is stopped ----------------------- */

static struct ft_wait_rec wr;

void ft_waiter_create(struct ft_waiter *self, rotor_scope *s,
                      const rotor_event *ev)
{
    struct rotor_future *f;

    self->rec = rotor_event_data(ev);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(rotor_future_new(s, i, &f, &self->rec->p[i]), 0);
    self->rec->n = rotor_notifier_new(s);
    ck_assert_ptr_nonnull(self->rec->n);
}

void ft_waiter_destroy(struct ft_waiter *self, rotor_scope *s,
                       const rotor_event *ev)
{
    self->rec->destroyed++;
}

void ft_waiter_pause(struct ft_waiter *self, rotor_scope *s,
                     const rotor_event *ev)
{
    rotor_loop_stop(rotor_scope_loop(s));
}

static bool waiter_complete(struct ft_wait_rec *r, int kind)
{
    return r->got + (kind == ROTOR_EV_RESOLVED) == 2 &&
           r->wakeups + (kind == ROTOR_EV_WAKEUP) >= 1;
}

bool ft_waiter_last(struct ft_waiter *self, rotor_scope *s,
                    const rotor_event *ev)
{
    return waiter_complete(self->rec, ROTOR_EV_RESOLVED);
}

bool ft_waiter_last_wakeup(struct ft_waiter *self, rotor_scope *s,
                           const rotor_event *ev)
{
    return waiter_complete(self->rec, ROTOR_EV_WAKEUP);
}

void ft_waiter_got(struct ft_waiter *self, rotor_scope *s,
                   const rotor_event *ev)
{
    struct rotor_future *f = rotor_event_future(ev);
    int *v = rotor_future_take(f);

    ck_assert_ptr_nonnull(v);
    self->rec->values[rotor_future_tag(f)] = *v;
    self->rec->got++;
    value_free(v);
}

void ft_waiter_woke(struct ft_waiter *self, rotor_scope *s,
                    const rotor_event *ev)
{
    self->rec->wakeups++;
}

static void *resolve_from_thread(void *arg)
{
    struct ft_wait_rec *r = arg;
    int *v = malloc(sizeof *v);

    *v = 7;
    ck_assert_int_eq(rotor_promise_resolve(r->p[0], v, value_free), 0);
    rotor_promise_free(r->p[0]);
    ck_assert_int_eq(rotor_notifier_notify(r->n), 0);
    rotor_notifier_free(r->n);
    return NULL;
}

START_TEST(future_after_stop_then_run)
{
    struct rotor_config cfg = quiet();
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    pthread_t t;

    memset(&wr, 0, sizeof wr);
    atomic_store(&values_made, 0);
    atomic_store(&values_freed, 0);
    ck_assert_uint_ne(rotor_spawn(loop, &ft_waiter_machine, &wr).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);          /* stopped */
    ck_assert_uint_eq(rotor_loop_machines(loop), 1);
    /* From another thread, and from this one, while nothing runs. */
    ck_assert_int_eq(pthread_create(&t, NULL, resolve_from_thread, &wr), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    int *v = malloc(sizeof *v);
    *v = 8;
    ck_assert_int_eq(rotor_promise_resolve(wr.p[1], v, value_free), 0);
    rotor_promise_free(wr.p[1]);
    ck_assert_int_eq(wr.got + wr.wakeups, 0);           /* not yet */
    ck_assert_int_eq(rotor_loop_run(loop), 0);          /* until done */
    ck_assert_int_eq(wr.got, 2);
    ck_assert_int_eq(wr.values[0], 7);
    ck_assert_int_eq(wr.values[1], 8);
    ck_assert_int_eq(wr.wakeups, 1);
    ck_assert_int_eq(wr.destroyed, 1);
    ck_assert_int_eq(atomic_load(&values_freed), 2);
    rotor_loop_free(loop);
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *t = tcase_create("allocation");
    /* Hundreds of child processes each; valgrind multiplies that. */
    tcase_set_timeout(t, 900);
    tcase_add_test(t, allocator_arguments);
    tcase_add_test(t, fail_loop_only);
    tcase_add_test(t, fail_lines);
    tcase_add_test(t, fail_spawn);
    tcase_add_test(t, fail_async);
    tcase_add_test(t, fail_listen);
    tcase_add_test(t, fail_all);
    suite_add_tcase(s, t);

    t = tcase_create("edges");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, timeout_and_input_same_turn_stream);
    tcase_add_test(t, timeout_and_input_same_turn_raw);
    tcase_add_test(t, kill_self_and_queued_victim);
    tcase_add_test(t, kill_from_create_up_the_stack);
    tcase_add_test(t, kill_self_flushes_output);
    tcase_add_test(t, answer_to_vanished_peer);
    tcase_add_test(t, echo_out_of_memory_drops_input);
    tcase_add_test(t, writev_all_or_nothing);
    tcase_add_test(t, connect_out_of_descriptors);
    tcase_add_test(t, loop_new_out_of_descriptors);
    tcase_add_test(t, future_after_stop_then_run);
    suite_add_tcase(s, t);
    return s;
}

/* libevent reports each allocation it could not make: expected here. */
static void quiet_log(int severity, const char *msg)
{
}

int main(void)
{
    event_set_log_callback(quiet_log);
    /* Before libevent is used at all: every block it allocates is counted. */
    if (rotor_set_allocator(hk_malloc, hk_realloc, hk_free) < 0)
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(faults_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
