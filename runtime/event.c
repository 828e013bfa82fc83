/*
 * event.c: what an action can ask of the event it handles.
 */
#include "config.h"

#include "rotor-internal.h"

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
