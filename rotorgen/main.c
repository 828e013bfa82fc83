/*
 * main.c: the rotorgen command.  It reads the .rsm, runs the passes
 * (lex, parse, check, emit), then writes every output all or nothing
 * (files.c).  --paths and --coverage run the test tools (tools.h) on the
 * checked file instead of the C emitter.
 */
#define _POSIX_C_SOURCE 200809L

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "emit.h"
#include "files.h"
#include "lexer.h"
#include "parse.h"
#include "tools.h"
#include "util.h"

static const char usage_text[] =
    "Usage: rotorgen [-o OUT.c] [-H OUT.h] [--dot OUT.dot] [-M DEPS] [-Werror]\n"
    "                [-Wno-NAME] [--no-lines] FILE.rsm\n"
    "       rotorgen --check [--dot OUT.dot] FILE.rsm\n"
    "       rotorgen --paths FILE.rsm\n"
    "       rotorgen --coverage [--dot OUT.dot] TRACE... FILE.rsm\n"
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
    "  --paths       print a shortest sequence of events to every state and\n"
    "                transition of FILE.rsm (a skeleton for tests)\n"
    "  --coverage    read the traces a run wrote with ROTOR_TRACE=TRACE and\n"
    "                print which transitions and states it covered; --dot\n"
    "                draws the untaken ones red and dashed, the taken ones\n"
    "                with their counts\n"
    "  --version     print the version and exit\n"
    "  --help        print this help and exit\n";

struct options {
    const char *input, *c_path, *h_path, *deps_path, *dot_path;
    bool werror, no_lines, check_only, paths, coverage;
    const char **args;      /* the file names, in order (--coverage: the */
    size_t nargs;           /* traces, then the .rsm last) */
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

/* The tools write no C: only --coverage's drawing.  Returns -1 to go on,
 * else the exit status. */
static int settle_tools(struct options *o)
{
    if (o->paths && o->coverage)
        return usage_error("%s", "--paths and --coverage are separate runs");
    bool c_opts = o->c_path || o->h_path || o->deps_path || o->no_lines || o->check_only;
    if ((o->paths || o->coverage) && c_opts)
        return usage_error("%s", o->paths ? "--paths writes no C: it takes no "
                           "-o, -H, -M, --no-lines or --check"
                           : "--coverage writes no C: it takes no -o, -H, -M, "
                           "--no-lines or --check");
    if (o->paths && o->dot_path)
        return usage_error("%s", "--paths takes no --dot (--coverage and --check do)");
    if (o->coverage && o->nargs < 2)
        return usage_error("%s", "--coverage needs a trace and the .rsm file");
    return -1;
}

/* The .rsm is the only file name, or with --coverage the last one. */
static int settle_args(struct options *o)
{
    if (!o->nargs)
        return usage_error("%s", "no input file");
    int status = settle_tools(o);
    if (status >= 0)
        return status;
    if (!o->coverage && o->nargs > 1)
        return usage_error("more than one input file ('%s')", o->args[1]);
    o->input = o->args[o->nargs - 1];
    return -1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = NULL;
        if (options_done || a[0] != '-' || !strcmp(a, "-")) {
            o->args[o->nargs++] = a;
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
        else if (!strcmp(a, "--paths"))
            o->paths = true;
        else if (!strcmp(a, "--coverage"))
            o->coverage = true;
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
    return settle_args(o);
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
    char *src = read_input(o->input, MAX_INPUT_SIZE, &len);
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

/* --paths: the skeletons on stdout. */
static int run_paths(const struct rsm_file *file, const struct options *o)
{
    struct buf out = { 0 };
    paths_print(file, o->input, &out);
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* --coverage: every trace read (a bad one stops the run), the report on
 * stdout, the drawing written last. */
static int run_coverage(const struct rsm_file *file, const struct options *o)
{
    struct coverage c;
    coverage_init(&c, file);
    for (size_t i = 0; i + 1 < o->nargs; i++) {
        size_t len;
        char *text = read_input(o->args[i], MAX_TRACE_SIZE, &len);
        if (!text || !coverage_read(&c, o->args[i], text, len))
            return 1;
    }
    struct buf out = { 0 };
    coverage_report(&c, o->input, &out);
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    if (fflush(stdout) != 0)
        return 1;
    if (!o->dot_path)
        return 0;
    struct output dot = { o->dot_path, NULL, { 0 } };
    struct emit_options eo = { PACKAGE_VERSION, o->input, NULL, false };
    emit_dot_coverage(file, &eo, &c, &dot.text);
    return commit_outputs(&dot, 1) ? 0 : 1;
}

/* An output must not overwrite a trace either. */
static bool dot_clear_of_traces(const struct options *o)
{
    for (size_t i = 0; o->dot_path && i + 1 < o->nargs; i++)
        if (!strcmp(o->dot_path, o->args[i])) {
            diag_fatal("output '%s' would overwrite a trace", o->dot_path);
            return false;
        }
    return true;
}

static int run(struct options *o)
{
    diag_init(o->input, o->werror);
    bool tool = o->paths || o->coverage;
    if (tool && o->dot_path && (!dot_clear_of_traces(o) || !strcmp(o->dot_path, o->input))) {
        if (!strcmp(o->dot_path, o->input))
            diag_fatal("output '%s' would overwrite the input", o->dot_path);
        return 1;
    }
    if (!tool && (!o->check_only || o->dot_path) && !settle_paths(o))
        return 1;
    struct rsm_file file = { 0 };
    if (!compile(o, &file))
        return 1;
    if (tool)
        return o->paths ? run_paths(&file, o) : run_coverage(&file, o);
    if (o->check_only && !o->dot_path)
        return 0;
    return generate(o, &file) ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct options o = { 0 };
    o.args = xcalloc((size_t)argc + 1, sizeof *o.args);
    int status = parse_args(argc, argv, &o);
    if (status < 0)
        status = run(&o);
    util_free_all();
    return status;
}
