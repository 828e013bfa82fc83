/*
 * path.c: running a path of rotorgen --paths (doc/testing-paths.md) as
 * a test's steps: user events are sent, timeouts advance the virtual
 * clock, guard assumptions and the machine's own steps are skipped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "test-internal.h"

/* Built-in events a path may name.  Each needs something only the test
 * can give (bytes, a peer's end, a future's value), so running it blindly
 * would hide a step: the path is refused with the way to do it. */
static const struct {
    const char *name, *how;
} builtins[] = {
    { "input",        "send the bytes with rotor_test_input" },
    { "eof",          "end the input with rotor_test_eof" },
    { "error",        "fail the peer with rotor_test_error" },
    { "readable",     "make the descriptor readable" },
    { "writable",     "make the descriptor writable" },
    { "flushed",      "let the output drain with rotor_test_settle" },
    { "drained",      "let the output drain with rotor_test_settle" },
    { "limit",        "send more bytes than the state expects" },
    { "connected",    "connect the stream" },
    { "accepted",     "connect a client with rotor_test_connect" },
    { "resolved",     "resolve the future" },
    { "wakeup",       "notify the machine" },
    { "spawn_failed", "make the spawn fail" },
    { "completed",    "complete the state" },
};

/* The user event called name (n bytes) of type, or -1. */
static int user_event(const struct rotor_machine_type *type,
                      const char *name, size_t n)
{
    for (int i = 0; i < type->nevents; i++) {
        const char *e = type->event_names[i];
        if (e && strlen(e) == n && !strncmp(e, name, n))
            return ROTOR_EV_USER + i;
    }
    return -1;
}

/* The advice for built-in event name (n bytes, without an argument), or
 * NULL when it is none. */
static const char *builtin_how(const char *name, size_t n)
{
    size_t len = strcspn(name, "(");

    if (len > n)
        len = n;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (strlen(builtins[i].name) == len &&
            !strncmp(builtins[i].name, name, len))
            return builtins[i].how;
    }
    return NULL;
}

/* Parses "timeout(D)" (n bytes; D as rotorgen prints it: 500ms, 5s, 1m)
 * into *ms.  0, or -1 when tok is no such step. */
static int parse_timeout(const char *tok, size_t n, uint64_t *ms)
{
    static const char pre[] = "timeout(";
    char *end;

    if (n < sizeof pre + 1 || strncmp(tok, pre, sizeof pre - 1) ||
        tok[n - 1] != ')')
        return -1;
    const char *d = tok + sizeof pre - 1;
    unsigned long long v = strtoull(d, &end, 10);
    size_t unit = (size_t)(tok + n - 1 - end);
    if (end == d)
        return -1;
    if (unit == 2 && !strncmp(end, "ms", 2))
        *ms = v;
    else if (unit == 1 && *end == 's')
        *ms = v * 1000;
    else if (unit == 1 && *end == 'm')
        *ms = v * 60000;
    else
        return -1;
    return 0;
}

/* Runs one step, the token tok of n bytes. */
static int run_step(struct rotor_test *t, rotor_ref ref,
                    const struct rotor_machine_type *type, const char *tok,
                    size_t n)
{
    uint64_t ms;

    /* Guards are the test's to make true beforehand; auto: steps are the
     * machine's own (a completion it raises itself); "(initial)" is no
     * step at all. */
    if (tok[0] == '[' || !strncmp(tok, "auto:", 5) ||
        (n == 9 && !strncmp(tok, "(initial)", 9)))
        return 0;
    if (parse_timeout(tok, n, &ms) == 0) {
        int r = rotor_test_advance(t, ms);
        return r < 0 ? r : 0;
    }
    if (!strncmp(tok, "timeout(", 8))
        return rt__fail(ROTOR_EINVAL, "rotor_test_run_path: step %.*s: not "
                        "a duration (ms, s or m)", (int)n, tok);
    int ev = user_event(type, tok, n);
    if (ev >= 0) {
        int r = rotor_test_send(t, ref, ev, NULL);
        if (r < 0)
            return rt__fail(r, "rotor_test_run_path: step %.*s: %s",
                            (int)n, tok, rotor_last_error());
        return 0;
    }
    const char *how = builtin_how(tok, n);
    if (how)
        return rt__fail(ROTOR_EINVAL, "rotor_test_run_path: step %.*s needs "
                        "data: %s", (int)n, tok, how);
    return rt__fail(ROTOR_ENOENT, "rotor_test_run_path: step %.*s: no such "
                    "event of %s", (int)n, tok, type->name);
}

/* The steps of a --paths line: what follows its last ": ", or the whole
 * text when it has none. */
static const char *steps_of(const char *path)
{
    const char *s = path;

    for (const char *p = strstr(path, ": "); p; p = strstr(p + 1, ": "))
        s = p + 2;
    return s;
}

int rotor_test_run_path(struct rotor_test *t, rotor_ref ref,
                        const struct rotor_machine_type *type,
                        const char *path)
{
    if (!t || !type || !path)
        return rt__fail(ROTOR_EINVAL, "rotor_test_run_path: argument NULL");
    /* "not reached: the search stopped at its bound" has a ": " inside
     * its STEPS: look for it in the whole line. */
    const char *p = steps_of(path);
    const char *none = strstr(path, "not reached: ");
    if (!none && !strncmp(p, "unreachable", 11) && strchr("\n", p[11]))
        none = p;
    if (!none && path[0] == '#')
        none = path;
    if (none)
        return rt__fail(ROTOR_EINVAL, "rotor_test_run_path: no path to run "
                        "(%.*s)", (int)strcspn(none, "\n"), none);
    while (*p) {
        size_t n = strcspn(p, " \t\n");
        if (n > 0) {
            int r = run_step(t, ref, type, p, n);
            if (r < 0)
                return r;
        }
        p += n + (p[n] != '\0');
    }
    return 0;
}
