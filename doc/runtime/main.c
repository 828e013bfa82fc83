/* main.c: the actions of sum.rsm, a worker thread, and main(). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <rotor/rotor.h>

#include "sum.h"

/* Runs in its own thread: computes, then resolves the promise. */
static void *worker(void *arg)
{
    struct rotor_promise *p = arg;
    unsigned long long *total = malloc(sizeof *total);
    if (total) {
        *total = 0;
        for (unsigned long long i = 1; i <= 1000000; i++)
            *total += i;
    }
    /* free() destroys the value if the machine or loop is gone by then
     * (ROTOR_ESHUTDOWN); refused otherwise, the value is still ours */
    int r = total ? rotor_promise_resolve(p, total, free) : 0;
    if (!total || (r < 0 && r != ROTOR_ESHUTDOWN))
        free(total);
    rotor_promise_free(p);  /* unresolved, the owner would learn so */
    return NULL;
}

void start_worker(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct rotor_future *f;
    struct rotor_promise *p;
    pthread_t thread;
    if (rotor_future_new(s, summer_fu_total, &f, &p) != 0)
        return;             /* no memory: the timeout ends the machine */
    if (pthread_create(&thread, NULL, worker, p) != 0)
        rotor_promise_free(p);  /* the owner gets a broken future */
    else
        pthread_detach(thread);
}

void print_total(void *self, rotor_scope *s, const rotor_event *ev)
{
    unsigned long long *total = rotor_future_take(rotor_event_future(ev));
    if (total)
        printf("total: %llu\n", *total);
    else
        printf("no total: the worker failed\n");
    free(total);
}

int main(void)
{
    struct rotor_loop *loop = rotor_loop_new(NULL);
    if (!loop || !rotor_ref_valid(rotor_spawn(loop, &summer_machine, NULL))) {
        fprintf(stderr, "sum: %s\n", rotor_last_error());
        return 1;
    }
    rotor_loop_run(loop);
    size_t errors = rotor_loop_errors(loop);
    rotor_loop_free(loop);
    return errors == 0 ? 0 : 1;
}
