/* rt-driver.c: the actions of the driver machine (machines/driver.rsm). */
#include "rt-test.h"
#include "machines/driver.h"

void driver_create(struct driver *self, rotor_scope *s, const rotor_event *ev)
{
    self->d = rotor_event_data(ev);
}

bool driver_more(struct driver *self, rotor_scope *s, const rotor_event *ev)
{
    return self->next < self->d->n;
}

void driver_send(struct driver *self, rotor_scope *s, const rotor_event *ev)
{
    struct drive *d = self->d;

    /* The loop's clock: virtual under librotor-test. */
    d->sent_at[self->next] = (int64_t)rotor_loop_now(rotor_scope_loop(s));
    rotor_send(s, d->target, d->events[self->next], NULL);
    self->next++;
}
