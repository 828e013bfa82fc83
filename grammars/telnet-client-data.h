/*
 * telnet-client-data.h: a telnet client session (struct telnet_client of
 * <rotor/telnet.h>), which its two machines (grammars/telnet.rsm: the
 * socket, telnet_net, and the program's input, telnet_tty) share through
 * a pointer in their data.  Internal to librotor-telnet.
 */
#ifndef TELNET_CLIENT_DATA_H
#define TELNET_CLIENT_DATA_H

#include <stdbool.h>

#include <rotor/rotor.h>

#include "rotor/telnet.h"

struct evbuffer;

struct telnet_client {
    char *host, *port;
    int in_fd;                  /* the input, until telnet_tty takes it */
    const struct telnet_client_ops *ops;
    void *app;

    struct rotor_loop *loop;    /* set by telnet_client_start() */
    rotor_ref net;              /* telnet_net: the socket */
    rotor_ref tty;              /* telnet_tty: the input */

    struct telnet_parser parser;
    struct telnet_q q;          /* RFC 1143 option states and policy */
    struct telnet_encoder enc;

    struct evbuffer *to_net;    /* encoded input the socket has not taken */
    struct evbuffer *net_out;   /* the socket's output buffer, while online */
    bool after_cr;              /* the last data byte given was a CR */
    bool net_shut;              /* our side is half-closed */
    bool remote_echo;           /* what ops->echo last said */
    bool ended;                 /* ops->ended has run */
};

/* Each machine's data: the session it belongs to (the seed). */
struct telnet_link {
    struct telnet_client *c;
};

#endif
