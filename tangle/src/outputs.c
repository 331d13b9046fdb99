/* outputs.c: stage 3: check each output path on disk, expand the file and
 * compare it with what is there, on up to 4 threads (TANGLE_THREADS).
 *
 * The threads report nothing: each counts its errors silently.  If there
 * is any error, the whole stage runs again on this thread with the real
 * diagnostics, so the messages come out in document order (errors are
 * rare, and then speed no longer matters). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tangle.h"

struct stage3 {
    const struct tgl_doc *doc;
    const char *dir;
    const char *dir_real;
    int dirfd;                       /* DIR opened O_PATH, or -1 */
    struct tgl_expand_opts opts;
    bool classify;
    const struct tgl_block **roots;
    struct tgl_output *outs;
    size_t n;
    atomic_size_t next;
    atomic_uint errors;
};

/* Buffers a thread reuses from file to file. */
struct scratch {
    struct tgl_buf text;     /* the expanded file */
    struct tgl_buf old;      /* the file on disk */
};

/* The existing regular file of root B, opened by the one-call fast path,
 * with its fstat in *ST; or -1 when the slow checks must decide. */
static int open_existing(const struct stage3 *st, const struct tgl_block *b, struct stat *fst)
{
    int fd = st->dirfd == -1 ? -1 : tgl_open_beneath(st->dirfd, b->path);
    if (fd != -1 && (fstat(fd, fst) == -1 || !S_ISREG(fst->st_mode))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* tgl_classify for DIR/PATH, when the fast path did not open it. */
static int classify_by_path(const struct stage3 *st, const char *path,
                            const struct tgl_buf *text, struct tgl_output *o)
{
    char *full = tgl_path_join(st->dir, path);
    int ret = tgl_classify(full, text->data, text->len, o->mode, &o->act);
    int e = errno;
    free(full);
    errno = e;
    return ret;
}

/* Check, expand and classify root I into st->outs[I], reporting on D and
 * using SC's buffers.  Returns the number of errors. */
static unsigned build_one(struct stage3 *st, size_t i, struct scratch *sc, struct tgl_diag *d)
{
    const struct tgl_block *b = st->roots[i];
    struct tgl_output *o = &st->outs[i];
    struct tgl_doc doc = *st->doc;             /* the same document, ... */
    doc.diag = d;                              /* ... reporting on D */
    o->path = b->path;
    o->root = b;
    o->act = TGL_CREATE;

    struct stat fst;
    bool missing = false;
    int fd = open_existing(st, b, &fst);
    if (fd == -1) {
        char *why = tgl_path_fs_error(st->dir, st->dir_real, b->path, &missing);
        if (why != NULL) {
            tgl_error(d, doc.inputs[b->input].path, b->line, "file=\"%s\": %s", b->path, why);
            free(why);
            return 1;
        }
    }
    struct tgl_buf *text = &sc->text;
    unsigned errors = 0;
    text->len = 0;
    if (tgl_expand(&doc, b, &st->opts, text) != 0) {
        errors = 1;
        goto out;
    }
    bool script = text->len >= 2 && text->data[0] == '#' && text->data[1] == '!';
    o->mode = script ? 0755 : 0644;
    if (!st->classify || missing)              /* a new file: nothing to compare */
        goto out;
    int ret = fd != -1
                  ? tgl_classify_fd(fd, &fst, text->data, text->len, o->mode, &o->act, &sc->old)
                  : classify_by_path(st, b->path, text, o);
    if (ret != 0) {
        int e = errno;
        char *full = tgl_path_join(st->dir, b->path);
        if (d->out)
            fprintf(d->out, "tangle: %s: %s\n", full, strerror(e));
        free(full);
        d->errors++;
        errors++;
    }
out:
    if (fd != -1)
        close(fd);
    if (errors == 0 && st->classify && (o->act == TGL_CREATE || o->act == TGL_CHANGE))
        tgl_buf_add(&o->content, text->data, text->len);
    return errors;
}

static void *worker(void *arg)
{
    struct stage3 *st = arg;
    struct scratch sc = { { 0 }, { 0 } };
    struct tgl_diag silent = { .out = NULL };
    for (;;) {
        size_t i = atomic_fetch_add(&st->next, 1);
        if (i >= st->n || atomic_load(&st->errors) > 0)
            break;
        atomic_fetch_add(&st->errors, build_one(st, i, &sc, &silent));
    }
    tgl_buf_free(&sc.text);
    tgl_buf_free(&sc.old);
    return NULL;
}

static int cmp_output(const void *a, const void *b)
{
    return strcmp(((const struct tgl_output *)a)->path, ((const struct tgl_output *)b)->path);
}

unsigned tgl_build_outputs(const struct tgl_doc *doc, const char *dir, bool directives,
                           bool classify, struct tgl_output **outs, size_t *nouts)
{
    struct stage3 st = { .doc = doc, .dir = dir, .classify = classify };
    char *dir_real = realpath(dir, NULL);     /* NULL: DIR does not exist yet */
    pthread_t threads[4];
    size_t started = 0;
    unsigned errors;

    st.dir_real = dir_real;
    st.dirfd = dir_real ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    st.opts.line_directives = directives;
    st.roots = tgl_xcalloc(doc->nblocks, sizeof *st.roots);
    for (size_t i = 0; i < doc->nblocks; i++)
        if (doc->blocks[i]->path != NULL)
            st.roots[st.n++] = doc->blocks[i];
    st.outs = tgl_xcalloc(st.n, sizeof *st.outs);
    atomic_init(&st.next, 0);
    atomic_init(&st.errors, 0);

    size_t want = tgl_thread_count(st.n / 64 + 1);   /* threads pay off for many files */
    while (started + 1 < want && pthread_create(&threads[started], NULL, worker, &st) == 0)
        started++;
    worker(&st);
    for (size_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    errors = atomic_load(&st.errors);

    if (errors > 0) {                          /* again, in order, with messages */
        struct scratch sc = { { 0 }, { 0 } };
        errors = 0;
        for (size_t i = 0; i < st.n; i++) {
            tgl_buf_free(&st.outs[i].content);
            errors += build_one(&st, i, &sc, doc->diag);
            tgl_buf_free(&st.outs[i].content);
        }
        tgl_buf_free(&sc.text);
        tgl_buf_free(&sc.old);
    }
    qsort(st.outs, st.n, sizeof *st.outs, cmp_output);
    *outs = st.outs;
    *nouts = st.n;
    if (st.dirfd != -1)
        close(st.dirfd);
    free(st.roots);
    free(dir_real);
    return errors;
}
