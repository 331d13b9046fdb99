/* stitch.c: --stitch: carry edits made by hand in DIR's files back into the
 * chapter blocks they came from.
 *
 * Each output file is expanded again with a source map (which line of which
 * block each output line is), and diffed line by line against the file on
 * disk.  Every run of changed lines (a hunk) must map to consecutive lines
 * of one block, a block whose lines appear once in all the output; the new
 * lines lose the indentation of the <<ref>>s that included the chunk and get
 * the block's own (a list item's spaces, a block quote's "> ").  Anything
 * else is an error at the file's line: the header, a hunk across two chunks
 * or across a <<ref>> line, lines added between two chunks, a chunk
 * expanded twice, a new line that reads as a <<ref>>.
 *
 * Before any chapter is written, the edited chapters are parsed and expanded
 * again in memory, and must give DIR's files byte for byte.  So after a
 * stitch, tangle --check is clean; or nothing was written.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    char *full;                  /* DIR/PATH */
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
    struct tgl_diag *d;
    struct file *files;
    size_t nfiles;
    struct edit *edits;
    size_t nedits, cap_edits;
};

static int read_file(const char *path, struct tgl_buf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1 || tgl_read_fd(fd, b, TGL_MAX_OUTPUT) != 0) {
        int e = errno;
        if (fd != -1)
            close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

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

/* The hunks that turn A[0..NA) into B[0..NB): the common head and tail
 * first, then a longest-common-subsequence table over the middle.
 * Returns -1 when the middle is too large. */
static int diff(const struct line *a, size_t na, const struct line *b, size_t nb,
                struct hunk **hunks, size_t *nhunks)
{
    size_t p = 0, q = 0;
    while (p < na && p < nb && same(&a[p], &b[p]))
        p++;
    while (q < na - p && q < nb - p && same(&a[na - 1 - q], &b[nb - 1 - q]))
        q++;
    size_t n = na - p - q, m = nb - p - q, w = m + 1;
    *hunks = NULL;
    *nhunks = 0;
    if (n == 0 && m == 0)
        return 0;
    if ((n + 1) > MAX_CELLS / w)
        return -1;
    uint32_t *t = tgl_xcalloc((n + 1) * w, sizeof *t);   /* t[i*w+j]: LCS of the tails */
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            t[i * w + j] = same(&a[p + i], &b[p + j]) ? t[(i + 1) * w + j + 1] + 1
                           : t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j]
                                                                   : t[i * w + j + 1];
    struct hunk *h = tgl_xmalloc((n + m + 1) * sizeof *h);
    size_t nh = 0, i = 0, j = 0;
    bool open = false;
    while (i < n || j < m) {
        if (i < n && j < m && same(&a[p + i], &b[p + j])) {
            if (open)
                h[nh - 1].a1 = p + i, h[nh - 1].b1 = p + j, open = false;
            i++, j++;
            continue;
        }
        if (!open)
            h[nh++] = (struct hunk){ p + i, 0, p + j, 0 }, open = true;
        if (j < m && (i == n || t[i * w + j + 1] >= t[(i + 1) * w + j]))
            j++;
        else
            i++;
    }
    if (open)
        h[nh - 1].a1 = p + i, h[nh - 1].b1 = p + j;
    free(t);
    *hunks = h;
    *nhunks = nh;
    return 0;
}

/* Does line K of block B appear more than once in all the output?  Every
 * expansion of a block gives all of its lines, so all of them appear as
 * often as K does, and one line per edit is enough to ask about. */
static bool used_twice(const struct stitch *st, const struct tgl_block *b, unsigned k)
{
    unsigned uses = 0;
    for (size_t i = 0; i < st->nfiles; i++)
        for (size_t j = 0; j < st->files[i].map.n; j++)
            uses += st->files[i].map.v[j].block == b && st->files[i].map.v[j].k == k;
    return uses > 1;
}

static const char *chunk_label(const struct tgl_block *b)
{
    return b->name ? b->name : b->path;
}

/* Line K of block B in its chapter: the whole source line, and the length
 * of the container's part of it ("> ", a list item's spaces) in *PREFIX.
 * False when the block's text is not the line's tail (a tab the
 * container split). */
static bool source_line(struct tgl_doc *doc, const struct tgl_block *b, size_t k,
                        const char **line, size_t *len, size_t *prefix)
{
    struct tgl_input *in = &doc->inputs[b->input];
    struct tgl_mark m = TGL_MARK_TOP;
    size_t start = k ? b->line_end[k - 1] : 0, tlen = b->line_end[k] - start - 1;
    *line = tgl_line_text(in, &m, b->line + 1 + k, len);
    if (*line == NULL || *len < tlen || memcmp(*line + *len - tlen, b->text + start, tlen) != 0)
        return false;
    *prefix = *len - tlen;
    return true;
}

/* The container prefix for new lines of block B near line K: the one of
 * the nearest line with text; of the fence when there is none. */
static void block_prefix(struct tgl_doc *doc, const struct tgl_block *b, size_t k,
                         struct tgl_buf *out)
{
    const char *l;
    size_t len, pre;
    for (size_t dist = 0; dist <= b->nlines; dist++)
        for (int side = 0; side < 2; side++) {
            size_t j = side ? k - dist : k + dist;
            if ((side && dist > k) || j >= b->nlines)
                continue;
            size_t start = j ? b->line_end[j - 1] : 0;
            if (b->line_end[j] - start > 1 && source_line(doc, b, j, &l, &len, &pre)) {
                tgl_buf_add(out, l, pre);
                return;
            }
        }
    struct tgl_mark m = TGL_MARK_TOP;            /* no text line: the fence's */
    l = tgl_line_text(&doc->inputs[b->input], &m, b->line, &len);
    for (size_t i = 0; l && i < len && (l[i] == ' ' || l[i] == '\t' || l[i] == '>'); i++)
        tgl_buf_addc(out, l[i]);
}

static bool is_ref_line(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n >= 4 && memcmp(s, "<<", 2) == 0 && memcmp(s + n - 2, ">>", 2) == 0;
}

static bool in_root(const struct tgl_block *b, const struct tgl_block *root)
{
    return b == root || (root->chunk != NULL && b->chunk == root->chunk);
}

/* Turn hunk H of file F into an edit, or report why it cannot be one. */
static int map_hunk(struct stitch *st, const struct file *f, const struct line *disk,
                    const struct hunk *h)
{
    const struct tgl_srcmap *m = &f->map;
    const struct tgl_srcline *first = NULL;
    struct tgl_srcline end;                      /* "after the block's last line" */
    size_t at = h->b0 + 1;                       /* the line of DIR/PATH to blame */
    const char *why = NULL;
    if (h->a1 > h->a0) {                         /* lines changed or deleted */
        first = &m->v[h->a0];
        for (size_t i = h->a0; i < h->a1 && why == NULL; i++) {
            const struct tgl_srcline *e = &m->v[i];
            if (e->block == NULL)
                why = "the header comment is written by tangle: change it back";
            else if (e->block != first->block || e->k != first->k + (i - h->a0))
                why = "this edit spans two chunks or a <<ref>> line: make it in the chapter";
        }
        if (why == NULL && used_twice(st, first->block, first->k))
            why = "this line comes from a chunk that is expanded more than once: "
                  "edit the chapter";
    } else {                                     /* lines added between two */
        const struct tgl_srcline *prev = h->a0 > 0 ? &m->v[h->a0 - 1] : NULL;
        const struct tgl_srcline *next = h->a0 < m->n ? &m->v[h->a0] : NULL;
        if (prev && prev->block == NULL)
            prev = NULL;                         /* right after the header */
        if (prev && next && next->block == prev->block && next->k == prev->k + 1)
            first = next;
        else if (prev && !next && prev->k + 1 == prev->block->nlines
                 && in_root(prev->block, f->root))
            end = (struct tgl_srcline){ prev->block, prev->k + 1, prev->indent }, first = &end;
        else if (!prev && next && next->block && next->k == 0 && in_root(next->block, f->root))
            first = next;
        else
            why = "lines added between two chunks or next to a <<ref>>: add them in the chapter";
        const struct tgl_srcline *near = prev ? prev : next;
        if (first && used_twice(st, near->block, near->k))
            why = "lines added to a chunk that is expanded more than once: edit the chapter";
    }
    if (why) {
        tgl_error(st->d, f->full, (unsigned)at, "%s", why);
        return -1;
    }

    const struct tgl_block *b = first->block;
    struct edit e = { .input = b->input, .first = b->line + 1 + first->k,
                      .ndel = h->a1 - h->a0, .from = f, .from_line = at };
    struct tgl_buf prefix = { 0 };
    block_prefix(st->doc, b, first->k, &prefix);
    for (size_t i = h->b0; i < h->b1; i++) {
        const char *s = disk[i].s;
        size_t n = disk[i].n, ind = first->indent;
        if (is_ref_line(s, n)) {
            tgl_error(st->d, f->full, (unsigned)i + 1,
                      "a new line that reads as a <<ref>>: add references in the chapter");
            goto fail;
        }
        for (size_t k = 0; n > 0 && k < ind; k++)
            if (k >= n || (s[k] != ' ' && s[k] != '\t')) {
                tgl_error(st->d, f->full, (unsigned)i + 1,
                          "this line is indented less than the <<ref>> that includes chunk "
                          "\"%s\" (%u columns)", chunk_label(b), first->indent);
                goto fail;
            }
        if (n == 0) {                            /* a blank line: the prefix, trimmed */
            size_t pl = prefix.len;
            while (pl > 0 && (prefix.data[pl - 1] == ' ' || prefix.data[pl - 1] == '\t'))
                pl--;
            tgl_buf_add(&e.text, prefix.data, pl);
        } else {
            tgl_buf_add(&e.text, prefix.data, prefix.len);
            tgl_buf_add(&e.text, s + ind, n - ind);
        }
        tgl_buf_addc(&e.text, '\n');
    }
    tgl_buf_free(&prefix);
    TGL_GROW(st->edits, st->cap_edits, st->nedits + 1);
    st->edits[st->nedits++] = e;
    return 0;
fail:
    tgl_buf_free(&prefix);
    tgl_buf_free(&e.text);
    return -1;
}

/* A hunk that changes N lines into N lines is N line edits: split it where
 * its lines pass from one block (or run of a block) to another, so that
 * two lines of two chunks edited side by side are two edits. */
static int map_hunk_lines(struct stitch *st, const struct file *f, const struct line *disk,
                          const struct hunk *h)
{
    if (h->a1 - h->a0 != h->b1 - h->b0)
        return map_hunk(st, f, disk, h);
    int errors = 0;
    for (size_t i = h->a0, j; i < h->a1; i = j) {
        const struct tgl_srcline *e = &f->map.v[i];
        for (j = i + 1; j < h->a1 && e->block && f->map.v[j].block == e->block
                        && f->map.v[j].k == e->k + (j - i); j++)
            ;
        struct hunk part = { i, j, h->b0 + (i - h->a0), h->b0 + (j - h->a0) };
        errors += map_hunk(st, f, disk, &part) != 0;
    }
    return errors ? -1 : 0;
}

static int cmp_edit(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    if (x->input != y->input)
        return x->input < y->input ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* The text of input I with its edits E[0..N) (sorted) applied, into OUT. */
static void apply(const struct tgl_input *in, const struct edit *e, size_t n,
                  struct tgl_buf *out)
{
    struct tgl_mark m = TGL_MARK_TOP;
    size_t done = 0;                             /* bytes of IN copied so far */
    for (size_t i = 0; i < n; i++) {
        size_t from = tgl_seek_line(in, &m, e[i].first) ? m.start : in->len;
        size_t to = tgl_seek_line(in, &m, e[i].first + e[i].ndel) ? m.start : in->len;
        tgl_buf_add(out, in->data + done, from - done);
        tgl_buf_add(out, e[i].text.data, e[i].text.len);
        done = to;
    }
    tgl_buf_add(out, in->data + done, in->len - done);
}

/* Parse and link the chapters TEXTS as they would be after the stitch, and
 * check that every file they tangle to is byte for byte the one on disk.
 * Returns the file that differs, or NULL. */
static const char *verify(const struct stitch *st, struct tgl_buf *texts)
{
    struct tgl_diag quiet = { .out = NULL };
    struct tgl_doc nd;
    const char *bad = NULL;
    tgl_doc_init(&nd, &quiet);
    nd.inputs = tgl_xcalloc(st->doc->ninputs, sizeof *nd.inputs);
    nd.ninputs = st->doc->ninputs;
    unsigned errors = 0;
    for (size_t i = 0; i < nd.ninputs; i++) {
        const struct tgl_input *in = &st->doc->inputs[i];
        const char *data = texts[i].data ? texts[i].data : in->data;
        size_t len = texts[i].data ? texts[i].len : in->len;
        if (tgl_input_from_memory(&nd.inputs[i], in->path, data, len, &quiet) != 0)
            errors++;
        else
            errors += tgl_parse_input(&nd, i);
    }
    if (errors || tgl_link(&nd) != 0) {
        bad = st->files[0].full;
        goto out;
    }
    size_t nroots = 0;
    struct tgl_buf text = { 0 };
    struct tgl_expand_opts opts = { 0 };
    for (size_t i = 0; i < nd.nblocks && bad == NULL; i++) {
        const struct tgl_block *b = nd.blocks[i];
        if (b->path == NULL)
            continue;
        const struct file *f = NULL;
        for (size_t j = 0; j < st->nfiles && f == NULL; j++)
            if (strcmp(st->files[j].root->path, b->path) == 0)
                f = &st->files[j];
        text.len = 0;
        if (f == NULL || tgl_expand(&nd, b, &opts, &text) != 0 || text.len != f->disk.len
            || memcmp(text.data, f->disk.data, text.len) != 0)
            bad = f ? f->full : st->files[0].full;
        nroots++;
    }
    if (bad == NULL && nroots != st->nfiles)
        bad = st->files[0].full;
    tgl_buf_free(&text);
out:
    tgl_doc_free(&nd);
    return bad;
}

/* Replace each chapter that has a new text (TEXTS[i].data not NULL).  All
 * the new texts go to temporary files beside their chapters (with the
 * chapter's mode) first, and only then are they renamed over the chapters:
 * a failure on the way changes nothing.  SIGINT, SIGTERM and SIGHUP wait
 * until the end, so they cannot leave a temporary file behind. */
static int write_chapters(const struct tgl_doc *doc, const struct tgl_buf *texts,
                          struct tgl_diag *d)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    char **tmp = tgl_xcalloc(doc->ninputs + 1, sizeof *tmp);
    int ret = 0;
    for (size_t i = 0; i < doc->ninputs && ret == 0; i++) {
        const char *path = doc->inputs[i].path;
        struct stat st;
        if (texts[i].data == NULL)
            continue;
        size_t n = strlen(path) + 16;
        tmp[i] = tgl_xmalloc(n);
        snprintf(tmp[i], n, "%s.stitch-XXXXXX", path);
        int fd = stat(path, &st) == 0 ? mkostemp(tmp[i], O_CLOEXEC) : -1;
        bool ok = fd != -1 && fchmod(fd, st.st_mode & 07777) == 0
                  && tgl_write_fd(fd, texts[i].data, texts[i].len) == 0;
        if ((fd != -1 && close(fd) == -1) || !ok) {
            tgl_sys_error(d, path);
            ret = -1;
        }
        if (fd == -1) {
            free(tmp[i]);
            tmp[i] = NULL;
        }
    }
    for (size_t i = 0; i < doc->ninputs; i++) {
        if (tmp[i] == NULL)
            continue;
        if (ret == 0 && rename(tmp[i], doc->inputs[i].path) != 0) {
            tgl_sys_error(d, doc->inputs[i].path);
            ret = -1;
        }
        if (ret != 0)
            unlink(tmp[i]);
        free(tmp[i]);
    }
    free(tmp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return ret;
}

/* Expand every output with its source map, and read it from disk. */
static int load_files(struct stitch *st, const char *dir)
{
    struct tgl_doc *doc = st->doc;
    st->files = tgl_xcalloc(doc->nblocks + 1, sizeof *st->files);
    int ret = 0;
    for (size_t i = 0; i < doc->nblocks; i++) {
        const struct tgl_block *b = doc->blocks[i];
        if (b->path == NULL)
            continue;
        struct file *f = &st->files[st->nfiles++];
        f->root = b;
        f->full = tgl_path_join(dir, b->path);
        struct tgl_expand_opts opts = { .map = &f->map };
        if (tgl_expand(doc, b, &opts, &f->gen) != 0) {
            ret = -1;
            continue;
        }
        if (read_file(f->full, &f->disk) != 0) {
            tgl_error(st->d, f->full, 0, "cannot read it (%s): run tangle first",
                      strerror(errno));
            ret = -1;
        }
    }
    return ret;
}

int tgl_stitch(struct tgl_doc *doc, const char *dir)
{
    struct stitch st = { .doc = doc, .d = doc->diag };
    struct tgl_buf *texts = tgl_xcalloc(doc->ninputs + 1, sizeof *texts);
    int ret = 2;
    if (load_files(&st, dir) != 0)
        goto out;
    unsigned errors = 0;
    bool changed = false;
    for (size_t i = 0; i < st.nfiles; i++) {
        struct file *f = &st.files[i];
        struct line *gl, *dl;
        struct hunk *h;
        size_t nh, ng = split_lines(f->gen.data, f->gen.len, &gl);
        size_t nd = split_lines(f->disk.data, f->disk.len, &dl);
        if (diff(gl, ng, dl, nd, &h, &nh) != 0) {
            tgl_error(st.d, f->full, 0, "too many changes for stitch: edit the chapter");
            errors++;
        }
        for (size_t k = 0; k < nh; k++)
            errors += map_hunk_lines(&st, f, dl, &h[k]) != 0;
        changed |= nh > 0 || f->gen.len != f->disk.len;  /* (a final newline taken away) */
        free(h);
        free(gl);
        free(dl);
    }
    ret = errors ? 2 : 0;
    if (errors || !changed)
        goto out;
    ret = 2;
    if (st.nedits > 0)
        qsort(st.edits, st.nedits, sizeof *st.edits, cmp_edit);
    for (size_t i = 1; i < st.nedits; i++) {
        const struct edit *p = &st.edits[i - 1], *e = &st.edits[i];
        if (p->input == e->input && (p->first + p->ndel > e->first || p->first == e->first)) {
            tgl_error(st.d, e->from->full, (unsigned)e->from_line,
                      "this edit and the one at %s:%zu change the same chapter lines",
                      p->from->full, p->from_line);
            goto out;
        }
    }
    for (size_t i = 0, j; i < st.nedits; i = j) {
        for (j = i; j < st.nedits && st.edits[j].input == st.edits[i].input; j++)
            ;
        apply(&doc->inputs[st.edits[i].input], &st.edits[i], j - i,
              &texts[st.edits[i].input]);
    }
    for (size_t i = 0; i < doc->ninputs; i++) {      /* the chapters are written as LF */
        const struct tgl_input *in = &doc->inputs[i];
        struct stat sb;                              /* decoding shrank it: a BOM or CRs */
        if (texts[i].data && stat(in->path, &sb) != 0)
            tgl_sys_error(st.d, in->path);
        else if (texts[i].data && (in->data != in->base || (size_t)sb.st_size != in->len))
            tgl_error(st.d, in->path, 0, "it has CR line ends or a BOM, and stitch would "
                                         "write LF and no BOM: convert it first");
    }
    if (st.d->errors)
        goto out;
    const char *bad = verify(&st, texts);
    if (bad) {
        tgl_error(st.d, bad, 0, "the chapters, edited, would not tangle to this file byte "
                                "for byte (a line that closes the block, a tab the block's "
                                "indentation cannot hold, a final newline taken away?): "
                                "edit the chapter");
        goto out;
    }
    for (size_t i = 0; i < st.nedits; i++)      /* said first: a lost stdout stops it */
        printf("%s:%zu: stitched from %s:%zu\n", doc->inputs[st.edits[i].input].path,
               st.edits[i].first, st.edits[i].from->full, st.edits[i].from_line);
    if (fflush(stdout) == EOF)
        tgl_sys_error(st.d, "stdout");
    else if (write_chapters(doc, texts, st.d) == 0)
        ret = 0;
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
    return ret;
}
