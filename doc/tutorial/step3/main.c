/* main.c, step 3: the line echo server's action, and main(). */
#include <stdio.h>
#include <rotor/rotor.h>

#include "echo.h"

void echo_line(void *self, rotor_scope *s, const rotor_event *ev)
{
    /* the line's bytes go from input to output without a copy */
    rotor_stream_echo(s, rotor_event_size(ev));
}

int main(int argc, char **argv)
{
    const char *port = argc > 1 ? argv[1] : "3000";
    struct rotor_loop *loop = rotor_loop_new(NULL);
    int fd = rotor_listen_socket("127.0.0.1", port, 0);
    if (!loop || fd < 0 ||
        rotor_listen(loop, &echo_listener_machine, fd, NULL).gen == 0) {
        fprintf(stderr, "echo-server: %s\n", rotor_last_error());
        return 1;
    }
    fprintf(stderr, "echo-server: listening on 127.0.0.1:%d\n",
            rotor_socket_port(fd));
    rotor_loop_run(loop);
    rotor_loop_free(loop);
    return 0;
}
