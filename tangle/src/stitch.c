/* stitch.c: --stitch: carry the edits made by hand in DIR's files back into
 * the chapter blocks they came from.
 *
 * Each output is expanded again with a source map (the block and line of
 * every output line) and diffed line by line against the file on disk.
 * One rule maps each run of changed lines (a hunk) to one place in one
 * block, a block that appears once in all the output:
 *   - a hunk that changes N lines into N others is N one-line hunks;
 *   - any other hunk replaces consecutive lines of one block, or adds lines
 *     where both neighbours agree on the block and the place (the file's
 *     start and end stand for its root chunk's).
 * New lines lose the indentation of the <<ref>>s that included the chunk
 * and get the container's prefix (a list item's spaces, "> ").  Anything
 * else is an error at the file's line: the header, a hunk across two
 * chunks or a <<ref>> line, lines added between two chunks, a chunk
 * expanded twice, a new line that reads as a <<ref>>.
 *
 * Before any chapter is written, the edited chapters are parsed and
 * expanded again in memory, and must give DIR's files byte for byte.  So
 * after a stitch, tangle --check is clean; or nothing was written. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tangle.h"

/* Past this many cells of the diff table (lines changed in the middle of a
 * file, squared), stitch gives up: hand edits are small. */
#define MAX_CELLS ((size_t)1 << 24)

struct line {
    const char *s;
    size_t n;            /* without the '\n' */
};

struct hunk {
    size_t a0, a1;       /* generated lines [a0, a1) ... */
    size_t b0, b1;       /* ... became the disk's lines [b0, b1) */
};

/* One output file: what tangle makes of it now, and what is on disk. */
struct file {
    const struct tgl_block *root;
    char *full;          /* DIR/PATH */
    struct tgl_buf gen, disk;
    struct tgl_srcmap map;
};

/* Replace source lines [first, first + ndel) of input INPUT with TEXT. */
struct edit {
    unsigned input;
    size_t first, ndel;
    struct tgl_buf text;
    const struct file *from;     /* for messages */
    size_t from_line;
};

struct stitch {
    struct tgl_doc *doc;
    struct file *files;
    size_t nfiles;
    struct edit *edits;
    size_t nedits, cap_edits;
    const struct tgl_block *once;    /* the last block found expanded once */
};

static size_t split_lines(const char *s, size_t len, struct line **out)
{
    size_t n = 0, cap = 0;
    struct line *v = NULL;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - s) : len;
        TGL_GROW(v, cap, n + 1);
        v[n++] = (struct line){ s + i, e - i };
        i = e + 1;
    }
    *out = v;
    return n;
}

static bool same(const struct line *a, const struct line *b)
{
    return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

/* The hunks that turn A[0..NA) into B[0..NB) (*NH of them): past the
 * common head and tail, a longest-common-subsequence table, walked from
 * the top.  NULL when the middle is too large. */
static struct hunk *diff(const struct line *a, size_t na, const struct line *b, size_t nb,
                         size_t *nh)
{
    size_t p = 0, q = 0;
    while (p < na && p < nb && same(&a[p], &b[p]))
        p++;
    while (q < na - p && q < nb - p && same(&a[na - 1 - q], &b[nb - 1 - q]))
        q++;
    a += p;
    b += p;
    size_t n = na - p - q, m = nb - p - q, w = m + 1;
    if (n + 1 > MAX_CELLS / w)
        return NULL;
    uint32_t *t = tgl_xcalloc((n + 1) * w, sizeof *t);   /* t[i*w+j]: LCS of a[i..], b[j..] */
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;) {
            uint32_t down = t[(i + 1) * w + j], right = t[i * w + j + 1];
            t[i * w + j] = same(&a[i], &b[j]) ? t[(i + 1) * w + j + 1] + 1
                           : down > right ? down : right;
        }
    struct hunk *h = tgl_xmalloc((n + m + 1) * sizeof *h);
    *nh = 0;
    for (size_t i = 0, j = 0; i < n || j < m;) {
        if (i < n && j < m && same(&a[i], &b[j])) {
            i++;
            j++;
            continue;
        }
        struct hunk *x = &h[(*nh)++];
        x->a0 = p + i;
        x->b0 = p + j;
        while ((i < n || j < m) && !(i < n && j < m && same(&a[i], &b[j]))) {
            if (j < m && (i == n || t[i * w + j + 1] >= t[(i + 1) * w + j]))
                j++;
            else
                i++;
        }
        x->a1 = p + i;
        x->b1 = p + j;
    }
    free(t);
    return h;
}

/* Is block B expanded more than once in all the output?  Each expansion
 * gives each of its lines but its <<ref>> lines once. */
static bool used_twice(struct stitch *st, const struct tgl_block *b)
{
    size_t lines = 0;
    if (b == st->once)
        return false;
    for (size_t i = 0; i < st->nfiles; i++)
        for (size_t j = 0; j < st->files[i].map.n; j++)
            lines += st->files[i].map.v[j].block == b;
    if (lines > b->nlines - b->nsegs)
        return true;
    st->once = b;
    return false;
}

/* Where lines added before output line A of F go: after line A-1 of its
 * block and before line A of its block, when the two agree (the file's
 * start and end stand for its root chunk's).  False when they do not. */
static bool insert_place(const struct file *f, size_t a, struct tgl_srcline *at)
{
    const struct tgl_srcline *m = f->map.v;
    const struct tgl_chunk *rc = f->root->chunk;
    const struct tgl_block *first = rc ? rc->first : f->root, *last = rc ? rc->last : f->root;
    struct tgl_srcline before = { first, 0, 0 }, after = { last, (unsigned)last->nlines, 0 };
    if (a > 0 && m[a - 1].block != NULL) {       /* (line A-1 is the header: the start) */
        before = m[a - 1];
        before.k++;
    }
    if (a < f->map.n)
        after = m[a];
    *at = after;
    return after.block == before.block && after.k == before.k;
}

/* The container's part of a new line of block B: its fence line up to the
 * fence, list markers turned into spaces ("- " and "1. " give "  " and
 * "   "; "> " stays).  CommonMark takes as many spaces off each content
 * line as the fence is indented by, so writing them back is exact. */
static void block_prefix(struct tgl_doc *doc, const struct tgl_block *b, struct tgl_buf *out)
{
    struct tgl_mark m = TGL_MARK_TOP;
    size_t len;
    const char *l = tgl_line_text(&doc->inputs[b->input], &m, b->line, &len);
    for (size_t i = 0; l && i < len && l[i] != '`' && l[i] != '~'; i++)
        tgl_buf_addc(out, l[i] == '>' || l[i] == '\t' ? l[i] : ' ');
}

static bool is_ref_line(const char *s, size_t n)      /* S ends in '\n' or NUL */
{
    size_t b = strspn(s, " \t");
    while (n > b && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n >= b + 4 && memcmp(s + b, "<<", 2) == 0 && memcmp(s + n - 2, ">>", 2) == 0;
}

/* The new lines DISK[h->b0..h->b1) as chapter lines of block AT.block
 * (the container prefix on, the <<ref>> indentation off), into OUT;
 * -1 after reporting a line that cannot be one. */
static int new_lines(struct stitch *st, const struct file *f, const struct line *gen,
                     const struct line *disk, const struct hunk *h,
                     const struct tgl_srcline *at, struct tgl_buf *out)
{
    struct tgl_diag *d = st->doc->diag;
    unsigned errors = d->errors;
    struct tgl_buf prefix = { 0 };
    block_prefix(st->doc, at->block, &prefix);
    /* The <<ref>> indentation itself (tabs or spaces), from any line the
     * block gave (map_hunk refused a block expanded twice, so there is one
     * expansion); else, all its lines blank, any blanks. */
    const char *indent = NULL;
    for (size_t g = 0; g < f->map.n && indent == NULL; g++)
        if (f->map.v[g].block == at->block && gen[g].n >= at->indent)
            indent = gen[g].s;
    for (size_t i = h->b0; i < h->b1; i++) {
        const char *s = disk[i].s;
        size_t n = disk[i].n, pl = prefix.len;
        if (is_ref_line(s, n)) {
            tgl_error(d, f->full, (unsigned)i + 1,
                      "a new line that reads as a <<ref>>: add references in the chapter");
            break;
        }
        if (n > 0 && (strspn(s, " \t") < at->indent      /* (a line ends in '\n' or NUL) */
                      || (indent && memcmp(s, indent, at->indent) != 0))) {
            tgl_error(d, f->full, (unsigned)i + 1, "this line does not start with the "
                      "indentation of the <<ref>> that includes chunk \"%s\" (%u tabs or "
                      "spaces, as in the lines around it)",
                      at->block->name ? at->block->name : at->block->path, at->indent);
            break;
        }
        while (n == 0 && pl > 0 && (prefix.data[pl - 1] == ' ' || prefix.data[pl - 1] == '\t'))
            pl--;                                /* a blank line: the prefix, trimmed */
        tgl_buf_add(out, prefix.data, pl);
        tgl_buf_add(out, s + (n ? at->indent : 0), n ? n - at->indent : 0);
        tgl_buf_addc(out, '\n');
    }
    tgl_buf_free(&prefix);
    return d->errors == errors ? 0 : -1;
}

/* Turn hunk H of file F into one edit, or report why it cannot be one. */
static void map_hunk(struct stitch *st, const struct file *f, const struct line *gen,
                     const struct line *disk, const struct hunk *h)
{
    const struct tgl_srcline *m = f->map.v;
    struct tgl_srcline at = h->a1 > h->a0 ? m[h->a0] : (struct tgl_srcline){ 0 };
    const char *why = NULL;
    if (h->a1 == h->a0 && !insert_place(f, h->a0, &at))
        why = "lines added between two chunks or next to a <<ref>>: add them in the chapter";
    for (size_t i = h->a0; i < h->a1 && why == NULL; i++)
        if (m[i].block == NULL)
            why = "the header comment is written by tangle: change it back";
        else if (m[i].block != at.block || m[i].k != at.k + (i - h->a0))
            why = "this edit spans two chunks or a <<ref>> line: make it in the chapter";
    if (why == NULL && used_twice(st, at.block))
        why = "this line comes from a chunk that is expanded more than once: edit the chapter";
    if (why != NULL) {
        tgl_error(st->doc->diag, f->full, (unsigned)h->b0 + 1, "%s", why);
        return;
    }
    struct edit e = { .input = at.block->input, .first = at.block->line + 1 + at.k,
                      .ndel = h->a1 - h->a0, .from = f, .from_line = h->b0 + 1 };
    if (new_lines(st, f, gen, disk, h, &at, &e.text) != 0) {
        tgl_buf_free(&e.text);
        return;
    }
    TGL_GROW(st->edits, st->cap_edits, st->nedits + 1);
    st->edits[st->nedits++] = e;
}

/* The line of DISK[0..N) where it first differs from TEXT[0..M). */
static unsigned first_difference(const char *text, size_t m, const char *disk, size_t n)
{
    unsigned line = 1;
    for (size_t k = 0; k < m && k < n && text[k] == disk[k]; k++)
        line += disk[k] == '\n';
    return line;
}

/* Diff F against the file on disk and map each hunk (errors reported). */
static void diff_file(struct stitch *st, const struct file *f)
{
    struct line *gl, *dl;
    size_t nh = 0, ng = split_lines(f->gen.data, f->gen.len, &gl);
    size_t nd = split_lines(f->disk.data, f->disk.len, &dl);
    struct hunk *h = diff(gl, ng, dl, nd, &nh);
    if (h == NULL)
        tgl_error(st->doc->diag, f->full,
                  first_difference(f->gen.data, f->gen.len, f->disk.data, f->disk.len),
                  "too many changes for stitch: edit the chapter");
    if (f->disk.len > 0 && f->disk.data[f->disk.len - 1] != '\n')
        tgl_error(st->doc->diag, f->full, (unsigned)nd, "no newline at the end of the file: "
                  "a chapter block cannot hold that; put it back");
    for (size_t k = 0; k < nh; k++) {
        if (h[k].a1 - h[k].a0 != h[k].b1 - h[k].b0) {
            map_hunk(st, f, gl, dl, &h[k]);
            continue;
        }
        for (size_t i = 0; i < h[k].a1 - h[k].a0; i++)   /* N lines into N: one by one */
            map_hunk(st, f, gl, dl, &(struct hunk){ h[k].a0 + i, h[k].a0 + i + 1,
                                                h[k].b0 + i, h[k].b0 + i + 1 });
    }
    free(h);
    free(gl);
    free(dl);
}

static int cmp_edit(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    if (x->input != y->input)
        return x->input < y->input ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* The text of input IN with its edits E[0..N) (sorted) applied, into OUT.
 * Two edits of the same lines cannot come from one diff, nor from two
 * files (a block used in two is refused); if they did, the second would
 * start where the first ended, and verify() would refuse the result. */
static void apply(const struct tgl_input *in, const struct edit *e, size_t n,
                  struct tgl_buf *out)
{
    struct tgl_mark m = TGL_MARK_TOP;
    size_t done = 0;                             /* bytes of IN copied so far */
    for (size_t i = 0; i < n; i++) {
        size_t from = tgl_seek_line(in, &m, e[i].first) ? m.start : in->len;
        size_t to = tgl_seek_line(in, &m, e[i].first + e[i].ndel) ? m.start : in->len;
        tgl_buf_add(out, in->data + done, from > done ? from - done : 0);
        tgl_buf_add(out, e[i].text.data, e[i].text.len);
        done = to > done ? to : done;
    }
    tgl_buf_add(out, in->data + done, in->len - done);
}

/* Do the chapters, as TEXTS (data NULL: unchanged) has them, tangle to
 * DIR's files byte for byte?  Returns the file that differs (*LINE: where,
 * or 0), or NULL. */
static const char *verify(const struct stitch *st, const struct tgl_buf *texts, unsigned *line)
{
    struct tgl_diag quiet = { .out = NULL };
    struct tgl_doc nd;
    tgl_doc_init(&nd, &quiet);
    nd.inputs = tgl_xcalloc(st->doc->ninputs, sizeof *nd.inputs);
    nd.ninputs = st->doc->ninputs;
    for (size_t i = 0; i < nd.ninputs; i++) {
        const struct tgl_input *in = &st->doc->inputs[i];
        const struct tgl_buf *t = &texts[i];
        if (tgl_input_from_memory(&nd.inputs[i], in->path, t->data ? t->data : in->data,
                                  t->data ? t->len : in->len, &quiet) == 0)
            tgl_parse_input(&nd, i);
    }
    const char *bad = quiet.errors || tgl_link(&nd) != 0 ? st->files[0].full : NULL;
    struct tgl_buf text = { 0 };
    struct tgl_expand_opts opts = { 0 };
    size_t j = 0;                                /* the same files, in the same order */
    for (size_t i = 0; i < nd.nblocks && bad == NULL; i++) {
        const struct tgl_block *b = nd.blocks[i];
        const struct file *f = &st->files[j < st->nfiles ? j : 0];
        if (b->path == NULL)
            continue;
        text.len = 0;
        if (j++ >= st->nfiles || strcmp(b->path, f->root->path) != 0
            || tgl_expand(&nd, b, &opts, &text) != 0 || text.len != f->disk.len
            || memcmp(text.data, f->disk.data, text.len) != 0) {
            bad = f->full;
            *line = first_difference(text.data, text.len, f->disk.data, f->disk.len);
        }
    }
    if (bad == NULL && j != st->nfiles)
        bad = st->files[0].full;
    tgl_buf_free(&text);
    tgl_doc_free(&nd);
    return bad;
}

/* Has the chapter IN changed on disk since it was read?  Its bytes, read
 * again, against those it was read with, which the edits apply to (a save
 * of the same size within one timestamp tick keeps the file, its size and
 * its mtime).  Returns 1 or 0, or -1 (errno set) when it cannot be read. */
static int changed(const struct tgl_input *in)
{
    struct tgl_buf now = { 0 };
    int fd = tgl_open_file(AT_FDCWD, in->path), r = -1;
    if (fd != -1 && tgl_read_fd(fd, &now, in->len) == 0)
        r = now.len != in->len || (now.len > 0 && memcmp(now.data, in->data, now.len) != 0);
    else if (fd != -1 && errno == EFBIG)
        r = 1;                                   /* longer than it was */
    int e = errno;
    if (fd != -1)
        close(fd);
    tgl_buf_free(&now);
    errno = e;
    return r;
}

/* Warn of the temp files a killed stitch left beside the chapter IN
 * (write_chapters' names).  Only a warning: the chapters' folders are not
 * locked, so they may be those of a stitch running now. */
static void warn_leftovers(const struct tgl_input *in, struct tgl_diag *d)
{
    struct tgl_buf pat = { 0 };
    glob_t g;
    for (const char *p = in->path; *p; p++) {
        if (strchr("*?[]{}\\", *p) != NULL)
            tgl_buf_addc(&pat, '\\');
        tgl_buf_addc(&pat, *p);
    }
    tgl_buf_adds(&pat, ".stitch-" TGL_X6 ".{tmp,old}");
    if (glob(pat.data, GLOB_BRACE, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const char *name = g.gl_pathv[i], *end = name + strlen(name);
            if (strstr(name + strlen(in->path), "XXXXXX") == NULL)   /* not the template */
                tgl_warning(d, name, 0, "a stitch of %s that did not finish (killed?) left "
                            "%s here: check %s, then remove this file", in->path,
                            end[-1] == 'p' ? "its new text" : "its text before", in->path);
        }
    globfree(&g);
    tgl_buf_free(&pat);
}

/* Replace each chapter that has a new text (TEXTS[i].data not NULL).  All
 * the new texts go to temp files beside their chapters (with the chapter's
 * mode) first, and, when there are two chapters or more, the old texts too
 * ("...stitch-XXXXXX.old"); only then are the new ones renamed over the
 * chapters, and a rename that fails puts the chapters already replaced
 * back from their old texts: a failure on the way changes nothing (a
 * SIGKILL among the renames leaves the .old files).  A chapter changed on
 * disk since it was read is an error.  Signals wait till the end, so that
 * no temp file is left behind. */
static void write_chapters(const struct tgl_doc *doc, const struct tgl_buf *texts,
                           struct tgl_diag *d)
{
    struct tgl_buf *tmp = tgl_xcalloc(doc->ninputs + 1, sizeof *tmp);
    struct tgl_buf *old = tgl_xcalloc(doc->ninputs + 1, sizeof *old);
    size_t n = 0;
    for (size_t i = 0; i < doc->ninputs; i++)
        n += texts[i].data != NULL;
    sigset_t mask;
    tgl_hold_signals(&mask);
    for (size_t i = 0; i < doc->ninputs && d->errors == 0; i++) {
        const struct tgl_input *in = &doc->inputs[i];
        struct stat sb;
        if (texts[i].data == NULL)
            continue;
        if (lstat(in->path, &sb) != 0) {
            tgl_sys_error(d, in->path);
        } else if (S_ISLNK(sb.st_mode)) {
            tgl_error(d, in->path, 0, "a symlink: stitch would replace the link, not the "
                      "chapter it leads to; name the chapter itself");
        } else if (sb.st_nlink > 1) {
            tgl_error(d, in->path, 0, "it has %ju hard links: stitch would replace this "
                      "name only, the others keeping the old text", (uintmax_t)sb.st_nlink);
        } else {                                 /* a name only for a file made */
            tgl_buf_addf(&tmp[i], "%s.stitch-XXXXXX.tmp", in->path);
            if (tgl_write_temp(tmp[i].data, texts[i].data, texts[i].len,
                               sb.st_mode & 07777, d) == 0 && n > 1)
                tgl_buf_addf(&old[i], "%s.stitch-XXXXXX.old", in->path);
            if (tmp[i].data[0] == '\0'
                || (old[i].data && tgl_write_temp(old[i].data, in->data, in->len,
                                                  sb.st_mode & 07777, d) != 0))
                tgl_sys_error(d, in->path);
        }
    }
    for (size_t i = 0; i < doc->ninputs && d->errors == 0; i++) {  /* each checked last */
        int c = tmp[i].data ? changed(&doc->inputs[i]) : 0;
        if (c == 1)
            tgl_error(d, doc->inputs[i].path, 0, "it changed on disk while stitch ran: "
                      "stitch again");
        else if (c == -1 || (tmp[i].data && rename(tmp[i].data, doc->inputs[i].path) != 0))
            tgl_sys_error(d, doc->inputs[i].path);
        else if (tmp[i].data)
            tmp[i].data[0] = '\0';              /* renamed: no temp file any more */
    }
    for (size_t i = 0; i < doc->ninputs; i++) {
        /* Renamed (an old text is made only after the new one): put it back. */
        bool undo = d->errors != 0 && old[i].data && tmp[i].data[0] == '\0';
        if (undo && rename(old[i].data, doc->inputs[i].path) != 0)      /* or say so */
            tgl_error(d, doc->inputs[i].path, 0, "stitched, and it cannot be put back "
                      "(%s): its old text is %s", strerror(errno), old[i].data);
        else if (old[i].data && !undo)
            tgl_remove_temp(old[i].data, d);     /* (put back: it is gone) */
        if (tmp[i].data)
            tgl_remove_temp(tmp[i].data, d);
        tgl_buf_free(&tmp[i]);
        tgl_buf_free(&old[i]);
    }
    free(tmp);
    free(old);
    sigprocmask(SIG_SETMASK, &mask, NULL);
}

/* Expand every output with its source map, and read it from DIR. */
static void load_files(struct stitch *st, struct tgl_dir *dir)
{
    struct tgl_doc *doc = st->doc;
    st->files = tgl_xcalloc(doc->nblocks + 1, sizeof *st->files);
    for (size_t i = 0; i < doc->nblocks; i++) {
        const struct tgl_block *b = doc->blocks[i];
        if (b->path == NULL)
            continue;
        struct file *f = &st->files[st->nfiles++];
        struct tgl_expand_opts opts = { .map = &f->map };
        struct tgl_where w;
        f->root = b;
        f->full = tgl_path_join(dir->path, b->path);
        if (tgl_expand(doc, b, &opts, &f->gen) != 0)
            continue;
        char *msg = tgl_walk(dir, b->path, &w, false);
        int fd = msg || !w.exists ? -1 : tgl_open_file(w.fd, w.rest);
        if (msg != NULL)
            tgl_error(doc->diag, doc->inputs[b->input].path, b->line, "file=\"%s\": %s",
                      b->path, msg);
        else if (fd == -1 && w.exists && errno == EINVAL)   /* tgl_open_file: not regular */
            tgl_error(doc->diag, doc->inputs[b->input].path, b->line, "file=\"%s\": %s exists "
                      "and is not a regular file", b->path, f->full);
        else if (fd == -1 || tgl_read_fd(fd, &f->disk, TGL_MAX_OUTPUT) != 0)
            tgl_error(doc->diag, doc->inputs[b->input].path, b->line, "file=\"%s\": cannot "
                      "read %s (%s): run tangle first", b->path, f->full,
                      strerror(w.exists ? errno : ENOENT));
        if (fd != -1)
            close(fd);
        free(msg);
    }
}

/* The edits, sorted, as new chapter texts in TEXTS (the chapters were
 * read, not mapped: their text is what was parsed, whatever a save did). */
static void build_texts(struct stitch *st, struct tgl_buf *texts)
{
    struct edit *v = st->edits;
    qsort(v, st->nedits, sizeof *v, cmp_edit);
    for (size_t i = 0, j; i < st->nedits; i = j) {
        for (j = i; j < st->nedits && v[j].input == v[i].input; j++)
            ;
        const struct tgl_input *in = &st->doc->inputs[v[i].input];
        if (in->converted)                       /* stitch writes LF and no BOM */
            tgl_error(st->doc->diag, in->path, (unsigned)v[i].first,   /* the first edit */
                      "it has CR line ends or a BOM, and stitch would write LF and no BOM: "
                      "convert it first");
        else
            apply(in, &v[i], j - i, &texts[v[i].input]);
    }
}

int tgl_stitch(struct tgl_doc *doc, const char *path)
{
    struct stitch st = { .doc = doc };
    struct tgl_diag *d = doc->diag;
    struct tgl_buf *texts = tgl_xcalloc(doc->ninputs + 1, sizeof *texts);
    struct tgl_dir dir;
    const char *bad = NULL;
    for (size_t i = 0; i < doc->ninputs; i++)
        warn_leftovers(&doc->inputs[i], d);
    if (tgl_dir_open(&dir, path, false, d) != 0)
        goto out;
    /* The source map and the two line lists cost 48 bytes an output line:
     * a smaller output limit keeps that bounded (hand-edited code is small). */
    if (doc->max_output > TGL_MAX_STITCH)
        doc->max_output = TGL_MAX_STITCH;
    load_files(&st, &dir);
    if (d->errors != 0)
        goto out;
    for (size_t i = 0; i < st.nfiles; i++)
        diff_file(&st, &st.files[i]);
    if (d->errors || st.nedits == 0)
        goto out;
    build_texts(&st, texts);
    unsigned line = 0;
    if (d->errors == 0 && (bad = verify(&st, texts, &line)) != NULL && line == 0) {
        bad = st.edits[0].from->full;            /* no longer parses: the first edit */
        line = (unsigned)st.edits[0].from_line;
    }
    if (bad != NULL)
        tgl_error(d, bad, line, "the chapters, edited, would not tangle to this file byte "
                             "for byte (a line that closes the block, or a tab the "
                             "block's indentation cannot hold?): edit the chapter");
    for (size_t i = 0; i < st.nedits && d->errors == 0; i++)  /* first: a lost stdout stops it */
        printf("%s:%zu: stitched from %s:%zu\n", doc->inputs[st.edits[i].input].path,
               st.edits[i].first, st.edits[i].from->full, st.edits[i].from_line);
    if (d->errors == 0 && fflush(stdout) == EOF)
        tgl_sys_error(d, "stdout");
    if (d->errors == 0)
        write_chapters(doc, texts, d);
out:
    for (size_t i = 0; i < st.nfiles; i++) {
        free(st.files[i].full);
        tgl_buf_free(&st.files[i].gen);
        tgl_buf_free(&st.files[i].disk);
        free(st.files[i].map.v);
    }
    for (size_t i = 0; i < st.nedits; i++)
        tgl_buf_free(&st.edits[i].text);
    for (size_t i = 0; i < doc->ninputs; i++)
        tgl_buf_free(&texts[i]);
    free(texts);
    free(st.files);
    free(st.edits);
    tgl_dir_close(&dir, false);
    return d->errors ? 2 : 0;
}
