/* echo-types.h: the data of the machines in echo.rsm.  The generated
 * echo.c needs their size, and main.c their fields. */
#ifndef ECHO_TYPES_H
#define ECHO_TYPES_H

struct echo_stats {             /* the loop's context */
    unsigned long clients;
    unsigned long lines;
};

struct echo_conn {              /* each connection's data */
    unsigned long lines;
};

#endif
