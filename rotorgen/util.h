/*
 * util.h: memory, growable arrays and text buffers shared by the passes.
 *
 * rotorgen is a short-lived process, but it is also a fuzz target, so
 * every allocation is tracked and util_free_all() releases them at once:
 * the passes never free piecemeal.  Out of memory ends the process with a
 * message; no output file exists yet when the passes allocate.
 */
#ifndef ROTORGEN_UTIL_H
#define ROTORGEN_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__)
#define RG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RG_PRINTF(f, a)
#endif

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrndup(const char *s, size_t len);
char *xstrdup(const char *s);
void util_free_all(void);

/* Appends one zeroed element to the array *items holding *count elements
 * of elem_size bytes in room for *cap; returns the new element. */
void *vec_push(void *items_ptr, size_t *count, size_t *cap, size_t elem_size);

#define VEC_PUSH(vec, cnt, cap) vec_push(&(vec), &(cnt), &(cap), sizeof *(vec))

/* A growable text, counting its newlines so that an emitter can write
 * #line directives that name the real line of the output. */
struct buf {
    char  *data;
    size_t len, cap;
    unsigned long lines;    /* newlines written so far */
};

void buf_write(struct buf *b, const char *s, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) RG_PRINTF(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);

#endif
