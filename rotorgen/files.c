/*
 * files.c: reading inputs whole and writing outputs all or nothing: every
 * output goes to a temporary file beside its destination and is renamed
 * into place only when all of them are written, so a failed run leaves no
 * partial output behind.  (Moved out of main.c when --coverage and
 * --paths came, which read traces and write drawings too.)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "files.h"

/* ---- input ------------------------------------------------------------- */

char *read_input(const char *path, size_t limit, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_fatal("cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct buf b = { 0 };
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= limit)
        buf_write(&b, chunk, n);
    bool failed = ferror(f);
    int err = errno;
    fclose(f);
    if (failed) {
        diag_fatal("cannot read '%s': %s", path, strerror(err));
        return NULL;
    }
    if (b.len > limit) {
        diag_fatal("'%s' is too large (the limit is %zu bytes)", path, limit);
        return NULL;
    }
    *len = b.len;
    return b.data ? b.data : xstrdup("");
}

/* ---- output ------------------------------------------------------------ */


static bool write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Writes out->text to a new file beside out->path. */
static bool write_temp(struct output *out)
{
    struct buf name = { 0 };
    buf_printf(&name, "%s.tmp%ld", out->path, (long)getpid());
    out->tmp = name.data;
    int fd = open(out->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) {
        diag_fatal("cannot create '%s': %s", out->tmp, strerror(errno));
        out->tmp = NULL;
        return false;
    }
    bool ok = write_all(fd, out->text.data ? out->text.data : "", out->text.len);
    int err = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok)
        diag_fatal("cannot write '%s': %s", out->tmp, strerror(err));
    return ok;
}

bool commit_outputs(struct output *outs, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = write_temp(&outs[i]);
    for (size_t i = 0; i < n && ok; i++) {
        if (rename(outs[i].tmp, outs[i].path) != 0) {
            diag_fatal("cannot rename '%s' to '%s': %s", outs[i].tmp,
                       outs[i].path, strerror(errno));
            ok = false;
        } else {
            outs[i].tmp = NULL;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (outs[i].tmp)
            unlink(outs[i].tmp);
    return ok;
}

