/* delay-test.h: shared by test-delay.c and its machine (delayer.rsm). */
#ifndef DELAY_TEST_H
#define DELAY_TEST_H

#include <rotor/delay.h>

struct delayer;

/* What a delayer does: `start` from create, `event` for every event
 * (after it is logged), `end` from destroy; each may be NULL. */
struct delay_plan {
    void (*start)(struct delayer *d, rotor_scope *s);
    void (*event)(struct delayer *d, rotor_scope *s, int kind);
    void (*end)(struct delayer *d, rotor_scope *s);
    const char *name;       /* logged with each event: "a:e1" */
    rotor_ref   peer;       /* another machine, for plans that need one */
};

struct delayer {
    struct delay_plan *plan;
    int id[4];              /* send ids a plan keeps */
};

#endif /* DELAY_TEST_H */
