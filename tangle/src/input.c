/* input.c: read an input file, normalise it (BOM, line ends), check UTF-8. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tangle.h"

size_t tgl_normalize(char *buf, size_t len)
{
    size_t r = 0, w = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        r = 3;
    while (r < len) {
        char *cr = memchr(buf + r, '\r', len - r);
        size_t run = (cr ? (size_t)(cr - buf) : len) - r;
        memmove(buf + w, buf + r, run);
        w += run;
        r += run;
        if (cr == NULL)
            break;
        buf[w++] = '\n';                     /* CR or CRLF becomes LF */
        r += (r + 1 < len && buf[r + 1] == '\n') ? 2 : 1;
    }
    return w;
}

size_t tgl_utf8_check(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1; cp = c & 0x1F; min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2; cp = c & 0x0F; min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3; cp = c & 0x07; min = 0x10000;
        } else {
            return i;                        /* continuation byte, C0/C1, F5+ */
        }
        if (len - i <= n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

void tgl_index_lines(struct tgl_input *in)
{
    size_t n = 1;
    for (const char *p = in->data; (p = memchr(p, '\n', in->len - (size_t)(p - in->data)));
         p++)
        n++;
    in->line_off = tgl_xmalloc(n * sizeof *in->line_off);
    in->line_off[0] = 0;
    in->nlines = 1;
    for (size_t i = 0; i < in->len; i++)
        if (in->data[i] == '\n')
            in->line_off[in->nlines++] = i + 1;
    /* A final '\n' does not start another line. */
    if (in->nlines > 1 && in->line_off[in->nlines - 1] == in->len)
        in->nlines--;
}

unsigned tgl_line_of(const struct tgl_input *in, size_t off)
{
    size_t lo = 0, hi = in->nlines;       /* last line start <= off */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (in->line_off[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return (unsigned)lo + 1;
}

static int finish(struct tgl_input *in, struct tgl_diag *d)
{
    in->len = tgl_normalize(in->data, in->len);
    in->data[in->len] = '\0';
    tgl_index_lines(in);
    size_t bad = tgl_utf8_check(in->data, in->len);
    if (bad < in->len) {
        tgl_error(d, in->path, tgl_line_of(in, bad), "invalid UTF-8 (byte 0x%02X)",
                  (unsigned char)in->data[bad]);
        return -1;
    }
    return 0;
}

int tgl_input_from_memory(struct tgl_input *in, const char *path, const char *data,
                          size_t len, struct tgl_diag *d)
{
    memset(in, 0, sizeof *in);
    in->path = tgl_xstrdup(path);
    in->data = tgl_xmalloc(len + 1);
    memcpy(in->data, data, len);
    in->len = len;
    return finish(in, d);
}

int tgl_input_read(struct tgl_input *in, const char *path, struct tgl_diag *d)
{
    int ret = -1;
    int fd = -1;
    memset(in, 0, sizeof *in);
    in->path = tgl_xstrdup(path);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        goto fail;
    struct stat st;
    if (fstat(fd, &st) == -1)
        goto fail;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        goto fail;
    }
    size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
    in->data = tgl_xmalloc(cap + 1);
    for (;;) {
        if (in->len == cap) {
            cap *= 2;
            in->data = tgl_xrealloc(in->data, cap + 1);
        }
        ssize_t n = read(fd, in->data + in->len, cap - in->len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            goto fail;
        if (n == 0)
            break;
        in->len += (size_t)n;
    }
    ret = finish(in, d);
    goto out;
fail:
    if (d->out)
        fprintf(d->out, "tangle: %s: %s\n", path, strerror(errno));
    d->errors++;
out:
    if (fd != -1)
        close(fd);
    return ret;
}

void tgl_input_free(struct tgl_input *in)
{
    free(in->path);
    free(in->data);
    free(in->line_off);
    memset(in, 0, sizeof *in);
}
