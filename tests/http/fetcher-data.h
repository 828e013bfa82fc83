/* fetcher-data.h: the data of tests/http/fetcher.rsm's machine. */
#ifndef FETCHER_DATA_H
#define FETCHER_DATA_H

#include <rotor/rotor.h>
#include <rotor/http.h>

/* The seed: what to fetch, and where the outcome goes. */
struct fetch_job {
    struct http_client *client;
    struct http_client_request req;
    int started;            /* what http_client_request_future returned */
    int err, status;
    char body[64];
    int resolved;
};

struct fetcher {
    struct fetch_job *job;
};

#endif
