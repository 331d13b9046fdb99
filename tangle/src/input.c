/* input.c: read an input file, refuse what is not text, normalise it (BOM,
 * line ends), check UTF-8, find lines. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tangle.h"

/* How many of the 64 bytes at S, from the first, are ASCII but not NUL or CR? */
static size_t plain64(const char *s)
{
    typedef signed char v16 __attribute__((vector_size(16)));   /* SSE2, NEON */
    v16 v[4];
    uint64_t w[8];
    memcpy(v, s, 64);
#define BAD(x) (((x) < 1) | ((x) == '\r'))                      /* not plain: -1 (0xFF) */
    v[0] = BAD(v[0]), v[1] = BAD(v[1]), v[2] = BAD(v[2]), v[3] = BAD(v[3]);
#undef BAD
    v16 any = v[0] | v[1] | v[2] | v[3];
    memcpy(w, &any, 16);
    if ((w[0] | w[1]) == 0)
        return 64;
    memcpy(w, v, 64);
    int k = 0;
    while (w[k] == 0)
        k++;
    return (size_t)(8 * k + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? __builtin_ctzll(w[k])
                                                                       : __builtin_clzll(w[k])) / 8);
}

/* Unicode's table of well-formed sequences (Table 3-7): the first byte
 * gives the length and the range of the second byte, which rules out
 * overlong forms, surrogates and code points past U+10FFFF; the bytes
 * after it are 80..BF. */
size_t tgl_utf8_check(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            if (c == 0 || c == '\r')
                return i;
            i++;
            for (size_t n = 64; n == 64 && len - i >= 64; i += n)
                n = plain64(buf + i);                /* code and English: long ASCII runs */
            continue;
        }
        if (c >= 0xE1 && c <= 0xEF && c != 0xED && len - i >= 3 && (s[i + 1] & 0xC0) == 0x80
            && (s[i + 2] & 0xC0) == 0x80) {
            i += 3;                          /* the usual non-ASCII: Chinese and its punctuation */
            continue;
        }
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (c < 0xC2 || c > 0xF4 || len - i < n || s[i + 1] < lo || s[i + 1] > hi)
            return i;                        /* continuation byte, C0/C1, F5+, cut short */
        for (size_t k = 2; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += n;
    }
    return len;
}

/* Step M back one line (M is not on line 1). */
static void step_back(const struct tgl_input *in, struct tgl_mark *m)
{
    /* data[start - 1] is the '\n' that ends the line before; the one
     * before that ends the line before that. */
    const char *nl = memrchr(in->data, '\n', m->start - 1);
    m->start = nl ? (size_t)(nl + 1 - in->data) : 0;
    m->line--;
}

/* Step M forward one line, unless M is on the last line. */
static bool step_forward(const struct tgl_input *in, struct tgl_mark *m, size_t limit)
{
    const char *nl = memchr(in->data + m->start, '\n', limit - m->start);
    if (nl == NULL || (size_t)(nl + 1 - in->data) == in->len)
        return false;
    m->start = (size_t)(nl + 1 - in->data);
    m->line++;
    return true;
}

bool tgl_seek_line(const struct tgl_input *in, struct tgl_mark *m, size_t ln)
{
    if (ln < 1)
        return false;
    while (m->line > ln)
        step_back(in, m);
    while (m->line < ln)
        if (!step_forward(in, m, in->len))
            return false;
    return true;
}

const char *tgl_line_text(const struct tgl_input *in, struct tgl_mark *m, size_t ln,
                          size_t *len)
{
    if (!tgl_seek_line(in, m, ln))
        return NULL;
    const char *s = in->data + m->start;
    const char *nl = memchr(s, '\n', in->len - m->start);
    *len = nl ? (size_t)(nl - s) : in->len - m->start;
    return s;
}

size_t tgl_line_at(const struct tgl_input *in, struct tgl_mark *m, size_t off)
{
    while (off < m->start)
        step_back(in, m);
    while (m->start < off && step_forward(in, m, off))
        ;
    return m->line;
}

/* Decode IN->base[0..len) in place: one BOM, size, CRLF, UTF-8 and NUL. */
static int finish(struct tgl_input *in, size_t len, struct tgl_diag *d)
{
    in->data = in->base;
    in->len = len;
    if (len > TGL_MAX_INPUT) {
        tgl_error(d, in->path, 0, "the file is larger than %zu MiB, the limit for an input",
                  TGL_MAX_INPUT >> 20);
        return -1;
    }
    if (len >= 3 && memcmp(in->data, "\xEF\xBB\xBF", 3) == 0) {
        in->data += 3;                   /* skip the BOM: no copy */
        in->len -= 3;
    }
    /* One pass: up to a CR, a NUL or a byte that is not UTF-8.  A CRLF's
     * CR is dropped, the text after it moved down; anything else stops. */
    char *p = in->data, *end = p + in->len, *w = p;
    for (size_t n;; p++) {
        n = tgl_utf8_check(p, (size_t)(end - p));
        w = w == p ? w + n : (char *)memmove(w, p, n) + n;
        if ((p += n) == end || *p != '\r' || p + 1 == end || p[1] != '\n')
            break;
    }
    if (p == end) {
        in->converted = w != end || in->data != in->base;
        in->len = (size_t)(w - in->data);
        return 0;
    }
    struct tgl_mark top = TGL_MARK_TOP;
    unsigned line = (unsigned)tgl_line_at(in, &top, (size_t)(w - in->data));   /* all LF */
    if (*p == '\r')
        tgl_error(d, in->path, line, "a CR without LF: pandoc does not end a line there "
                  "(use LF or CRLF)");
    else if (*p == '\0')
        tgl_error(d, in->path, line, "NUL byte: this is not a text file");
    else
        tgl_error(d, in->path, line, "invalid UTF-8 (byte 0x%02X)", (unsigned char)*p);
    return -1;
}

int tgl_input_from_memory(struct tgl_input *in, const char *path, const char *data,
                          size_t len, struct tgl_diag *d)
{
    memset(in, 0, sizeof *in);
    in->path = tgl_xstrdup(path);
    in->base = tgl_xmalloc(len + 1);
    memcpy(in->base, data, len);
    return finish(in, len, d);
}

/* A mapped input cut short while tangle runs (an editor rewriting it in
 * place) raises SIGBUS where its lost pages are read.  Stage 4, the one
 * that writes, reads no input, so stop with a message and status 2. */
static void input_cut_short(int sig)
{
    static const char msg[] = "tangle: an input file was cut short while tangle read it "
                              "(edited in place?)\n";
    ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)n, (void)sig;
    _exit(2);
}

int tgl_input_read(struct tgl_input *in, const char *path, bool copy, struct tgl_diag *d)
{
    struct stat st;
    struct tgl_buf b = { 0 };
    size_t size = 0;
    memset(in, 0, sizeof *in);
    in->path = tgl_xstrdup(path);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd == -1 || fstat(fd, &st) == -1) {
        tgl_sys_error(d, path);
    } else if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        tgl_sys_error(d, path);
    } else if (!S_ISREG(st.st_mode)) {
        tgl_error(d, path, 0, "not a regular file (a FIFO or a device?)");
    } else if ((uintmax_t)st.st_size > TGL_MAX_INPUT) {  /* before mapping it */
        tgl_error(d, path, 0, "the file is larger than %zu MiB, the limit for an input",
                  TGL_MAX_INPUT >> 20);
    } else if (copy || st.st_size == 0) {
        if (tgl_read_fd(fd, &b, TGL_MAX_INPUT) == 0)
            in->base = b.data ? b.data : tgl_xmalloc(1);
        else
            tgl_sys_error(d, path);
        size = b.len;
    } else {
        /* Mapped, not read: no copy and no fresh pages (reading 9 MB into
         * new buffers was a seventh of a run over 40 chapters).  Private,
         * so CRLF can become LF in place, in our copy of those pages. */
        signal(SIGBUS, input_cut_short);
        in->base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        size = in->mapped = in->base == MAP_FAILED ? 0 : (size_t)st.st_size;
        if (in->base == MAP_FAILED) {
            in->base = NULL;
            tgl_sys_error(d, path);
        }
    }
    if (fd != -1)
        close(fd);
    if (in->base == NULL)
        tgl_buf_free(&b);
    return in->base == NULL ? -1 : finish(in, size, d);
}

void tgl_input_free(struct tgl_input *in)
{
    free(in->path);
    if (in->mapped > 0)
        munmap(in->base, in->mapped);
    else
        free(in->base);
    memset(in, 0, sizeof *in);
}
