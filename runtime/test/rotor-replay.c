/*
 * rotor-replay: replays a recorded trace on the machines of a shared
 * object, under librotor-test's virtual clock (doc/testing.md).
 *
 *     rotor-replay [-q] MODULE TRACE
 *
 * Machine types are compiled C, so the replay needs the user's: MODULE is
 * a shared object built from the generated .c files and their actions.
 * For each machine type the trace spawns other than by rotor_listen()
 * (a listener's accepts become connections spawned on a socketpair), the
 * module must export rotorgen's `NAME_machine`; it may export
 * `void *rotor_replay_context(void)`, the loop context the actions expect.
 * Exit status: 0 no divergence, 1 a divergence, 2 a usage, module or
 * trace error.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/test.h>

#define MAX_TYPES 64

struct types {
    const struct rotor_machine_type *t[MAX_TYPES];
    char name[MAX_TYPES][128];
    size_t n;
};

static int usage(void)
{
    fprintf(stderr, "usage: rotor-replay [-q] MODULE TRACE\n");
    return 2;
}

static int known(const struct types *ty, const char *name)
{
    for (size_t i = 0; i < ty->n; i++)
        if (strcmp(ty->name[i], name) == 0)
            return 1;
    return 0;
}

/* The machine type named by an S record ("S ms NAME ref HOW state") that
 * replay spawns again or matches: all but listeners. */
static int spawned_type(char *line, char **name)
{
    char *f[5];
    size_t k = 0;
    for (char *p = line; k < 5; p = NULL)
        if (!(f[k++] = strtok(p, "\t\n")))
            return 0;
    *name = f[2];
    return strcmp(f[0], "S") == 0 && strcmp(f[4], "listen") != 0;
}

static int load_type(void *module, const char *mpath, struct types *ty,
                     const char *name)
{
    char sym[160];
    if (ty->n == MAX_TYPES || strlen(name) >= sizeof ty->name[0]) {
        fprintf(stderr, "rotor-replay: too many machine types or too long a"
                " name: %s\n", name);
        return -1;
    }
    snprintf(sym, sizeof sym, "%s_machine", name);
    const struct rotor_machine_type *t = dlsym(module, sym);
    if (!t) {
        fprintf(stderr, "rotor-replay: %s has no %s (the trace spawns machines"
                " of type %s)\n", mpath, sym, name);
        return -1;
    }
    strcpy(ty->name[ty->n], name);
    ty->t[ty->n++] = t;
    return 0;
}

/* The types the trace needs, looked up in the module. */
static int types_of(const char *trace, void *module, const char *mpath,
                    struct types *ty)
{
    char line[8192], *name;
    FILE *f = fopen(trace, "r");
    if (!f) {
        perror(trace);
        return -1;
    }
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f))
        if (line[0] == 'S' && spawned_type(line, &name) && !known(ty, name))
            rc = load_type(module, mpath, ty, name);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
    if (argc != 3 + quiet)
        return usage();
    const char *mpath = argv[1 + quiet], *trace = argv[2 + quiet];
    /* a path, not a library name: dlopen would search the system's */
    char path[4096];
    snprintf(path, sizeof path, "%s%s", strchr(mpath, '/') ? "" : "./", mpath);
    void *module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!module) {
        fprintf(stderr, "rotor-replay: %s\n", dlerror());
        return 2;
    }
    static struct types ty;
    if (types_of(trace, module, mpath, &ty) < 0)
        return 2;
    void *(*context_of)(void);
    *(void **)&context_of = dlsym(module, "rotor_replay_context"); /* POSIX */
    char *args[] = { argv[0], quiet ? "-q" : (char *)trace, (char *)trace, NULL };
    return rotor_test_replay_main(2 + quiet, args, ty.t, ty.n,
                                  context_of ? context_of() : NULL);
}
