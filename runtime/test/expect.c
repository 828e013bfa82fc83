/*
 * expect.c: librotor-test's expectations, read from the records the test
 * loop keeps (<rotor/trace.h> gives their format).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-internal.h"

int rt__fail(int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rotor_set_error(code, msg);
}

/* Splits buf at TABs into at most max fields; returns how many. */
static int split(char *buf, char **f, int max)
{
    int n = 0;

    f[n++] = buf;
    for (char *p = buf; *p && n < max; p++) {
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    }
    return n;
}

int rt__parse(const char *line, struct rt__record *r)
{
    return rt__parse_n(line, strcspn(line, "\n"), r);
}

int rt__parse_n(const char *line, size_t n, struct rt__record *r)
{
    char *f[8];

    if (n == 0 || line[0] == '#' || n >= sizeof r->buf)
        return -1;
    memcpy(r->buf, line, n);
    r->buf[n] = '\0';
    int nf = split(r->buf, f, 8);
    unsigned slot, gen;
    if (nf < 4 || strlen(f[0]) != 1 ||
        sscanf(f[3], "%u.%u", &slot, &gen) != 2)
        return -1;
    r->kind = f[0][0];
    r->ms = strtoul(f[1], NULL, 10);
    r->machine = f[2];
    r->ref = (rotor_ref){ slot, gen };
    for (int i = 0; i < 4; i++)
        r->f[i] = 4 + i < nf ? f[4 + i] : "";
    return 0;
}

static bool is_ref(rotor_ref a, rotor_ref b)
{
    return a.slot == b.slot && a.gen == b.gen;
}

/* Calls fn on each record of ref kept; stops when fn returns false. */
static void each_record(struct rotor_test *t, rotor_ref ref,
                        bool (*fn)(const struct rt__record *, void *),
                        void *arg)
{
    struct rt__record *r = malloc(sizeof *r);
    const char *p = t->records.v;

    while (r && p && *p) {
        if (rt__parse(p, r) == 0 && is_ref(r->ref, ref) && !fn(r, arg))
            break;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    free(r);
}

static bool add_step(const struct rt__record *r, void *arg)
{
    struct rt__str *s = arg;

    if (r->kind != 'E')
        return true;
    if (s->len)
        rt__str_add(s, " ", 1);
    rt__str_add(s, r->f[1], strlen(r->f[1]));
    rt__str_add(s, ">", 1);
    rt__str_add(s, r->f[2], strlen(r->f[2]));
    return true;
}

const char *rotor_test_steps(struct rotor_test *t, rotor_ref ref)
{
    if (!t) {
        rt__fail(ROTOR_EINVAL, "rotor_test_steps: no test");
        return NULL;
    }
    t->scratch.len = 0;
    if (rt__str_add(&t->scratch, "", 0) < 0) {
        rt__fail(ROTOR_ENOMEM, "rotor_test_steps: out of memory");
        return NULL;
    }
    each_record(t, ref, add_step, &t->scratch);
    return t->scratch.v;
}

static bool seen(const struct rt__record *r, void *arg)
{
    (void)r;
    *(bool *)arg = true;
    return false;
}

const char *rotor_test_state(struct rotor_test *t, rotor_ref ref)
{
    char buf[1024];

    if (!t) {
        rt__fail(ROTOR_EINVAL, "rotor_test_state: no test");
        return NULL;
    }
    int n = rotor_state_label(t->loop, ref, buf, sizeof buf);
    if (n < 0) {
        bool was = false;
        each_record(t, ref, seen, &was);
        if (!was) {
            rt__fail(ROTOR_ENOENT, "rotor_test_state: no machine %u.%u",
                     (unsigned)ref.slot, (unsigned)ref.gen);
            return NULL;
        }
        snprintf(buf, sizeof buf, "(ended)");
    }
    t->scratch.len = 0;
    if (rt__str_add(&t->scratch, buf, strlen(buf)) < 0)
        return NULL;
    return t->scratch.v;
}

bool rotor_test_expect_state(struct rotor_test *t, rotor_ref ref,
                             const char *state)
{
    const char *now = rotor_test_state(t, ref);

    if (now && state && strcmp(now, state) == 0)
        return true;
    rt__fail(ROTOR_OK, "machine %u.%u: expected state %s, is %s",
             (unsigned)ref.slot, (unsigned)ref.gen, state ? state : "(null)",
             now ? now : "unknown");
    return false;
}

const char *rotor_test_records(struct rotor_test *t)
{
    if (!t) {
        rt__fail(ROTOR_EINVAL, "rotor_test_records: no test");
        return NULL;
    }
    return t->records.v ? t->records.v : "";
}

int rotor_test_clear(struct rotor_test *t)
{
    if (!t)
        return rt__fail(ROTOR_EINVAL, "rotor_test_clear: no test");
    t->records.len = 0;
    if (t->records.v)
        t->records.v[0] = '\0';
    return 0;
}
