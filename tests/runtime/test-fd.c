/*
 * test-fd.c: raw machines watching a socket (machines/watcher.rsm):
 * readable and writable follow what the current state declares, and the
 * descriptor is closed when the machine ends.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt-test.h"
#include "machines/driver.h"
#include "machines/watcher.h"

/* ---- the actions -------------------------------------------------------- */

void watcher_create(struct watcher *self, rotor_scope *s,
                    const rotor_event *ev)
{
    struct watch_rec *rec = rotor_event_data(ev);

    self->rec = rec;
    ck_assert_int_eq(rotor_scope_fd(s), -1);
    ck_assert_int_eq(rotor_watch_fd(s, -5), ROTOR_EINVAL);
    rec->watch_result = rotor_watch_fd(s, rec->fd);
    rec->second_result = rotor_watch_fd(s, rec->fd);
    rec->fd_seen = rotor_scope_fd(s);
}

void watcher_destroy(struct watcher *self, rotor_scope *s,
                     const rotor_event *ev)
{
    /* Still open during destroy; closed right after. */
    ck_assert_int_ne(fcntl(self->rec->fd, F_GETFD), -1);
    self->rec->destroyed++;
    rt_log("destroy");
}

void watcher_deaf(struct watcher *self, rotor_scope *s, const rotor_event *ev)
{
    rt_log("deaf_readable");
}

void watcher_read(struct watcher *self, rotor_scope *s, const rotor_event *ev)
{
    ck_assert_int_eq(rotor_event_kind(ev), ROTOR_EV_READABLE);
    ck_assert_int_eq(read(rotor_scope_fd(s), &self->rec->got, 1), 1);
    rt_log("read:%c", self->rec->got);
}

void watcher_write(struct watcher *self, rotor_scope *s,
                   const rotor_event *ev)
{
    ck_assert_int_eq(rotor_event_kind(ev), ROTOR_EV_WRITABLE);
    ck_assert_int_eq(write(rotor_scope_fd(s), "y", 1), 1);
    rt_log("write");
}

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_loop *loop;
static int sv[2];

static void setup(void)
{
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.trace = 0;
    rt_log_reset();
    loop = rotor_loop_new(&cfg);
    ck_assert_ptr_nonnull(loop);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
}

static void teardown(void)
{
    rotor_loop_free(loop);
    loop = NULL;
    close(sv[1]);
}

static bool is_closed(int fd)
{
    return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(readable_only_where_watched)
{
    struct watch_rec rec = {.fd = sv[0]};
    struct drive d = {.events = {watcher_ev_arm}, .n = 1};

    /* Readable from the start, but `deaf` does not watch: nothing until
     * the driver's `arm` (30ms later) moves it to `listening`. */
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    d.target = rotor_spawn(loop, &watcher_machine, &rec);
    ck_assert_uint_ne(d.target.gen, 0);
    ck_assert_int_eq(rec.watch_result, 0);
    ck_assert_int_eq(rec.second_result, ROTOR_EEXIST);
    ck_assert_int_eq(rec.fd_seen, sv[0]);
    ck_assert_uint_ne(rotor_spawn(loop, &driver_machine, &d).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);

    ck_assert_str_eq(rt_log_buf, "read:x write destroy");
    ck_assert_int_eq(rec.destroyed, 1);
    ck_assert(is_closed(sv[0]));
    char c;
    ck_assert_int_eq(read(sv[1], &c, 1), 1);
    ck_assert_int_eq(c, 'y');
}
END_TEST

START_TEST(fd_closed_by_loop_free)
{
    struct watch_rec rec = {.fd = sv[0]};

    ck_assert_uint_ne(rotor_spawn(loop, &watcher_machine, &rec).gen, 0);
    ck_assert(!is_closed(sv[0]));
    rotor_loop_free(loop);
    loop = NULL;
    ck_assert_int_eq(rec.destroyed, 1);
    ck_assert(is_closed(sv[0]));
}
END_TEST

static Suite *fd_suite(void)
{
    Suite *s = suite_create("fd");
    TCase *tc = tcase_create("watch");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, readable_only_where_watched);
    tcase_add_test(tc, fd_closed_by_loop_free);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fd_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
