/* echo-data.h: the data of the stream echo server (grammars/echo.rsm). */
#ifndef ECHO_DATA_H
#define ECHO_DATA_H

#define ECHO_MAX_LINE 65536   /* as in grammars/echo.rsm */

struct echo_conn {
    unsigned long long echoed;  /* bytes echoed so far */
};

/* One per loop, its context: what that loop served. */
struct echo_stats {
    unsigned long clients;
};

#endif
