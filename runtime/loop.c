/*
 * loop.c: the loop: one event_base, the machine table, the event queue,
 * the mailbox other threads reach it through (notify.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rotor-internal.h"

#define DEFAULT_MAX_MACHINES ((size_t)1 << 20)

int rotor_config_init(struct rotor_config *cfg)
{
    if (!cfg)
        return rotor__fail(ROTOR_EINVAL, "rotor_config_init: no config");
    cfg->max_machines = DEFAULT_MAX_MACHINES;
    cfg->context = NULL;
    cfg->trace = -1;
    return 0;
}

/* libevent 2.1 exits the process when event_base_new() cannot make its
 * signal socketpair (evsig_init_).  Check that the three descriptors it
 * takes (epoll and that pair) can be had, and fail cleanly if not.  Not
 * airtight against other threads opening files meanwhile. */
static int descriptors_left(void)
{
    int p[2];

    if (pipe(p) < 0)
        return rotor__fail(ROTOR_EIO, "cannot create a loop: %s",
                           strerror(errno));
    int third = dup(p[0]);
    int err = errno;
    close(p[0]);
    close(p[1]);
    if (third < 0)
        return rotor__fail(ROTOR_EIO, "cannot create a loop: %s",
                           strerror(err));
    close(third);
    return 0;
}

/* cfg->trace, or ROTOR_TRACE: lines on stderr, or records to a file.
 * A file that cannot be opened fails the loop: a trace asked for and
 * silently missing would be worse. */
static int trace_setup(struct rotor_loop *loop, int cfg_trace)
{
    const char *path = NULL;
    int how = cfg_trace < 0 ? rotor__trace_from_env(&path) : cfg_trace != 0;

    loop->trace_lines = how == 1;
    loop->trace = how != 0;
    return how == 2 ? rotor__record_open(loop, path) : 0;
}

struct rotor_loop *rotor_loop_new(const struct rotor_config *cfg)
{
    struct rotor_config defaults;

    if (!cfg) {
        rotor_config_init(&defaults);
        cfg = &defaults;
    }
    struct rotor_loop *loop = rotor__calloc(1, sizeof *loop);
    if (!loop) {
        rotor__fail(ROTOR_ENOMEM, "out of memory creating a loop");
        return NULL;
    }
    if (rotor__table_init(&loop->table, cfg->max_machines) < 0) {
        rotor__free(loop);
        return NULL;
    }
    if (descriptors_left() < 0) {
        rotor__free(loop);
        return NULL;
    }
    loop->base = event_base_new();
    if (!loop->base) {
        rotor__fail(ROTOR_EIO, "event_base_new failed");
        rotor__free(loop);
        return NULL;
    }
    if (rotor__mailbox_open(loop) < 0) {
        event_base_free(loop->base);
        rotor__table_fini(&loop->table);
        rotor__free(loop);
        return NULL;
    }
    loop->context = cfg->context;
    loop->born_us = rotor__real_us();
    if (trace_setup(loop, cfg->trace) < 0) {
        rotor_loop_free(loop);
        return NULL;
    }
    return loop;
}

int rotor_loop_run(struct rotor_loop *loop)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_run: no loop");
    if (loop->running || loop->current)
        return rotor__fail(ROTOR_EBUSY,
                           "rotor_loop_run: the loop is already running");
    /* A stop asked for before the run (from an action during a spawn)
     * counts; it is used up by the run it ends. */
    /* While it runs here, notifications from this thread need no lock
     * and no system call. */
    struct rotor_loop *outer = rotor__mailbox_enter(loop);
    rotor__drain(loop);
    if (loop->live == 0 || loop->stop) {
        loop->stop = false;
        rotor__mailbox_enter(outer);
        return 0;
    }
    loop->running = true;
    /* NO_EXIT_ON_EMPTY: machines that wait for nothing libevent knows of
     * right now (a wakeup from another thread, say) still keep the loop. */
    int r = event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY);
    loop->running = false;
    loop->stop = false;
    rotor__mailbox_enter(outer);
    if (r < 0)
        return rotor__fail(ROTOR_EIO, "event_base_loop failed");
    return 0;
}

int rotor_loop_poll(struct rotor_loop *loop)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_poll: no loop");
    if (loop->running || loop->current)
        return rotor__fail(ROTOR_EBUSY,
                           "rotor_loop_poll: the loop is running");
    struct rotor_loop *outer = rotor__mailbox_enter(loop);
    rotor__drain(loop);
    int r = event_base_loop(loop->base, EVLOOP_NONBLOCK);
    rotor__drain(loop);
    rotor__mailbox_enter(outer);
    return r < 0 ? rotor__fail(ROTOR_EIO, "event_base_loop failed") : 0;
}

int rotor_loop_stop(struct rotor_loop *loop)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_stop: no loop");
    loop->stop = true;
    if (loop->running)
        event_base_loopbreak(loop->base);
    return 0;
}

void rotor__loop_check_empty(struct rotor_loop *loop)
{
    if (loop->live == 0 && loop->running)
        event_base_loopbreak(loop->base);
}

/* Ends every live machine.  Returns how many it ended: a machine whose
 * own code is running (rotor_loop_free() called from an action, which is
 * a misuse) cannot end now. */
static size_t end_pass(struct rotor_loop *loop)
{
    size_t n = 0;

    for (uint32_t i = 0; i < loop->table.cap; i++) {
        struct rotor_scope *m = loop->table.slots[i].m;
        if (m && !m->ending && !m->busy) {
            rotor__trace_note(m, "freed in");
            rotor__end(m, false);
            n++;
        }
    }
    return n;
}

/* Events still queued go nowhere now, but resolutions carry values that
 * must be destroyed. */
static void discard_queued(struct rotor_loop *loop)
{
    struct rotor__qev e;

    while (rotor__queue_pop(&loop->queue, &e)) {
        if (e.kind == ROTOR__EV_FUTURE)
            rotor__future_discard(e.data);
    }
}

void rotor_loop_free(struct rotor_loop *loop)
{
    if (!loop)
        return;
    loop->freeing = true;
    while (end_pass(loop) > 0)
        ;
    rotor__dns_free(loop);
    discard_queued(loop);
    rotor__mailbox_close(loop);
    rotor__queue_fini(&loop->queue);
    rotor__timeout_fini(&loop->tmo);
    rotor__table_fini(&loop->table);
    event_base_free(loop->base);
    rotor__free(loop->scratch);
    rotor__vclock_free(loop);
    rotor__record_close(loop);
    rotor__free(loop);
}

void rotor__drain_queue(struct rotor_loop *loop)
{
    struct rotor__qev e;

    if (loop->current || loop->draining)
        return;
    loop->draining = true;
    while (rotor__queue_pop(&loop->queue, &e)) {
        /* A resolution finds its owner itself, and must be disposed of
         * even when the owner has ended. */
        if (e.kind == ROTOR__EV_FUTURE) {
            rotor__future_arrive(loop, e.data);
            continue;
        }
        struct rotor_scope *m = rotor__table_get(&loop->table, e.to);
        if (m)
            rotor__deliver(m, e.kind, e.data);
    }
    loop->draining = false;
}

/* For the accessors: a NULL loop is an error they can only report
 * through rotor_last_code(). */
static bool no_loop(const struct rotor_loop *loop, const char *call)
{
    if (loop)
        return false;
    rotor__fail(ROTOR_EINVAL, "%s: no loop", call);
    return true;
}

struct event_base *rotor_loop_base(struct rotor_loop *loop)
{
    return no_loop(loop, "rotor_loop_base") ? NULL : loop->base;
}

void *rotor_loop_context(struct rotor_loop *loop)
{
    return no_loop(loop, "rotor_loop_context") ? NULL : loop->context;
}

size_t rotor_loop_machines(struct rotor_loop *loop)
{
    return no_loop(loop, "rotor_loop_machines") ? 0 : loop->live;
}

size_t rotor_loop_errors(struct rotor_loop *loop)
{
    return no_loop(loop, "rotor_loop_errors") ? 0 : loop->errors;
}

bool rotor_alive(struct rotor_loop *loop, rotor_ref ref)
{
    return loop && rotor__table_get(&loop->table, ref) != NULL;
}
