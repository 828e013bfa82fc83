/* http-conn-data.h: the data of an http_conn machine (grammars/http.rsm),
 * private to grammars/http-server.c and the generated machine (not
 * installed: users see struct http_exchange only as opaque). */
#ifndef HTTP_CONN_DATA_H
#define HTTP_CONN_DATA_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include <rotor/rotor.h>
#include <rotor/http.h>

#include "http-parser.h"

struct evbuffer;

/* Answer progress of the current exchange. */
enum http_answer {
    HTTP_ANSWER_NONE,
    HTTP_ANSWER_STARTED,    /* http_respond_start: body pieces follow */
    HTTP_ANSWER_DONE
};

struct http_exchange {
    struct http_conn *conn;
    rotor_scope *s;
    const char *head;       /* the request head the parser's spans index */
    const struct http_handler *handler;
    uint8_t answer;         /* enum http_answer */
    uint8_t head_only;      /* HEAD: no body in the answer */
    uint8_t chunked;        /* the answer's body is chunked */
    uint8_t sized;          /* http_respond_start_sized: answer_left counts */
    uint8_t close;          /* close after the answer */
    uint8_t in_respond;     /* the handler's respond is running */
    uint8_t deferred;       /* http_defer: the answer comes later */
    uint64_t body_total;    /* body bytes received */
    uint64_t answer_left;   /* a sized answer's body bytes still to come */
    alignas(16) unsigned char scratch[HTTP_SCRATCH];
};

struct http_conn {
    struct http_server *srv;
    /* What the last action made of the input, for the guards (http.rsm). */
    uint16_t status;        /* an error to answer, then close; 0: none */
    uint8_t partial;        /* the head (body) read so far is incomplete */
    uint8_t body_chunked;   /* the request body is chunked */
    uint8_t parser_used;    /* reset the parser before the next head */
    uint8_t wake_queued;    /* answer_more is on its way to the machine */
    uint8_t writer_waiting; /* http_answer_full() said so: writable due */
    uint8_t body_open;      /* a body is being read (body_start to its end) */
    uint8_t body_paused;    /* http_body_pause: read no more of it */
    uint8_t body_holding;   /* in body_held: body_resume is awaited */
    rotor_ref self;         /* for the events of deferred answers */
    char peer[48];          /* http_remote_addr, once asked ("": none) */
    uint8_t peer_len;
    uint8_t peer_asked;     /* getpeername() was asked: once */
    uint32_t served;        /* request heads taken on this connection */
    uint32_t head_seen;     /* input bytes the parser has looked at */
    uint32_t head_len;      /* bytes of the head at the front of the
                               input, until the request is served */
    uint64_t body_left;     /* Content-Length bytes still to come */
    struct evbuffer *body;  /* HTTP_WANT_BUFFER; made on first use */
    char *head_copy;        /* the head of a request with a body */
    size_t head_cap;
    struct http_exchange x;
    struct http_chunked chunked;
    struct http_parser parser;
};

#endif
