/*
 * trace.c: event names and the trace lines
 *     [echo_conn#12.3] reading --input--> flushing
 * given to the loop's hook or printed to stderr, one fprintf per line so
 * lines of several threads' loops do not mix.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rotor-internal.h"
#include "rotor/clock.h"

static const char *const builtin_names[ROTOR_EV_BUILTIN_COUNT] = {
    [ROTOR_EV_NONE] = "none",
    [ROTOR_EV_CREATE] = "create",
    [ROTOR_EV_DESTROY] = "destroy",
    [ROTOR_EV_READABLE] = "readable",
    [ROTOR_EV_WRITABLE] = "writable",
    [ROTOR_EV_INPUT] = "input",
    [ROTOR_EV_FLUSHED] = "flushed",
    [ROTOR_EV_EOF] = "eof",
    [ROTOR_EV_LIMIT] = "limit",
    [ROTOR_EV_CONNECTED] = "connected",
    [ROTOR_EV_ACCEPTED] = "accepted",
    [ROTOR_EV_TIMEOUT] = "timeout",
    [ROTOR_EV_WAKEUP] = "wakeup",
    [ROTOR_EV_RESOLVED] = "resolved",
    [ROTOR_EV_SPAWN_FAILED] = "spawn_failed",
    [ROTOR_EV_ERROR] = "error",
    [ROTOR_EV_DRAINED] = "drained",
    [ROTOR_EV_COMPLETED] = "completed",
};

const char *rotor_event_name(int kind)
{
    if (kind < 0 || kind >= ROTOR_EV_BUILTIN_COUNT)
        return NULL;
    return builtin_names[kind];
}

int rotor__trace_from_env(const char **path)
{
    const char *v = getenv("ROTOR_TRACE");

    if (!v || !*v || strcmp(v, "0") == 0)
        return 0;
    if (strcmp(v, "1") == 0)
        return 1;
    *path = v;
    return 2;
}

static const char *event_label(const struct rotor_machine_type *t, int kind,
                               char *buf, size_t len)
{
    const char *name = rotor_event_name(kind);

    if (name)
        return name;
    if (kind >= ROTOR_EV_USER && kind - ROTOR_EV_USER < t->nevents &&
        t->event_names)
        return t->event_names[kind - ROTOR_EV_USER];
    snprintf(buf, len, "event%d", kind);
    return buf;
}

static const char *target_label(const struct rotor_machine_type *t, int to)
{
    if (to >= 0 && to < t->nstates)
        return t->states[to].name;
    switch (to) {
    case ROTOR_INTERNAL:  return "(internal)";
    case ROTOR_UNHANDLED: return "(unhandled)";
    case ROTOR_DONE:      return "done";
    default:              return "error";
    }
}

static const char *state_label(const struct rotor_scope *m, int state)
{
    return state >= 0 ? m->type->states[state].name : "(none)";
}

/* The record's name of an event: a named timeout and a future's
 * resolution say which (`timeout(NAME)`; `resolved(N)`, N the future's
 * tag, which is its index among the machine's `future` declarations:
 * the machine type carries no future names). */
static const char *record_event_label(const struct rotor_scope *m,
                                      const struct rotor_event *ev,
                                      char *buf, size_t len)
{
    int slot = ROTOR_TIMEOUT_SLOT(ev->tag);

    if (ev->kind == ROTOR_EV_TIMEOUT && slot > 0 && ev->origin >= 0 &&
        slot <= m->type->states[ev->origin].ntimeouts) {
        snprintf(buf, len, "timeout(%s)",
                 m->type->states[ev->origin].timeouts[slot - 1].name);
        return buf;
    }
    if (ev->kind == ROTOR_EV_RESOLVED && ev->tag >= 0) {
        snprintf(buf, len, "resolved(%d)", ev->tag);
        return buf;
    }
    return event_label(m->type, ev->kind, buf, len);
}

/* E <ms> <machine> <slot>.<gen> <from> <event> <to>, see <rotor/trace.h>.
 * A statechart's `from` was kept by rotor_chart_dispatch(). */
static void record_delivery(const struct rotor_scope *m, int from,
                            const struct rotor_event *ev, int to)
{
    char line[1024], evb[160], tob[400];
    const char *from_s = state_label(m, from), *to_s = target_label(m->type, to);

    if (m->chart) {
        from_s = m->loop->rec->from;
        if (to >= 0) {
            rotor__state_label(m, to, tob, sizeof tob);
            to_s = tob;
        }
    }
    int n = snprintf(line, sizeof line, "E\t%llu\t%s\t%u.%u\t%s\t%s\t%s",
            (unsigned long long)rotor_loop_now(m->loop), m->type->name,
            (unsigned)m->ref.slot, (unsigned)m->ref.gen, from_s,
            record_event_label(m, ev, evb, sizeof evb), to_s);
    rotor__record(m->loop, line, n < 0 ? 0 : (size_t)n);
}

void rotor__trace_delivery(const struct rotor_scope *m, int from,
                           const struct rotor_event *ev, int to)
{
    char buf[32];

    if (m->loop->rec)
        record_delivery(m, from, ev, to);
    if (!m->loop->trace_lines)
        return;
    rotor__trace_printf(m->loop, "[%s#%u.%u] %s --%s--> %s", m->type->name,
            (unsigned)m->ref.slot, (unsigned)m->ref.gen,
            state_label(m, from), event_label(m->type, ev->kind, buf, sizeof buf),
            target_label(m->type, to));
}

/* "[M#s.g] spawned in STATE", "killed in STATE", ... */
void rotor__trace_note(const struct rotor_scope *m, const char *what)
{
    if (!m->loop->trace_lines)
        return;
    rotor__trace_printf(m->loop, "[%s#%u.%u] %s %s", m->type->name,
            (unsigned)m->ref.slot, (unsigned)m->ref.gen, what,
            state_label(m, m->state));
}

int rotor_loop_set_trace(struct rotor_loop *loop, rotor_trace_fn *fn,
                         void *arg)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_set_trace: no loop");
    loop->trace_lines = fn != NULL;
    loop->trace = fn != NULL || loop->rec != NULL;
    loop->trace_fn = fn;
    loop->trace_arg = arg;
    return 0;
}

void rotor__trace_printf(const struct rotor_loop *loop, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (loop->trace_fn)
        loop->trace_fn(loop->trace_arg, line);
    else
        fprintf(stderr, "%s\n", line);   /* one call: lines do not mix */
}
