/*
 * http-fetch.c: the smallest librotor-http client: GET one target and
 * print the status and the body.  Built by tests/consumer/installcheck.sh
 * against the installed rotor with `pkg-config rotor-http` (and run
 * against http-hello), and quoted in doc/http.md.
 *
 *     http-fetch HOST PORT [TARGET]
 */
#include <stdio.h>

#include <rotor/rotor.h>
#include <rotor/http.h>

static int status;

static void done(int err, const struct http_response *res, void *arg)
{
    struct rotor_loop *loop = arg;
    size_t len;
    const char *body = http_response_body(res, &len);

    if (err)
        fprintf(stderr, "http-fetch: %s\n", http_response_error_text(res));
    else
        printf("%d %.*s", http_response_status(res), (int)len, body ? body : "");
    status = err ? 1 : 0;
    rotor_loop_stop(loop);      /* the kept-alive connection would stay */
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: http-fetch HOST PORT [TARGET]\n");
        return 2;
    }
    struct rotor_loop *loop = rotor_loop_new(NULL);
    struct http_client *client = loop ? http_client_new(loop, NULL) : NULL;
    struct http_client_request req = {
        .host = argv[1], .port = argv[2], .target = argc > 3 ? argv[3] : "/",
    };
    status = 1;
    if (!client || http_client_request(client, &req, done, loop) < 0) {
        fprintf(stderr, "http-fetch: %s\n", rotor_last_error());
        return 1;
    }
    rotor_loop_run(loop);
    http_client_free(client);
    rotor_loop_free(loop);
    return status;
}
