/*
 * echo-replay-module: the loop context of echo-server's actions, for
 * `rotor-replay MODULE TRACE`: the module is this file, the generated
 * grammars/echo-machines.c and examples/echo-actions.c, built shared
 * (doc/testing.md, "Replaying a trace").
 */
#include "echo-data.h"

void *rotor_replay_context(void);

void *rotor_replay_context(void)
{
    static struct echo_stats stats;     /* the actions count clients */
    return &stats;
}
