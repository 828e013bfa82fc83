/* echo-data.h: the data of the stream echo server (grammars/echo.rsm). */
#ifndef ECHO_DATA_H
#define ECHO_DATA_H

struct echo_conn {
    unsigned long lines;    /* echoed so far */
};

#endif
