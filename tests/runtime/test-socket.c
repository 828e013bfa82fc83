/*
 * test-socket.c: the socket helpers of <rotor/listener.h> that servers
 * share: "[HOST:]PORT" parsing, listening sockets, and the description
 * of the address a socket is bound to.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rotor/rotor.h>

static char host[64], port[8];

static int parse(const char *arg, const char *def)
{
    return rotor_listen_addr_parse(arg, def, host, sizeof host,
                                   port, sizeof port);
}

START_TEST(parses_port_alone_with_default_host)
{
    ck_assert_int_eq(parse("3000", "127.0.0.1"), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_str_eq(port, "3000");
    ck_assert_int_eq(parse("0", NULL), 0);
    ck_assert_str_eq(host, "");
    ck_assert_str_eq(port, "0");
}
END_TEST

START_TEST(parses_host_and_port)
{
    ck_assert_int_eq(parse("0.0.0.0:80", "127.0.0.1"), 0);
    ck_assert_str_eq(host, "0.0.0.0");
    ck_assert_str_eq(port, "80");
    ck_assert_int_eq(parse("localhost:65535", NULL), 0);
    ck_assert_str_eq(host, "localhost");
    ck_assert_str_eq(port, "65535");
}
END_TEST

START_TEST(parses_bracketed_ipv6)
{
    ck_assert_int_eq(parse("[::1]:8080", "127.0.0.1"), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_str_eq(port, "8080");
    ck_assert_int_eq(parse("[fe80::1%lo]:1", NULL), 0);
    ck_assert_str_eq(host, "fe80::1%lo");
}
END_TEST

START_TEST(refuses_malformed_addresses)
{
    static const char *bad[] = {
        "", ":", ":80", "host:", "abc", "80a", "65536", "123456", "-1",
        "::1:80", "[::1]", "[]:80", "[::1:80", "::1]:80", "host:port",
    };
    strcpy(host, "kept");
    strcpy(port, "1");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(parse(bad[i], "127.0.0.1") == ROTOR_EINVAL,
                      "\"%s\" was accepted", bad[i]);
        ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
        ck_assert_str_ne(rotor_last_error(), "");
    }
    ck_assert_str_eq(host, "kept");
    ck_assert_str_eq(port, "1");
    ck_assert_int_eq(rotor_listen_addr_parse(NULL, "h", host, sizeof host,
                                             port, sizeof port),
                     ROTOR_EINVAL);
}
END_TEST

START_TEST(refuses_what_does_not_fit)
{
    char small[4];
    ck_assert_int_eq(rotor_listen_addr_parse("localhost:80", NULL, small,
                                             sizeof small, port, sizeof port),
                     ROTOR_EMSGSIZE);
    ck_assert_int_eq(rotor_listen_addr_parse("80", NULL, host, sizeof host,
                                             small, 2),
                     ROTOR_EMSGSIZE);
    ck_assert_int_eq(rotor_last_code(), ROTOR_EMSGSIZE);
}
END_TEST

START_TEST(port_zero_is_described_with_the_real_port)
{
    char where[64], expect[64];
    int fd = rotor_listen_socket("127.0.0.1", "0", 0);
    ck_assert_int_ge(fd, 0);
    int p = rotor_socket_port(fd);
    ck_assert_int_gt(p, 0);
    snprintf(expect, sizeof expect, "127.0.0.1:%d", p);
    int n = rotor_socket_describe(fd, where, sizeof where);
    ck_assert_int_eq(n, (int)strlen(expect));
    ck_assert_str_eq(where, expect);
    ck_assert_int_eq(rotor_socket_describe(fd, where, 5), ROTOR_EMSGSIZE);
    ck_assert_int_eq(rotor_socket_describe(fd, NULL, 5), ROTOR_EINVAL);
    close(fd);
}
END_TEST

START_TEST(ipv6_is_described_in_brackets)
{
    char where[64], expect[64];
    int fd = rotor_listen_socket("::1", "0", 0);
    if (fd < 0)     /* a host without IPv6 */
        return;
    snprintf(expect, sizeof expect, "[::1]:%d", rotor_socket_port(fd));
    ck_assert_int_gt(rotor_socket_describe(fd, where, sizeof where), 0);
    ck_assert_str_eq(where, expect);
    close(fd);
}
END_TEST

START_TEST(describe_refuses_what_is_no_ip_socket)
{
    char where[64];
    int sv[2];
    ck_assert_int_eq(rotor_socket_describe(-1, where, sizeof where),
                     ROTOR_EINVAL);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(rotor_socket_describe(sv[0], where, sizeof where),
                     ROTOR_ENOTSUP);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(listen_failures_say_where)
{
    int fd = rotor_listen_socket("127.0.0.1", "0", 0);
    ck_assert_int_ge(fd, 0);
    char p[16];
    snprintf(p, sizeof p, "%d", rotor_socket_port(fd));
    ck_assert_int_eq(rotor_listen_socket("127.0.0.1", p, 0), ROTOR_EADDRINUSE);
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "cannot listen on"));
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), p));
    ck_assert_int_eq(rotor_listen_socket("no such host.invalid", "0", 0),
                     ROTOR_ERESOLVE);
    close(fd);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("socket");
    TCase *tc = tcase_create("socket");
    tcase_add_test(tc, parses_port_alone_with_default_host);
    tcase_add_test(tc, parses_host_and_port);
    tcase_add_test(tc, parses_bracketed_ipv6);
    tcase_add_test(tc, refuses_malformed_addresses);
    tcase_add_test(tc, refuses_what_does_not_fit);
    tcase_add_test(tc, port_zero_is_described_with_the_real_port);
    tcase_add_test(tc, ipv6_is_described_in_brackets);
    tcase_add_test(tc, describe_refuses_what_is_no_ip_socket);
    tcase_add_test(tc, listen_failures_say_where);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
