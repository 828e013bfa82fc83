/* conf.c: configuration helpers shared by --coverage and --paths. */
#include "conf.h"

bool conf_inside(const struct machine *m, int s, int c)
{
    for (; s >= 0; s = m->states[s].parent)
        if (s == c)
            return true;
    return false;
}

bool conf_pseudo(const struct machine *m, int s)
{
    enum state_kind k = m->states[s].kind;
    return k == STATE_CHOICE || k == STATE_HISTORY;
}

/* nchildren may count pseudostates; a state whose children are all
 * pseudostates is still a leaf, as the runtime sees it. */
bool conf_leaf(const struct machine *m, int s)
{
    if (conf_pseudo(m, s))
        return false;
    for (size_t i = (size_t)s + 1; i < m->nstates &&
                                   m->states[i].depth > m->states[s].depth; i++)
        if (m->states[i].parent == s && !conf_pseudo(m, (int)i))
            return false;
    return true;
}

void conf_mark_up(const struct machine *m, int s, bool *act)
{
    for (; s >= 0; s = m->states[s].parent)
        act[s] = true;
}

/* Whether some real child of s is active. */
static bool child_active(const struct machine *m, int s, const bool *act)
{
    for (size_t i = (size_t)s + 1; i < m->nstates &&
                                   m->states[i].depth > m->states[s].depth; i++)
        if (m->states[i].parent == s && act[i])
            return true;
    return false;
}

void conf_complete(const struct machine *m, bool *act)
{
    for (size_t s = 0; s < m->nstates; s++) {
        const struct state *st = &m->states[s];
        if (!act[s] || conf_leaf(m, (int)s))
            continue;
        if (st->kind == STATE_PARALLEL) {
            for (size_t i = s + 1; i < m->nstates && m->states[i].depth > st->depth; i++)
                if (m->states[i].parent == (int)s && !conf_pseudo(m, (int)i))
                    act[i] = true;
        } else if (!child_active(m, (int)s, act) && st->initial_child >= 0) {
            act[st->initial_child] = true;
        }
    }
}

int conf_domain(const struct machine *m, int s, int t)
{
    int d = m->states[s].parent;
    while (d >= 0 && (t == d || !conf_inside(m, t, d)))
        d = m->states[d].parent;
    return d;
}

int conf_parallel_above(const struct machine *m, int s)
{
    for (s = m->states[s].parent; s >= 0; s = m->states[s].parent)
        if (m->states[s].kind == STATE_PARALLEL)
            return s;
    return -1;
}

static const char *target_name(const struct machine *m, const struct transition *t)
{
    switch (t->to) {
    case TO_INTERNAL: return "(internal)";
    case TO_DONE:     return "done";
    case TO_ERROR:    return "error";
    default:          return m->states[t->target_state].name.text;
    }
}

void conf_describe(const struct machine *m, int s, const struct transition *t,
                   struct buf *out)
{
    buf_printf(out, "%s --", m->states[s].name.text);
    if (t->event.text)
        buf_puts(out, t->event.text);
    else if (t->is_else)
        buf_puts(out, "else");
    if (t->arg.text)
        buf_printf(out, "(%s)", t->arg.text);
    if (t->guard.text)
        buf_printf(out, "%s[%s]", t->event.text ? " " : "", t->guard.text);
    buf_printf(out, "--> %s", target_name(m, t));
}

void conf_duration(uint32_t ms, struct buf *out)
{
    if (ms && ms % 60000 == 0)
        buf_printf(out, "%lum", (unsigned long)(ms / 60000));
    else if (ms && ms % 1000 == 0)
        buf_printf(out, "%lus", (unsigned long)(ms / 1000));
    else
        buf_printf(out, "%lums", (unsigned long)ms);
}
