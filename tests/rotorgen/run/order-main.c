/* order-main.c: drives the generated dispatch of order.rsm directly,
 * without the runtime (the scope and event are never looked at; the one
 * runtime call the code makes is logged below). */
#include <stdio.h>
#include <string.h>

#include "order-data.h"
#include "order.h"

static int failures;

static void logged(struct order_data *d, const char *what)
{
    strncat(d->log, what, sizeof d->log - strlen(d->log) - 2);
    strcat(d->log, " ");
}

#define ACTION(name) \
    void name(struct order_data *self, rotor_scope *s, const rotor_event *ev) \
    { (void)s; (void)ev; logged(self, #name); }
ACTION(on_create) ACTION(on_destroy)
ACTION(a_in1) ACTION(a_in2) ACTION(a_out1) ACTION(a_out2)
ACTION(b_in) ACTION(b_out) ACTION(t1) ACTION(t2) ACTION(t3) ACTION(t4)

/* The data whose log the running dispatch writes. */
static struct order_data *running;

/* rotor_in_state()'s bookkeeping in the runtime: logged as at(STATE),
 * to check where the generated code calls it. */
void rotor_transition_at(rotor_scope *s, int state)
{
    char what[32];

    (void)s;
    snprintf(what, sizeof what, "at(%s)",
             state < 0 ? "-1" : order_machine.states[state].name);
    logged(running, what);
}

bool g1(struct order_data *self, rotor_scope *s, const rotor_event *ev)
{ (void)s; (void)ev; logged(self, "g1?"); return self->guard1; }
bool g2(struct order_data *self, rotor_scope *s, const rotor_event *ev)
{ (void)s; (void)ev; logged(self, "g2?"); return self->guard2; }

static void expect(const char *what, struct order_data *d, int got, int want,
                   const char *log)
{
    if (got != want || strcmp(d->log, log) != 0) {
        printf("FAIL: %s: got %d \"%s\", want %d \"%s\"\n", what, got, d->log,
               want, log);
        failures++;
    }
    d->log[0] = '\0';
}

static int dispatch(struct order_data *d, int state, int event)
{
    return order_machine.dispatch(d, NULL, state, event, NULL);
}

static void check_table(void)
{
    const struct rotor_machine_type *t = &order_machine;
    const struct rotor_state_info *b = &t->states[order_st_b];
    if (t->abi != ROTOR_MACHINE_ABI || strcmp(t->name, "order") ||
        t->kind != ROTOR_KIND_STREAM || t->nstates != 2 ||
        t->initial != order_st_a || t->nevents != 5 ||
        strcmp(t->event_names[order_ev_again - ROTOR_EV_USER], "again") ||
        t->data_size != sizeof(struct order_data) || t->spawns != NULL ||
        strcmp(t->states[0].name, "a") || t->states[0].timeout_ms != 2000 ||
        t->states[0].expect != ROTOR_EXPECT_LINE ||
        t->states[0].expect_size != 80 || b->expect != ROTOR_EXPECT_UNTIL ||
        b->delim_len != 2 || memcmp(b->delim, "\r\n", 2) || b->parent != -1) {
        printf("FAIL: the machine type's tables\n");
        failures++;
    }
}

int main(void)
{
    struct order_data d = { "", 0, 0 };
    running = &d;
    check_table();
    order_machine.create(&d, NULL, NULL);
    expect("create", &d, 0, 0, "on_create ");
    expect("enter", &d, order_machine.enter(&d, NULL, NULL), order_st_a,
           "a_in1 a_in2 ");
    d.guard1 = 1;
    expect("first guard", &d, dispatch(&d, order_st_a, order_ev_go), order_st_b,
           "g1? a_out1 a_out2 t1 at(b) b_in ");
    d.guard1 = 0, d.guard2 = 1;
    expect("second guard", &d, dispatch(&d, order_st_a, order_ev_go), order_st_b,
           "g1? g2? a_out1 a_out2 t2 t3 at(b) b_in ");
    d.guard2 = 0;
    expect("no guard: SAME", &d, dispatch(&d, order_st_a, order_ev_go), order_st_a,
           "g1? g2? a_out1 a_out2 t4 a_in1 a_in2 ");
    expect("internal", &d, dispatch(&d, order_st_a, order_ev_stay),
           ROTOR_INTERNAL, "t1 ");
    expect("done", &d, dispatch(&d, order_st_a, order_ev_finish), ROTOR_DONE,
           "a_out1 a_out2 t1 ");
    expect("error", &d, dispatch(&d, order_st_a, order_ev_fail), ROTOR_ERROR,
           "a_out1 a_out2 t2 ");
    expect("unhandled", &d, dispatch(&d, order_st_a, ROTOR_EV_INPUT),
           ROTOR_UNHANDLED, "");
    expect("SAME without actions", &d, dispatch(&d, order_st_b, order_ev_again),
           order_st_b, "b_out b_in ");
    expect("guard false, nothing else", &d, dispatch(&d, order_st_b, ROTOR_EV_INPUT),
           ROTOR_UNHANDLED, "g1? ");
    d.guard1 = 1;
    expect("built-in event", &d, dispatch(&d, order_st_b, ROTOR_EV_INPUT),
           order_st_a, "g1? b_out at(a) a_in1 a_in2 ");
    expect("event of another state", &d, dispatch(&d, order_st_b, order_ev_go),
           ROTOR_UNHANDLED, "");
    expect("unknown state", &d, dispatch(&d, 7, order_ev_go), ROTOR_UNHANDLED, "");
    order_machine.destroy(&d, NULL, NULL);
    expect("destroy", &d, 0, 0, "on_destroy ");
    return failures != 0;
}
