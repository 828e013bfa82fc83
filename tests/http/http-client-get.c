/*
 * http-client-get: fetches targets from one server with the client of
 * librotor-http, for the end-to-end tests (tests/e2e/http-client*.sh).
 *
 *     http-client-get HOST PORT [-n N] [-H NAME:VALUE] [-o FILE]
 *                     [-k CAFILE] TARGET...
 *
 * Each target is fetched N times (default 1), one request after the other
 * from the previous response's callback, so that a kept-alive connection
 * can carry them all.  Prints "STATUS BYTES TRANSFER-ENCODING" (or -) per response, then
 * "connections K" (what the client opened).  -o writes the last body to
 * FILE.  -k speaks HTTPS, trusting the certificates of CAFILE and
 * checking HOST against the server's.  Exit status 0 when every request got a response, 1 otherwise
 * (the error is printed).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/rotor.h>
#include <rotor/http.h>

static struct http_client *client;
static struct rotor_loop *loop;
static const char *host, *port, *out_file;
static char **targets;
static int ntargets, repeat = 1, at, failed;
static struct http_header header;
static struct rotor_tls *tls;
static size_t nheaders;

static void next(void);

static void on_response(int err, const struct http_response *res, void *arg)
{
    size_t n;
    const char *body = http_response_body(res, &n);

    (void)arg;
    if (err) {
        fprintf(stderr, "http-client-get: %s: %s\n", targets[at / repeat],
                http_response_error_text(res));
        failed = 1;
        rotor_loop_stop(loop);
        return;
    }
    size_t tn;
    const char *te = http_response_header(res, "transfer-encoding", &tn);
    printf("%d %zu %.*s\n", http_response_status(res), n, te ? (int)tn : 1,
           te ? te : "-");
    if (out_file) {
        FILE *f = fopen(out_file, "wb");
        if (!f || (n && fwrite(body, 1, n, f) != n) || fclose(f) != 0)
            failed = 1;
    }
    at++;
    next();
}

static void next(void)
{
    if (at >= ntargets * repeat) {
        rotor_loop_stop(loop);      /* the pooled connection would stay */
        return;
    }
    struct http_client_request req = {
        .host = host, .port = port, .target = targets[at / repeat],
        .headers = &header, .nheaders = nheaders, .tls = tls,
    };
    if (http_client_request(client, &req, on_response, NULL) < 0) {
        fprintf(stderr, "http-client-get: %s\n", rotor_last_error());
        failed = 1;
        rotor_loop_stop(loop);
    }
}

int main(int argc, char **argv)
{
    int i = 3;

    if (argc < 4) {
        fprintf(stderr, "usage: http-client-get HOST PORT [-n N] "
                        "[-H NAME:VALUE] [-o FILE] [-k CAFILE] TARGET...\n");
        return 2;
    }
    host = argv[1];
    port = argv[2];
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 >= argc)
            return 2;
        if (!strcmp(argv[i], "-n"))
            repeat = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-o"))
            out_file = argv[i + 1];
        else if (!strcmp(argv[i], "-k")) {
            struct rotor_tls_config cfg;
            rotor_tls_config_init(&cfg);
            cfg.ca_file = argv[i + 1];
            if (!(tls = rotor_tls_client_new(&cfg))) {
                fprintf(stderr, "http-client-get: %s\n", rotor_last_error());
                return 1;
            }
        }
        else if (!strcmp(argv[i], "-H")) {
            char *colon = strchr(argv[i + 1], ':');
            if (!colon)
                return 2;
            *colon = 0;
            header.name = argv[i + 1];
            header.value = colon + 1;
            nheaders = 1;
        } else
            return 2;
    }
    targets = argv + i;
    ntargets = argc - i;
    loop = rotor_loop_new(NULL);
    client = loop ? http_client_new(loop, NULL) : NULL;
    if (!client) {
        fprintf(stderr, "http-client-get: %s\n", rotor_last_error());
        return 1;
    }
    next();
    rotor_loop_run(loop);
    printf("connections %lu\n", http_client_connections(client));
    http_client_free(client);
    rotor_loop_free(loop);
    rotor_tls_free(tls);
    return failed || at < ntargets * repeat ? 1 : 0;
}
