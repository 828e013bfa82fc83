/* main.c, step 1: the action of echo.rsm, and main(). */
#include <stdio.h>
#include <rotor/rotor.h>

#include "echo.h"

void say_hello(void *self, rotor_scope *s, const rotor_event *ev)
{
    printf("hello from %s\n", rotor_scope_state_name(s));
}

int main(void)
{
    struct rotor_loop *loop = rotor_loop_new(NULL);
    if (!loop) {
        fprintf(stderr, "%s\n", rotor_last_error());
        return 1;
    }
    rotor_spawn(loop, &hello_machine, NULL);
    rotor_loop_run(loop);   /* returns when no machine is left */
    rotor_loop_free(loop);
    return 0;
}
