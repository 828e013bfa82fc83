/*
 * trace.c: see trace.h.  The text is split in place (TABs, commas and
 * newlines become NULs), so a record's strings live as long as the text.
 * Every field is checked before use: a trace is input, and a truncated or
 * garbled one must give a located error, never a crash.
 */
#include <stdio.h>
#include <string.h>

#include "trace.h"
#include "util.h"

#define HEADER "#rotor-trace "
#define NFIELDS 7

/* Room for the names of FROM or TO, reused from line to line. */
struct slot {
    char  **items;
    size_t  cap;
};

struct line {
    struct slot   from, to;
    const char   *path;
    unsigned long number;
    char         *start;    /* the line, NUL-terminated */
    char         *field[NFIELDS];
    size_t        nfields;
};

static bool bad(const struct line *l, const char *at, const char *fmt,
                const char *what)
{
    struct loc where = { l->number, at ? (unsigned long)(at - l->start) + 1 : 0 };
    diag_other(l->path, where, "error", fmt, what);
    return false;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A state, machine or event name as rotorgen would accept it. */
static bool is_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* Splits FROM or TO at commas; each piece must be a name, or the whole
 * one of the words in `special`. */
static bool split_names(const struct line *l, char *field, const char *const *special,
                        struct slot *room, struct names *out)
{
    size_t n = 1;
    for (const char *c = field; *c; c++)
        n += *c == ',';
    if (n > room->cap) {
        room->items = xrealloc(room->items, n * sizeof *room->items);
        room->cap = n;
    }
    out->items = room->items;
    out->count = 0;
    for (size_t i = 0; special[i]; i++)
        if (!strcmp(field, special[i])) {
            out->items[out->count++] = field;
            return true;
        }
    for (char *p = field, *next; p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = '\0';
        if (!is_name(p))
            return bad(l, p, "'%s' is not a state name", p);
        out->items[out->count++] = p;
    }
    return true;
}

/* EVENT or EVENT(ARG). */
static bool split_event(const struct line *l, char *field, struct record *r)
{
    r->event = field;
    r->arg = NULL;
    char *open = strchr(field, '(');
    if (open) {
        size_t len = strlen(open);
        if (open[len - 1] != ')')
            return bad(l, field, "'%s' is not an event (NAME or NAME(ARG))", field);
        open[len - 1] = '\0';
        *open = '\0';
        r->arg = open + 1;
        if (!is_name(r->arg))
            return bad(l, open + 1, "'%s' is not a timeout, future or state name",
                       r->arg);
    }
    if (!is_name(field))
        return bad(l, field, "'%s' is not an event name", field);
    return true;
}

static bool parse_record(struct line *l, struct record *r)
{
    static const char *const from_words[] = { "(none)", NULL };
    static const char *const to_words[] = { "(internal)", "(unhandled)", "done",
                                            "error", NULL };
    char **f = l->field;
    if (l->nfields != NFIELDS) {
        char n[32];
        snprintf(n, sizeof n, "%zu", l->nfields);
        return bad(l, NULL, "an E record has 7 TAB-separated fields, this one has %s", n);
    }
    if (!all_digits(f[1]))
        return bad(l, f[1], "'%s' is not a time in milliseconds", f[1]);
    if (!is_name(f[2]))
        return bad(l, f[2], "'%s' is not a machine name", f[2]);
    char *dot = strchr(f[3], '.');
    bool ok = dot && (*dot = '\0', all_digits(f[3]) && all_digits(dot + 1));
    if (dot)
        *dot = '.';
    if (!ok)
        return bad(l, f[3], "'%s' is not a machine's SLOT.GENERATION", f[3]);
    *r = (struct record){ l->path, l->number, f[2], { 0 }, NULL, NULL, { 0 },
                          (unsigned long)(f[4] - l->start) + 1,
                          (unsigned long)(f[5] - l->start) + 1,
                          (unsigned long)(f[6] - l->start) + 1 };
    return split_names(l, f[4], from_words, &l->from, &r->from) &&
           split_event(l, f[5], r) && split_names(l, f[6], to_words, &l->to, &r->to);
}

/* Splits the line at TABs into l->field[]; more than NFIELDS are counted
 * but not kept. */
static void split_fields(struct line *l)
{
    l->nfields = 0;
    for (char *p = l->start, *next; p; p = next) {
        next = strchr(p, '\t');
        if (next)
            *next++ = '\0';
        if (l->nfields < NFIELDS)
            l->field[l->nfields] = p;
        l->nfields++;
    }
}

static bool header(const struct line *l)
{
    const char *v = l->start + strlen(HEADER);
    if (strcmp(v, "1"))
        return bad(l, v, "trace format version '%s' is not supported (only 1)", v);
    return true;
}

/* One line: the header, an E record, or another kind (skipped). */
static bool one_line(struct line *l, trace_fn *fn, void *arg)
{
    size_t len = strlen(l->start);
    if (len && l->start[len - 1] == '\r')
        l->start[len - 1] = '\0';
    if (!strncmp(l->start, HEADER, strlen(HEADER)))
        return header(l);
    if (l->number == 1)
        return bad(l, NULL, "%s", "not a rotor trace (the first line must be "
                   "'#rotor-trace 1': run with ROTOR_TRACE=FILE)");
    split_fields(l);
    if (strcmp(l->field[0], "E"))
        return true;
    struct record r;
    return parse_record(l, &r) && fn(arg, &r);
}

bool trace_read(const char *path, char *text, size_t len, trace_fn *fn, void *arg)
{
    struct line l = { { NULL, 0 }, { NULL, 0 }, path, 0, NULL, { 0 }, 0 };
    if (memchr(text, '\0', len)) {
        char *nul = memchr(text, '\0', len);
        l.number = 1;
        for (const char *c = text; c < nul; c++)
            l.number += *c == '\n';
        return bad(&l, NULL, "%s", "a NUL byte: not a text trace");
    }
    if (!len)
        return bad(&(struct line){ .path = path, .number = 1, .start = text },
                   NULL, "%s", "empty: not a rotor trace");
    for (char *p = text, *end = text + len, *nl; p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;       /* the text is NUL-terminated there */
        *nl = '\0';
        l.start = p;
        l.number++;
        if (!one_line(&l, fn, arg))
            return false;
    }
    return true;
}
