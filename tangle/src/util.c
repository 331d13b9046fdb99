/* util.c: allocation that cannot fail, growable arrays and buffers, the
 * read/write helpers, diagnostics. */
#include <errno.h>
#include <fcntl.h>
#include <sanitizer/asan_interface.h>   /* no-ops unless built with ASan */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tangle.h"

#define ARENA_PIECE ((size_t)256 << 10)          /* bytes an arena mallocs at a time */

static void out_of_memory(void)
{
    fputs("tangle: out of memory\n", stderr);
    exit(2);
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
    char *p = tgl_xrealloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *tgl_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / size)
            out_of_memory();
        n *= 2;
    }
    *cap = n;
    return tgl_xrealloc(p, n * size);
}

void *tgl_alloc(struct tgl_arena *a, size_t n)
{
    if (a == NULL)
        return tgl_xmalloc(n);
    char *p = tgl_room(a, n);
    n = (n + 7) & ~(size_t)7;                    /* as tgl_room: pieces stay aligned */
    a->top = p + n;
    a->room -= n;
    ASAN_POISON_MEMORY_REGION(a->top, a->room);  /* so ASan sees a write past P[N) */
    return p;
}

void *tgl_room(struct tgl_arena *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        out_of_memory();
    n = (n + 7) & ~(size_t)7;
    if (n > a->room || a->top == NULL) {         /* a new piece; the old one's rest unused */
        size_t size = n + 16 > ARENA_PIECE ? n + 16 : ARENA_PIECE;
        void **piece = tgl_xmalloc(size);
        *piece = a->pieces;                      /* 16 bytes: the link, alignment kept */
        a->pieces = piece;
        a->top = (char *)piece + 16;
        a->room = size - 16;
    }
    ASAN_UNPOISON_MEMORY_REGION(a->top, n);
    return a->top;
}

void tgl_arena_free(struct tgl_arena *a)
{
    for (void **p = a->pieces, **next; p != NULL; p = next) {
        next = *p;
        free(p);
    }
    memset(a, 0, sizeof *a);
}

void tgl_buf_reserve(struct tgl_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        out_of_memory();
    b->data = tgl_grow(b->data, &b->cap, b->len + extra + 1, 1);   /* + the NUL */
}

void tgl_buf_add(struct tgl_buf *b, const void *p, size_t n)
{
    tgl_buf_reserve(b, n);
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tgl_buf_addc(struct tgl_buf *b, char c)
{
    tgl_buf_add(b, &c, 1);
}

void tgl_buf_adds(struct tgl_buf *b, const char *s)
{
    tgl_buf_add(b, s, strlen(s));
}

/* A message formatted in new memory (vasprintf, or out of memory). */
static char *format(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        out_of_memory();
    return s;
}

void tgl_buf_addf(struct tgl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = format(fmt, ap);
    va_end(ap);
    tgl_buf_adds(b, s);
    free(s);
}

void tgl_buf_free(struct tgl_buf *b)
{
    free(b->data);
    *b = (struct tgl_buf){ 0 };
}

int tgl_read_fd(int fd, struct tgl_buf *b, size_t max)
{
    for (;;) {
        if (b->cap - b->len < 2)
            tgl_buf_reserve(b, b->len < 65536 ? 65536 : b->len);
        size_t room = b->cap - b->len - 1;
        if (room > max + 1 - b->len)             /* max + 1: to see one byte too many */
            room = max + 1 - b->len;
        ssize_t n = read(fd, b->data + b->len, room);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return -1;
        b->len += (size_t)n;
        b->data[b->len] = '\0';
        if (b->len > max) {
            errno = EFBIG;
            return -1;
        }
        if (n == 0)
            return 0;
    }
}

int tgl_open_file(int dirfd, const char *name)
{
    struct stat st;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    int e = fd == -1 ? 0 : fstat(fd, &st) == -1 ? errno : S_ISREG(st.st_mode) ? 0 : EINVAL;
    if (e != 0) {
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int tgl_write_fd(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Print S to F with every control byte, C1 control and byte that is not
 * part of valid UTF-8 as \xHH. */
static void put_escaped(FILE *f, const char *s)
{
    for (size_t i = 0, n = strlen(s); i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        bool ok = c < 0x80 ? c >= 0x20 && c != 0x7f
                           : len <= n - i && tgl_utf8_check(s + i, len) == len
                                 && !(c == 0xC2 && (unsigned char)s[i + 1] < 0xA0);
        if (!ok) {
            fprintf(f, "\\x%02X", c);
            i++;
        } else {
            fwrite(s + i, 1, len, f);
            i += len;
        }
    }
}

void tgl_report(struct tgl_diag *d, bool error, const char *file, unsigned line,
                const char *fmt, ...)
{
    d->errors += error;
    if (d->out == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *m = format(fmt, ap);
    va_end(ap);
    put_escaped(d->out, file);
    if (line > 0)
        fprintf(d->out, ":%u", line);
    fprintf(d->out, ": %s: ", error ? "error" : "warning");
    put_escaped(d->out, m);
    fputc('\n', d->out);
    free(m);
}

void tgl_sys_error(struct tgl_diag *d, const char *what)
{
    const char *why = strerror(errno);
    if (d->out != NULL) {
        fputs("tangle: ", d->out);
        put_escaped(d->out, what);
        fprintf(d->out, ": %s\n", why);
    }
    d->errors++;
}
