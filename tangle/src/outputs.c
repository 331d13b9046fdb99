/* outputs.c: stage 3: the old manifest; check each output path on disk,
 * expand the file and compare it with what is there. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tangle.h"

int tgl_cmp_str(const void *a, const void *b)
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
    /* Its type first: a FIFO or a device there is never opened. */
    bool odd = fstatat(dir->fd, TGL_MANIFEST, &st, AT_SYMLINK_NOFOLLOW) == 0
               && !S_ISREG(st.st_mode);
    int fd = odd ? -1 : tgl_open_file(dir->fd, TGL_MANIFEST);
    if (fd == -1 && !odd && errno == ENOENT)
        ret = 0;
    else if (odd || (fd == -1 && (errno == ELOOP || errno == EINVAL)))
        tgl_error(d, mpath, 0, "the manifest is not a regular file");
    else if (fd == -1 || tgl_read_fd(fd, &m->text, TGL_MAX_INPUT) == -1)
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
    qsort(m->sorted, m->n, sizeof *m->sorted, tgl_cmp_str);
    return ret;
}

bool tgl_manifest_has(const struct tgl_manifest *m, const char *path)
{
    return m->n > 0 && bsearch(&path, m->sorted, m->n, sizeof *m->sorted, tgl_cmp_str) != NULL;
}

bool tgl_manifest_has_below(const struct tgl_manifest *m, const char *folder)
{
    size_t n = strlen(folder), lo = 0, hi = m->n;
    while (lo < hi) {                            /* the first entry >= "FOLDER/" */
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(m->sorted[mid], folder, n);
        if (c < 0 || (c == 0 && (unsigned char)m->sorted[mid][n] < '/'))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < m->n && strncmp(m->sorted[lo], folder, n) == 0 && m->sorted[lo][n] == '/'; lo++)
        if (tgl_path_syntax_error(m->sorted[lo]) == NULL)   /* a path tangle may have written */
            return true;
    return false;
}

void tgl_manifest_free(struct tgl_manifest *m)
{
    tgl_buf_free(&m->text);
    free(m->copy);
    free(m->lines);
    free(m->sorted);
    memset(m, 0, sizeof *m);
}

enum { DISK_PIECE = 65536 };    /* bytes read from a file at a time */

/* The file on disk that an expansion is compared with, piece by piece as
 * it grows: SAME stays true while every byte so far matches. */
struct compare {
    int fd;                  /* -1: nothing to compare with */
    size_t at, size;         /* bytes matched so far, of the file's SIZE */
    bool same, shebang;      /* shebang: the file starts with "#!" */
    int err;                 /* errno of a failed read, or 0 */
    char *disk;              /* DISK_PIECE bytes for what is read */
};

/* Compare P[0..N) with the next N bytes of the file (tgl_expand's sink). */
static void compare_piece(void *ctx, const char *p, size_t n)
{
    struct compare *c = ctx;
    if (c->at == 0)
        c->shebang = n >= 2 && p[0] == '#' && p[1] == '!';
    c->same = c->same && n <= c->size - c->at;
    while (c->same && n > 0) {
        ssize_t r = pread(c->fd, c->disk, n < DISK_PIECE ? n : DISK_PIECE, (off_t)c->at);
        if (r == -1 && errno == EINTR)
            continue;
        c->err = r == -1 ? errno : 0;
        c->same = r > 0 && memcmp(c->disk, p, (size_t)r) == 0;
        c->at += c->same ? (size_t)r : 0;
        p += c->same ? (size_t)r : 0;
        n -= c->same ? (size_t)r : 0;
    }
}

/* Expand O's root and, when CLASSIFY, compare it with the file tgl_walk
 * found: set O's mode and action.  The file is opened once and compared
 * as the expansion grows (tgl_expand's sink), so that an unchanged big
 * file needs no buffer of its size (its page faults were a third of a
 * no-op run on a 15 MB output).  A file that must be written is expanded
 * (again) into TEXT.  Returns -1 (a limit, reported) or 0, with *ERR set
 * to the errno of a file that cannot be read. */
static int expand_output(struct tgl_doc *doc, bool directives, struct tgl_output *o,
                         bool classify, struct tgl_buf *text, int *err)
{
    const struct tgl_where *w = &o->where;
    char disk[DISK_PIECE];
    struct compare c = { .fd = -1, .size = (size_t)w->st.st_size, .same = true, .disk = disk };
    struct tgl_expand_opts opts = { .line_directives = directives, .sink = compare_piece,
                                    .ctx = &c };
    o->act = classify && w->exists ? TGL_CHANGE : TGL_CREATE;
    if (o->act == TGL_CHANGE && (c.fd = tgl_open_file(w->fd, w->rest)) == -1) {
        *err = errno;
        return 0;
    }
    int r = c.fd != -1 ? tgl_expand(doc, o->root, &opts, text) : 0;
    bool same = c.fd != -1 && c.same && c.at == c.size;
    if (c.fd != -1)
        close(c.fd);
    /* Only the owner's x bit counts: a git checkout makes 0664 or 0600
     * files depending on the umask, and those are "0644" too. */
    bool xdiff = same && (w->st.st_mode & S_IXUSR) != (c.shebang ? S_IXUSR : 0);
    /* A chmod would change every hard link to the file, one outside DIR
     * too: write the file anew (a rename replaces only our link). */
    same = same && !(xdiff && w->st.st_nlink > 1);
    opts.sink = NULL;
    if (r == 0 && !same && c.err == 0) {
        r = tgl_expand(doc, o->root, &opts, text);
        c.shebang = text->len >= 2 && text->data[0] == '#' && text->data[1] == '!';
    }
    if ((*err = c.err) != 0 || r != 0)
        return r;
    o->mode = c.shebang ? 0755 : 0644;
    if (same)
        o->act = xdiff ? TGL_CHMOD : TGL_SAME;
    return 0;
}

static int cmp_output(const void *a, const void *b)
{
    return strcmp(((const struct tgl_output *)a)->path, ((const struct tgl_output *)b)->path);
}

unsigned tgl_build_outputs(struct tgl_doc *doc, struct tgl_dir *dir,
                           const struct tgl_manifest *old, bool directives, bool classify,
                           struct tgl_output **outs, size_t *nouts)
{
    struct tgl_buf text = { 0 };
    unsigned errors = 0;
    size_t n = 0, cap = 0;
    struct tgl_output *v = tgl_grow(NULL, &cap, 1, sizeof *v);   /* never NULL (bsearch) */
    for (size_t i = 0; i < doc->nblocks; i++) {
        const struct tgl_block *b = doc->blocks[i];
        if (b->path == NULL)
            continue;
        TGL_GROW(v, cap, n + 1);
        struct tgl_output *o = &v[n++];
        *o = (struct tgl_output){ .path = b->path, .root = b };
        text.len = 0;
        char *msg = tgl_walk(dir, b->path, &o->where, false);
        int err = 0;
        if (msg != NULL && tgl_stale_in_way(old, b->path, &o->where)) {
            free(msg);                           /* write.c prunes it first */
            msg = NULL;
        }
        if (msg == NULL && expand_output(doc, directives, o, classify, &text, &err) < 0) {
            errors++;
            break;                               /* the limit is spent: so are the rest */
        }
        if (msg == NULL
            && (err != 0 || (o->act == TGL_CHANGE && !tgl_manifest_has(old, b->path)))) {
            struct tgl_buf m = { 0 };
            char *full = tgl_path_join(dir->path, b->path);
            char *mpath = tgl_path_join(dir->path, TGL_MANIFEST);
            if (err == EINVAL)                   /* tgl_open_file: not a regular file */
                tgl_buf_addf(&m, "%s exists and is not a regular file", full);
            else if (err != 0)
                tgl_buf_addf(&m, "cannot read %s: %s", full, strerror(err));
            else
                tgl_buf_addf(&m, "%s exists, differs from what tangle would write, and is "
                             "not in the manifest %s: tangle never overwrites a file it did "
                             "not write (move it away first)", full, mpath);
            free(mpath);
            free(full);
            msg = m.data;
        }
        if (msg != NULL) {
            tgl_error(doc->diag, doc->inputs[b->input].path, b->line, "file=\"%s\": %s",
                      b->path, msg);
            free(msg);
            errors++;
        } else if (classify && (o->act == TGL_CREATE || o->act == TGL_CHANGE)) {
            o->content = text;                   /* keep it; the next file gets a new one */
            text = (struct tgl_buf){ 0 };
        }
    }
    tgl_buf_free(&text);
    qsort(v, n, sizeof *v, cmp_output);
    *outs = v;
    *nouts = n;
    return errors;
}
