/*
 * alloc.c: every allocation of librotor goes through here, so that a
 * program (or a test injecting failures) can replace the allocator of
 * librotor and libevent together with rotor_set_allocator().
 *
 * Over-aligned blocks (machine data declared with a large _Alignas, the
 * mailbox) cannot come from a plain malloc replacement, so they are
 * over-allocated through it: the block starts at the first suitably
 * aligned address that leaves room before it for a pointer to what the
 * allocator returned, which is what rotor__aligned_free() gives back.
 */
#include "config.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "rotor-internal.h"

/* Set before any loop exists (see rotor.h), read from then on: plain
 * pointers are enough. */
static void *(*malloc_fn)(size_t) = malloc;
static void *(*realloc_fn)(void *, size_t) = realloc;
static void (*free_fn)(void *) = free;

int rotor_set_allocator(void *(*m)(size_t), void *(*r)(void *, size_t),
                        void (*f)(void *))
{
    if (!m && !r && !f) {
        malloc_fn = malloc;
        realloc_fn = realloc;
        free_fn = free;
        event_set_mem_functions(NULL, NULL, NULL);
        return 0;
    }
    if (!m || !r || !f)
        return rotor__fail(ROTOR_EINVAL, "rotor_set_allocator: give all "
                           "three functions or none");
    malloc_fn = m;
    realloc_fn = r;
    free_fn = f;
    event_set_mem_functions(m, r, f);
    return 0;
}

void *rotor__malloc(size_t size)
{
    return malloc_fn(size ? size : 1);
}

void *rotor__calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = rotor__malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *rotor__realloc(void *p, size_t size)
{
    return realloc_fn(p, size ? size : 1);
}

void rotor__free(void *p)
{
    if (p)
        free_fn(p);
}

char *rotor__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = rotor__malloc(n);

    if (d)
        memcpy(d, s, n);
    return d;
}

static bool plain_alignment(size_t align)
{
    return align <= alignof(max_align_t);
}

void *rotor__aligned_calloc(size_t align, size_t size)
{
    if (plain_alignment(align))
        return rotor__calloc(1, size);
    size_t extra = align - 1 + sizeof(void *);
    if (size > SIZE_MAX - extra) {
        errno = ENOMEM;
        return NULL;
    }
    char *raw = rotor__malloc(size + extra);
    if (!raw)
        return NULL;
    uintptr_t at = ((uintptr_t)(raw + sizeof(void *)) + align - 1) &
                   ~(uintptr_t)(align - 1);
    void *p = (void *)at;
    memcpy((char *)p - sizeof(void *), &raw, sizeof raw);
    memset(p, 0, size);
    return p;
}

void rotor__aligned_free(void *p, size_t align)
{
    void *raw;

    if (!p)
        return;
    if (plain_alignment(align)) {
        rotor__free(p);
        return;
    }
    memcpy(&raw, (char *)p - sizeof(void *), sizeof raw);
    rotor__free(raw);
}
