/* diag.c: see diag.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

static const char *diag_file = "<input>";
static bool diag_werror;
static unsigned errors;
static FILE *out;
static bool out_set;
static jmp_buf *bailout;

#define NAME(w) #w,
static const char *const warning_names[] = { DIAG_WARNINGS(NAME) };
#undef NAME
#define NWARNINGS (sizeof warning_names / sizeof warning_names[0])
static bool warning_off[NWARNINGS];

/* "dead-end" and "dead_end" are the same warning. */
static int warning_index(const char *name)
{
    for (size_t i = 0; i < NWARNINGS; i++) {
        const char *a = warning_names[i], *b = name;
        while (*a && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return (int)i;
    }
    return -1;
}

bool diag_set_warning(const char *name, bool on)
{
    int i = warning_index(name);
    if (i < 0)
        return false;
    warning_off[i] = !on;
    return true;
}

bool diag_warning_on(const char *name)
{
    int i = warning_index(name);
    return i >= 0 && !warning_off[i];
}

void diag_set_stream(FILE *stream)
{
    out = stream;
    out_set = true;
}

void diag_set_bailout(jmp_buf *bail)
{
    bailout = bail;
}

static FILE *stream(void)
{
    return out_set ? out : stderr;
}

void diag_init(const char *file, bool werror)
{
    diag_file = file;
    diag_werror = werror;
    errors = 0;
}

/* Stops the run: every caller is a pass, before any output exists. */
static void too_many(struct loc at)
{
    if (stream())
        fprintf(stream(), "%s:%lu:%lu: error: too many errors\n",
                diag_file, at.line, at.col);
    if (bailout)
        longjmp(*bailout, 1);
    util_free_all();
    exit(1);
}

static void report(struct loc at, const char *kind, const char *fmt,
                   va_list ap)
{
    if (!stream())
        return;
    fprintf(stream(), "%s:%lu:%lu: %s: ", diag_file, at.line, at.col, kind);
    vfprintf(stream(), fmt, ap);
}

void diag_error(struct loc at, const char *fmt, ...)
{
    if (errors == DIAG_MAX_ERRORS)
        too_many(at);
    errors++;
    va_list ap;
    va_start(ap, fmt);
    report(at, "error", fmt, ap);
    va_end(ap);
    if (stream())
        fputc('\n', stream());
}

void diag_warning(struct loc at, const char *name, const char *fmt, ...)
{
    if (!diag_warning_on(name))
        return;
    if (diag_werror) {
        if (errors == DIAG_MAX_ERRORS)
            too_many(at);
        errors++;
    }
    va_list ap;
    va_start(ap, fmt);
    report(at, diag_werror ? "error" : "warning", fmt, ap);
    va_end(ap);
    if (stream())
        fprintf(stream(), " [-W%s%s]\n", diag_werror ? "error=" : "", name);
}

void diag_fatal(const char *fmt, ...)
{
    errors++;
    if (!stream())
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("rotorgen: error: ", stream());
    vfprintf(stream(), fmt, ap);
    va_end(ap);
    fputc('\n', stream());
}

void diag_other(const char *file, struct loc at, const char *kind,
                const char *fmt, ...)
{
    errors += kind[0] == 'e';
    if (!stream())
        return;
    if (at.col)
        fprintf(stream(), "%s:%lu:%lu: %s: ", file, at.line, at.col, kind);
    else
        fprintf(stream(), "%s:%lu: %s: ", file, at.line, kind);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stream(), fmt, ap);
    va_end(ap);
    fputc('\n', stream());
}

unsigned diag_error_count(void)
{
    return errors;
}
