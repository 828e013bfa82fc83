/* log-has.h: whether a log file (a server's trace) holds a text, for the
 * e2e helpers that wait for the server to say it waits (slow-reader.c,
 * slow-upstream.c).  Read whole each time: the logs are short. */
#ifndef E2E_LOG_HAS_H
#define E2E_LOG_HAS_H

#include <stdio.h>
#include <string.h>

static int log_has(const char *log, const char *pattern)
{
    FILE *f = fopen(log, "r");
    char line[4096];
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, pattern) != NULL;
    fclose(f);
    return found;
}

#endif
