/*
 * driver.c: runs one W3C SCXML port (see scxml.h) in a real rotor loop
 * and gives its verdict as the exit status: 0 pass, 1 fail.
 *
 * The watchdog (10 s, or SCXML_WATCHDOG_MS) is reached only when the
 * implementation is wrong: a port that waits on purpose says so with a
 * state timeout of its own, far shorter.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "tests/scxml/scxml.h"

static char log_buf[4096];
static int npassed;
static bool timed_out;

void scxml_log(const char *fmt, ...)
{
    size_t len = strlen(log_buf);
    va_list ap;

    if (len > 0 && len < sizeof log_buf - 1)
        log_buf[len++] = ' ';
    va_start(ap, fmt);
    vsnprintf(log_buf + len, sizeof log_buf - len, fmt, ap);
    va_end(ap);
}

void passed(struct scxml *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)s;
    (void)ev;
    npassed++;
}

static bool same_ref(rotor_ref a, rotor_ref b)
{
    return a.slot == b.slot && a.gen == b.gen;
}

/* A child machine is one whose peer (its parent) is another machine. */
static const char *event_name(struct scxml *self, rotor_scope *s, int kind)
{
    const struct rotor_machine_type *t = scxml_test.type;

    if (kind < ROTOR_EV_USER)
        return rotor_event_name(kind);
    if (rotor_ref_valid(self->peer) &&
        !same_ref(self->peer, rotor_scope_self(s)))
        t = scxml_test.child;
    if (!t || kind - ROTOR_EV_USER >= t->nevents)
        return NULL;
    return t->event_names[kind - ROTOR_EV_USER];
}

void got(struct scxml *self, rotor_scope *s, const rotor_event *ev)
{
    const char *name = event_name(self, s, rotor_event_kind(ev));

    if (name)
        scxml_log("%s", name);
    else
        scxml_log("event%d", rotor_event_kind(ev));
}

static void watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    timed_out = true;
    rotor_loop_stop(arg);
}

/* Runs the port until its machines end or the watchdog goes off. */
static int run(struct rotor_loop *loop)
{
    const char *env = getenv("SCXML_WATCHDOG_MS");
    long ms = env ? strtol(env, NULL, 10) : 10000;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    struct event *dog = evtimer_new(rotor_loop_base(loop), watchdog, loop);

    if (!dog || evtimer_add(dog, &tv) < 0) {
        fprintf(stderr, "cannot arm the watchdog\n");
        return -1;
    }
    if (!rotor_ref_valid(rotor_spawn(loop, scxml_test.type, NULL))) {
        fprintf(stderr, "rotor_spawn: %s\n", rotor_last_error());
        event_free(dog);
        return -1;
    }
    int r = rotor_loop_run(loop);
    event_free(dog);
    return r;
}

/* Prints why the test fails when `bad`; returns 1 then. */
static int fault(bool bad, const char *fmt, ...)
{
    va_list ap;

    if (!bad)
        return 0;
    fprintf(stderr, "%s: ", scxml_test.type->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static bool verdict(struct rotor_loop *loop)
{
    const char *expect = scxml_test.expect;
    int bad = 0;

    bad += fault(timed_out, "the watchdog went off");
    bad += fault(npassed != 1, "`passed` ran %d times", npassed);
    bad += fault(rotor_loop_errors(loop) > 0, "reached `error` (fail)");
    bad += fault(rotor_loop_machines(loop) > 0, "%zu machines still alive",
                 rotor_loop_machines(loop));
    bad += fault(expect && strcmp(log_buf, expect) != 0,
                 "log \"%s\", expected \"%s\"", log_buf, expect);
    return bad == 0;
}

int main(void)
{
    struct rotor_loop *loop = rotor_loop_new(NULL);

    if (!loop) {
        fprintf(stderr, "rotor_loop_new: %s\n", rotor_last_error());
        return 1;
    }
    bool ok = run(loop) == 0 && verdict(loop);
    rotor_loop_free(loop);
    printf("%s: %s (log: %s)\n", scxml_test.type->name, ok ? "pass" : "FAIL",
           log_buf);
    return ok ? 0 : 1;
}
