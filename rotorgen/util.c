/* util.c: see util.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Every block starts with this header, linking it into one list. */
struct block {
    struct block *prev, *next;
    max_align_t   align[];
};

static struct block *blocks;

static void out_of_memory(void)
{
    fputs("rotorgen: error: out of memory\n", stderr);
    exit(1);
}

static void link_block(struct block *b)
{
    b->prev = NULL;
    b->next = blocks;
    if (blocks)
        blocks->prev = b;
    blocks = b;
}

static void unlink_block(struct block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

void *xmalloc(size_t size)
{
    if (size > (size_t)-1 - sizeof(struct block))
        out_of_memory();
    struct block *b = malloc(sizeof *b + size);
    if (!b)
        out_of_memory();
    link_block(b);
    return b->align;
}

void *xcalloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        out_of_memory();
    void *p = xmalloc(count * size);
    memset(p, 0, count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    if (!ptr)
        return xmalloc(size);
    if (size > (size_t)-1 - sizeof(struct block))
        out_of_memory();
    struct block *old = (struct block *)((char *)ptr - offsetof(struct block, align));
    unlink_block(old);
    struct block *b = realloc(old, sizeof *b + size);
    if (!b) {
        link_block(old);    /* still ours: freed by util_free_all */
        out_of_memory();
    }
    link_block(b);
    return b->align;
}

char *xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

void util_free_all(void)
{
    while (blocks) {
        struct block *next = blocks->next;
        free(blocks);
        blocks = next;
    }
}

void *vec_push(void *items_ptr, size_t *count, size_t *cap, size_t elem_size)
{
    char **items = items_ptr;
    if (*count == *cap) {
        size_t n = *cap ? *cap * 2 : 8;
        if (n > (size_t)-1 / elem_size / 2)
            out_of_memory();
        *items = xrealloc(*items, n * elem_size);
        *cap = n;
    }
    char *elem = *items + *count * elem_size;
    memset(elem, 0, elem_size);
    (*count)++;
    return elem;
}

static void buf_reserve(struct buf *b, size_t more)
{
    if (more > (size_t)-1 / 2 - b->len)
        out_of_memory();
    if (b->len + more + 1 <= b->cap)
        return;
    size_t n = b->cap ? b->cap : 256;
    while (n < b->len + more + 1)
        n *= 2;
    b->data = xrealloc(b->data, n);
    b->cap = n;
}

void buf_write(struct buf *b, const char *s, size_t len)
{
    buf_reserve(b, len);
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    for (size_t i = 0; i < len; i++)
        b->lines += s[i] == '\n';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_write(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_write(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        out_of_memory();    /* only on an invalid format: never ours */
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    for (int i = 0; i < n; i++)
        b->lines += b->data[b->len + (size_t)i] == '\n';
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}
