/*
 * main.c: the rotorgen command.  It reads the .rsm, runs the passes
 * (lex, parse, check, emit), then writes every output to a temporary
 * file beside its destination and renames it into place only when all
 * of them are written, so a failed run leaves no partial output behind.
 */
#define _POSIX_C_SOURCE 200809L

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
#include "emit.h"
#include "lexer.h"
#include "parse.h"
#include "util.h"

/* Larger inputs are refused rather than slowly chewed on. */
#define MAX_INPUT_SIZE (64u * 1024 * 1024)

static const char usage_text[] =
    "Usage: rotorgen [-o OUT.c] [-H OUT.h] [--dot OUT.dot] [-M DEPS] [-Werror]\n"
    "                [-Wno-NAME] [--no-lines] FILE.rsm\n"
    "       rotorgen --check [--dot OUT.dot] FILE.rsm\n"
    "       rotorgen --version | --help\n"
    "\n"
    "Compiles the state machines of FILE.rsm to C: a .c file with the\n"
    "dispatch code and a header with the state and event names and the\n"
    "prototypes of the actions.\n"
    "\n"
    "  -o OUT.c      write the C file to OUT.c (default: FILE's base name\n"
    "                with .c, in the current directory)\n"
    "  -H OUT.h      write the header to OUT.h (default: OUT.c with .h)\n"
    "  -M DEPS       also write a make rule 'OUT.c OUT.h: FILE.rsm' to DEPS\n"
    "  --dot OUT.dot also write a Graphviz drawing of the machines\n"
    "  -Werror       treat warnings as errors\n"
    "  -Wno-NAME     switch warning NAME off (-WNAME: on again); NAME is one\n"
    "                of unreachable, dead-end, shadowed, unhandled,\n"
    "                defer-handled, never-completes\n"
    "  --no-lines    comment out the #line directives\n"
    "  --check       check FILE.rsm only; write no C (only the drawing of\n"
    "                --dot, if given)\n"
    "  --version     print the version and exit\n"
    "  --help        print this help and exit\n";

struct options {
    const char *input, *c_path, *h_path, *deps_path, *dot_path;
    bool werror, no_lines, check_only;
};

/* ---- command line ------------------------------------------------------ */

static int usage_error(const char *fmt, const char *arg)
{
    fputs("rotorgen: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'rotorgen --help'.\n", stderr);
    return 1;
}

/* Takes the value of an option that needs one; returns false if absent. */
static bool option_value(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc || argv[*i + 1][0] == '\0')
        return false;
    *out = argv[++*i];
    return true;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = NULL;
        if (options_done || a[0] != '-' || !strcmp(a, "-")) {
            if (o->input)
                return usage_error("more than one input file ('%s')", a);
            o->input = a;
            continue;
        }
        if (!strcmp(a, "--"))
            options_done = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("rotorgen %s\n", PACKAGE_VERSION);
            return 0;
        } else if (!strcmp(a, "-Werror"))
            o->werror = true;
        else if (!strncmp(a, "-Wno-", 5) && diag_set_warning(a + 5, false))
            ;
        else if (!strncmp(a, "-W", 2) && strncmp(a, "-Wno-", 5) &&
                 diag_set_warning(a + 2, true))
            ;
        else if (!strcmp(a, "--no-lines"))
            o->no_lines = true;
        else if (!strcmp(a, "--check"))
            o->check_only = true;
        else if (!strcmp(a, "-o"))
            value = &o->c_path;
        else if (!strcmp(a, "-H"))
            value = &o->h_path;
        else if (!strcmp(a, "-M"))
            value = &o->deps_path;
        else if (!strcmp(a, "--dot"))
            value = &o->dot_path;
        else if (!strncmp(a, "-W", 2))
            return usage_error("unknown warning option '%s'", a);
        else
            return usage_error("unknown option '%s'", a);
        if (value && !option_value(argc, argv, &i, value))
            return usage_error("option '%s' needs a file name", a);
    }
    if (!o->input)
        return usage_error("%s", "no input file");
    return -1;
}

/* "dir/foo.rsm" -> "foo" + ext; other names keep their suffix. */
static char *default_output(const char *input, const char *ext)
{
    const char *slash = strrchr(input, '/');
    const char *base = slash ? slash + 1 : input;
    size_t len = strlen(base);
    if (len > 4 && !strcmp(base + len - 4, ".rsm"))
        len -= 4;
    struct buf b = { 0 };
    buf_printf(&b, "%.*s%s", (int)len, base, ext);
    return b.data;
}

/* OUT.c -> OUT.h; a name not ending in .c gets .h appended. */
static char *header_for(const char *c_path)
{
    size_t len = strlen(c_path);
    if (len > 2 && !strcmp(c_path + len - 2, ".c"))
        len -= 2;
    struct buf b = { 0 };
    buf_printf(&b, "%.*s.h", (int)len, c_path);
    return b.data;
}

static bool settle_paths(struct options *o)
{
    if (!o->c_path)
        o->c_path = default_output(o->input, ".c");
    if (!o->h_path)
        o->h_path = header_for(o->c_path);
    const char *paths[] = { o->c_path, o->h_path, o->dot_path, o->deps_path };
    for (size_t i = 0; i < 4; i++) {
        if (paths[i] && !strcmp(paths[i], o->input)) {
            diag_fatal("output '%s' would overwrite the input", paths[i]);
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (paths[i] && paths[j] && !strcmp(paths[i], paths[j])) {
                diag_fatal("two outputs have the same name ('%s')", paths[i]);
                return false;
            }
        }
    }
    return true;
}

/* ---- input ------------------------------------------------------------- */

static char *read_input(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_fatal("cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct buf b = { 0 };
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= MAX_INPUT_SIZE)
        buf_write(&b, chunk, n);
    bool failed = ferror(f);
    int err = errno;
    fclose(f);
    if (failed) {
        diag_fatal("cannot read '%s': %s", path, strerror(err));
        return NULL;
    }
    if (b.len > MAX_INPUT_SIZE) {
        diag_fatal("'%s' is too large (the limit is %u bytes)", path, MAX_INPUT_SIZE);
        return NULL;
    }
    *len = b.len;
    return b.data ? b.data : xstrdup("");
}

/* ---- output ------------------------------------------------------------ */

struct output {
    const char *path;
    char       *tmp;
    struct buf  text;
};

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

static bool commit_outputs(struct output *outs, size_t n)
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

/* A make rule; spaces and '#' are escaped as make wants, '$' doubled. */
static void make_path(struct buf *b, const char *path)
{
    for (; *path; path++) {
        if (*path == ' ' || *path == '#')
            buf_putc(b, '\\');
        else if (*path == '$')
            buf_putc(b, '$');
        buf_putc(b, *path);
    }
}

/* Every output depends on the .rsm (the language has no include: the
 * %{ %} blocks' own #include lines are the C compiler's business).  The
 * input also gets an empty rule, as gcc -MP writes, so that make does not
 * stop when it is renamed. */
static void deps_rule(struct buf *b, const struct options *o)
{
    make_path(b, o->c_path);
    buf_putc(b, ' ');
    make_path(b, o->h_path);
    if (o->dot_path) {
        buf_putc(b, ' ');
        make_path(b, o->dot_path);
    }
    buf_puts(b, ": ");
    make_path(b, o->input);
    buf_puts(b, "\n\n");
    make_path(b, o->input);
    buf_puts(b, ":\n");
}

/* ---- driver ------------------------------------------------------------ */

static bool compile(const struct options *o, struct rsm_file *file)
{
    size_t len;
    char *src = read_input(o->input, &len);
    if (!src)
        return false;
    struct token_list toks = { 0 };
    if (lex(src, len, &toks) || parse(&toks, file) || check(file))
        return false;
    return true;
}

/* With --check, only a drawing asked for with --dot is written. */
static bool generate(const struct options *o, const struct rsm_file *file)
{
    struct output outs[4] = { { o->c_path, NULL, { 0 } },
                              { o->h_path, NULL, { 0 } } };
    size_t n = 2;
    struct emit_options eo = { PACKAGE_VERSION, o->input, o->h_path,
                               !o->no_lines };
    if (o->check_only)
        n = 0;
    else
        emit_c(file, &eo, &outs[0].text, &outs[1].text);
    if (o->dot_path) {
        outs[n].path = o->dot_path;
        emit_dot(file, &eo, &outs[n++].text);
    }
    if (o->deps_path && !o->check_only) {
        outs[n].path = o->deps_path;
        deps_rule(&outs[n++].text, o);
    }
    return commit_outputs(outs, n);
}

static int run(struct options *o)
{
    diag_init(o->input, o->werror);
    if ((!o->check_only || o->dot_path) && !settle_paths(o))
        return 1;
    struct rsm_file file = { 0 };
    if (!compile(o, &file))
        return 1;
    if (o->check_only && !o->dot_path)
        return 0;
    return generate(o, &file) ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct options o = { 0 };
    int status = parse_args(argc, argv, &o);
    if (status < 0)
        status = run(&o);
    util_free_all();
    return status;
}
