/*
 * telnet-client.h: the state the telnet example's two machines share
 * (grammars/telnet.rsm, actions in examples/telnet.c).  One client runs
 * one connection, so everything lives in the loop's context and the
 * machines carry no data of their own.
 */
#ifndef TELNET_CLIENT_H
#define TELNET_CLIENT_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include <rotor/rotor.h>

#include "telnet-parser.h"
#include "telnet-q.h"

struct evbuffer;

struct telnet_client {
    const char *host, *port;    /* from the command line */
    int in_fd;                  /* what the terminal machine reads */
    int out_fd;                 /* where server data goes (stdout) */
    int status;                 /* the exit status main() returns */

    rotor_ref net;              /* telnet_net: the socket */
    rotor_ref tty;              /* telnet_tty: the user's input */

    struct telnet_parser parser;
    struct telnet_q q;          /* RFC 1143 option states and policy */
    struct telnet_encoder enc;

    struct evbuffer *to_net;    /* encoded input the socket has not taken */
    struct evbuffer *net_out;   /* the socket's output buffer, while online */
    struct evbuffer *to_out;    /* server data on its way to out_fd */
    bool after_cr;              /* last data byte shown was a CR */
    bool net_shut;              /* the user's input ended: half-closed */

    /* Local echo: only when in_fd is a terminal. */
    bool is_tty;
    bool tty_changed;           /* `saved` must be put back */
    bool remote_echo;           /* the mode the terminal is in now */
    struct termios saved;
};

#endif
