/*
 * scxml.h: shared by the ports of the W3C SCXML 1.0 tests
 * (tests/scxml/testNNN.rsm, doc/scxml.md) and their driver (driver.c).
 *
 * Each port is one .rsm file: its machine declares `data struct scxml;`
 * and its %{ %} block includes this header and its own generated header,
 * then names the machine to run (SCXML_TEST) and defines its few actions
 * with the macros below.  The driver spawns the machine in a real rotor
 * loop and passes the test only when the machine ran `passed` exactly
 * once and then ended by `-> done` (W3C: reached `pass`), nothing ended
 * by `-> error` (W3C: `fail`), the driver's watchdog did not go off, and
 * the log is exactly the sequence the port expects.
 */
#ifndef SCXML_H
#define SCXML_H

#include <stdbool.h>

#include <rotor/rotor.h>
#include <rotor/delay.h>

/* The data of every port's machines: the W3C tests' Var1..Var4 counters
 * and the id of a delayed send (for <cancel>). */
struct scxml {
    int var1, var2, var3, var4;
    int sendid;
    rotor_ref peer;     /* a child's parent; a parent's own ref (what it
                           hands its child); else ROTOR_REF_NONE */
};

struct scxml_test {
    const struct rotor_machine_type *type;   /* spawned by the driver */
    const char *expect;                      /* the whole log; NULL: any */
    const struct rotor_machine_type *child;  /* spawned by the port */
};

/* Defined by each port (SCXML_TEST or SCXML_TEST_CHILD). */
extern const struct scxml_test scxml_test;

#define SCXML_TEST(M, EXPECT) \
    const struct scxml_test scxml_test = { &M##_machine, EXPECT, NULL }
#define SCXML_TEST_CHILD(M, EXPECT, CHILD) \
    const struct scxml_test scxml_test = { &M##_machine, EXPECT, \
                                           &CHILD##_machine }

/* Appends one word to the log (printf format). */
void scxml_log(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---- actions every port may use (driver.c) ------------------------------ */

/* Records the verdict `pass` (then the transition goes `-> done`). */
void passed(struct scxml *self, rotor_scope *s, const rotor_event *ev);
/* Logs the name of the event being handled. */
void got(struct scxml *self, rotor_scope *s, const rotor_event *ev);

/* ---- per-port actions, one line each -------------------------------------- */

#define SCXML_ACTION(NAME) \
    void NAME(struct scxml *self, rotor_scope *s, const rotor_event *ev)
#define SCXML_GUARD(NAME) \
    bool NAME(struct scxml *self, rotor_scope *s, const rotor_event *ev)
#define SCXML_UNUSED (void)self, (void)s, (void)ev

/* raise_E: <raise event="E"/>, to the running machine's internal queue. */
#define SCXML_RAISE(M, E) \
    SCXML_ACTION(raise_##E) { SCXML_UNUSED; rotor_raise(s, M##_ev_##E, NULL); }
/* NAME logs its own name (an onentry/onexit/transition marker). */
#define SCXML_LOG(NAME) \
    SCXML_ACTION(NAME) { SCXML_UNUSED; scxml_log(#NAME); }
/* NAME: <assign location="VAR" expr="VAR + 1"/>. */
#define SCXML_INC(NAME, VAR) \
    SCXML_ACTION(NAME) { SCXML_UNUSED; self->VAR++; }
/* NAME: the guard VAR == N. */
#define SCXML_IS(NAME, VAR, N) \
    SCXML_GUARD(NAME) { SCXML_UNUSED; return self->VAR == (N); }
/* in_ST: the guard In('ST'). */
#define SCXML_IN(M, ST) \
    SCXML_GUARD(in_##ST) { SCXML_UNUSED; return rotor_in_state(s, M##_st_##ST); }
/* send_E: <send event="E"/> to the running machine's external queue. */
#define SCXML_SEND(M, E) \
    SCXML_ACTION(send_##E) { SCXML_UNUSED; \
        if (rotor_send(s, rotor_scope_self(s), M##_ev_##E, NULL) < 0) \
            scxml_log("send_" #E "-failed"); }
/* send_E: <send event="E" delay="MSms"/> to the running machine. */
#define SCXML_SEND_AFTER(M, E, MS) \
    SCXML_ACTION(send_##E) { SCXML_UNUSED; \
        if (rotor_send_after(s, rotor_scope_self(s), M##_ev_##E, NULL, \
                             (MS)) < 0) \
            scxml_log("send_" #E "-failed"); }
/* The same, <send id="..."/>: the id goes to self->sendid. */
#define SCXML_SEND_AFTER_ID(M, E, MS) \
    SCXML_ACTION(send_##E) { SCXML_UNUSED; \
        self->sendid = rotor_send_after(s, rotor_scope_self(s), M##_ev_##E, \
                                        NULL, (MS)); \
        if (self->sendid < 0) scxml_log("send_" #E "-failed"); }
/* cancel: <cancel sendid="..."/> of self->sendid. */
#define SCXML_CANCEL \
    SCXML_ACTION(cancel) { SCXML_UNUSED; \
        if (rotor_send_cancel(s, self->sendid) < 0) \
            scxml_log("cancel-failed"); }

#endif /* SCXML_H */
