/*
 * loop.c: the loop: one event_base, the machine table, the event queue.
 */
#include "config.h"

#include <stdlib.h>

#include "rotor-internal.h"

#define DEFAULT_MAX_MACHINES ((size_t)1 << 20)

void rotor_config_init(struct rotor_config *cfg)
{
    cfg->max_machines = DEFAULT_MAX_MACHINES;
    cfg->context = NULL;
    cfg->trace = -1;
}

struct rotor_loop *rotor_loop_new(const struct rotor_config *cfg)
{
    struct rotor_config defaults;

    if (!cfg) {
        rotor_config_init(&defaults);
        cfg = &defaults;
    }
    struct rotor_loop *loop = calloc(1, sizeof *loop);
    if (!loop) {
        rotor__error("out of memory creating a loop");
        return NULL;
    }
    if (rotor__table_init(&loop->table, cfg->max_machines) < 0) {
        free(loop);
        return NULL;
    }
    loop->base = event_base_new();
    if (!loop->base) {
        rotor__error("event_base_new failed");
        free(loop);
        return NULL;
    }
    loop->context = cfg->context;
    loop->trace = cfg->trace < 0 ? rotor__trace_from_env() : cfg->trace != 0;
    return loop;
}

int rotor_loop_run(struct rotor_loop *loop)
{
    if (loop->running || loop->current)
        return rotor__error("rotor_loop_run: the loop is already running");
    loop->stop = false;
    rotor__drain(loop);
    if (loop->live == 0 || loop->stop)
        return 0;
    loop->running = true;
    /* NO_EXIT_ON_EMPTY: machines that wait for nothing libevent knows of
     * right now (a wakeup from another thread, say) still keep the loop. */
    int r = event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY);
    loop->running = false;
    if (r < 0)
        return rotor__error("event_base_loop failed");
    return 0;
}

void rotor_loop_stop(struct rotor_loop *loop)
{
    loop->stop = true;
    if (loop->running)
        event_base_loopbreak(loop->base);
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

void rotor_loop_free(struct rotor_loop *loop)
{
    if (!loop)
        return;
    loop->freeing = true;
    while (end_pass(loop) > 0)
        ;
    rotor__dns_free(loop);
    rotor__queue_fini(&loop->queue);
    rotor__timeout_fini(&loop->tmo);
    rotor__table_fini(&loop->table);
    event_base_free(loop->base);
    free(loop);
}

void rotor__drain(struct rotor_loop *loop)
{
    struct rotor__qev e;

    if (loop->current || loop->draining)
        return;
    loop->draining = true;
    while (rotor__queue_pop(&loop->queue, &e)) {
        struct rotor_scope *m = rotor__table_get(&loop->table, e.to);
        if (m)
            rotor__deliver(m, e.kind, e.data);
    }
    loop->draining = false;
}

struct event_base *rotor_loop_base(struct rotor_loop *loop)
{
    return loop->base;
}

void *rotor_loop_context(struct rotor_loop *loop)
{
    return loop->context;
}

size_t rotor_loop_machines(struct rotor_loop *loop)
{
    return loop->live;
}

size_t rotor_loop_errors(struct rotor_loop *loop)
{
    return loop->errors;
}

bool rotor_alive(struct rotor_loop *loop, rotor_ref ref)
{
    return rotor__table_get(&loop->table, ref) != NULL;
}
