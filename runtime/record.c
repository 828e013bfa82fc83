/*
 * record.c: trace records, the machine-readable trace (<rotor/trace.h>).
 *
 * Records go to a file opened with O_APPEND, one write(2) each, so that
 * the records of several loops (threads, processes) sharing the file
 * never mix; and to the loop's record hook, if any.  A new file gets the
 * header line first: it is written to a private file which is then linked
 * to the name, so that no loop ever appends to a file without header.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rotor-internal.h"
#include "rotor/clock.h"
#include "chart-internal.h"

#define HEADER "#rotor-trace 1\n"

static struct rotor__recorder *recorder(struct rotor_loop *loop)
{
    if (!loop->rec) {
        loop->rec = rotor__calloc(1, sizeof *loop->rec);
        if (!loop->rec)
            return NULL;
        loop->rec->fd = -1;
    }
    loop->trace = true;
    return loop->rec;
}

/* Creates path with its header, unless it exists.  0, or -1 (errno). */
static int create_with_header(const char *path)
{
    size_t n = strlen(path);
    char *tmp = rotor__malloc(n + 16);

    if (!tmp) {
        errno = ENOMEM;
        return -1;
    }
    snprintf(tmp, n + 16, "%s.%ld~", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int r = -1;
    if (fd >= 0) {
        if (write(fd, HEADER, sizeof HEADER - 1) == sizeof HEADER - 1 &&
            (link(tmp, path) == 0 || errno == EEXIST))
            r = 0;
        close(fd);
        unlink(tmp);
    }
    rotor__free(tmp);
    return r;
}

int rotor__record_open(struct rotor_loop *loop, const char *path)
{
    if (create_with_header(path) < 0)
        return rotor__fail(ROTOR_EIO, "trace file %s: %s", path,
                           strerror(errno));
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return rotor__fail(ROTOR_EIO, "trace file %s: %s", path,
                           strerror(errno));
    struct rotor__recorder *r = recorder(loop);
    if (!r) {
        close(fd);
        return rotor__fail(ROTOR_ENOMEM, "out of memory for the trace");
    }
    if (r->fd >= 0)
        close(r->fd);
    r->fd = fd;
    return 0;
}

void rotor__record_close(struct rotor_loop *loop)
{
    if (!loop->rec)
        return;
    if (loop->rec->fd >= 0)
        close(loop->rec->fd);
    rotor__free(loop->rec);
    loop->rec = NULL;
}

void rotor__record(const struct rotor_loop *loop, const char *line, size_t n)
{
    struct rotor__recorder *r = loop->rec;
    char buf[8192];

    if (r->fn)
        r->fn(r->arg, line, n);
    if (r->fd < 0)
        return;
    if (n >= sizeof buf)
        n = sizeof buf - 1;     /* records are bounded below: never */
    memcpy(buf, line, n);
    buf[n] = '\n';
    /* One write: O_APPEND makes it land whole after every other. */
    ssize_t w = write(r->fd, buf, n + 1);
    (void)w;                    /* a full disk loses records, not the loop */
}

size_t rotor__state_label(const struct rotor_scope *m, int state, char *buf,
                          size_t len)
{
    if (!m->chart || !m->chart->nconfig)
        return (size_t)snprintf(buf, len, "%s", state >= 0 ?
                                m->type->states[state].name : "(none)");
    size_t n = 0;
    for (uint32_t i = 0; i < m->chart->nconfig; i++) {
        int s = m->chart->config[i];
        if (m->type->chart->states[s].nchildren)
            continue;           /* leaves only */
        int k = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0,
                         "%s%s", n ? "," : "", m->type->states[s].name);
        n += k > 0 ? (size_t)k : 0;
    }
    return n;
}

void rotor__record_chart_from(const struct rotor_scope *m)
{
    rotor__state_label(m, m->state, m->loop->rec->from,
                       sizeof m->loop->rec->from);
}

/* "<kind>\t<ms>\t<machine>\t<slot>.<gen>" of a record about m. */
static int head(const struct rotor_scope *m, char kind, char *buf, size_t len)
{
    return snprintf(buf, len, "%c\t%llu\t%s\t%u.%u", kind,
                    (unsigned long long)rotor_loop_now(m->loop), m->type->name,
                    (unsigned)m->ref.slot, (unsigned)m->ref.gen);
}

static void emit(const struct rotor_scope *m, char *buf, int n, size_t len)
{
    if (n > 0)
        rotor__record(m->loop, buf, (size_t)n < len ? (size_t)n : len - 1);
}

void rotor__record_spawn(const struct rotor_scope *m, const char *how)
{
    char buf[512], st[400];
    int n = head(m, 'S', buf, sizeof buf);

    rotor__state_label(m, m->state, st, sizeof st);
    n += snprintf(buf + n, sizeof buf - (size_t)n, "\t%s\t%s", how, st);
    emit(m, buf, n, sizeof buf);
}

/* Bytes read, in records of at most CHUNK bytes (hex doubles them). */
#define CHUNK 2048

void rotor__record_input(const struct rotor_scope *m, const void *p,
                         size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = p;
    char buf[256 + 2 * CHUNK];

    while (n > 0) {
        size_t k = n < CHUNK ? n : CHUNK;
        int h = head(m, 'I', buf, 256);
        if (h <= 0 || h >= 255)
            return;
        buf[h++] = '\t';
        for (size_t i = 0; i < k; i++) {
            buf[h++] = hex[b[i] >> 4];
            buf[h++] = hex[b[i] & 15];
        }
        rotor__record(m->loop, buf, (size_t)h);
        b += k;
        n -= k;
    }
}

void rotor__record_end(const struct rotor_scope *m, int err)
{
    char buf[512];
    int n = head(m, 'X', buf, sizeof buf);

    if (err == 0)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "\teof");
    else
        n += snprintf(buf + n, sizeof buf - (size_t)n, "\terror\t%d", err);
    emit(m, buf, n, sizeof buf);
}

void rotor__record_send(const struct rotor_scope *m, int event)
{
    char buf[512];
    int n = head(m, 'U', buf, sizeof buf);
    int i = event - ROTOR_EV_USER;

    if (i >= 0 && i < m->type->nevents && m->type->event_names)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "\t%s",
                      m->type->event_names[i]);
    else
        n += snprintf(buf + n, sizeof buf - (size_t)n, "\tevent%d", event);
    emit(m, buf, n, sizeof buf);
}

int rotor_loop_set_records(struct rotor_loop *loop, rotor_record_fn *fn,
                           void *arg)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_set_records: no loop");
    if (!fn && (!loop->rec || loop->rec->fd < 0)) {
        rotor__record_close(loop);      /* nothing left to record to */
        loop->trace = loop->trace_lines;
        return 0;
    }
    struct rotor__recorder *r = recorder(loop);
    if (!r)
        return rotor__fail(ROTOR_ENOMEM, "out of memory for the trace");
    r->fn = fn;
    r->arg = arg;
    return 0;
}

int rotor_loop_trace_file(struct rotor_loop *loop, const char *path)
{
    if (!loop || !path || !*path)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_trace_file: %s",
                           loop ? "no path" : "no loop");
    return rotor__record_open(loop, path);
}
