/* rt-test.c: the log and clock shared by the runtime tests. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rt-test.h"

char rt_log_buf[16384];

void rt_log_reset(void)
{
    rt_log_buf[0] = '\0';
}

void rt_log(const char *fmt, ...)
{
    size_t len = strlen(rt_log_buf);
    va_list ap;

    if (len > 0 && len < sizeof rt_log_buf - 1)
        rt_log_buf[len++] = ' ';
    va_start(ap, fmt);
    vsnprintf(rt_log_buf + len, sizeof rt_log_buf - len, fmt, ap);
    va_end(ap);
}

int64_t rt_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
