/* write.c: bring the output folder in line with the outputs: write them
 * atomically (temp file + rename), prune stale files, keep the manifest
 * DIR/.tangled.  Everything that can fail is done before the first rename:
 * folders are created and every temp file is written first, and on any
 * failure they are all removed again.  Every name is used relative to a
 * folder descriptor from tgl_walk (or made below one here). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tangle.h"

#define TEMP_PREFIX ".tangle-"

/* One name in a folder: a temp file to rename or remove, a folder made, a
 * stale file to delete. */
struct name {
    int fd;
    char *name;          /* owned */
    const char *path;    /* the output path, for messages */
};

struct names {
    struct name *v;
    size_t n, cap;
};

/* Add NAME (allocated: the list owns it) in the folder FD. */
static void names_add(struct names *l, int fd, char *name, const char *path)
{
    TGL_GROW(l->v, l->cap, l->n + 1);
    l->v[l->n++] = (struct name){ fd, name, path };
}

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
}

/* Report the failed system call WHAT on the output O, at its block. */
static void out_error(struct tgl_doc *doc, const struct tgl_dir *dir, const struct tgl_output *o,
                      const char *what)
{
    int e = errno;
    char *full = tgl_path_join(dir->path, o ? o->path : TGL_MANIFEST);
    if (o != NULL)
        tgl_error(doc->diag, doc->inputs[o->root->input].path, o->root->line,
                  "file=\"%s\": cannot %s %s: %s", o->path, what, full, strerror(e));
    else
        tgl_error(doc->diag, full, 0, "cannot %s it: %s", what, strerror(e));
    free(full);
}

/* Is NAME one of our temp files: ".tangle-XXXXXX", or ".NAME.tangle-XXXXXX"
 * from older versions of tangle? */
static bool is_temp(const char *name)
{
    size_t n = strlen(name), p = strlen(TEMP_PREFIX);
    if (n < p + 6 || name[0] != '.' || memcmp(name + n - 6 - p, TEMP_PREFIX, p) != 0)
        return false;
    for (size_t i = n - 6; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z')
              || (name[i] >= '0' && name[i] <= '9')))
            return false;
    return true;
}

/* Delete the temp files that a killed run left in the folder FD.  The
 * lock on DIR keeps every other run of tangle out, so none is in use. */
static void remove_stale_temps(int fd)
{
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dp = dfd == -1 ? NULL : fdopendir(dfd);
    if (dp == NULL) {
        if (dfd != -1)
            close(dfd);
        return;                  /* not fatal: they will go next time */
    }
    for (struct dirent *e; (e = readdir(dp)) != NULL;)
        if (is_temp(e->d_name))
            unlinkat(fd, e->d_name, 0);
    closedir(dp);
}

/* Make the missing folders of O->where.rest, recording them in MADE, each
 * checked by walking to it again (which also finds the folders that an
 * output before made).  Returns NULL, or a message (allocated). */
static char *make_folders(struct tgl_dir *dir, struct tgl_output *o, struct names *made)
{
    struct tgl_where *w = &o->where;
    for (const char *slash; (slash = strchr(w->rest, '/')) != NULL;) {
        char *name = tgl_xstrndup(w->rest, (size_t)(slash - w->rest));
        if (mkdirat(w->fd, name, 0777) == 0) {
            names_add(made, w->fd, name, o->path);
            dir->last_len = SIZE_MAX;            /* tgl_walk's cache knew it missing */
        } else {
            free(name);
            if (errno != EEXIST)
                return tgl_xstrdup(strerror(errno));
        }
        char *msg = tgl_walk(dir, o->path, w);
        if (msg != NULL)
            return msg;
    }
    return NULL;
}

/* Write DATA to a new temp file in the folder FD with exactly MODE;
 * record its name in TEMPS.  Returns 0, or -1 (errno set, nothing left). */
static int write_temp(int fd, const char *data, size_t len, mode_t mode, const char *path,
                      struct names *temps)
{
    char t[64];
    snprintf(t, sizeof t, "/proc/self/fd/%d/" TEMP_PREFIX "XXXXXX", fd);
    int tfd = mkostemp(t, O_CLOEXEC);
    if (tfd == -1)
        return -1;
    const char *name = strrchr(t, '/') + 1;
    if (tgl_write_fd(tfd, data, len) == 0 && fchmod(tfd, mode) == 0 && close(tfd) == 0) {
        names_add(temps, fd, tgl_xstrdup(name), path);
        return 0;
    }
    int e = errno;
    close(tfd);                                  /* (again, after a failed close: EBADF) */
    unlinkat(fd, name, 0);
    errno = e;
    return -1;
}

/* After deleting the stale PATH, remove the folders of PATH that the
 * deletion left empty, deepest first, as git does; DIR itself stays.
 * Only an empty folder can go (and a symlink never: it is not a folder
 * for unlinkat), so nothing a person put there is lost. */
static void remove_empty_parents(struct tgl_dir *dir, const char *path)
{
    char *p = tgl_xstrdup(path);
    for (char *slash; (slash = strrchr(p, '/')) != NULL;) {
        *slash = '\0';
        struct tgl_where w;
        free(tgl_walk(dir, p, &w));              /* a folder: "is a folder" */
        if (!w.exists || !S_ISDIR(w.st.st_mode) || unlinkat(w.fd, w.rest, AT_REMOVEDIR) == -1)
            break;
        dir->last_len = SIZE_MAX;
    }
    free(p);
}

static void print_path(const struct tgl_dir *dir, const char *path)
{
    char *full = tgl_path_join(dir->path, path);
    printf("%s\n", full);
    free(full);
}

static int cmp_path(const void *key, const void *elem)
{
    return strcmp(key, ((const struct tgl_output *)elem)->path);
}

int tgl_sync(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
             struct tgl_output *outs, size_t nouts, enum tgl_mode mode)
{
    struct tgl_diag *d = doc->diag;
    int ret = 2;
    struct tgl_buf manifest = { 0 };
    struct names stale = { 0 }, made = { 0 }, temps = { 0 };
    char *mpath = tgl_path_join(dir->path, TGL_MANIFEST);
    size_t ndiff = 0, nrenamed = 0;
    sigset_t blocked;                            /* the mask before phase 1 */
    sigprocmask(SIG_SETMASK, NULL, &blocked);

    for (size_t i = 0; i < nouts; i++) {
        ndiff += outs[i].act != TGL_SAME;
        tgl_buf_adds(&manifest, outs[i].path);
        tgl_buf_addc(&manifest, '\n');
    }
    for (size_t i = 0; i < old->n; i++) {        /* stale: listed, no longer produced */
        const char *entry = old->lines[i];
        if (entry[0] == '\0' || bsearch(entry, outs, nouts, sizeof *outs, cmp_path) != NULL)
            continue;
        const char *bad = tgl_path_syntax_error(entry);
        struct tgl_where w;
        char *msg = bad ? NULL : tgl_walk(dir, entry, &w);
        if (bad || msg)
            tgl_warning(d, mpath, (unsigned)i + 1, "not deleting \"%s\": %s", entry,
                        bad ? bad : msg);
        else if (w.exists)
            names_add(&stale, w.fd, tgl_xstrdup(w.rest), entry);
        free(msg);
    }
    bool mchanged = !old->exists || old->text.len != manifest.len
                    || (manifest.len > 0
                        && memcmp(old->text.data, manifest.data, manifest.len) != 0);
    ndiff += stale.n + mchanged;

    if (mode == TGL_CHECK) {
        for (size_t i = 0; i < nouts; i++)
            if (outs[i].act != TGL_SAME)
                print_path(dir, outs[i].path);
        for (size_t i = 0; i < stale.n; i++)
            print_path(dir, stale.v[i].path);
        if (mchanged)
            print_path(dir, TGL_MANIFEST);
        ret = ndiff ? 1 : 0;
        goto out;
    }

    dir->last_len = SIZE_MAX;                    /* folders are made from here on */
    remove_stale_temps(dir->fd);
    for (size_t i = 0; i < nouts; i++)
        if (strchr(outs[i].where.rest, '/') == NULL
            && (i == 0 || outs[i].where.fd != outs[i - 1].where.fd))
            remove_stale_temps(outs[i].where.fd);
    if (ndiff == 0) {
        ret = 0;
        goto out;
    }

    /* From here to the end, a signal that would end the run waits until the
     * temp files are renamed or removed: none is left behind. */
    sigset_t fatal;
    sigemptyset(&fatal);
    sigaddset(&fatal, SIGHUP);
    sigaddset(&fatal, SIGINT);
    sigaddset(&fatal, SIGQUIT);
    sigaddset(&fatal, SIGTERM);
    sigprocmask(SIG_BLOCK, &fatal, &blocked);

    /* Phase 1: folders and temp files.  Nothing visible changes yet. */
    for (size_t i = 0; i < nouts; i++) {
        struct tgl_output *o = &outs[i];
        if (o->act != TGL_CREATE && o->act != TGL_CHANGE)
            continue;
        char *msg = make_folders(dir, o, &made);
        if (msg != NULL) {
            char *full = tgl_path_join(dir->path, o->path);
            tgl_error(d, doc->inputs[o->root->input].path, o->root->line,
                      "file=\"%s\": cannot make the folder for %s: %s", o->path, full, msg);
            free(full);
            free(msg);
            goto out;
        }
        if (write_temp(o->where.fd, o->content.data, o->content.len, o->mode, o->path,
                       &temps) != 0) {
            out_error(doc, dir, o, "write");
            goto out;
        }
    }
    if (mchanged && write_temp(dir->fd, manifest.data, manifest.len, 0644, NULL, &temps) != 0) {
        out_error(doc, dir, NULL, "write");
        goto out;
    }

    /* Phase 2: renames (atomic per file), mode fixes, pruning, manifest. */
    for (size_t i = 0, t = 0; i < nouts; i++) {
        struct tgl_output *o = &outs[i];
        if (o->act == TGL_CREATE || o->act == TGL_CHANGE) {
            struct name *tmp = &temps.v[t++];
            if (renameat(tmp->fd, tmp->name, o->where.fd, o->where.rest) == -1) {
                out_error(doc, dir, o, "rename a temp file to");
                goto out;
            }
            nrenamed = t;
        } else if (o->act == TGL_CHMOD) {
            int fd = tgl_open_file(o->where.fd, o->where.rest);
            int bad = fd == -1 || fchmod(fd, o->mode) == -1;
            if (fd != -1)
                close(fd);
            if (bad) {
                out_error(doc, dir, o, "change the mode of");
                goto out;
            }
        }
    }
    for (size_t i = 0; i < stale.n; i++) {
        if (unlinkat(stale.v[i].fd, stale.v[i].name, 0) == -1 && errno != ENOENT) {
            tgl_error(d, mpath, 0, "cannot delete \"%s\": %s", stale.v[i].path, strerror(errno));
            goto out;
        }
        remove_empty_parents(dir, stale.v[i].path);
    }
    if (mchanged && renameat(dir->fd, temps.v[temps.n - 1].name, dir->fd, TGL_MANIFEST) == -1) {
        out_error(doc, dir, NULL, "rename a temp file to");
        goto out;
    }
    nrenamed = temps.n;
    ret = 0;
out:                                             /* on an error: undo phase 1 */
    for (size_t i = nrenamed; i < temps.n; i++)
        unlinkat(temps.v[i].fd, temps.v[i].name, 0);
    for (size_t i = made.n; ret == 2 && nrenamed == 0 && i > 0; i--)
        unlinkat(made.v[i - 1].fd, made.v[i - 1].name, AT_REMOVEDIR);
    free(mpath);
    tgl_buf_free(&manifest);
    names_free(&stale);
    names_free(&made);
    names_free(&temps);
    sigprocmask(SIG_SETMASK, &blocked, NULL);    /* a pending signal ends the run here */
    return ret;
}
