/* write.c: compare the expanded files with the output folder, then write
 * them atomically (temp file + rename), prune stale files, and keep the
 * manifest DIR/.tangled.  Everything that can fail is done before the first
 * rename: folders are created and every temp file is written first, and on
 * any failure they are all removed again. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tangle.h"

struct plan {
    char *full;          /* DIR/PATH */
    char *tmp;           /* temp file, once written */
};

static void sys_error(struct tgl_diag *d, const char *path)
{
    if (d->out)
        fprintf(d->out, "tangle: %s: %s\n", path, strerror(errno));
    d->errors++;
}

/* Read all of FD into B.  Returns 0 or -1 (errno set). */
static int read_all(int fd, struct tgl_buf *b)
{
    for (;;) {
        if (b->cap - b->len < 2)
            tgl_buf_reserve(b, 65536);
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return -1;
        if (n == 0)
            return 0;
        b->len += (size_t)n;
    }
}

int tgl_classify_fd(int fd, const struct stat *st, const char *content, size_t len,
                    mode_t mode, enum tgl_action *act, struct tgl_buf *old)
{
    if (!S_ISREG(st->st_mode) || (size_t)st->st_size != len) {
        *act = TGL_CHANGE;
        return 0;
    }
    /* fstat said LEN bytes: read that much (usually one read call). */
    old->len = 0;
    tgl_buf_reserve(old, len + 1);
    while (old->len < len) {
        ssize_t n = read(fd, old->data + old->len, len - old->len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return -1;
        if (n == 0)
            break;
        old->len += (size_t)n;
    }
    if (old->len != len || (len > 0 && memcmp(old->data, content, len) != 0))
        *act = TGL_CHANGE;
    else
        /* Only the owner's x bit counts: a git checkout makes 0664 or
         * 0600 files depending on the umask, and those are "0644" too. */
        *act = (st->st_mode & S_IXUSR) != (mode & S_IXUSR) ? TGL_CHMOD : TGL_SAME;
    return 0;
}

int tgl_classify(const char *full, const char *content, size_t len, mode_t mode,
                 enum tgl_action *act)
{
    int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENOENT) {
            *act = TGL_CREATE;
            return 0;
        }
        if (errno == ELOOP) {         /* a symlink (inside DIR): replace it */
            *act = TGL_CHANGE;
            return 0;
        }
        return -1;
    }
    struct tgl_buf old = { 0 };
    struct stat st;
    int ret = fstat(fd, &st);
    if (ret == 0)
        ret = tgl_classify_fd(fd, &st, content, len, mode, act, &old);
    int e = errno;
    tgl_buf_free(&old);
    close(fd);
    errno = e;
    return ret;
}

void tgl_manifest_text(const struct tgl_output *outs, size_t nouts, struct tgl_buf *out)
{
    for (size_t i = 0; i < nouts; i++) {
        tgl_buf_adds(out, outs[i].path);
        tgl_buf_addc(out, '\n');
    }
}

static int cmp_path(const void *key, const void *elem)
{
    return strcmp(key, ((const struct tgl_output *)elem)->path);
}

struct strv {
    char **v;
    size_t n, cap;
};

static void strv_add(struct strv *s, char *str)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = tgl_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = str;
}

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* Read the old manifest (missing is fine: empty).  Returns -1 on error. */
static int read_manifest(const char *mpath, struct tgl_buf *old, bool *exists,
                         struct tgl_diag *d)
{
    struct stat st;
    *exists = false;
    if (lstat(mpath, &st) == -1) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        sys_error(d, mpath);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        tgl_error(d, mpath, 0, "the manifest is not a regular file");
        return -1;
    }
    int fd = open(mpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1 || read_all(fd, old) == -1) {
        sys_error(d, mpath);
        if (fd != -1)
            close(fd);
        return -1;
    }
    close(fd);
    *exists = true;
    return 0;
}

/* Stale paths: in the old manifest, no longer produced, present on disk
 * and safe to delete.  Appends DIR/PATH strings to STALE. */
static void find_stale(const char *dir, const char *mpath, struct tgl_buf *old,
                       const struct tgl_output *outs, size_t nouts, struct strv *stale,
                       struct tgl_diag *d)
{
    char *dir_real = realpath(dir, NULL);
    unsigned line = 0;
    char *p = old->data;
    char *end = old->data + old->len;
    while (p && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *entry = tgl_xstrndup(p, n);
        line++;
        p = nl ? nl + 1 : end;
        if (n == 0 || bsearch(entry, outs, nouts, sizeof *outs, cmp_path) != NULL) {
            free(entry);
            continue;
        }
        const char *bad = tgl_path_syntax_error(entry);
        bool missing;
        char *fsbad = bad ? NULL : tgl_path_fs_error(dir, dir_real, entry, &missing);
        if (bad || fsbad) {
            tgl_warning(d, mpath, line, "not deleting \"%s\": %s", entry, bad ? bad : fsbad);
            free(fsbad);
            free(entry);
            continue;
        }
        char *full = tgl_path_join(dir, entry);
        struct stat st;
        if (lstat(full, &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
            strv_add(stale, full);
        else
            free(full);
        free(entry);
    }
    free(dir_real);
}

/* mkdir -p for the folder that will hold FULL; record what we created.
 * LAST remembers the folder made sure of last time: consecutive files
 * usually share it, and then no system call is needed at all. */
static int make_parents(const char *full, struct strv *made, struct tgl_buf *last)
{
    const char *slash = strrchr(full, '/');
    size_t dlen = slash ? (size_t)(slash - full) : 0;
    struct stat st;
    if (dlen == 0 || (last->len == dlen && memcmp(last->data, full, dlen) == 0))
        return 0;
    char *path = tgl_xstrndup(full, dlen);
    int ret = -1;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        goto done;                           /* it is there already */
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0777) == 0)
            strv_add(made, tgl_xstrdup(path));
        else if (errno != EEXIST)
            goto out;
        *p = saved;
        if (saved == '\0')
            break;
    }
done:
    last->len = 0;
    tgl_buf_add(last, full, dlen);
    ret = 0;
out:;
    int e = errno;
    free(path);
    errno = e;
    return ret;
}

/* Create the file T, whose name ends in "XXXXXX", with those six letters
 * made unique, as O_EXCL does it (it never follows a symlink), with MODE
 * (less the umask).  Like mkstemp, but with the final mode, which saves a
 * fchmod per file.  Returns the descriptor, or -1 with errno set. */
static int create_temp(char *t, mode_t mode)
{
    static const char letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static uint64_t state;
    char *x = t + strlen(t) - 6;
    if (state == 0)
        state = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)t;
    for (int tries = 0; tries < 1000; tries++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = state >> 16;
        for (int k = 0; k < 6; k++, r /= 62)
            x[k] = letters[r % 62];
        int fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd != -1 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Write DATA to a new temp file next to FULL, with exactly MODE (UMASK is
 * the process umask).  Returns the temp file's path, or NULL (errno set,
 * nothing left behind). */
static char *write_temp(const char *full, const char *data, size_t len, mode_t mode,
                        mode_t umask_now)
{
    struct tgl_buf tmp = { 0 };
    const char *slash = strrchr(full, '/');
    size_t dlen = slash ? (size_t)(slash - full) + 1 : 0;     /* keeps the '/' */
    int e;
    tgl_buf_add(&tmp, full, dlen);
    tgl_buf_addf(&tmp, ".%s.tangle-XXXXXX", full + dlen);
    int fd = create_temp(tmp.data, mode);
    if (fd == -1)
        goto fail;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            goto fail_unlink;
        done += (size_t)n;
    }
    if ((mode & ~umask_now) != mode && fchmod(fd, mode) == -1)
        goto fail_unlink;
    e = close(fd);
    fd = -1;
    if (e == -1)
        goto fail_unlink;
    return tmp.data;
fail_unlink:
    e = errno;
    if (fd != -1)
        close(fd);
    unlink(tmp.data);
    errno = e;
fail:
    e = errno;
    tgl_buf_free(&tmp);
    errno = e;
    return NULL;
}

/* After pruning PATH (which is DIR/REL), remove the folders of REL that the
 * deletion left empty, deepest first, as git does; DIR itself always stays.
 * rmdir only ever removes an empty folder, so nothing a person put there is
 * lost, and its failure (ENOTEMPTY and the like) just ends the walk. */
static void remove_empty_parents(const char *dir, const char *path)
{
    size_t stop = strlen(dir);
    char *p = tgl_xstrdup(path);
    char *slash;

    while ((slash = strrchr(p, '/')) != NULL && (size_t)(slash - p) > stop) {
        *slash = '\0';
        if (rmdir(p) == -1)
            break;
    }
    free(p);
}

int tgl_sync(const char *dir, struct tgl_output *outs, size_t nouts, enum tgl_mode mode,
             struct tgl_diag *d)
{
    int ret = 2;
    struct plan *plan = tgl_xcalloc(nouts, sizeof *plan);
    struct tgl_buf old_manifest = { 0 }, new_manifest = { 0 };
    struct strv stale = { 0 }, made = { 0 };
    struct tgl_buf last_dir = { 0 };
    char *mpath = tgl_path_join(dir, TGL_MANIFEST);
    char *mtmp = NULL;
    bool mexists, mchanged;
    size_t ndiff = 0;

    for (size_t i = 0; i < nouts; i++) {
        plan[i].full = tgl_path_join(dir, outs[i].path);
        ndiff += outs[i].act != TGL_SAME;
    }
    if (read_manifest(mpath, &old_manifest, &mexists, d) != 0)
        goto out;
    find_stale(dir, mpath, &old_manifest, outs, nouts, &stale, d);
    tgl_manifest_text(outs, nouts, &new_manifest);
    mchanged = !mexists || old_manifest.len != new_manifest.len
               || (new_manifest.len > 0
                   && memcmp(old_manifest.data, new_manifest.data, new_manifest.len) != 0);
    ndiff += stale.n + mchanged;

    if (mode == TGL_CHECK) {
        for (size_t i = 0; i < nouts; i++)
            if (outs[i].act != TGL_SAME)
                printf("%s\n", plan[i].full);
        for (size_t i = 0; i < stale.n; i++)
            printf("%s\n", stale.v[i]);
        if (mchanged)
            printf("%s\n", mpath);
        ret = ndiff ? 1 : 0;
        goto out;
    }
    if (ndiff == 0) {
        ret = 0;
        goto out;
    }

    /* Phase 1: folders and temp files.  Nothing visible changes yet. */
    mode_t umask_now = umask(022);
    umask(umask_now);
    for (size_t i = 0; i < nouts; i++) {
        if (outs[i].act != TGL_CREATE && outs[i].act != TGL_CHANGE)
            continue;
        if (make_parents(plan[i].full, &made, &last_dir) != 0) {
            sys_error(d, plan[i].full);
            goto rollback;
        }
        plan[i].tmp = write_temp(plan[i].full, outs[i].content.data, outs[i].content.len,
                                 outs[i].mode, umask_now);
        if (plan[i].tmp == NULL) {
            sys_error(d, plan[i].full);
            goto rollback;
        }
    }
    if (mchanged) {
        if (make_parents(mpath, &made, &last_dir) != 0
            || (mtmp = write_temp(mpath, new_manifest.data ? new_manifest.data : "",
                                  new_manifest.len, 0644, umask_now)) == NULL) {
            sys_error(d, mpath);
            goto rollback;
        }
    }

    /* Phase 2: renames (atomic per file), mode fixes, pruning, manifest. */
    for (size_t i = 0; i < nouts; i++) {
        if (plan[i].tmp != NULL) {
            if (rename(plan[i].tmp, plan[i].full) == -1) {
                sys_error(d, plan[i].full);
                goto out;
            }
            free(plan[i].tmp);
            plan[i].tmp = NULL;
        } else if (outs[i].act == TGL_CHMOD && chmod(plan[i].full, outs[i].mode) == -1) {
            sys_error(d, plan[i].full);
            goto out;
        }
    }
    for (size_t i = 0; i < stale.n; i++) {
        if (unlink(stale.v[i]) == -1 && errno != ENOENT) {
            sys_error(d, stale.v[i]);
            goto out;
        }
        remove_empty_parents(dir, stale.v[i]);
    }
    if (mtmp != NULL && rename(mtmp, mpath) == -1) {
        sys_error(d, mpath);
        goto out;
    }
    free(mtmp);
    mtmp = NULL;
    ret = 0;
    goto out;

rollback:
    for (size_t i = 0; i < nouts; i++)
        if (plan[i].tmp != NULL) {
            unlink(plan[i].tmp);
            free(plan[i].tmp);
            plan[i].tmp = NULL;
        }
    for (size_t i = made.n; i > 0; i--)
        rmdir(made.v[i - 1]);
out:
    if (mtmp != NULL)
        unlink(mtmp);
    free(mtmp);
    for (size_t i = 0; i < nouts; i++) {
        if (plan[i].tmp != NULL)
            unlink(plan[i].tmp);
        free(plan[i].tmp);
        free(plan[i].full);
    }
    free(plan);
    free(mpath);
    strv_free(&stale);
    strv_free(&made);
    tgl_buf_free(&old_manifest);
    tgl_buf_free(&new_manifest);
    tgl_buf_free(&last_dir);
    return ret;
}
