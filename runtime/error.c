/*
 * error.c: the per-thread message behind rotor_last_error(), and the
 * library version.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rotor-internal.h"

static _Thread_local char last_error[256];
static _Thread_local int last_code;

int rotor__fail(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    last_code = code;
    return code;
}

int rotor_set_error(int code, const char *message)
{
    snprintf(last_error, sizeof last_error, "%s", message ? message : "");
    last_code = code;
    return code;
}

int rotor_last_code(void)
{
    return last_code;
}

const char *rotor_last_error(void)
{
    return last_error;
}

const char *rotor_strerror(int err)
{
    if (err == ROTOR_ERESOLVE)
        return "host name not found";
    return strerror(err < 0 ? -err : err);
}

const char *rotor_version(void)
{
    return PACKAGE_VERSION;
}
