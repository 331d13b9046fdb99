/* util.c: allocation that cannot fail, growable buffers, diagnostics. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tangle.h"

static void out_of_memory(void)
{
    fputs("tangle: out of memory\n", stderr);
    exit(2);
}

void *tgl_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory();
    return p;
}

void *tgl_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory();
    return p;
}

void *tgl_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory();
    return q;
}

char *tgl_xstrndup(const char *s, size_t n)
{
    char *p = tgl_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *tgl_xstrdup(const char *s)
{
    return tgl_xstrndup(s, strlen(s));
}

void tgl_buf_reserve(struct tgl_buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len <= extra) {
        if (cap > ((size_t)-1) / 2)
            out_of_memory();
        cap *= 2;
    }
    b->data = tgl_xrealloc(b->data, cap);
    b->cap = cap;
}

/* Each piece starts with this header; HEADER keeps what follows aligned. */
struct piece {
    void *prev;
};
#define ARENA_ALIGN 16
#define HEADER ((sizeof(struct piece) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

void *tgl_arena_alloc(struct tgl_arena *a, size_t n)
{
    if (n == 0)                     /* like malloc(0): a pointer of its own */
        n = 1;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if ((size_t)(a->end - a->next) < n) {
        /* Pieces double from 64 KiB to 1 MiB: few pieces, little waste. */
        size_t size = a->piece_size ? a->piece_size : (size_t)64 << 10;
        if (size < ((size_t)1 << 20))
            a->piece_size = size * 2;
        if (size - HEADER < n)
            size = HEADER + n;
        struct piece *p = tgl_xmalloc(size);
        p->prev = a->pieces;
        a->pieces = p;
        a->next = (char *)p + HEADER;
        a->end = (char *)p + size;
    }
    void *r = a->next;
    a->next += n;
    return r;
}

void tgl_arena_free(struct tgl_arena *a)
{
    for (struct piece *p = a->pieces; p != NULL;) {
        struct piece *prev = p->prev;
        free(p);
        p = prev;
    }
    memset(a, 0, sizeof *a);
}

void tgl_buf_add(struct tgl_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    tgl_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tgl_buf_addc(struct tgl_buf *b, char c)
{
    tgl_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void tgl_buf_adds(struct tgl_buf *b, const char *s)
{
    tgl_buf_add(b, s, strlen(s));
}

void tgl_buf_addf(struct tgl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    tgl_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void tgl_buf_free(struct tgl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static void report(struct tgl_diag *d, const char *kind, const char *file, unsigned line,
                   const char *fmt, va_list ap)
{
    if (d->out == NULL)
        return;
    if (line > 0)
        fprintf(d->out, "%s:%u: %s: ", file, line, kind);
    else
        fprintf(d->out, "%s: %s: ", file, kind);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
}

void tgl_error(struct tgl_diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(d, "error", file, line, fmt, ap);
    va_end(ap);
    d->errors++;
}

void tgl_warning(struct tgl_diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(d, "warning", file, line, fmt, ap);
    va_end(ap);
}

size_t tgl_thread_count(size_t jobs)
{
    const char *env = getenv("TANGLE_THREADS");
    /* More threads than CPUs, on purpose: the work is handed out one file
     * at a time, so when the machine preempts one thread, the others take
     * its share instead of waiting for it.  On a shared 2-CPU machine, 4
     * threads gave a lower median than 2 side by side (3 runs of 60: 5-15%
     * lower), with the same best run (make bench-tangle). */
    long n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 4 : 1;
    if (n < 1)
        n = 1;
    if (n > 4)
        n = 4;
    return (size_t)n < jobs ? (size_t)n : (jobs ? jobs : 1);
}
