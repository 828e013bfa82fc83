/*
 * trace.c: event names, event accessors and the trace lines
 *     [echo_conn#12.3] reading --input--> flushing
 * printed to stderr, one fprintf per line so lines of several threads'
 * loops do not mix.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rotor-internal.h"

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
    [ROTOR_EV_COMPLETED] = "completed",
};

const char *rotor_event_name(int kind)
{
    if (kind < 0 || kind >= ROTOR_EV_BUILTIN_COUNT)
        return NULL;
    return builtin_names[kind];
}

int rotor_event_kind(const rotor_event *ev)
{
    return ev->kind;
}

void *rotor_event_data(const rotor_event *ev)
{
    return ev->data;
}

size_t rotor_event_size(const rotor_event *ev)
{
    return ev->size;
}

int rotor_event_error(const rotor_event *ev)
{
    return ev->err;
}

int rotor_event_tag(const rotor_event *ev)
{
    return ev->tag;
}

bool rotor__trace_from_env(void)
{
    const char *v = getenv("ROTOR_TRACE");

    return v && *v && strcmp(v, "0") != 0;
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

void rotor__trace_delivery(const struct rotor_scope *m, int from, int kind,
                           int to)
{
    char buf[32];

    rotor__trace_printf(m->loop, "[%s#%u.%u] %s --%s--> %s", m->type->name,
            (unsigned)m->ref.slot, (unsigned)m->ref.gen,
            state_label(m, from), event_label(m->type, kind, buf, sizeof buf),
            target_label(m->type, to));
}

/* "[M#s.g] spawned in STATE", "killed in STATE", ... */
void rotor__trace_note(const struct rotor_scope *m, const char *what)
{
    if (!m->loop->trace)
        return;
    rotor__trace_printf(m->loop, "[%s#%u.%u] %s %s", m->type->name,
            (unsigned)m->ref.slot, (unsigned)m->ref.gen, what,
            state_label(m, m->state));
}
