/*
 * faults-test.h: the data of the fault-injection machines
 * (machines/faults.rsm), shared with test-faults.c.
 */
#ifndef FAULTS_TEST_H
#define FAULTS_TEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rotor/rotor.h>

/* ---- the allocation scenarios (fa_*) ------------------------------------ */

/* What the machines of one scenario run saw; checked in full when no
 * allocation failed. */
struct fa_rec {
    int  echo_inputs;        /* lines fa_echo was given */
    int  echo_lines, talk_lines, hellos, children, resolved, broken,
         values, wakeups, accepted, replies, spawn_failed;
    int  stale;              /* a state timeout fired: something waited */
    rotor_ref parent, listener;
    const char *host, *port;
    pthread_t threads[8];
    int  nthreads;
};
extern struct fa_rec fa;

struct fa_echo_seed { int fd; };

/* The data of every fa_* machine (actions of several machines share it). */
struct fa_m {
    int fd;
    size_t got;
    int count;
    bool shut;
    rotor_ref parent;
};

/* ---- the edge cases (ft_*) ---------------------------------------------- */

/* Timeouts and I/O ready in the same loop turn. */
struct ft_race_rec {
    int fd;
    int inputs, timeouts, wrong, ends;
    int64_t entered_got, got_timeout_at;
};
struct ft_race { struct ft_race_rec *rec; };

/* Machines ended from their own callbacks. */
struct ft_kill_rec {
    rotor_ref victim, spawner;
    int killer_destroyed, victim_destroyed, victim_poked, wrong;
    int kill_victim, kill_victim_again, kill_self, kill_self_again;
    int destroyed_in_action;    /* victim's destroys seen inside the action */
    bool self_alive_after_kill, entered_next;
    int fd;                     /* ft_kill_stream: its socket */
};
struct ft_kill { struct ft_kill_rec *rec; };

/* Descriptor exhaustion, futures after rotor_loop_stop(). */
struct ft_conn_rec {
    const char *host, *port;
    int connect_result, err, errors, connected, destroyed;
};
struct ft_conn { struct ft_conn_rec *rec; };

struct ft_wait_rec {
    struct rotor_promise *p[2];
    struct rotor_notifier *n;
    int values[2], got, wakeups, destroyed;
    struct rotor_loop *loop;
};
struct ft_waiter { struct ft_wait_rec *rec; };

#endif
