/* stream_fuzz.h: the data of fuzz/stream-fuzz.rsm. */
#ifndef STREAM_FUZZ_H
#define STREAM_FUZZ_H

#include <stddef.h>

/* What the machine saw, in the same form as the model's. */
struct fuzz_record {
    char   events[4096];    /* 'i' input, 'l' limit, 'e' eof, 'x' error */
    size_t sizes[4096];     /* input size, or bytes held at limit/eof */
    size_t n;
};

/* The seed: the socket to attach and where to record. */
struct fuzz_seed {
    int fd;
    struct fuzz_record rec;
};

struct fuzz_lines {
    struct fuzz_record *rec;
};

#endif
