/*
 * test-internal.h: what the files of librotor-test share.  Internal
 * names carry the rt__ prefix and are hidden (the library exports
 * rotor_[a-z]* only).
 */
#ifndef ROTOR_TEST_INTERNAL_H
#define ROTOR_TEST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rotor/test.h"

#if defined(__GNUC__)
#define RT__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RT__PRINTF(f, a)
#endif

struct rt__str {                /* NUL-terminated, growing */
    char  *v;
    size_t len, cap;
};

struct rt__peer {               /* the test's end of a stream machine */
    rotor_ref      ref;
    int            fd;          /* -1 once closed */
    int            mfd;         /* the machine's end (rotor_test_stream) */
    struct rt__str out;         /* collected output */
};

struct rt__listener {
    rotor_ref          ref;
    struct sockaddr_un addr;
    socklen_t          len;
};

typedef void rt__record_fn(struct rotor_test *t, const char *rec,
                           size_t len);

struct rotor_test {
    struct rotor_loop   *loop;
    struct rt__peer     *peers;
    size_t               npeers, cap;
    struct rt__listener *listeners;
    size_t               nlisteners;
    struct rt__str       records;   /* every record, newline-terminated */
    size_t               nrecords;  /* counted even when cleared */
    size_t               nevents;   /* E records, likewise */
    struct rt__str       scratch;   /* what the accessors return */
    rt__record_fn       *on_record; /* replay's hook, or NULL */
    void                *replay;
};

/* A record split into fields (pointers into a copy, see rt__parse). */
struct rt__record {
    char          kind;
    unsigned long ms;
    const char   *machine;
    rotor_ref     ref;
    const char   *f[4];         /* the fields after slot.gen ("" if none) */
    char          buf[8192];
};

int  rt__str_add(struct rt__str *s, const void *p, size_t n);
int  rt__fail(int code, const char *fmt, ...) RT__PRINTF(2, 3);
/* Parses the record at line (up to its newline or NUL).  0, or -1 for a
 * comment or a line that is no record. */
int  rt__parse(const char *line, struct rt__record *r);
/* The same for the first n bytes of line, which need not end in '\0'
 * (the record hook's lines do not). */
int  rt__parse_n(const char *line, size_t n, struct rt__record *r);
struct rt__peer *rt__peer(struct rotor_test *t, rotor_ref ref);

#endif
