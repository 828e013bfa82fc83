/* diag.c: see diag.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

static const char *diag_file = "<input>";
static bool diag_werror;
static unsigned errors;

void diag_init(const char *file, bool werror)
{
    diag_file = file;
    diag_werror = werror;
    errors = 0;
}

/* Stops the run: every caller is a pass, before any output exists. */
static void too_many(struct loc at)
{
    fprintf(stderr, "%s:%lu:%lu: error: too many errors\n",
            diag_file, at.line, at.col);
    util_free_all();
    exit(1);
}

static void report(struct loc at, const char *kind, const char *fmt,
                   va_list ap)
{
    fprintf(stderr, "%s:%lu:%lu: %s: ", diag_file, at.line, at.col, kind);
    vfprintf(stderr, fmt, ap);
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
    fputc('\n', stderr);
}

void diag_warning(struct loc at, const char *name, const char *fmt, ...)
{
    if (diag_werror) {
        if (errors == DIAG_MAX_ERRORS)
            too_many(at);
        errors++;
    }
    va_list ap;
    va_start(ap, fmt);
    report(at, diag_werror ? "error" : "warning", fmt, ap);
    va_end(ap);
    fprintf(stderr, " [-W%s%s]\n", diag_werror ? "error=" : "", name);
}

void diag_fatal(const char *fmt, ...)
{
    errors++;
    va_list ap;
    va_start(ap, fmt);
    fputs("rotorgen: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

unsigned diag_error_count(void)
{
    return errors;
}
