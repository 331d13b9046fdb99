/* write.c: stage 4: bring the output folder in line with the outputs, in
 * an order that leaves the next run nothing it cannot clean up, however
 * this one ends (SIGKILL included; the other fatal signals wait):
 *   1. before the first output is written, an intent manifest: it lists
 *      the new files and everything listed before, behind an empty line
 *      that no finished run writes.  So a killed run leaves only files the
 *      next run knows as its own, and a manifest unlike the one that run
 *      computes: the next run has work, and cleans every folder it opens
 *      of temp files (a run with nothing to write cleans only DIR, the one
 *      place a run killed before step 1 can have left one);
 *   2. pruning: the files listed before and no longer produced go, with
 *      the folders this empties, so that a file can become a folder and a
 *      folder a file;
 *   3. every new or changed file to a temp file in its folder, all of them
 *      before the first rename, so that a failure (a full disk) changes
 *      nothing but the stale files, which no chapter makes any more (the
 *      old manifest is put back);
 *   4. the renames (each atomic) and the mode fixes; 5. the manifest.  A
 *      failure in 4 or 5 leaves a manifest that lists every file there is.
 * Every name is relative to a folder descriptor from tgl_walk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tangle.h"

/* Our temp files are ".tangle-XXXXXX.tmp": a name of that shape in DIR is
 * reserved for tangle (README.md), so a person's ".tangle-config" is not. */
#define TEMP_PREFIX ".tangle-"
#define TEMP_SUFFIX ".tmp"
/* A temp file in the folder FD: "/proc/self/fd/FD" is that folder, however
 * it is reached by name, so the name of a folder swapped since cannot
 * redirect a write. */
#define TEMP_IN "/proc/self/fd/%d/" TEMP_PREFIX "XXXXXX" TEMP_SUFFIX

int tgl_write_temp(char *name, const char *p, size_t n, mode_t mode)
{
    int fd = mkostemps(name, (int)strlen(TEMP_SUFFIX), O_CLOEXEC);
    if (fd != -1 && tgl_write_fd(fd, p, n) == 0 && fchmod(fd, mode) == 0 && close(fd) == 0)
        return 0;
    int e = errno;
    if (fd != -1) {
        close(fd);                               /* (again, after a failed close: EBADF) */
        unlink(name);
    }
    name[0] = '\0';
    errno = e;
    return -1;
}

void tgl_hold_signals(sigset_t *old)
{
    sigset_t fatal;
    sigemptyset(&fatal);
    sigaddset(&fatal, SIGHUP);
    sigaddset(&fatal, SIGINT);
    sigaddset(&fatal, SIGQUIT);
    sigaddset(&fatal, SIGTERM);
    sigprocmask(SIG_BLOCK, &fatal, old);
}

/* Is NAME one of our temp files: ".tangle-XXXXXX.tmp", or
 * ".NAME.tangle-XXXXXX" from older versions of tangle?  (X: a letter or a
 * digit, as mkostemps makes them.) */
#define X6 "[[:alnum:]][[:alnum:]][[:alnum:]][[:alnum:]][[:alnum:]][[:alnum:]]"
static bool is_temp(const char *name)
{
    return fnmatch(TEMP_PREFIX X6 TEMP_SUFFIX, name, 0) == 0
           || fnmatch(".?*" TEMP_PREFIX X6, name, 0) == 0;
}

/* Delete the temp files that a killed run left in the folder FD: regular
 * files of our pattern that we own.  The lock on DIR keeps every other run
 * of tangle out, so none is in use. */
static void remove_stale_temps(int fd)
{
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dp = dfd == -1 ? NULL : fdopendir(dfd);
    struct stat st;
    for (struct dirent *e; dp != NULL && (e = readdir(dp)) != NULL;)
        if (is_temp(e->d_name) && fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISREG(st.st_mode) && st.st_uid == geteuid())
            unlinkat(fd, e->d_name, 0);
    if (dp != NULL)
        closedir(dp);
    else if (dfd != -1)
        close(dfd);                              /* not fatal: they go next time */
}

/* Report the failed system call WHAT on the output O (NULL: the manifest),
 * at the block that names it. */
static void out_error(struct tgl_doc *doc, const struct tgl_dir *dir, const struct tgl_output *o,
                      const char *what)
{
    int e = errno;
    char *full = tgl_path_join(dir->path, o ? o->path : TGL_MANIFEST);
    /* Temp files and mode fixes go through /proc/self/fd (TEMP_IN). */
    const char *proc = (e == ENOENT || e == EOPNOTSUPP) && access("/proc/self/fd", X_OK) != 0
                           ? " (tangle writes through /proc/self/fd: is /proc mounted?)" : "";
    if (o != NULL)
        tgl_error(doc->diag, doc->inputs[o->root->input].path, o->root->line,
                  "file=\"%s\": cannot %s %s: %s%s", o->path, what, full, strerror(e), proc);
    else
        tgl_error(doc->diag, full, 0, "cannot %s it: %s%s", what, strerror(e), proc);
    free(full);
}

static int cmp_path(const void *key, const void *elem)
{
    return strcmp(key, ((const struct tgl_output *)elem)->path);
}

static void print_path(const struct tgl_dir *dir, const char *path)
{
    char *full = tgl_path_join(dir->path, path);
    printf("%s\n", full);
    free(full);
}

/* After deleting the stale PATH, remove the folders of PATH that this left
 * empty, deepest first, as git does; DIR itself stays.  rmdir removes only
 * an empty folder, so nothing a person put there is lost.  A folder that is
 * missing already (a run killed in here) is passed over. */
static void remove_empty_parents(struct tgl_dir *dir, const char *path)
{
    char *p = tgl_xstrdup(path);
    for (char *slash; (slash = strrchr(p, '/')) != NULL;) {
        *slash = '\0';
        struct tgl_where w;
        char *msg = tgl_walk(dir, p, &w, false); /* a folder: "is a folder" */
        bool gone = msg == NULL && !w.exists;
        free(msg);
        if (gone)
            continue;
        if (!w.exists || !S_ISDIR(w.st.st_mode) || unlinkat(w.fd, w.rest, AT_REMOVEDIR) == -1)
            break;
        free(dir->last);                         /* tgl_walk's last folder may be this one */
        dir->last = NULL;
    }
    free(p);
}

/* Does pruning remove the folder NAME in FD (PATH from DIR)?  OLD lists a
 * path below it (a killed run may have deleted every such file already),
 * and it holds only such files, our temp files and such folders. */
static bool removable(int fd, const char *name, const char *path, const struct tgl_manifest *old)
{
    if (!tgl_manifest_has_below(old, path))
        return false;
    int dfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dp = dfd == -1 ? NULL : fdopendir(dfd);
    bool ok = dp != NULL;
    struct stat st;
    for (struct dirent *e; ok && (e = readdir(dp)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = tgl_path_join(path, e->d_name);
        ok = fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
             && (S_ISDIR(st.st_mode) ? removable(dfd, e->d_name, p, old)
                 : S_ISREG(st.st_mode)
                     && ((tgl_manifest_has(old, p) && !tgl_path_syntax_error(p))
                         || (is_temp(e->d_name) && st.st_uid == geteuid())));
        free(p);                                 /* (a temp: as remove_stale_temps) */
    }
    if (dp != NULL)
        closedir(dp);
    else if (dfd != -1)
        close(dfd);
    return ok;
}

bool tgl_stale_in_way(const struct tgl_manifest *old, const char *path, struct tgl_where *w)
{
    char *way = tgl_xstrndup(path, (size_t)(w->rest - path) + strcspn(w->rest, "/"));
    bool stale = w->exists ? S_ISDIR(w->st.st_mode) && removable(w->fd, w->rest, way, old)
                           : S_ISREG(w->st.st_mode) && strchr(w->rest, '/') != NULL
                                 && tgl_manifest_has(old, way);
    free(way);
    w->exists = w->exists && !stale;
    return stale;
}

/* The one prune loop, over the files listed in OLD that no output writes
 * any more and that are there: DELETE deletes each (and the folders this
 * leaves empty), else each is printed (--check).  An entry that cannot be
 * checked is a warning, and stays.  Returns 0, or -1 after an error. */
static int prune(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
                 const struct tgl_output *outs, size_t nouts, bool delete)
{
    char *mpath = tgl_path_join(dir->path, TGL_MANIFEST);
    int ret = 0;
    for (size_t i = 0; i < old->n && ret == 0; i++) {
        const char *entry = old->lines[i], *bad = tgl_path_syntax_error(entry);
        struct tgl_where w;
        if (entry[0] == '\0' || bsearch(entry, outs, nouts, sizeof *outs, cmp_path) != NULL)
            continue;
        char *msg = bad ? NULL : tgl_walk(dir, entry, &w, false);
        if (bad || msg) {
            tgl_warning(doc->diag, mpath, (unsigned)i + 1, "not deleting \"%s\": %s", entry,
                        bad ? bad : msg);
        } else if (!delete) {
            if (w.exists)
                print_path(dir, entry);
        } else if (w.exists && unlinkat(w.fd, w.rest, 0) == -1) {
            tgl_error(doc->diag, mpath, (unsigned)i + 1, "cannot delete \"%s\": %s", entry,
                      strerror(errno));
            ret = -1;
        } else {
            /* A killed run's temp files, in a folder no output may use any
             * more (DIR's went first). */
            if (w.fd != -1 && w.fd != dir->fd)
                remove_stale_temps(w.fd);
            remove_empty_parents(dir, entry);
        }
        free(msg);
    }
    free(mpath);
    return ret;
}

/* Replace DIR's manifest with TEXT[0..N) (a temp file, then a rename).
 * Returns 0, or -1 after reporting the error. */
static int put_manifest(struct tgl_doc *doc, struct tgl_dir *dir, const char *text, size_t n)
{
    char temp[48];
    snprintf(temp, sizeof temp, TEMP_IN, dir->fd);
    if (tgl_write_temp(temp, text, n, 0644) != 0
        || renameat(AT_FDCWD, temp, dir->fd, TGL_MANIFEST) == -1) {
        out_error(doc, dir, NULL, "write");
        if (temp[0] != '\0')
            unlink(temp);
        return -1;
    }
    return 0;
}

/* Step 1, when the run writes a file: an empty line, MANIFEST and OLD's
 * other entries.  Returns 0 when none is needed, 1 when it was written,
 * -1 after an error. */
static int put_intent(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
                      const struct tgl_output *outs, size_t nouts,
                      const struct tgl_buf *manifest)
{
    size_t i = 0;
    while (i < nouts && outs[i].act != TGL_CREATE && outs[i].act != TGL_CHANGE)
        i++;
    if (i == nouts)
        return 0;
    struct tgl_buf all = { 0 };
    tgl_buf_addc(&all, '\n');
    tgl_buf_add(&all, manifest->data, manifest->len);
    for (size_t k = 0; k < old->n; k++)
        if (old->lines[k][0] != '\0'
            && bsearch(old->lines[k], outs, nouts, sizeof *outs, cmp_path) == NULL) {
            tgl_buf_adds(&all, old->lines[k]);
            tgl_buf_addc(&all, '\n');
        }
    int r = put_manifest(doc, dir, all.data, all.len);
    tgl_buf_free(&all);
    return r == 0 ? 1 : -1;
}

/* Steps 1 to 5 (the top of the file), MANIFEST written when MCHANGED or
 * after an intent manifest.  Returns 0, or 2 after an error reported at
 * the block; no temp file is left either way. */
static int write_all(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
                     struct tgl_output *outs, size_t nouts, const struct tgl_buf *manifest,
                     bool mchanged)
{
    char(*temp)[48] = tgl_xcalloc(nouts, sizeof *temp);  /* "": none */
    int ret = 2;
    sigset_t mask;
    tgl_hold_signals(&mask);                     /* till the temp files are renamed */
    int intent = put_intent(doc, dir, old, outs, nouts, manifest);
    bool restore = intent == 1;                  /* the old manifest, on a failure */
    if (intent == -1)
        goto out;
    for (size_t i = 0; i < dir->nfds; i++)       /* a killed run's temp files */
        remove_stale_temps(dir->fds[i]);
    if (prune(doc, dir, old, outs, nouts, true) != 0)
        goto out;
    for (size_t i = 0; i < nouts; i++) {
        struct tgl_output *o = &outs[i];
        if (o->act != TGL_CREATE && o->act != TGL_CHANGE)
            continue;
        char *msg = tgl_walk(dir, o->path, &o->where, true);
        if (msg != NULL) {
            tgl_error(doc->diag, doc->inputs[o->root->input].path, o->root->line,
                      "file=\"%s\": %s", o->path, msg);
            free(msg);
            goto out;
        }
        snprintf(temp[i], sizeof *temp, TEMP_IN, o->where.fd);
        if (tgl_write_temp(temp[i], o->content.data, o->content.len, o->mode) != 0) {
            out_error(doc, dir, o, "write");
            goto out;
        }
    }
    restore = false;                             /* from here on, the intent manifest is true */
    for (size_t i = 0; i < nouts; i++) {
        struct tgl_output *o = &outs[i];
        if (temp[i][0] && renameat(AT_FDCWD, temp[i], o->where.fd, o->where.rest) == -1) {
            out_error(doc, dir, o, "rename a temp file to");
            goto out;
        }
        temp[i][0] = '\0';
        if (o->act == TGL_CHMOD
            && fchmodat(o->where.fd, o->where.rest, o->mode, AT_SYMLINK_NOFOLLOW) == -1) {
            out_error(doc, dir, o, "change the mode of");
            goto out;
        }
    }
    if ((mchanged || intent == 1) && put_manifest(doc, dir, manifest->data, manifest->len) != 0)
        goto out;
    ret = 0;
out:
    for (size_t i = 0; i < nouts; i++)
        if (temp[i][0] != '\0')
            unlink(temp[i]);
    if (restore && old->exists)
        put_manifest(doc, dir, old->text.data, old->text.len);
    else if (restore)
        unlinkat(dir->fd, TGL_MANIFEST, 0);
    free(temp);
    sigprocmask(SIG_SETMASK, &mask, NULL);       /* a held signal ends the run here */
    return ret;
}

int tgl_sync(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
             struct tgl_output *outs, size_t nouts, bool check)
{
    struct tgl_buf manifest = { 0 };
    bool work = false;
    for (size_t i = 0; i < nouts; i++) {
        work |= outs[i].act != TGL_SAME;
        if (check && outs[i].act != TGL_SAME)
            print_path(dir, outs[i].path);
        tgl_buf_adds(&manifest, outs[i].path);
        tgl_buf_addc(&manifest, '\n');
    }
    /* A stale file is listed in the old manifest, not in the new one: it
     * changes the manifest, so "work" needs no count of stale files. */
    bool mchanged = !old->exists || old->text.len != manifest.len
                    || (manifest.len > 0
                        && memcmp(old->text.data, manifest.data, manifest.len) != 0);
    int ret = 0;
    if (check) {
        prune(doc, dir, old, outs, nouts, false);
        if (mchanged)
            print_path(dir, TGL_MANIFEST);
        ret = work || mchanged;
    } else {
        remove_stale_temps(dir->fd);             /* the top of the file says why only DIR */
        if (work || mchanged)
            ret = write_all(doc, dir, old, outs, nouts, &manifest, mchanged);
    }
    tgl_buf_free(&manifest);
    return ret;
}
