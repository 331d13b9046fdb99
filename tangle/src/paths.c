/* paths.c: the rules for output paths: their syntax, the output folder
 * and its lock, and tgl_walk, the one walk that checks a path on disk and
 * yields the folder descriptor to write in. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tangle.h"

const char *tgl_path_syntax_error(const char *path)
{
    if (path[0] == '\0')
        return "empty path";
    if (path[0] == '/')
        return "absolute path (it must be relative to the output folder)";
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "control character in path";
    for (const char *c = path, *slash;; c = slash + 1) {
        slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return "'..' component (the path must stay inside the output folder)";
        if (n == 0)
            return slash ? "empty path component ('//' or a trailing '/')" : "path ends in '/'";
        if (n == 1 && c[0] == '.')
            return "'.' component";
        if (slash == NULL)
            break;
    }
    size_t m = strlen(TGL_MANIFEST);
    if (strncmp(path, TGL_MANIFEST, m) == 0 && (path[m] == '\0' || path[m] == '/'))
        return "the output folder's manifest " TGL_MANIFEST " is reserved";
    return NULL;
}

char *tgl_path_join(const char *dir, const char *path)
{
    size_t dl = strlen(dir);
    struct tgl_buf b = { 0 };
    tgl_buf_addf(&b, "%s%s%s", dir, dl > 0 && dir[dl - 1] != '/' ? "/" : "", path);
    return b.data;
}

/* Make the folder NAME in FD, remembering it so that a failed run removes
 * it again.  False (errno set) when it cannot be made. */
static bool make_folder(struct tgl_dir *dir, int fd, const char *name)
{
    if (mkdirat(fd, name, 0777) == -1)
        return false;
    TGL_GROW(dir->made, dir->cap_made, dir->nmade + 1);
    dir->made[dir->nmade].fd = fd;
    dir->made[dir->nmade++].name = tgl_xstrdup(name);
    return true;
}

int tgl_dir_open(struct tgl_dir *dir, const char *path, bool create, struct tgl_diag *d)
{
    *dir = (struct tgl_dir){ .path = path };
    /* The walk keeps a descriptor for every folder it checked, till the
     * writes into them are done: allow as many as the hard limit does. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    char *p = tgl_xstrdup(path);                 /* mkdir -p; open says what failed */
    for (char *s = p; create && (s = strchr(s + 1, '/')) != NULL; *s = '/') {
        *s = '\0';
        make_folder(dir, AT_FDCWD, p);
    }
    if (create)
        make_folder(dir, AT_FDCWD, path);
    free(p);
    dir->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir->fd == -1 && errno == ENOENT && !create)
        return 0;                                /* fd -1: every path is missing */
    if (dir->fd == -1 || flock(dir->fd, create ? LOCK_EX : LOCK_SH) == -1) {
        tgl_sys_error(d, path);
        return -1;
    }
    return 0;
}

void tgl_dir_close(struct tgl_dir *dir, bool failed)
{
    for (size_t i = dir->nmade; i > 0; i--) {    /* deepest first; rmdir: only if empty */
        if (failed)
            unlinkat(dir->made[i - 1].fd, dir->made[i - 1].name, AT_REMOVEDIR);
        free(dir->made[i - 1].name);
    }
    for (size_t i = 0; i < dir->nfds; i++)
        close(dir->fds[i]);
    if (dir->fd != -1)
        close(dir->fd);
    free(dir->made);
    free(dir->fds);
    free(dir->last);
    *dir = (struct tgl_dir){ .fd = -1 };
}

/* "DIR/PATH[0..N) MSG" (allocated); a MSG "cannot VERB" gives "cannot VERB
 * DIR/PATH[0..N): strerror(errno)". */
static char *why(const struct tgl_dir *dir, const char *path, size_t n, const char *msg)
{
    struct tgl_buf m = { 0 };
    char *full = tgl_path_join(dir->path, path);
    full[strlen(full) - strlen(path + n)] = '\0';     /* DIR/PATH[0..N) */
    if (strncmp(msg, "cannot ", 7) == 0)
        tgl_buf_addf(&m, "%s %s: %s", msg, full, strerror(errno));
    else
        tgl_buf_addf(&m, "%s %s", full, msg);
    free(full);
    return m.data;
}

/* What is wrong with finding a file of mode M where a folder (FOLDER) or a
 * regular file is wanted; NULL: nothing. */
static const char *wrong(mode_t m, bool folder)
{
    if (S_ISLNK(m))
        return "is a symlink: tangle follows no symlink below the output folder";
    if (S_ISDIR(m))
        return folder ? NULL : "is a folder";
    if (folder)
        return "exists and is not a folder";
    return S_ISREG(m) ? NULL : "exists and is not a regular file";
}

char *tgl_walk(struct tgl_dir *dir, const char *path, struct tgl_where *w, bool make)
{
    const int folder = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    const char *slash = strrchr(path, '/');
    size_t folders = slash ? (size_t)(slash - path) : 0;
    *w = (struct tgl_where){ .fd = dir->fd, .rest = path };
    if (dir->fd == -1)                           /* DIR does not exist: nor does PATH */
        return NULL;
    if (folders > 0 && dir->last && strlen(dir->last) == folders
        && memcmp(dir->last, path, folders) == 0) {
        w->fd = dir->last_fd;                    /* the same folders as last time */
        w->rest = slash + 1;
    }
    for (; (slash = strchr(w->rest, '/')) != NULL; w->rest = slash + 1) {
        char *name = tgl_xstrndup(w->rest, (size_t)(slash - w->rest));
        int fd = openat(w->fd, name, folder);
        if (fd == -1 && errno == ENOENT && make && make_folder(dir, w->fd, name))
            fd = openat(w->fd, name, folder);    /* (a symlink put there since: refused) */
        int e = errno;
        bool there = fd == -1 && fstatat(w->fd, name, &w->st, AT_SYMLINK_NOFOLLOW) == 0;
        const char *bad = there ? wrong(w->st.st_mode, true) : NULL;
        free(name);
        errno = e;
        if (fd == -1 && !there && e == ENOENT && !make)
            return NULL;                         /* missing from here on */
        if (fd == -1)
            return why(dir, path, (size_t)(slash - path),
                       bad ? bad : make && !there ? "cannot make" : "cannot check");
        TGL_GROW(dir->fds, dir->cap_fds, dir->nfds + 1);
        dir->fds[dir->nfds++] = fd;
        w->fd = fd;
        if (strchr(slash + 1, '/') == NULL) {    /* cache only a walk that got to the end */
            free(dir->last);
            dir->last = tgl_xstrndup(path, folders);
            dir->last_fd = fd;
        }
    }
    if (fstatat(w->fd, w->rest, &w->st, AT_SYMLINK_NOFOLLOW) == -1)
        return errno == ENOENT ? NULL : why(dir, path, strlen(path), "cannot check");
    w->exists = true;
    const char *bad = wrong(w->st.st_mode, false);
    return bad ? why(dir, path, strlen(path), bad) : NULL;
}
