/*
 * rt-test.h: shared by the runtime tests and their machines
 * (the .rsm files in tests/runtime/machines include it from %{ %}).
 */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rotor/rotor.h>

/* ---- the log: actions append words, tests compare the whole ------------ */

extern char rt_log_buf[16384];
void rt_log_reset(void);
/* Appends one word (printf format), separated by a space. */
void rt_log(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Monotonic milliseconds. */
int64_t rt_now_ms(void);

/* ---- seq.rsm ----------------------------------------------------------- */

struct seq_script {
    int  events[16];        /* raised by create, in order */
    int  n;
    int  destroyed;         /* destroy runs */
    bool zeroed, aligned;   /* seen by create */
    const char *state_in_create, *state_in_entry;
};

struct seq {
    struct seq_script *script;
    int  before;
    _Alignas(64) unsigned char block[200];   /* must start zeroed */
    long after;
};

/* ---- peers.rsm --------------------------------------------------------- */

struct peer_seed {
    const char *name;
    rotor_ref   send_to;    /* create sends `ping` here when valid */
    rotor_ref   post_to;    /* ping posts `ping` here (rotor_post) */
    int         send_result;
    rotor_ref   kill;       /* create kills this machine when valid */
    int         kill_result;
    int         raise[4];   /* create raises these */
    int         raise_result[4];
    int         nraise;
    int         destroyed;
};

struct peer {
    struct peer_seed *seed;
};

struct spawner_seed {
    struct peer_seed *children;
    int n;
};

struct spawner {
    struct spawner_seed *seed;
};

/* ---- timing.rsm -------------------------------------------------------- */

struct tmo_rec {
    int64_t t0, fired, left, poked, back, idle_fired;
    int raise[4];
    int nraise;
};

struct tmo {
    struct tmo_rec *rec;
};

struct ticker_rec {
    int ticks;
    int stop_every;         /* rotor_loop_stop() every N ticks */
};

struct ticker {
    struct ticker_rec *rec;
};

struct drive {
    rotor_ref target;
    int events[8];
    int n;
    int64_t sent_at[8];
};

struct driver {
    struct drive *d;
    int next;
};

/* ---- watcher.rsm ------------------------------------------------------- */

struct watch_rec {
    int fd;
    int watch_result, second_result, fd_seen;
    int destroyed;
    char got;
};

struct watcher {
    struct watch_rec *rec;
};

#endif /* RT_TEST_H */
