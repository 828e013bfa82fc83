/*
 * replay.c: rotor_test_replay(), a recorded trace's external events fed
 * again to the same machine types on the virtual clock, and the E
 * records compared machine by machine.
 *
 * Machines are matched by what made them: those spawned from outside
 * (S outside, fd, accepted) are spawned again here when the trace shows
 * it; those spawned by actions are matched, per type, in the order the
 * trace and the replay spawn them.  The E records of a machine are
 * compared in order, but machines are not compared against each other:
 * the interleaving of several machines' events may differ from the
 * recorded run without either being wrong.
 */
#define _POSIX_C_SOURCE 200809L  /* getline */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-internal.h"

struct rp_map {                 /* a recorded machine and its replay */
    char      name[128];
    rotor_ref rec, live;
    bool      rec_known, live_known;
};

struct rp_step {                /* an E record of the replay */
    rotor_ref live;
    char     *text;             /* "from\tevent\tto" */
    bool      used;
};

struct rp {
    const struct rotor_machine_type *const *types;
    size_t          ntypes;
    struct rp_map  *map;
    size_t          nmap;
    struct rp_step *steps;
    size_t          nsteps;
    bool            oom;
};

static const struct rotor_machine_type *type_named(const struct rp *rp,
                                                   const char *name)
{
    for (size_t i = 0; i < rp->ntypes; i++)
        if (rp->types[i] && strcmp(rp->types[i]->name, name) == 0)
            return rp->types[i];
    return NULL;
}

static struct rp_map *add_map(struct rp *rp, const char *name, rotor_ref rec)
{
    struct rp_map *v = realloc(rp->map, (rp->nmap + 1) * sizeof *v);

    if (!v) {
        rp->oom = true;
        return NULL;
    }
    rp->map = v;
    v[rp->nmap] = (struct rp_map){ .rec = rec, .rec_known = true };
    snprintf(v[rp->nmap].name, sizeof v[rp->nmap].name, "%s", name);
    return &v[rp->nmap++];
}

static struct rp_map *find_rec(struct rp *rp, const char *name, rotor_ref rec)
{
    for (size_t i = 0; i < rp->nmap; i++)
        if (rp->map[i].rec_known && rp->map[i].rec.slot == rec.slot &&
            rp->map[i].rec.gen == rec.gen &&
            strcmp(rp->map[i].name, name) == 0)
            return &rp->map[i];
    return NULL;
}

/* The replay's own records: E records are kept; a machine spawned by an
 * action takes the first recorded one of its type still unmatched. */
static void on_replay_record(struct rotor_test *t, const char *rec, size_t len)
{
    struct rp *rp = t->replay;
    struct rt__record *r = malloc(sizeof *r);

    if (!r || rt__parse_n(rec, len, r) < 0 || !type_named(rp, r->machine)) {
        free(r);
        return;
    }
    if (r->kind == 'S' && strcmp(r->f[0], "action") == 0) {
        struct rp_map *m = NULL;
        for (size_t i = 0; !m && i < rp->nmap; i++)
            if (!rp->map[i].live_known &&
                strcmp(rp->map[i].name, r->machine) == 0)
                m = &rp->map[i];
        /* Spawned before the trace's reading got there: matched then. */
        if (!m && (m = add_map(rp, r->machine, ROTOR_REF_NONE)) != NULL)
            m->rec_known = false;
        if (m) {
            m->live = r->ref;
            m->live_known = true;
        }
    } else if (r->kind == 'E') {
        struct rp_step *v = realloc(rp->steps, (rp->nsteps + 1) * sizeof *v);
        size_t n = strlen(r->f[0]) + strlen(r->f[1]) + strlen(r->f[2]) + 3;
        char *text = v ? malloc(n) : NULL;
        if (v)
            rp->steps = v;
        if (!text) {
            rp->oom = true;
        } else {
            snprintf(text, n, "%s\t%s\t%s", r->f[0], r->f[1], r->f[2]);
            v[rp->nsteps++] = (struct rp_step){ r->ref, text, false };
        }
    }
    free(r);
}

/* The replay's next E record of machine live, or NULL. */
static struct rp_step *next_step(struct rp *rp, rotor_ref live)
{
    for (size_t i = 0; i < rp->nsteps; i++)
        if (!rp->steps[i].used && rp->steps[i].live.slot == live.slot &&
            rp->steps[i].live.gen == live.gen)
            return &rp->steps[i];
    return NULL;
}

/* Messages longer than res->message are cut: they name the records. */
static int diverge(struct rotor_replay_result *res, unsigned long line,
                   const char *fmt, ...)
{
    va_list ap;

    res->diverged = true;
    res->line = line;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    return 1;
}

static int unhex(const char *hex, char *out, size_t *n)
{
    size_t k = 0;

    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            return -1;
        out[k++] = (char)v;
    }
    *n = k;
    return 0;
}

/* Spawns the replay of a machine the trace shows made from outside. */
static int spawn_again(struct rotor_test *t, struct rp *rp,
                       const struct rt__record *r,
                       const struct rotor_machine_type *type)
{
    struct rp_map *m = add_map(rp, r->machine, r->ref);

    if (!m)
        return ROTOR_ENOMEM;
    if (type->kind == ROTOR_KIND_STREAM)
        m->live = rotor_test_stream(t, type, NULL);
    else
        m->live = rotor_spawn(t->loop, type, NULL);
    m->live_known = rotor_ref_valid(m->live);
    rotor_test_settle(t);
    return m->live_known ? 0 : rotor_last_code();
}

/* Compares one recorded E record with the replay's.  1: diverged. */
static int compare(struct rotor_test *t, struct rp *rp, struct rp_map *m,
                   const struct rt__record *r, unsigned long line,
                   struct rotor_replay_result *res)
{
    char want[1400];
    uint64_t next;

    snprintf(want, sizeof want, "%s\t%s\t%s", r->f[0], r->f[1], r->f[2]);
    if (!m || !m->live_known)
        return diverge(res, line, "%s: %s: the replay has no such machine",
                       r->machine, want);
    struct rp_step *s = next_step(rp, m->live);
    /* A real timer fires a little after its due time, and the trace's
     * clock may say a little before the virtual one: let the next
     * virtual timer fire when the trace shows a timeout. */
    if (!s && strncmp(r->f[1], "timeout", 7) == 0 &&
        rotor_loop_next_timer(t->loop, &next) == 1) {
        rotor_test_advance(t, next);
        s = next_step(rp, m->live);
    }
    if (!s)
        return diverge(res, line, "%s: trace has \"%s\", the replay "
                       "delivered nothing", r->machine, want);
    s->used = true;
    res->events++;
    if (strcmp(s->text, want) != 0)
        return diverge(res, line, "%s: trace has \"%s\", the replay \"%s\"",
                       r->machine, want, s->text);
    return 0;
}

static int external(struct rotor_test *t, struct rp_map *m,
                    const struct rt__record *r,
                    const struct rotor_machine_type *type)
{
    if (!m || !m->live_known)
        return 0;               /* its spawn was not replayed: nothing to do */
    if (r->kind == 'X')
        return strcmp(r->f[0], "eof") == 0 ? rotor_test_eof(t, m->live)
                                          : rotor_test_error(t, m->live);
    if (r->kind == 'U') {
        for (int i = 0; i < type->nevents; i++)
            if (type->event_names && strcmp(type->event_names[i], r->f[0]) == 0)
                return rotor_test_send(t, m->live, ROTOR_EV_USER + i, NULL);
        return rt__fail(ROTOR_EINVAL, "%s has no event %s", type->name,
                        r->f[0]);
    }
    char *bytes = malloc(strlen(r->f[0]) / 2 + 1);
    size_t n;
    int err = !bytes ? ROTOR_ENOMEM
            : unhex(r->f[0], bytes, &n) < 0
            ? rt__fail(ROTOR_EINVAL, "bad hex in an I record")
            : rotor_test_input(t, m->live, bytes, n);
    free(bytes);
    return err;
}

/* A recorded spawn by an action: the replay's first unmatched one of the
 * same type, if it spawned it already; else it will. */
static int match_action(struct rp *rp, const struct rt__record *r)
{
    for (size_t i = 0; i < rp->nmap; i++) {
        if (!rp->map[i].rec_known && strcmp(rp->map[i].name, r->machine) == 0) {
            rp->map[i].rec = r->ref;
            rp->map[i].rec_known = true;
            return 0;
        }
    }
    struct rp_map *m = add_map(rp, r->machine, r->ref);
    return m ? 0 : ROTOR_ENOMEM;
}

/* One record of the trace.  0 to go on, 1 diverged, < 0 an error. */
static int one(struct rotor_test *t, struct rp *rp, const struct rt__record *r,
               unsigned long line, struct rotor_replay_result *res)
{
    const struct rotor_machine_type *type = type_named(rp, r->machine);

    if (!type)
        return 0;               /* not a machine replayed */
    uint64_t now = rotor_test_now(t);
    if (r->ms > now)
        rotor_test_advance(t, r->ms - now);
    struct rp_map *m = find_rec(rp, r->machine, r->ref);
    switch (r->kind) {
    case 'S':
        if (strcmp(r->f[0], "action") == 0)
            return match_action(rp, r);
        if (strcmp(r->f[0], "listen") == 0)
            return 0;
        return spawn_again(t, rp, r, type);
    case 'E':
        return compare(t, rp, m, r, line, res);
    case 'I': case 'X': case 'U':
        return external(t, m, r, type);
    default:
        return 0;               /* a kind this version does not know */
    }
}

/* What the replay delivered that the trace does not have. */
static int leftovers(struct rp *rp, unsigned long line,
                     struct rotor_replay_result *res)
{
    for (size_t i = 0; i < rp->nsteps; i++) {
        if (rp->steps[i].used)
            continue;
        for (size_t j = 0; j < rp->nmap; j++)
            if (rp->map[j].live_known &&
                rp->map[j].live.slot == rp->steps[i].live.slot &&
                rp->map[j].live.gen == rp->steps[i].live.gen)
                return diverge(res, line, "%s: the replay delivered \"%s\", "
                               "which the trace does not have",
                               rp->map[j].name, rp->steps[i].text);
    }
    return 0;
}

static int replay_file(struct rotor_test *t, struct rp *rp, FILE *f,
                       struct rotor_replay_result *res)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned long n = 0;
    int r = 0;
    struct rt__record *rec = malloc(sizeof *rec);

    if (!rec)
        return rt__fail(ROTOR_ENOMEM, "rotor_test_replay: out of memory");
    while (r == 0 && getline(&line, &cap, f) > 0) {
        n++;
        if (n == 1 && strncmp(line, "#rotor-trace 1", 14) != 0) {
            r = rt__fail(ROTOR_ENOTSUP, "not a version 1 rotor trace");
            break;
        }
        if (rt__parse(line, rec) == 0)
            r = one(t, rp, rec, n, res);
        if (rp->oom)
            r = rt__fail(ROTOR_ENOMEM, "rotor_test_replay: out of memory");
    }
    if (r == 0)
        r = leftovers(rp, n, res);
    free(line);
    free(rec);
    return r < 0 ? r : 0;
}

int rotor_test_replay(struct rotor_test *t, const char *path,
                      const struct rotor_machine_type *const *types,
                      size_t ntypes, struct rotor_replay_result *res)
{
    if (!t || !path || !types || !res)
        return rt__fail(ROTOR_EINVAL, "rotor_test_replay: an argument is "
                        "NULL");
    if (rotor_loop_machines(t->loop) > 0)
        return rt__fail(ROTOR_EINVAL, "rotor_test_replay: the test loop "
                        "has machines already");
    FILE *f = fopen(path, "r");
    if (!f)
        return rt__fail(ROTOR_EIO, "rotor_test_replay: %s: cannot read",
                        path);
    struct rp rp = { .types = types, .ntypes = ntypes };
    *res = (struct rotor_replay_result){ 0 };
    t->replay = &rp;
    t->on_record = on_replay_record;
    int err = replay_file(t, &rp, f, res);
    t->on_record = NULL;
    t->replay = NULL;
    fclose(f);
    for (size_t i = 0; i < rp.nsteps; i++)
        free(rp.steps[i].text);
    free(rp.steps);
    free(rp.map);
    if (err == 0 && !res->diverged)
        snprintf(res->message, sizeof res->message,
                 "replayed %zu events, no divergence", res->events);
    return err;
}

int rotor_test_replay_main(int argc, char **argv,
                           const struct rotor_machine_type *const *types,
                           size_t ntypes, void *context)
{
    int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
    struct rotor_replay_result res;
    struct rotor_config cfg;

    if (argc != 2 + quiet) {
        fprintf(stderr, "usage: %s [-q] TRACE\n", argc ? argv[0] : "rotor-replay");
        return 2;
    }
    const char *path = argv[1 + quiet];
    rotor_config_init(&cfg);
    cfg.context = context;
    struct rotor_test *t = rotor_test_new(&cfg);
    int err = t ? rotor_test_replay(t, path, types, ntypes, &res)
                : rotor_last_code();
    rotor_test_free(t);
    if (err < 0) {
        fprintf(stderr, "%s: %s\n", path, rotor_last_error());
        return 2;
    }
    if (res.diverged)
        printf("%s:%lu: %s\n", path, res.line, res.message);
    else if (!quiet)
        printf("%s\n", res.message);
    return res.diverged ? 1 : 0;
}
