/*
 * echo-replay: replays a trace recorded by echo-server on the same
 * machines under librotor-test's virtual clock, and reports the first
 * divergence (doc/testing.md, "Replaying a trace").
 *
 *     ROTOR_TRACE=run.trace echo-server 127.0.0.1:3000    (record)
 *     echo-replay run.trace                                (replay)
 *
 * It prints "replayed N events, no divergence" and exits 0, or prints
 * "TRACE:LINE: what differs" and exits 1; 2 for an unreadable trace.
 * Only echo_conn is replayed: the listener's accepts become connections
 * spawned on a socketpair, and its own records are skipped.
 */
#include <rotor/test.h>

#include "echo-data.h"
#include "echo-machines.h"

int main(int argc, char **argv)
{
    static const struct rotor_machine_type *const types[] = {
        &echo_conn_machine
    };
    struct echo_stats stats = { 0 };    /* the actions count clients */

    return rotor_test_replay_main(argc, argv, types, 1, &stats);
}
