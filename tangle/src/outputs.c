/* outputs.c: stage 3: the old manifest; check each output path on disk,
 * expand the file and compare it with what is there. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tangle.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int tgl_manifest_read(struct tgl_dir *dir, struct tgl_manifest *m, struct tgl_diag *d)
{
    struct stat st;
    int ret = -1;
    memset(m, 0, sizeof *m);
    if (dir->fd == -1)
        return 0;
    char *mpath = tgl_path_join(dir->path, TGL_MANIFEST);
    int fd = tgl_open_file(dir->fd, TGL_MANIFEST);
    if (fd == -1 && errno == ENOENT)
        ret = 0;
    else if ((fd == -1 && errno == ELOOP)
             || (fd != -1 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)))
        tgl_error(d, mpath, 0, "the manifest is not a regular file");
    else if (fd == -1 || fstat(fd, &st) == -1 || tgl_read_fd(fd, &m->text, TGL_MAX_INPUT) == -1)
        tgl_sys_error(d, mpath);
    else
        ret = 0;
    if (fd != -1)
        close(fd);
    free(mpath);
    m->exists = fd != -1 && ret == 0;
    size_t cap = 0;
    m->copy = tgl_xstrndup(m->text.data ? m->text.data : "", m->text.len);
    for (char *p = m->copy, *end = p + m->text.len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        if (stop > p && stop[-1] == '\r')           /* a manifest saved with CRLF */
            stop--;
        *stop = '\0';
        TGL_GROW(m->lines, cap, m->n + 1);
        m->lines[m->n++] = p;
        p = nl ? nl + 1 : end;
    }
    m->sorted = tgl_xcalloc(m->n, sizeof *m->sorted);
    if (m->n > 0)
        memcpy(m->sorted, m->lines, m->n * sizeof *m->lines);
    qsort(m->sorted, m->n, sizeof *m->sorted, cmp_str);
    return ret;
}

bool tgl_manifest_has(const struct tgl_manifest *m, const char *path)
{
    return m->n > 0 && bsearch(&path, m->sorted, m->n, sizeof *m->sorted, cmp_str) != NULL;
}

void tgl_manifest_free(struct tgl_manifest *m)
{
    tgl_buf_free(&m->text);
    free(m->copy);
    free(m->lines);
    free(m->sorted);
    memset(m, 0, sizeof *m);
}

/* Does FD hold exactly TEXT?  Read in pieces into DISK, so that a big file
 * costs no big buffer (its page faults were a third of a no-op run on a
 * 15 MB output).  Returns 0 (*SAME set) or -1 (errno set). */
static int same_as(int fd, const struct tgl_buf *text, struct tgl_buf *disk, bool *same)
{
    size_t at = 0;
    ssize_t n;
    tgl_buf_reserve(disk, 65536);
    while ((n = read(fd, disk->data, 65536)) != 0) {
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return -1;
        if ((size_t)n > text->len - at || memcmp(disk->data, text->data + at, (size_t)n) != 0)
            break;
        at += (size_t)n;
    }
    *same = n == 0 && at == text->len;
    return 0;
}

/* Compare TEXT with the file O->where names: sets o->act.  Returns NULL or
 * a message (allocated) when the file cannot be read.  DISK is a buffer
 * reused from file to file. */
static char *classify(struct tgl_dir *dir, struct tgl_output *o, const struct tgl_buf *text,
                      struct tgl_buf *disk)
{
    const struct tgl_where *w = &o->where;
    struct stat st;
    o->act = TGL_CREATE;
    if (!w->exists)
        return NULL;
    o->act = TGL_CHANGE;
    if (S_ISLNK(w->st.st_mode) || (size_t)w->st.st_size != text->len)
        return NULL;                             /* a symlink is replaced, never followed */
    int fd = tgl_open_file(w->fd, w->rest);
    bool same = false;
    if (fd == -1 || fstat(fd, &st) == -1
        || (S_ISREG(st.st_mode) && same_as(fd, text, disk, &same) == -1)) {
        struct tgl_buf m = { 0 };
        char *full = tgl_path_join(dir->path, o->path);
        tgl_buf_addf(&m, "cannot read %s: %s", full, strerror(errno));
        free(full);
        if (fd != -1)
            close(fd);
        return m.data;
    }
    close(fd);
    if (S_ISREG(st.st_mode) && same)
        /* Only the owner's x bit counts: a git checkout makes 0664 or
         * 0600 files depending on the umask, and those are "0644" too. */
        o->act = (st.st_mode & S_IXUSR) != (o->mode & S_IXUSR) ? TGL_CHMOD : TGL_SAME;
    return NULL;
}

/* The comparison a sink makes: the file on disk, read as the expansion
 * grows, stays SAME while every piece matches. */
struct compare {
    int fd;
    struct tgl_buf *disk;
    bool same;
};

static void compare_piece(void *ctx, const char *p, size_t n)
{
    struct compare *c = ctx;
    size_t got = 0;
    tgl_buf_reserve(c->disk, n);
    while (c->same && got < n) {
        ssize_t r = read(c->fd, c->disk->data + got, n - got);
        if (r == -1 && errno == EINTR)
            continue;
        c->same = r > 0;
        got += c->same ? (size_t)r : 0;
    }
    c->same = c->same && memcmp(c->disk->data, p, n) == 0;
}

/* Expand ROOT into TEXT.  When CLASSIFY and O's file exists, compare it on
 * the way, in pieces (tgl_expand's sink), so that an unchanged big file
 * needs no buffer of its size: its page faults were a third of a no-op run
 * on a 15 MB output.  Returns -1 (a limit, reported), 0 with TEXT holding
 * the file, or 1 when the file on disk is the same (O->act set, TEXT
 * empty). */
static int expand_output(struct tgl_doc *doc, const struct tgl_block *root,
                         struct tgl_expand_opts *opts, struct tgl_output *o, bool classify,
                         struct tgl_buf *text, struct tgl_buf *disk)
{
    struct compare c = { .fd = -1, .disk = disk, .same = true };
    struct stat st;
    if (classify && o->where.exists && S_ISREG(o->where.st.st_mode))
        c.fd = tgl_open_file(o->where.fd, o->where.rest);
    if (c.fd != -1 && fstat(c.fd, &st) == 0 && S_ISREG(st.st_mode)) {
        opts->sink = compare_piece;
        opts->ctx = &c;
    }
    int r = tgl_expand(doc, root, opts, text);
    char byte;
    if (r == 0 && opts->sink && text->len == 0 && c.same && read(c.fd, &byte, 1) == 0) {
        o->mode = 0644;                          /* a file that went to the sink has no #! */
        o->act = (st.st_mode & S_IXUSR) ? TGL_CHMOD : TGL_SAME;
        r = 1;
    } else if (r == 1 || (r == 0 && opts->sink && text->len == 0)) {
        opts->sink = NULL;                       /* it differs: expand it whole */
        text->len = 0;
        r = tgl_expand(doc, root, opts, text);
    }
    opts->sink = NULL;
    if (c.fd != -1)
        close(c.fd);
    return r;
}

static int cmp_output(const void *a, const void *b)
{
    return strcmp(((const struct tgl_output *)a)->path, ((const struct tgl_output *)b)->path);
}

unsigned tgl_build_outputs(struct tgl_doc *doc, struct tgl_dir *dir,
                           const struct tgl_manifest *old, bool directives, bool classify_them,
                           struct tgl_output **outs, size_t *nouts)
{
    struct tgl_expand_opts opts = { .line_directives = directives };
    struct tgl_buf text = { 0 }, disk = { 0 };
    unsigned errors = 0;
    size_t n = 0;
    struct tgl_output *v = tgl_xcalloc(doc->nblocks, sizeof *v);
    for (size_t i = 0; i < doc->nblocks; i++) {
        const struct tgl_block *b = doc->blocks[i];
        const char *file = doc->inputs[b->input].path;
        if (b->path == NULL)
            continue;
        struct tgl_output *o = &v[n++];
        o->path = b->path;
        o->root = b;
        o->act = TGL_CREATE;
        char *msg = tgl_walk(dir, b->path, &o->where);
        text.len = 0;
        int r = msg == NULL ? expand_output(doc, b, &opts, o, classify_them, &text, &disk) : 0;
        if (r < 0) {
            errors++;
            break;                               /* the limit is spent: so are the rest */
        }
        if (r == 0)
            o->mode = text.len >= 2 && text.data[0] == '#' && text.data[1] == '!' ? 0755 : 0644;
        if (msg == NULL && classify_them && r == 0)
            msg = classify(dir, o, &text, &disk);
        if (msg == NULL && o->act != TGL_SAME && o->act != TGL_CREATE && classify_them
            && !tgl_manifest_has(old, b->path)) {
            struct tgl_buf m = { 0 };
            char *full = tgl_path_join(dir->path, b->path);
            char *mpath = tgl_path_join(dir->path, TGL_MANIFEST);
            tgl_buf_addf(&m, "%s exists, differs from what tangle would write, and is not "
                         "in the manifest %s: tangle never overwrites a file it did not "
                         "write (move it away first)", full, mpath);
            free(mpath);
            free(full);
            msg = m.data;
        }
        if (msg != NULL) {
            tgl_error(doc->diag, file, b->line, "file=\"%s\": %s", b->path, msg);
            free(msg);
            errors++;
        } else if (classify_them && (o->act == TGL_CREATE || o->act == TGL_CHANGE)) {
            o->content = text;                   /* keep it; the next file gets a new one */
            text = (struct tgl_buf){ 0 };
        }
    }
    tgl_buf_free(&text);
    tgl_buf_free(&disk);
    qsort(v, n, sizeof *v, cmp_output);
    *outs = v;
    *nouts = n;
    return errors;
}
