/*
 * test-stream.c: stream machines on real sockets: every expectation,
 * delimiters split at every byte position, limits, half-close, peer
 * reset, idle timeout, connect refused / timed out / by name, listeners
 * with a full machine table, and many connections at once.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <rotor/rotor.h>

#include "stream-test.h"
#include "machines/streams.h"

static struct rotor_loop *loop;
static struct probe_log plog, listener_log;

/* ---- partial sends on demand ---------------------------------------------- */

/* With send_cap set, every sendmsg() of the runtime (this definition,
 * exported, comes before libc's) hands the kernel at most that many
 * bytes, as a socket with little room would take: partial sends at every
 * position, on purpose rather than by timing.  sends_cut counts the
 * sends it cut, so a test can tell the wrapper was used at all. */
static size_t send_cap;
static unsigned long sends_cut;

__attribute__((visibility("default")))
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    static ssize_t (*real)(int, const struct msghdr *, int);

    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "sendmsg");
    if (send_cap == 0 || msg->msg_iovlen == 0)
        return real(fd, msg, flags);
    struct iovec first = msg->msg_iov[0];
    struct msghdr capped = *msg;
    if (msg->msg_iovlen > 1 || first.iov_len > send_cap)
        sends_cut++;
    if (first.iov_len > send_cap)
        first.iov_len = send_cap;
    capped.msg_iov = &first;
    capped.msg_iovlen = 1;
    return real(fd, &capped, flags);
}

/* ---- the probes' actions ------------------------------------------------- */

void probe_note(struct probe *p, const char *word, long n)
{
    struct probe_log *l = p->log;
    int w = n >= 0 ? snprintf(l->text + l->len, sizeof l->text - l->len,
                              "%s%s:%ld", l->len ? " " : "", word, n)
                   : snprintf(l->text + l->len, sizeof l->text - l->len,
                              "%s%s", l->len ? " " : "", word);
    if (w > 0 && (size_t)w < sizeof l->text - l->len)
        l->len += (size_t)w;
}

void probe_attach(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    struct probe_seed *seed = rotor_event_data(ev);

    self->log = seed ? seed->log : &listener_log;
    if (seed && seed->fd >= 0)
        ck_assert_int_eq(rotor_stream_attach(s, seed->fd), 0);
}

void probe_attach_and_write(struct probe *self, rotor_scope *s,
                            const rotor_event *ev)
{
    struct probe_seed *seed = rotor_event_data(ev);
    char chunk[4096];

    probe_attach(self, s, ev);
    memset(chunk, 'w', sizeof chunk);
    for (size_t left = seed->write_bytes; left > 0;) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        ck_assert_int_eq(rotor_stream_write(s, chunk, n), 0);
        left -= n;
    }
}

void probe_attach_and_shut(struct probe *self, rotor_scope *s,
                           const rotor_event *ev)
{
    probe_attach(self, s, ev);
    rotor_stream_shutdown(s);
}

void probe_connect(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    struct probe_seed *seed = rotor_event_data(ev);

    self->log = seed->log;
    if (rotor_stream_connect(s, seed->host, seed->port) < 0)
        probe_note(self, "connect-refused-at-once", -1);
}

static const char *retry_port;

void retry_start(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    struct probe_seed *seed = rotor_event_data(ev);

    self->log = seed->log;
    ck_assert_int_eq(rotor_stream_connect_retry(s, "127.0.0.1", retry_port,
                                                10, 40), 0);
}

bool reconnected_once(struct probe *self, rotor_scope *s,
                      const rotor_event *ev)
{
    return self->log->connected >= 2;
}

void reconnect(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    self->log->eofs++;
    probe_note(self, "reconnect", -1);
    rotor_stream_reset(s);
    ck_assert_int_eq(rotor_stream_connect_retry(s, "127.0.0.1", retry_port,
                                                10, 40), 0);
}

void stop_at_once(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    struct probe_seed *seed = rotor_event_data(ev);

    self->log = seed->log;
    rotor_loop_stop(rotor_scope_loop(s));
}

void reset_at_once(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    struct probe_seed *seed = rotor_event_data(ev);

    self->log = seed->log;
    rotor_stream_write(s, "x", 1);      /* a stream, but no socket */
    rotor_stream_reset(s);
    probe_note(self, "reset", -1);
}

/* The answer to line i: 300 bytes that say which line they answer. */
static void answer_text(char *out, long i)
{
    memset(out, 'a' + (char)(i % 26), 300);
    snprintf(out, 12, "%010ld", i);
    out[10] = ':';
    out[299] = '\n';
}

void answer_line(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    char text[300];

    rotor_stream_consume(s, rotor_event_size(ev));
    answer_text(text, self->log->inputs++);
    ck_assert_int_eq(rotor_stream_write(s, text, sizeof text), 0);
}

void answer_last(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    static char big[100000];

    ck_assert_int_eq(rotor_stream_printf(s, "total %d\n", self->log->inputs), 0);
    memset(big, 'z', sizeof big);
    ck_assert_int_eq(rotor_stream_write(s, big, sizeof big), 0);
    ck_assert_int_eq(rotor_stream_write(s, "end\n", 4), 0);
}

void probe_destroy(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    self->log->destroyed++;
}

void take_input(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    struct probe_log *l = self->log;
    size_t n = rotor_event_size(ev);

    ck_assert_uint_le(l->data_len + n, sizeof l->data);
    ck_assert_uint_eq(rotor_stream_read(s, l->data + l->data_len, n), n);
    l->data_len += n;
    l->inputs++;
    probe_note(self, "input", (long)n);
}

void take_directly(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    struct probe_log *l = self->log;
    size_t n = rotor_event_size(ev);

    ck_assert_int_eq(evbuffer_remove(rotor_stream_input(s), l->data + l->data_len,
                                     n), (int)n);
    l->data_len += n;
    l->inputs++;
    probe_note(self, "input", (long)n);
}

/* Takes the record run by run, as rotor_stream_extent() gives them, and
 * checks rotor_stream_through_last() on the way. */
void gather_answer(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    static char hashes[3000];
    struct probe_log *l = self->log;
    size_t want = rotor_event_size(ev), got = 0, n;
    const char *p;
    char *rec = l->data + l->data_len;

    ck_assert_uint_le(l->data_len + want, sizeof l->data);
    /* Through the last '.' held: first as the stream finds it (lent
     * bytes, or evbuffer chains), then as the whole input made flat. */
    size_t through = rotor_stream_through_last(s, '.');
    size_t held = rotor_stream_input_length(s);
    const char *all = rotor_stream_peek(s, held);
    const char *last = memrchr(all, '.', held);
    ck_assert_uint_eq(through, (size_t)(last - all) + 1);
    while (got < want) {
        p = rotor_stream_extent(s, &n);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_gt(n, 0);
        ck_assert_uint_le(n, rotor_stream_input_length(s));
        if (n > want - got)
            n = want - got;
        memcpy(rec + got, p, n);
        rotor_stream_consume(s, n);
        got += n;
    }
    l->data_len += want;
    memset(hashes, '#', sizeof hashes);
    struct iovec v[4] = {
        { "<", 1 }, { rec, want }, { ">", 1 }, { hashes, sizeof hashes },
    };
    ck_assert_int_eq(rotor_stream_writev(s, v, rec[0] == 'B' ? 4 : 3), 0);
    /* Lengths whose sum wraps around are refused, with nothing written. */
    struct iovec wrap[2] = { { rec, SIZE_MAX / 2 + 1 }, { rec, SIZE_MAX / 2 + 1 } };
    ck_assert_int_eq(rotor_stream_writev(s, wrap, 2), ROTOR_EMSGSIZE);
    probe_note(self, "input", (long)want);
}

void keep_buffers(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    probe_attach(self, s, ev);
    self->in_kept = rotor_stream_input(s);
    self->out_kept = rotor_stream_output(s);
}

void answer_through_kept(struct probe *self, rotor_scope *s,
                         const rotor_event *ev)
{
    struct probe_log *l = self->log;
    size_t n = rotor_event_size(ev);
    char *line = l->data + l->data_len;
    int got = evbuffer_remove(self->in_kept, line, n);

    probe_note(self, "input", got);
    ck_assert_int_eq(got, (int)n);
    l->data_len += n;
    ck_assert_int_eq(rotor_stream_write(s, "<", 1), 0);
    ck_assert_int_eq(evbuffer_add(self->out_kept, line, n), 0);
    ck_assert_int_eq(rotor_stream_write(s, ">", 1), 0);
}

void note_limit(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    self->log->limits++;
    probe_note(self, "limit", (long)rotor_event_size(ev));
}

void note_eof(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    self->log->eofs++;
    probe_note(self, "eof", (long)rotor_stream_input_length(s));
}

void note_error(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    self->log->errors++;
    self->log->last_errno = rotor_event_error(ev);
    probe_note(self, "error", -1);
}

void note_flushed(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    self->log->flushed++;
    probe_note(self, "flushed", -1);
}

void note_drained(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    self->log->drained++;
    self->log->drain_left = evbuffer_get_length(rotor_stream_output(s));
    probe_note(self, "drained", -1);
}

void note_timeout(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    self->log->timeouts++;
    probe_note(self, "timeout", -1);
}

void note_connected(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    struct probe_log *l = self->log;

    if (l->connected < 4)
        l->attempts[l->connected] = rotor_stream_connect_attempts(s);
    l->connected++;
    probe_note(self, "connected", -1);
}

void answer_pong(struct probe *self, rotor_scope *s, const rotor_event *ev)
{
    take_input(self, s, ev);
    rotor_stream_printf(s, "pong\n");
    rotor_stream_shutdown(s);
}

void listener_start(void *self, rotor_scope *s, const rotor_event *ev)
{
}

void note_accepted(void *self, rotor_scope *s, const rotor_event *ev)
{
    const rotor_ref *child = rotor_event_data(ev);

    ck_assert_uint_ne(child->gen, 0);
    ck_assert(rotor_alive(rotor_scope_loop(s), *child));
    listener_log.inputs++;
}

void note_spawn_failed(void *self, rotor_scope *s, const rotor_event *ev)
{
    listener_log.errors++;
}

/* ---- helpers ------------------------------------------------------------ */

static void setup(void)
{
    struct rotor_config cfg;

    signal(SIGPIPE, SIG_DFL);   /* a write to a reset peer must not kill us */
    rotor_config_init(&cfg);
    cfg.trace = 0;
    send_cap = 0;
    loop = rotor_loop_new(&cfg);
    ck_assert_ptr_nonnull(loop);
    memset(&plog, 0, sizeof plog);
    memset(&listener_log, 0, sizeof listener_log);
}

static void teardown(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

static void socket_pair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void put(int fd, const void *data, size_t n)
{
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
}

/* Runs the loop's callbacks that are ready, a few rounds. */
static void spin(int rounds)
{
    for (int i = 0; i < rounds; i++)
        event_base_loop(rotor_loop_base(loop), EVLOOP_NONBLOCK);
}

static rotor_ref spawn_probe(const struct rotor_machine_type *t,
                             struct probe_seed *seed)
{
    rotor_ref r = rotor_spawn(loop, t, seed);
    ck_assert_uint_ne(r.gen, 0);
    return r;
}

/* ---- expectations -------------------------------------------------------- */

START_TEST(line_whole)
{
    int sv[2];
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(&line_probe_machine, &seed);
    put(sv[1], "abc\nde\n\nrest", 12);
    shutdown(sv[1], SHUT_WR);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "input:4 input:3 input:1 eof:4");
    ck_assert_int_eq(plog.destroyed, 1);
    close(sv[1]);
}
END_TEST

/* A new probe of type t gets data in two writes, cut bytes first, then
 * the end of file.  Returns the peer's end of the socket. */
static int start_split(const struct rotor_machine_type *t, const char *data,
                       size_t cut)
{
    int sv[2];

    memset(&plog, 0, sizeof plog);
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(t, &seed);
    put(sv[1], data, cut);
    spin(3);
    put(sv[1], data + cut, strlen(data) - cut);
    shutdown(sv[1], SHUT_WR);
    return sv[1];
}

static void check_log(size_t cut, const char *expected)
{
    ck_assert_msg(strcmp(plog.text, expected) == 0,
                  "cut at %zu: got \"%s\", want \"%s\"", cut, plog.text,
                  expected);
}

/* start_split(), then the loop runs until the probe is done and its log
 * must read `expected`.  Returns the peer's end of the socket. */
static int run_split(const struct rotor_machine_type *t, const char *data,
                     size_t cut, const char *expected)
{
    int peer = start_split(t, data, cut);

    ck_assert_int_eq(rotor_loop_run(loop), 0);
    check_log(cut, expected);
    return peer;
}

/* The stream split at every byte position gives the same events. */
static void split_case(const struct rotor_machine_type *t, const char *data,
                       const char *expected)
{
    for (size_t cut = 0; cut <= strlen(data); cut++)
        close(run_split(t, data, cut, expected));
}

START_TEST(line_split_everywhere)
{
    split_case(&line_probe_machine, "one\ntwo\nthree\n",
               "input:4 input:4 input:6 eof:0");
}
END_TEST

START_TEST(until_split_everywhere)
{
    split_case(&until_probe_machine, "GET / HTTP/1.1\r\n\r\nX\r\n\r\r\n\r\n\r\n",
               "input:18 input:8 eof:2");
}
END_TEST

START_TEST(bytes_split_everywhere)
{
    split_case(&bytes_probe_machine, "abcdefgh", "input:3 input:3 eof:2");
}
END_TEST

/* Input taken through the evbuffer itself, after a search that stopped
 * part way, must not make the next search skip a delimiter. */
START_TEST(input_taken_directly)
{
    int sv[2];
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(&direct_probe_machine, &seed);
    put(sv[1], "hello", 5);
    spin(3);
    put(sv[1], " world\n", 7);
    spin(3);
    put(sv[1], "a\nbcdefg\n", 9);
    shutdown(sv[1], SHUT_WR);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "input:12 input:2 input:7 eof:0");
    close(sv[1]);
}
END_TEST

/* Reads what the peer got until end of file. */
static size_t drain_peer(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t r;

    while (len < cap && (r = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)r;
    return len;
}

/* Runs the loop until the probe is destroyed while the peer reads what
 * it gets (many small sends would fill a Unix socket that nobody reads
 * long before its bytes do), then reads to the end of file. */
static size_t run_reading(int peer, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t r;

    fcntl(peer, F_SETFL, O_NONBLOCK);
    while (plog.destroyed == 0) {
        spin(1);
        if (len < cap && (r = read(peer, buf + len, cap - len)) > 0)
            len += (size_t)r;
    }
    fcntl(peer, F_SETFL, 0);
    return len + drain_peer(peer, buf + len, cap - len);
}

/* Records taken run by run (lent bytes, or several evbuffer chains when
 * they come in pieces) and gathered answers, small and large, in order,
 * with the record split at every byte; and again with every send cut to
 * 3 bytes (partial sends out of the small buffer and the evbuffer). */
START_TEST(extent_and_writev)
{
    static const char data[] = "a.Bbb.cc.";
    static char want[4096], got[8192];
    size_t len = strlen(data);
    int w = snprintf(want, sizeof want, "<a.><Bbb.>%3000s<cc.>", "");

    for (int i = 10; i < 3010; i++)
        want[i] = '#';
    for (size_t cut = 0; cut <= 2 * len + 1; cut++) {
        send_cap = cut > len ? 3 : 0;
        sends_cut = 0;
        int peer = start_split(&gather_probe_machine, data, cut % (len + 1));
        size_t n = run_reading(peer, got, sizeof got);
        ck_assert(send_cap == 0 || sends_cut > 0);
        send_cap = 0;
        check_log(cut, "input:2 input:4 input:3 eof:0 flushed");
        ck_assert_uint_eq(plog.data_len, len);
        ck_assert_int_eq(memcmp(plog.data, data, len), 0);
        ck_assert_msg(n == (size_t)w && memcmp(got, want, n) == 0,
                      "cut at %zu: %zu bytes back, want %d", cut, n, w);
        close(peer);
    }
}
END_TEST

/* Evbuffers kept from create on still see every input byte (none waits
 * in the loop's scratch buffer for them), and bytes added to the kept
 * output keep their place between small writes. */
START_TEST(kept_evbuffers)
{
    static const char data[] = "abc\nde\n";
    static const char want[] = "<abc\n><de\n>";
    char got[64];
    for (size_t cut = 0; cut <= strlen(data); cut++) {
        int peer = run_split(&cached_probe_machine, data, cut,
                             "input:4 input:3 eof:0 flushed");
        size_t n = drain_peer(peer, got, sizeof got - 1);
        got[n] = '\0';
        ck_assert_msg(strcmp(got, want) == 0, "cut at %zu: got \"%s\"", cut,
                      got);
        close(peer);
    }
}
END_TEST

START_TEST(line_limit)
{
    int sv[2];
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(&line_probe_machine, &seed);
    put(sv[1], "short\n0123456789abcdefXYZ\n", 26);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "input:6 limit:20");
    close(sv[1]);
}
END_TEST

/* A peer that sends far more than the limit: reading stops near it. */
START_TEST(limit_bounds_memory)
{
    int sv[2];
    char junk[65536];
    socket_pair(sv);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(&until_probe_machine, &seed);
    memset(junk, 'j', sizeof junk);
    ssize_t sent = write(sv[1], junk, sizeof junk);
    ck_assert_int_gt(sent, 64);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(plog.limits, 1);
    /* At most one read of 16 KiB beyond the 64-byte maximum was taken. */
    ck_assert_msg(strncmp(plog.text, "limit:", 6) == 0, "%s", plog.text);
    ck_assert_int_le(atoi(plog.text + 6), 64 + 16384);
    close(sv[1]);
}
END_TEST

/* Reads fd (made non-blocking) while the loop runs, until the probe's
 * counter *seen moves or it reports an error or a timeout.  Returns the
 * bytes read. */
static size_t read_until(int fd, const int *seen)
{
    char buf[65536];
    size_t got = 0;

    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (*seen == 0 && plog.errors + plog.timeouts == 0) {
        spin(1);
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0)
            got += (size_t)n;
    }
    return got;
}

START_TEST(flush_to_slow_reader)
{
    int sv[2];
    char buf[65536];
    size_t got = 0, want = 4u << 20;
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .write_bytes = want, .log = &plog };
    spawn_probe(&flush_probe_machine, &seed);
    got = read_until(sv[1], &plog.flushed);
    ck_assert_str_eq(plog.text, "flushed");
    for (ssize_t n; (n = read(sv[1], buf, sizeof buf)) > 0;)
        got += (size_t)n;
    ck_assert_uint_eq(got, want);
    close(sv[1]);
}
END_TEST

/* 4 MiB cannot fit in a socket pair's buffers: until the reader reads,
 * the output stays far above the high-water mark and `drained` cannot
 * come; once it reads, `drained` comes once, with at most 4 KiB left. */
START_TEST(drained_after_slow_reader)
{
    int sv[2];
    char buf[65536];
    size_t got = 0, want = 4u << 20;
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .write_bytes = want, .log = &plog };
    spawn_probe(&drain_probe_machine, &seed);
    spin(5);
    ck_assert_int_eq(plog.drained, 0);
    ck_assert_int_eq(plog.errors + plog.timeouts, 0);
    got = read_until(sv[1], &plog.drained);
    ck_assert_str_eq(plog.text, "drained");
    ck_assert_uint_le(plog.drain_left, 4096);
    for (ssize_t n; (n = read(sv[1], buf, sizeof buf)) > 0;)
        got += (size_t)n;
    ck_assert_uint_eq(got, want);
    close(sv[1]);
}
END_TEST

/* Over the state's own high mark (even though the kernel takes it all at
 * once): `drained`, then `flushed`.  Under it: `flushed` alone. */
START_TEST(drained_then_flushed)
{
    static const size_t sizes[] = { 2000, 1001, 1000, 100 };
    static const char *const logs[] = {
        "drained flushed", "drained flushed", "flushed", "flushed",
    };
    char buf[4096];

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int sv[2];
        socket_pair(sv);
        memset(&plog, 0, sizeof plog);
        struct probe_seed seed = { .fd = sv[0], .write_bytes = sizes[i],
                                   .log = &plog };
        spawn_probe(&drain_flush_probe_machine, &seed);
        ck_assert_int_eq(rotor_loop_run(loop), 0);
        ck_assert_msg(!strcmp(plog.text, logs[i]), "%zu bytes: %s", sizes[i],
                      plog.text);
        ck_assert_int_eq(read(sv[1], buf, sizeof buf), (ssize_t)sizes[i]);
        close(sv[1]);
    }
}
END_TEST

START_TEST(half_close_flushes_answer)
{
    int sv[2];
    char buf[64];
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(&pong_probe_machine, &seed);
    put(sv[1], "ping\n", 5);
    shutdown(sv[1], SHUT_WR);           /* the peer is done sending */
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "input:5 flushed eof:0");
    ssize_t n = read(sv[1], buf, sizeof buf);
    ck_assert_int_eq(n, 5);
    ck_assert(memcmp(buf, "pong\n", 5) == 0);
    ck_assert_int_eq(read(sv[1], buf, sizeof buf), 0);   /* we shut down too */
    close(sv[1]);
}
END_TEST

START_TEST(half_close_with_nothing_to_send)
{
    int sv[2];
    char buf[8];
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(&shut_probe_machine, &seed);
    spin(3);
    struct pollfd p = { sv[1], POLLIN, 0 };
    ck_assert_int_eq(poll(&p, 1, 1000), 1);
    ck_assert_int_eq(read(sv[1], buf, sizeof buf), 0);  /* our end of file */
    put(sv[1], "late\n", 5);                             /* reading goes on */
    shutdown(sv[1], SHUT_WR);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "input:5 eof:0");
    close(sv[1]);
}
END_TEST

/* Regular files cannot be watched with epoll; they are always ready. */
START_TEST(regular_file_input)
{
    char path[] = "/tmp/rotor-stream-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    put(fd, "one\ntwo\nend", 11);
    lseek(fd, 0, SEEK_SET);
    struct probe_seed seed = { .fd = fd, .log = &plog };
    spawn_probe(&line_probe_machine, &seed);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "input:4 input:4 eof:3");
}
END_TEST

/* A stop asked for before the loop runs is kept, and used up by that run. */
START_TEST(stop_before_run)
{
    struct probe_seed seed = { .fd = -1, .log = &plog };
    rotor_ref r = rotor_spawn(loop, &stopper_machine, &seed);
    ck_assert_uint_ne(r.gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);      /* returns at once */
    ck_assert_str_eq(plog.text, "");
    ck_assert(rotor_alive(loop, r));
    ck_assert_int_eq(rotor_loop_run(loop), 0);      /* runs to the end */
    ck_assert_str_eq(plog.text, "timeout");
    ck_assert_int_eq(plog.destroyed, 1);
}
END_TEST

START_TEST(idle_timeout)
{
    int sv[2];
    socket_pair(sv);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(&idle_probe_machine, &seed);
    put(sv[1], "par", 3);               /* no full line: still idle */
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "timeout");
    close(sv[1]);
}
END_TEST

/* ---- TCP ----------------------------------------------------------------- */

static int tcp_listener(int backlog, char *port, size_t port_size)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, backlog), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(port, port_size, "%u", ntohs(a.sin_port));
    return fd;
}

static int tcp_connect(const char *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(port)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Small answers (kept out of the evbuffer) and large ones, to a reader
 * that lets the kernel refuse bytes: every byte, in order. */
START_TEST(answers_in_order_to_slow_reader)
{
    enum { LINES = 3000 };
    int sv[2];
    static char got[LINES * 300 + 200000], want[sizeof got];
    size_t ngot = 0, nwant = 0;

    /* TCP: the kernel takes part of a send (a Unix socket takes a small
     * one whole or not at all). */
    char port[16];
    int lfd = tcp_listener(1, port, sizeof port);
    sv[1] = tcp_connect(port);
    sv[0] = accept(lfd, NULL, NULL);
    close(lfd);
    ck_assert_int_ge(sv[0], 0);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct probe_seed seed = { .fd = sv[0], .log = &plog };
    spawn_probe(&answerer_machine, &seed);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    /* One line a turn, reading nothing until our own writes block: each
     * answer goes out alone, and some meet a socket with less room than
     * they need (the kernel takes part of an answer). */
    for (int i = 0; i < LINES; i++) {
        while (send(sv[1], "x\n", 2, MSG_NOSIGNAL) != 2) {
            ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
            spin(1);
            ssize_t n = read(sv[1], got + ngot, sizeof got - ngot);
            if (n > 0)
                ngot += (size_t)n;
        }
        spin(1);
    }
    shutdown(sv[1], SHUT_WR);
    while (plog.destroyed == 0) {
        spin(1);
        ssize_t n = read(sv[1], got + ngot, sizeof got - ngot);
        if (n > 0)
            ngot += (size_t)n;
    }
    /* The kernel still sends what the machine wrote before it closed. */
    for (;;) {
        struct pollfd p = { sv[1], POLLIN, 0 };
        ck_assert_int_eq(poll(&p, 1, 5000), 1);
        ssize_t n = read(sv[1], got + ngot, sizeof got - ngot);
        if (n == 0)
            break;
        if (n > 0)
            ngot += (size_t)n;
    }
    for (long i = 0; i < LINES; i++, nwant += 300)
        answer_text(want + nwant, i);
    nwant += (size_t)sprintf(want + nwant, "total %d\n", LINES);
    memset(want + nwant, 'z', 100000);
    nwant += 100000;
    memcpy(want + nwant, "end\n", 4);
    nwant += 4;
    ck_assert_str_eq(plog.text, "flushed");
    ck_assert_uint_eq(ngot, nwant);
    ck_assert(memcmp(got, want, nwant) == 0);
    close(sv[1]);
}
END_TEST

START_TEST(peer_reset_mid_write)
{
    char port[16];
    int lfd = tcp_listener(4, port, sizeof port);
    int client = tcp_connect(port);
    int server = accept(lfd, NULL, NULL);
    ck_assert_int_ge(server, 0);
    struct probe_seed seed = { .fd = server, .write_bytes = 32u << 20,
                               .log = &plog };
    spawn_probe(&flush_probe_machine, &seed);
    spin(3);
    /* Close with unread data and linger 0: the kernel sends a reset. */
    struct linger lg = { 1, 0 };
    setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(client);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "error");
    ck_assert_int_eq(plog.errors, 1);
    ck_assert(plog.last_errno == ECONNRESET || plog.last_errno == EPIPE);
    close(lfd);
}
END_TEST

static void run_connect(const char *host, const char *port)
{
    struct probe_seed seed = { .fd = -1, .host = host, .port = port,
                               .log = &plog };
    spawn_probe(&connect_probe_machine, &seed);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(plog.destroyed, 1);
}

START_TEST(connect_numeric)
{
    char port[16];
    int lfd = tcp_listener(4, port, sizeof port);
    run_connect("127.0.0.1", port);
    ck_assert_str_eq(plog.text, "connected");
    close(lfd);
}
END_TEST

START_TEST(connect_by_name)
{
    char port[16];
    int lfd = tcp_listener(4, port, sizeof port);
    run_connect("localhost", port);     /* evdns, from /etc/hosts */
    ck_assert_str_eq(plog.text, "connected");
    close(lfd);
}
END_TEST

START_TEST(connect_then_flushed)
{
    char port[16];
    int lfd = tcp_listener(4, port, sizeof port);
    struct probe_seed seed = { .fd = -1, .host = "127.0.0.1", .port = port,
                               .log = &plog };
    spawn_probe(&connect_flush_probe_machine, &seed);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(plog.text, "flushed");
    close(lfd);
}
END_TEST

/* A lookup still pending when its machine ends and the loop is freed is
 * freed too (LeakSanitizer and valgrind check this run). */
START_TEST(lookup_pending_at_free)
{
    struct probe_seed seed = { .fd = -1, .host = "pending.invalid",
                               .port = "80", .log = &plog };
    rotor_ref r = spawn_probe(&connect_probe_machine, &seed);
    ck_assert_int_eq(rotor_kill(loop, r), 0);
    ck_assert_int_eq(plog.destroyed, 1);
    rotor_loop_free(loop);
    loop = NULL;
}
END_TEST

/* Resetting a stream that never had a socket is quiet (libevent would
 * warn about events that were never assigned). */
START_TEST(reset_without_socket_is_quiet)
{
    FILE *err = tmpfile();
    int saved = dup(2);
    char buf[256] = "";

    ck_assert_ptr_nonnull(err);
    dup2(fileno(err), 2);
    struct probe_seed seed = { .fd = -1, .log = &plog };
    spawn_probe(&reset_probe_machine, &seed);
    dup2(saved, 2);
    close(saved);
    rewind(err);
    size_t n = fread(buf, 1, sizeof buf - 1, err);
    fclose(err);
    ck_assert_msg(n == 0, "printed: %s", buf);
    ck_assert_str_eq(plog.text, "reset");
}
END_TEST

START_TEST(connect_refused)
{
    char port[16];
    close(tcp_listener(1, port, sizeof port));  /* a port nobody holds */
    run_connect("127.0.0.1", port);
    ck_assert_str_eq(plog.text, "error");
    ck_assert_int_eq(plog.last_errno, ECONNREFUSED);
}
END_TEST

START_TEST(error_words)
{
    ck_assert_str_eq(rotor_strerror(ROTOR_ERESOLVE), "host name not found");
    ck_assert_str_eq(rotor_strerror(ECONNREFUSED), strerror(ECONNREFUSED));
}
END_TEST

START_TEST(connect_timeout)
{
    char port[16];
    int lfd = tcp_listener(0, port, sizeof port);
    int fill[4];
    /* Fill the accept queue; the next SYN is dropped and retried. */
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)atoi(port)),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    run_connect("127.0.0.1", port);
    ck_assert_str_eq(plog.text, "timeout");
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
}
END_TEST

/* The listener the retry test opens late, and the connections it takes. */
static int late_fd = -1;

static void open_late_listener(evutil_socket_t fd, short what, void *arg)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(retry_port)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int one = 1;

    late_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(late_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ck_assert_int_eq(bind(late_fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(late_fd, 4), 0);
}

/* The peer goes away: every connection waiting is accepted and closed. */
static void accept_and_close(evutil_socket_t fd, short what, void *arg)
{
    fcntl(late_fd, F_SETFL, O_NONBLOCK);
    for (int c; (c = accept(late_fd, NULL, NULL)) >= 0;)
        close(c);
}

START_TEST(connect_retry_and_reconnect)
{
    static char port[16];
    struct timeval at_60ms = { 0, 60000 }, at_300ms = { 0, 300000 },
                   at_600ms = { 0, 600000 };

    close(tcp_listener(1, port, sizeof port));  /* nobody there yet */
    retry_port = port;
    event_base_once(rotor_loop_base(loop), -1, EV_TIMEOUT, open_late_listener,
                    NULL, &at_60ms);
    event_base_once(rotor_loop_base(loop), -1, EV_TIMEOUT, accept_and_close,
                    NULL, &at_300ms);
    event_base_once(rotor_loop_base(loop), -1, EV_TIMEOUT, accept_and_close,
                    NULL, &at_600ms);
    struct probe_seed seed = { .fd = -1, .log = &plog };
    spawn_probe(&retry_probe_machine, &seed);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    /* 10 + 20 + 40 ms of back-off before the listener at 60 ms: refused
     * attempts (three on an idle machine; a loaded one may run the timers
     * late), then a connection; the peer closes it, the machine resets
     * and connects again at once. */
    ck_assert_str_eq(plog.text, "connected reconnect connected eof:0");
    ck_assert_int_eq(plog.connected, 2);
    ck_assert_uint_ge(plog.attempts[0], 2);   /* refused, then retried */
    ck_assert_uint_eq(plog.attempts[1], 1);
    close(late_fd);
}
END_TEST

/* ---- listeners ------------------------------------------------------------ */

START_TEST(table_full)
{
    struct rotor_config cfg;
    char port[16], buf[16];

    rotor_loop_free(loop);
    rotor_config_init(&cfg);
    cfg.trace = 0;
    cfg.max_machines = 2;       /* the listener and one connection */
    loop = rotor_loop_new(&cfg);
    int lfd = tcp_listener(16, port, sizeof port);
    rotor_ref l = rotor_listen(loop, &probe_listener_machine, lfd, NULL);
    ck_assert_uint_ne(l.gen, 0);
    int a = tcp_connect(port);
    int b = tcp_connect(port);
    for (int i = 0; i < 50 && listener_log.inputs + listener_log.errors < 2; i++) {
        spin(1);
        usleep(1000);
    }
    ck_assert_int_eq(listener_log.inputs, 1);   /* accepted */
    ck_assert_int_eq(listener_log.errors, 1);   /* spawn_failed */
    ck_assert_uint_eq(rotor_loop_machines(loop), 2);
    /* The refused client sees its socket closed. */
    struct pollfd p = { b, POLLIN, 0 };
    ck_assert_int_eq(poll(&p, 1, 1000), 1);
    ck_assert_int_eq(read(b, buf, sizeof buf), 0);
    close(a);
    close(b);
}
END_TEST

/* 1,000 clients, each sends a line; all of them are read. */
START_TEST(thousand_connections)
{
    enum { N = 1000 };
    static int fds[N];
    char port[16];
    struct rlimit rl;

    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2 * N + 64) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    ck_assert_uint_ge(rl.rlim_cur, 2 * N + 64);
    int lfd = tcp_listener(N, port, sizeof port);
    rotor_ref l = rotor_listen(loop, &probe_listener_machine, lfd, NULL);
    ck_assert_uint_ne(l.gen, 0);
    for (int i = 0; i < N; i++) {
        fds[i] = tcp_connect(port);
        put(fds[i], "hello\n", 6);
        if (i % 64 == 63)
            spin(2);            /* accept as they come, like a server */
    }
    for (int i = 0; i < 2000 && listener_log.inputs + listener_log.errors < N * 2; i++) {
        spin(1);
        if (listener_log.inputs >= N && listener_log.data_len >= N * 6u)
            break;
    }
    ck_assert_int_eq(listener_log.inputs, N + N);   /* accepts + lines */
    ck_assert_uint_eq(listener_log.data_len, N * 6u);
    ck_assert_uint_eq(rotor_loop_machines(loop), N + 1);
    for (int i = 0; i < N; i++)
        close(fds[i]);
}
END_TEST

static Suite *stream_suite(void)
{
    Suite *s = suite_create("stream");
    TCase *t = tcase_create("expect");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, line_whole);
    tcase_add_test(t, line_split_everywhere);
    tcase_add_test(t, until_split_everywhere);
    tcase_add_test(t, bytes_split_everywhere);
    tcase_add_test(t, input_taken_directly);
    tcase_add_test(t, extent_and_writev);
    tcase_add_test(t, kept_evbuffers);
    tcase_add_test(t, line_limit);
    tcase_add_test(t, limit_bounds_memory);
    tcase_add_test(t, flush_to_slow_reader);
    tcase_add_test(t, drained_after_slow_reader);
    tcase_add_test(t, drained_then_flushed);
    tcase_add_test(t, half_close_flushes_answer);
    tcase_add_test(t, half_close_with_nothing_to_send);
    tcase_add_test(t, regular_file_input);
    tcase_add_test(t, idle_timeout);
    tcase_add_test(t, stop_before_run);
    suite_add_tcase(s, t);

    t = tcase_create("tcp");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, peer_reset_mid_write);
    tcase_add_test(t, answers_in_order_to_slow_reader);
    tcase_add_test(t, connect_numeric);
    tcase_add_test(t, connect_by_name);
    tcase_add_test(t, connect_refused);
    tcase_add_test(t, connect_timeout);
    tcase_add_test(t, connect_then_flushed);
    tcase_add_test(t, lookup_pending_at_free);
    tcase_add_test(t, reset_without_socket_is_quiet);
    tcase_add_test(t, error_words);
    tcase_add_test(t, connect_retry_and_reconnect);
    tcase_add_test(t, table_full);
    tcase_add_test(t, thousand_connections);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stream_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
