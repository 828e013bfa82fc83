/* http-client-data.h: the data of an http_client_conn machine
 * (grammars/http-client.rsm) and of the exchanges it carries, private to
 * grammars/http-client.c and the generated machine (not installed). */
#ifndef HTTP_CLIENT_DATA_H
#define HTTP_CLIENT_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include <rotor/rotor.h>
#include <rotor/http.h>

#include "http-parser.h"

struct evbuffer;

/* A host:port over a TLS context (or none): what a pooled connection
 * must match.  The client keeps one per key it has seen, until it is
 * freed. */
struct pool_key {
    struct pool_key *next;
    struct rotor_tls *tls;
    char *host, *port;      /* NUL-terminated, after the struct */
    size_t host_len, port_len;
    char *authority;        /* the Host field's value: "[::1]:8080" */
    size_t authority_len;
    unsigned pooled;        /* connections of this key in the pool */
    struct http_client_conn *idle;  /* those, through idle_next */
};

/* The Host field's value for host:port (RFC 9112 3.2): an IPv6 address
 * in brackets, the port unless it is the scheme's (tls: 443, else 80).
 * Writes it at d (NULL: only measures); returns its length.  Made once
 * per pool key. */
size_t http__authority(char *d, const char *host, size_t hlen,
                       const char *port, size_t plen, bool tls);

/* One request, from http_client_request() to its callback: the bytes to
 * send are formatted once, so that a retry sends the same. */
struct http_call {
    struct http_client *client;
    struct pool_key *key;           /* the pool's */
    char *wire;             /* the request as sent */
    size_t wire_len;
    http_response_fn *on_response;
    http_chunk_fn *on_chunk;
    void *arg;
    struct http_client_conn *conn;  /* the connection carrying it, or NULL */
    struct rotor_tls *tls;  /* HTTPS with this client context, or NULL */
    bool paused;            /* http_call_pause: read no more body */
    bool cancelled;         /* http_call_cancel: no callback, ever */
    bool head_request;      /* HEAD: the response has no body */
    bool idempotent;        /* may be sent again on a new connection */
    bool retried;
    /* A streamed body (HTTP_BODY_STREAM_*). */
    uint8_t stream;         /* enum http_body_source */
    bool stream_ended;      /* http_call_write_end */
    bool stream_cut;        /* the response began first: writes dropped */
    bool writer_waiting;    /* http_call_write_full() said so */
    uint64_t stream_left;   /* SIZED: bytes still to be written */
    struct evbuffer *early; /* written before the head went out */
    http_writable_fn *on_writable;
    size_t cap;             /* bytes for the wire after the struct */
    struct http_call *next_spare;   /* the client's spares (freed calls) */
};

/* What a callback sees (the accessors of <rotor/http-client.h>); also
 * the first part of a struct http_result. */
struct http_response {
    int err;
    const char *err_text;
    const char *head;       /* the bytes the head's spans index */
    const struct http_response_head *h;     /* NULL: no head came */
    const char *body;
    size_t body_len;
    uint64_t body_total;
};

struct http_client_conn {
    struct http_client *client;     /* NULL once the client is freed */
    struct http_client_conn *prev, *next;   /* the client's connections */
    rotor_ref ref;
    rotor_scope *s;                 /* its own, for events from outside */
    struct rotor_tls *tls;          /* HTTPS: part of the pool's key */
    struct pool_key *key;           /* the client's, while it lives */
    struct rotor_notifier *wake;    /* the pool hands over a request */
    char *host, *port;
    struct http_call *x;          /* the request in hand, or NULL */
    bool pooled;                    /* idle, in the pool */
    struct http_client_conn *idle_next; /* the key's next pooled one */
    bool sent;                      /* x is written to the server */
    bool got_bytes;                 /* some of x's response came */
    bool holding;                   /* in `held`: resume is awaited */
    bool body_more_queued;          /* body_more is on its way */
    unsigned served;                /* responses completed */
    /* What the last action made of the input, for the guards. */
    int err;                        /* the request's end: 0 or an error */
    const char *err_text;
    bool partial;                   /* the head (body) is incomplete */
    unsigned interim;               /* 1xx responses dropped */
    uint32_t head_seen;             /* input bytes the parser has seen */
    uint32_t head_len;              /* the head, still at the input's front */
    const char *head;               /* where the head's spans point */
    uint64_t body_left;             /* Content-Length bytes to come */
    uint64_t body_total;
    struct evbuffer *body;          /* the collected body */
    char *head_copy;                /* the head of a response with a body */
    size_t head_cap;
    struct http_chunked chunked;
    struct http_response_parser parser;
};

#endif
