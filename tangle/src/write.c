/* write.c: stage 4: bring the output folder in line with the outputs, in
 * an order that leaves the next run nothing it cannot clean up, however
 * this one ends (SIGKILL included; the other fatal signals wait), and a
 * manifest that lists no file tangle has deleted (but in the three cases
 * tangle/README.md names):
 *   0. the manifest that follows pruning (step 2's, or the final one when
 *      no file is written) to a temp file: a disk that cannot take it
 *      stops the run before anything is deleted;
 *   1. pruning: the files listed before and no longer produced go, with
 *      the folders this empties (a folder already missing is passed
 *      over; one that cannot be removed is an error, and its entry stays
 *      listed, the file gone, so that the next run tries again), so that
 *      a file can become a folder and a folder a file.  An entry that
 *      cannot be checked is a warning, and stays listed.  A kill here
 *      leaves the old manifest, still listing what went (a file a person
 *      puts at such a path before the next run goes too);
 *   2. that manifest renamed in; when the run writes a file, it is an
 *      intent manifest: the new manifest behind an empty line that no
 *      finished run writes.  So a killed run leaves only files the next
 *      run knows as its own, and a manifest unlike the one that run
 *      computes: the next run has work, and cleans every folder it opens
 *      of temp files (a run with nothing to write cleans only DIR, the one
 *      place a run killed before step 2 can have left one);
 *   3. every new or changed file to a temp file in its folder, all of them
 *      before the first rename, so that a failure (a full disk) changes
 *      nothing but the stale files, which no chapter makes any more (the
 *      old manifest is put back, but the files pruning deleted);
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

int tgl_write_temp(char *name, const char *p, size_t n, mode_t mode, struct tgl_diag *d)
{
    int fd = mkostemps(name, (int)strlen(TEMP_SUFFIX), O_CLOEXEC);
    if (fd != -1 && tgl_write_fd(fd, p, n) == 0 && fchmod(fd, mode) == 0 && close(fd) == 0)
        return 0;
    int e = errno;
    if (fd != -1) {
        close(fd);                               /* (again, after a failed close: EBADF) */
        tgl_remove_temp(name, d);
    }
    name[0] = '\0';
    errno = e;
    return -1;
}

void tgl_remove_temp(const char *name, struct tgl_diag *d)
{
    if (name[0] == '\0' || unlink(name) == 0)
        return;
    int e = errno;
    char *real = strncmp(name, "/proc/", 6) == 0 ? realpath(name, NULL) : NULL;  /* TEMP_IN */
    tgl_warning(d, real ? real : name, 0, "cannot remove it (%s): remove it by hand",
                strerror(e));
    free(real);
}

void tgl_hold_signals(sigset_t *old)
{
    sigset_t fatal;
    sigemptyset(&fatal);
    sigaddset(&fatal, SIGHUP);
    sigaddset(&fatal, SIGINT);
    sigaddset(&fatal, SIGQUIT);
    sigaddset(&fatal, SIGTERM);
    sigaddset(&fatal, SIGPIPE);              /* an error message to a closed pipe */
    sigprocmask(SIG_BLOCK, &fatal, old);
}

/* Is NAME in the folder FD one of our temp files: a regular file we own,
 * named ".tangle-XXXXXX.tmp", or ".NAME.tangle-XXXXXX" as older versions of
 * tangle named them?  (X: a letter or a digit, as mkostemps makes them.) */
static bool our_temp(int fd, const char *name)
{
    struct stat st;
    return (fnmatch(TEMP_PREFIX TGL_X6 TEMP_SUFFIX, name, 0) == 0
            || fnmatch(".?*" TEMP_PREFIX TGL_X6, name, 0) == 0)
           && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)
           && st.st_uid == geteuid();
}

/* Delete the temp files that a killed run left in the folder FD.  The lock
 * on DIR keeps every other run of tangle out, so none is in use. */
static void remove_stale_temps(int fd)
{
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dp = dfd == -1 ? NULL : fdopendir(dfd);
    for (struct dirent *e; dp != NULL && (e = readdir(dp)) != NULL;)
        if (our_temp(fd, e->d_name))
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
 * missing already (a run killed in here) is passed over, one that is no
 * folder any more is left.  Returns NULL, or why a folder cannot be removed
 * or reached (allocated): left there, it would stand in the way of a file
 * of that name for ever, and no later run would know it. */
static char *remove_empty_parents(struct tgl_dir *dir, const char *path)
{
    char *p = tgl_xstrdup(path), *err = NULL;
    for (char *slash; err == NULL && (slash = strrchr(p, '/')) != NULL;) {
        *slash = '\0';
        struct tgl_where w;
        char *msg = tgl_walk(dir, p, &w, false);     /* a folder: "is a folder", W filled */
        if (msg != NULL && !w.exists) {
            err = msg;                           /* not reached: "cannot check ..." */
            break;
        }
        free(msg);
        if (!w.exists)
            continue;
        if (!S_ISDIR(w.st.st_mode))
            break;
        if (unlinkat(w.fd, w.rest, AT_REMOVEDIR) == -1) {
            if (errno != ENOTEMPTY && errno != EEXIST) {
                struct tgl_buf m = { 0 };
                tgl_buf_addf(&m, "cannot remove the empty folder \"%s\": %s", p,
                             strerror(errno));
                err = m.data;
            }
            break;
        }
        free(dir->last);                         /* tgl_walk's last folder may be this one */
        dir->last = NULL;
    }
    free(p);
    return err;
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
                 : our_temp(dfd, e->d_name)
                     || (S_ISREG(st.st_mode) && tgl_manifest_has(old, p)
                         && !tgl_path_syntax_error(p)));
        free(p);
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

/* What becomes of each line of the old manifest. */
enum fate {
    AS_IS,      /* an output's, the empty line, or no path tangle writes (a warning):
                   put back on a failure, not listed anew unless an output's */
    STALE,      /* no output's: to delete */
    UNCHECKED,  /* no output's, and it cannot be checked (a warning): it stays listed */
    GONE,       /* deleted, or not there: never listed again */
};

/* Sort out the entries of OLD that no output has (FATE[i] for line i):
 * warn of each that cannot be checked; with PRINT, print each that is there
 * (--check).  Returns how many stay listed (UNCHECKED). */
static size_t find_stale(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
                         const struct tgl_output *outs, size_t nouts, unsigned char *fate,
                         bool print)
{
    char *mpath = tgl_path_join(dir->path, TGL_MANIFEST);
    size_t kept = 0;
    for (size_t i = 0; i < old->n; i++) {
        const char *entry = old->lines[i], *bad = tgl_path_syntax_error(entry);
        struct tgl_where w;
        if (entry[0] == '\0' || bsearch(entry, outs, nouts, sizeof *outs, cmp_path) != NULL)
            continue;
        char *msg = bad ? NULL : tgl_walk(dir, entry, &w, false);
        fate[i] = bad ? AS_IS : msg ? UNCHECKED : STALE;
        kept += msg != NULL;
        if (bad || msg)
            tgl_warning(doc->diag, mpath, (unsigned)i + 1, "not deleting \"%s\": %s", entry,
                        bad ? bad : msg);
        else if (print && w.exists)
            print_path(dir, entry);
        free(msg);
    }
    free(mpath);
    return kept;
}

/* Step 1: delete the STALE entries of OLD that are there (and the folders
 * this leaves empty); each becomes GONE.  Returns 0, or -1 after an
 * error. */
static int prune(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
                  unsigned char *fate)
{
    char *mpath = tgl_path_join(dir->path, TGL_MANIFEST);
    int ret = 0;
    for (size_t i = 0; i < old->n && ret == 0; i++) {
        const char *entry = old->lines[i];
        struct tgl_where w;
        if (fate[i] != STALE)
            continue;
        char *msg = tgl_walk(dir, entry, &w, false), *folder = NULL;   /* as find_stale's */
        if (msg != NULL || (w.exists && unlinkat(w.fd, w.rest, 0) == -1)) {
            tgl_error(doc->diag, mpath, (unsigned)i + 1, "cannot delete \"%s\": %s", entry,
                      msg ? msg : strerror(errno));
            ret = -1;
        } else if ((folder = remove_empty_parents(dir, entry)) == NULL) {
            fate[i] = GONE;
        } else {                                 /* listed still: the next run tries again */
            tgl_error(doc->diag, mpath, (unsigned)i + 1, "after deleting \"%s\": %s", entry,
                      folder);
            ret = -1;
        }
        free(folder);
        free(msg);
    }
    free(mpath);
    return ret;
}

/* A manifest TEXT[0..N) to a new temp file in DIR, named in TEMP (48
 * bytes; "" when none is left).  Returns 0, or -1 after reporting. */
static int manifest_temp(struct tgl_doc *doc, struct tgl_dir *dir, const char *text, size_t n,
                         char *temp)
{
    snprintf(temp, 48, TEMP_IN, dir->fd);
    if (tgl_write_temp(temp, text, n, 0644, doc->diag) == 0)
        return 0;
    out_error(doc, dir, NULL, "write");
    return -1;
}

/* Rename the manifest temp file TEMP over DIR's manifest ("" after it).
 * Returns 0, or -1 after reporting (TEMP is left for the caller). */
static int manifest_rename(struct tgl_doc *doc, struct tgl_dir *dir, char *temp)
{
    if (renameat(AT_FDCWD, temp, dir->fd, TGL_MANIFEST) == -1) {
        out_error(doc, dir, NULL, "write");
        return -1;
    }
    temp[0] = '\0';
    return 0;
}

/* The old manifest as it is after pruning: OLD's lines but the GONE ones
 * (a missing OLD: no manifest); a failure is reported. */
static void put_back(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
                     const unsigned char *fate)
{
    if (!old->exists) {
        if (unlinkat(dir->fd, TGL_MANIFEST, 0) == -1 && errno != ENOENT)
            out_error(doc, dir, NULL, "remove");
        return;
    }
    struct tgl_buf all = { 0 };
    for (size_t i = 0; i < old->n; i++)
        if (fate[i] != GONE) {
            tgl_buf_adds(&all, old->lines[i]);
            tgl_buf_addc(&all, '\n');
        }
    char temp[48];
    if (manifest_temp(doc, dir, all.data ? all.data : "", all.len, temp) == 0
        && manifest_rename(doc, dir, temp) != 0)
        tgl_remove_temp(temp, doc->diag);
    tgl_buf_free(&all);
}

/* Steps 1 to 5 (the top of the file), MANIFEST written when MCHANGED or
 * after an intent manifest; FATE from find_stale.  Returns 0, or 2 after
 * an error reported at the block; no temp file is left either way. */
static int write_all(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
                     struct tgl_output *outs, size_t nouts, const struct tgl_buf *manifest,
                     bool mchanged, unsigned char *fate)
{
    char(*temp)[48] = tgl_xcalloc(nouts, sizeof *temp);  /* "": none */
    char mtemp[48] = "";
    int ret = 2;
    bool renaming = false, installed = false;
    sigset_t mask;
    tgl_hold_signals(&mask);                     /* till the temp files are renamed */
    /* A killed run's temp files, in every folder opened so far: the
     * outputs' (tgl_build_outputs) and the stale entries' (find_stale), so
     * that pruning empties the folders it must (DIR's went first). */
    for (size_t i = 0; i < dir->nfds; i++)
        remove_stale_temps(dir->fds[i]);
    bool writes = false;
    for (size_t i = 0; i < nouts; i++)
        writes |= outs[i].act == TGL_CREATE || outs[i].act == TGL_CHANGE;
    if (writes || mchanged) {                    /* step 0: step 2's manifest */
        struct tgl_buf next = { 0 };
        tgl_buf_adds(&next, writes ? "\n" : "");
        tgl_buf_add(&next, manifest->data, manifest->len);
        int r = manifest_temp(doc, dir, next.data, next.len, mtemp);
        tgl_buf_free(&next);
        if (r != 0)
            goto out;
    }
    if (prune(doc, dir, old, fate) != 0)
        goto out;
    if (mtemp[0] != '\0') {
        if (manifest_rename(doc, dir, mtemp) != 0)
            goto out;
        installed = true;
    }
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
        if (tgl_write_temp(temp[i], o->content.data, o->content.len, o->mode, doc->diag) != 0) {
            out_error(doc, dir, o, "write");
            goto out;
        }
    }
    renaming = true;                             /* from here on, an intent manifest is true */
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
    if (writes && (manifest_temp(doc, dir, manifest->data, manifest->len, mtemp) != 0
                   || manifest_rename(doc, dir, mtemp) != 0))
        goto out;                                /* step 5 */
    ret = 0;
out:
    for (size_t i = 0; i < nouts; i++)
        tgl_remove_temp(temp[i], doc->diag);
    tgl_remove_temp(mtemp, doc->diag);
    /* A failure before the renames: the manifest on disk must list no file
     * pruning deleted, nor one not written (an installed manifest is then the
     * intent manifest: a final one leaves nothing that can fail). */
    if (ret != 0 && !renaming && (installed || memchr(fate, GONE, old->n) != NULL))
        put_back(doc, dir, old, fate);
    free(temp);
    sigprocmask(SIG_SETMASK, &mask, NULL);       /* a held signal ends the run here */
    return ret;
}

/* MANIFEST anew: the outputs' paths and the UNCHECKED entries of OLD,
 * sorted, each once (an old manifest may list an entry twice). */
static void list_kept(struct tgl_buf *manifest, const struct tgl_manifest *old,
                      const unsigned char *fate, const struct tgl_output *outs, size_t nouts)
{
    const char **v = tgl_xcalloc(nouts + old->n, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < nouts; i++)
        v[n++] = outs[i].path;
    for (size_t i = 0; i < old->n; i++)
        if (fate[i] == UNCHECKED)
            v[n++] = old->lines[i];
    qsort(v, n, sizeof *v, tgl_cmp_str);
    manifest->len = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(v[i], v[i - 1]) != 0) {
            tgl_buf_adds(manifest, v[i]);
            tgl_buf_addc(manifest, '\n');
        }
    free(v);
}

static bool differs(const struct tgl_manifest *old, const struct tgl_buf *manifest)
{
    return !old->exists || old->text.len != manifest->len
           || (manifest->len > 0 && memcmp(old->text.data, manifest->data, manifest->len) != 0);
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
     * changes the manifest, so "work" needs no count of stale files.  An
     * entry that cannot be checked stays listed, so that a later run can
     * delete it (and does not take it for a file tangle did not write). */
    unsigned char *fate = tgl_xcalloc(old->n + 1, 1);   /* AS_IS */
    bool mchanged = differs(old, &manifest);
    size_t kept = mchanged ? find_stale(doc, dir, old, outs, nouts, fate, check) : 0;
    if (kept > 0) {
        list_kept(&manifest, old, fate, outs, nouts);
        mchanged = differs(old, &manifest);
    }
    int ret = 0;
    if (check) {
        if (mchanged)
            print_path(dir, TGL_MANIFEST);
        ret = work || mchanged;
    } else {
        remove_stale_temps(dir->fd);             /* the top of the file says why only DIR */
        if (work || mchanged)
            ret = write_all(doc, dir, old, outs, nouts, &manifest, mchanged, fate);
    }
    free(fate);
    tgl_buf_free(&manifest);
    return ret;
}
