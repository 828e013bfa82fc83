/*
 * http-hello.c: the smallest librotor-http server, one route: GET /
 * answers "hello".  Built by tests/consumer/installcheck.sh against the
 * installed rotor with `pkg-config rotor-http`, and quoted in doc/http.md.
 *
 *     http-hello [HOST:]PORT      (port 0: a free one, printed)
 */
#include <stdio.h>

#include <rotor/rotor.h>
#include <rotor/http.h>

static void hello(struct http_exchange *x)
{
    static const struct http_header type = { "Content-Type", "text/plain" };

    http_respond(x, 200, &type, 1, "hello\n", 6);
}

static const struct http_handler hello_handler = {
    .want = HTTP_WANT_IGNORE, .body_max = 0, .respond = hello,
};

/* Called for each request head; NULL answers 404. */
static const struct http_handler *route(struct http_exchange *x, void *app)
{
    size_t n;
    const char *target = http_target(x, &n);

    (void)app;
    if (http_method(x) == HTTP_GET && n == 1 && target[0] == '/')
        return &hello_handler;
    return NULL;
}

int main(int argc, char **argv)
{
    char host[256], port[8], where[64];
    struct http_server srv;
    struct rotor_config cfg;

    if (rotor_listen_addr_parse(argc > 1 ? argv[1] : "8080", "127.0.0.1",
                                host, sizeof host, port, sizeof port) < 0) {
        fprintf(stderr, "http-hello: %s\n", rotor_last_error());
        return 2;
    }
    http_server_init(&srv, route, NULL);
    rotor_config_init(&cfg);
    cfg.context = &srv;                 /* the loop's context: the server */
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    int fd = loop ? rotor_listen_socket(host, port, 0) : -1;
    if (fd < 0 || rotor_socket_describe(fd, where, sizeof where) < 0 ||
        !rotor_ref_valid(http_server_listen(loop, fd))) {
        fprintf(stderr, "http-hello: %s\n", rotor_last_error());
        return 1;
    }
    fprintf(stderr, "http-hello: listening on %s\n", where);
    int rc = rotor_loop_run(loop);
    rotor_loop_free(loop);
    http_server_fini(&srv);
    return rc == 0 ? 0 : 1;
}
