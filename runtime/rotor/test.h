/*
 * test.h: librotor-test, testing machines deterministically: no real
 * time, no network (pkg-config rotor-test; see doc/testing.md).
 *
 * A test loop (struct rotor_test) is a loop on a virtual clock
 * (<rotor/clock.h>): timeouts, named timeouts and delayed sends fire only
 * when rotor_test_advance() moves the clock, instantly and in due order.
 * The test drives machines from outside: user events (rotor_test_send),
 * and for stream machines the bytes, end of file and failure of their
 * peer, a socketpair whose other end the test holds (rotor_test_stream,
 * rotor_test_input, rotor_test_eof, rotor_test_error) or a connection a
 * listener accepts (rotor_test_connect).  After each call the loop runs
 * until it is idle: every event those inputs cause has been delivered,
 * and what the machines wrote has been collected (rotor_test_output).
 * What the machines did is kept as trace records (<rotor/trace.h>):
 * rotor_test_steps() gives a machine's transitions, rotor_test_state()
 * its state now.
 *
 * Everything runs in the calling thread and never blocks; it works in
 * Check fixtures (make the test loop in setup, free it in teardown).
 * Errors follow <rotor/error.h>: 0 (or a count) or a negative ROTOR_E*
 * code; NULL or an invalid rotor_ref plus rotor_last_code().
 */
#ifndef ROTOR_TEST_H
#define ROTOR_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rotor/rotor.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_test;

/* Makes a test loop: a loop made with cfg (NULL: the defaults; its trace
 * setting is ignored, records are kept in memory) on a virtual clock
 * reading 0.  NULL on failure (rotor_last_code(): ROTOR_ENOMEM,
 * ROTOR_EIO, or those of rotor_loop_new()). */
struct rotor_test *rotor_test_new(const struct rotor_config *cfg);

/* Frees the loop (its machines end as rotor_loop_free() ends them), the
 * peers' descriptors and the records.  NULL is accepted. */
void rotor_test_free(struct rotor_test *t);

/* The test's loop, for rotor_spawn() and the rest; NULL (ROTOR_EINVAL)
 * for t NULL. */
struct rotor_loop *rotor_test_loop(struct rotor_test *t);

/* Moves the virtual clock forward by ms: each timer falling due on the
 * way fires at its time, and the loop runs until idle after each.
 * Returns how many events were delivered meanwhile (timeouts, delayed
 * sends, and what they caused), ROTOR_EINVAL (t NULL). */
int rotor_test_advance(struct rotor_test *t, uint64_t ms);

/* The virtual clock: milliseconds since rotor_test_new(). */
uint64_t rotor_test_now(struct rotor_test *t);

/* Runs the loop until idle (what is ready is served, output collected)
 * without moving the clock.  Returns 0, ROTOR_EINVAL, ROTOR_EIO. */
int rotor_test_settle(struct rotor_test *t);

/* Sends user event `event` with data to machine `to`, as from outside
 * (rotor_loop_send()), then runs the loop until idle.  Returns 0 or the
 * codes of rotor_loop_send(). */
int rotor_test_send(struct rotor_test *t, rotor_ref to, int event,
                    void *data);

/* Spawns a stream machine of `type` (seed to its `create`) on one end of
 * a socketpair; the test holds the other end, the machine's peer.
 * Returns the machine's reference; an invalid one on failure
 * (rotor_last_code(): ROTOR_EINVAL, ROTOR_EIO, those of
 * rotor_spawn_fd()). */
rotor_ref rotor_test_stream(struct rotor_test *t,
                            const struct rotor_machine_type *type,
                            void *seed);

/* Starts a listener machine of type `listener` on a listening socket
 * without network (an abstract Unix socket); rotor_test_connect() makes
 * its clients.  Returns its reference, or an invalid one (codes of
 * rotor_listen(), ROTOR_EIO). */
rotor_ref rotor_test_listen(struct rotor_test *t,
                            const struct rotor_machine_type *listener,
                            void *seed);

/* A client connects to listener machine `listener`: it accepts and
 * spawns its machine, and the test holds the client's end as that
 * machine's peer.  Returns the spawned machine's reference; an invalid
 * one (ROTOR_EINVAL: not a listener of this test; ROTOR_ENOENT: nothing
 * was spawned; ROTOR_EIO). */
rotor_ref rotor_test_connect(struct rotor_test *t, rotor_ref listener);

/* The peer of stream machine ref sends n bytes of data (all of them: the
 * loop runs while the socket is full), then the loop runs until idle.
 * Returns 0, ROTOR_EINVAL, ROTOR_ENOENT (ref has no peer here),
 * ROTOR_EIO. */
int rotor_test_input(struct rotor_test *t, rotor_ref ref, const void *data,
                     size_t n);

/* The peer of stream machine ref shuts down its sending side: the machine
 * reads end of file.  Then the loop runs until idle.  Returns 0,
 * ROTOR_EINVAL, ROTOR_ENOENT, ROTOR_EIO. */
int rotor_test_eof(struct rotor_test *t, rotor_ref ref);

/* The peer of stream machine ref resets the connection: the machine's
 * next read fails (ECONNRESET), then the loop runs until idle.  The peer
 * is gone afterwards.  Only for machines of rotor_test_stream().
 * Returns 0, ROTOR_EINVAL, ROTOR_ENOENT (no peer, or the machine ended),
 * ROTOR_ENOTSUP (a connection of rotor_test_connect()), ROTOR_EIO. */
int rotor_test_error(struct rotor_test *t, rotor_ref ref);

/* The bytes stream machine ref has written to its peer so far and not
 * yet taken: *len (if len is not NULL) gets their count; the bytes are
 * followed by a NUL.  Valid until the next call on t.  NULL when ref has
 * no peer here (ROTOR_ENOENT) or t is NULL (ROTOR_EINVAL). */
const char *rotor_test_output(struct rotor_test *t, rotor_ref ref,
                              size_t *len);

/* Forgets the output of ref collected so far.  Returns 0, ROTOR_EINVAL,
 * ROTOR_ENOENT. */
int rotor_test_take_output(struct rotor_test *t, rotor_ref ref);

/* The active state of machine ref (rotor_state_label()): its name, or a
 * statechart's active leaves joined with ','.  "(ended)" once it ended
 * here (its last E record said done or error).  Valid until the next
 * call on t.  NULL for t NULL (ROTOR_EINVAL) or a machine this test never
 * saw (ROTOR_ENOENT). */
const char *rotor_test_state(struct rotor_test *t, rotor_ref ref);

/* Whether machine ref is in `state` now (rotor_test_state() equals it;
 * "(ended)" for an ended one).  When not, rotor_last_error() says what it
 * is. */
bool rotor_test_expect_state(struct rotor_test *t, rotor_ref ref,
                             const char *state);

/* The transitions of machine ref since the test began (or the last
 * rotor_test_clear()), one per delivered event, "EVENT>TO" separated by
 * single spaces (the E records' event and to fields), e.g.
 * "input>reading eof>closing flushed>done".  Valid until the next call on
 * t.  NULL for t NULL (ROTOR_EINVAL). */
const char *rotor_test_steps(struct rotor_test *t, rotor_ref ref);

/* Every record of the loop since the test began (or the last
 * rotor_test_clear()), each followed by a newline.  Valid until the next
 * call on t.  NULL for t NULL (ROTOR_EINVAL). */
const char *rotor_test_records(struct rotor_test *t);

/* Forgets the records kept so far.  Returns 0, ROTOR_EINVAL. */
int rotor_test_clear(struct rotor_test *t);

/* Runs a path of `rotorgen --paths` (doc/testing.md, "Running generated
 * paths") on machine ref of `type` (whose event_names name its events):
 * path is a whole line of that output or only the steps after the
 * line's last ": ".  Each step in order: a user event of type is sent
 * (rotor_test_send(), data NULL); timeout(D) (500ms, 5s, 1m) advances
 * the virtual clock by D; [G] and [!G] are guard assumptions the test
 * must have made hold beforehand, and auto:... steps the machine makes
 * itself: both are skipped, as is "(initial)".  Stops at the first step
 * that fails.  Returns 0; ROTOR_EINVAL (an argument NULL, a comment
 * line, a line saying unreachable or not reached, a duration it cannot
 * read, or a built-in event that needs data from the test, such as
 * input or eof: the message names the step and the call that gives it);
 * ROTOR_ENOENT (no such event of type); or the codes of
 * rotor_test_send() and rotor_test_advance(). */
int rotor_test_run_path(struct rotor_test *t, rotor_ref ref,
                        const struct rotor_machine_type *type,
                        const char *path);

/* What rotor_test_replay() found. */
struct rotor_replay_result {
    size_t        events;       /* E records compared */
    bool          diverged;
    unsigned long line;         /* the trace's line that diverged */
    char          message[512]; /* what diverged, or the summary */
};

/* Replays the trace file at path (<rotor/trace.h>, version 1) on test
 * loop t, which must have no machine yet: the machines the trace shows
 * spawned from outside (S records: outside, fd, accepted) whose type is
 * among types[0..ntypes) are spawned again (streams on a socketpair,
 * with seed NULL), and given the same external events at the same
 * clock: input bytes (I), end of file and failures (X), user events (U).
 * Timeouts are not replayed: the virtual clock derives them.  Each E
 * record of those machines is compared (from, event, to) with what the
 * replay delivered to the same machine; the first difference is a
 * divergence.  Machines of other types (a listener, say) are skipped.
 * Returns 0 with *res filled (diverged or not), ROTOR_EINVAL (an
 * argument NULL, or t has machines), ROTOR_EIO (the file cannot be
 * read), ROTOR_ENOTSUP (not a version 1 trace), ROTOR_ENOMEM. */
int rotor_test_replay(struct rotor_test *t, const char *path,
                      const struct rotor_machine_type *const *types,
                      size_t ntypes, struct rotor_replay_result *res);

/* The body of a replay program: rotor-replay [-q] TRACE replays TRACE on
 * a new test loop (context: the loop's context) with the given machine
 * types and prints "replayed N events, no divergence" or the divergence
 * ("TRACE:LINE: ...") on stdout.  Returns the exit status: 0 no
 * divergence, 1 divergence, 2 usage or error. */
int rotor_test_replay_main(int argc, char **argv,
                           const struct rotor_machine_type *const *types,
                           size_t ntypes, void *context);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_TEST_H */
