/* paths.c: rules for output paths, by syntax and against the file system:
 * the output folder, its lock, and the one walk that checks a path and
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
    const char *c = path;
    for (;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return "'..' component (the path must stay inside the output folder)";
        if (n == 0)
            return slash ? "empty path component ('//' or a trailing '/')" : "path ends in '/'";
        if (n == 1 && c[0] == '.')
            return "'.' component";
        if (slash == NULL)
            break;
        c = slash + 1;
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

int tgl_dir_open(struct tgl_dir *dir, const char *path, bool create, struct tgl_diag *d)
{
    memset(dir, 0, sizeof *dir);
    dir->path = path;
    dir->fd = -1;
    dir->last_len = SIZE_MAX;
    /* A folder descriptor per output folder stays open until the end. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    char *p = tgl_xstrdup(path);
    for (char *s = p + 1; create; s++) {         /* mkdir -p, remembering what it made */
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0777) == 0) {
            TGL_GROW(dir->made, dir->cap_made, dir->nmade + 1);
            dir->made[dir->nmade++] = tgl_xstrdup(p);
        } else if (errno != EEXIST) {
            break;                               /* open says why */
        }
        *s = saved;
        if (saved == '\0')
            break;
    }
    free(p);
    dir->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir->fd == -1 && errno == ENOENT && !create)
        return 0;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", dir->fd);
    if (dir->fd == -1 || flock(dir->fd, create ? LOCK_EX : LOCK_SH) == -1
        || (dir->real = realpath(proc, NULL)) == NULL) {
        tgl_sys_error(d, path);
        return -1;
    }
    return 0;
}

void tgl_dir_close(struct tgl_dir *dir, bool failed)
{
    for (size_t i = 0; i < dir->nfds; i++)
        close(dir->fds[i]);
    if (dir->fd != -1)
        close(dir->fd);
    for (size_t i = dir->nmade; i > 0; i--) {
        if (failed)
            rmdir(dir->made[i - 1]);
        free(dir->made[i - 1]);
    }
    free(dir->made);
    free(dir->fds);
    free(dir->real);
    free(dir->last);
    memset(dir, 0, sizeof *dir);
    dir->fd = -1;
}

/* Is the file NAME in the folder FD (or FD itself, NAME NULL), resolved
 * through every symlink, DIR or below it?  Sets errno when it does not
 * resolve. */
static bool inside(const struct tgl_dir *dir, int fd, const char *name, bool *resolves)
{
    struct tgl_buf p = { 0 };
    tgl_buf_addf(&p, "/proc/self/fd/%d%s%s", fd, name ? "/" : "", name ? name : "");
    char *real = realpath(p.data, NULL);
    tgl_buf_free(&p);
    *resolves = real != NULL;
    size_t n = strlen(dir->real);
    bool in = real != NULL && strncmp(real, dir->real, n) == 0
              && (real[n] == '\0' || real[n] == '/' || (n == 1 && dir->real[0] == '/'));
    free(real);
    return in;
}

static const char outside[] = "is a symlink that leads outside the output folder";

/* "DIR/PATH[0..N)" and MSG (naming DIR after outside), or "cannot check
 * DIR/PATH[0..N): strerror". */
static char *why(const struct tgl_dir *dir, const char *path, size_t n, const char *msg)
{
    struct tgl_buf m = { 0 };
    char *part = tgl_xstrndup(path, n);
    char *full = tgl_path_join(dir->path, part);
    if (msg != NULL)
        tgl_buf_addf(&m, "%s %s%s%s", full, msg, msg == outside ? " " : "",
                     msg == outside ? dir->path : "");
    else
        tgl_buf_addf(&m, "cannot check %s: %s", full, strerror(errno));
    free(full);
    free(part);
    return m.data;
}

/* The folder NAME in FD, checked; -1 with *MSG NULL when it is missing. */
static int open_folder(struct tgl_dir *dir, int fd, const char *name, const char *path,
                       size_t n, char **msg)
{
    struct stat st;
    bool resolves;
    *msg = NULL;
    int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next != -1 || errno == ENOENT)
        return next;
    if ((errno != ELOOP && errno != ENOTDIR) || fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
        *msg = why(dir, path, n, NULL);
    } else if (!S_ISLNK(st.st_mode)) {
        *msg = why(dir, path, n, "exists and is not a folder");
    } else if ((next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
        *msg = why(dir, path, n, errno == ENOENT ? "is a symlink that does not resolve"
                                 : errno == ENOTDIR ? "exists and is not a folder" : NULL);
    } else if (!inside(dir, next, NULL, &resolves)) {
        close(next);
        next = -1;
        *msg = why(dir, path, n, outside);
    }
    return next;
}

char *tgl_walk(struct tgl_dir *dir, const char *path, struct tgl_where *w)
{
    const char *slash = strrchr(path, '/');
    size_t folders = slash ? (size_t)(slash - path) : 0, done = 0;
    int fd = dir->fd;
    char *msg = NULL;
    memset(w, 0, sizeof *w);
    if (dir->fd == -1) {                         /* DIR does not exist: nor does PATH */
        w->fd = -1;
        w->rest = path;
        return NULL;
    }
    if (dir->last_len == folders && memcmp(dir->last, path, folders) == 0) {
        fd = dir->last_fd;                        /* the same folders as last time */
        done = dir->last_done;
    } else {
        while ((slash = strchr(path + done, '/')) != NULL) {
            char *name = tgl_xstrndup(path + done, (size_t)(slash - path - done));
            int next = open_folder(dir, fd, name, path, (size_t)(slash - path), &msg);
            free(name);
            if (next == -1 && msg == NULL)
                break;                            /* missing from here on */
            if (fd != dir->fd)
                close(fd);
            if (next == -1)
                return msg;
            fd = next;
            done = (size_t)(slash + 1 - path);
        }
        if (fd != dir->fd) {
            TGL_GROW(dir->fds, dir->cap_fds, dir->nfds + 1);
            dir->fds[dir->nfds++] = fd;
        }
        free(dir->last);
        dir->last = tgl_xstrndup(path, folders);
        dir->last_len = folders;
        dir->last_fd = fd;
        dir->last_done = done;
    }
    w->fd = fd;
    w->rest = path + done;
    if (strchr(w->rest, '/') != NULL)             /* a folder is missing */
        return NULL;
    if (fstatat(fd, w->rest, &w->st, AT_SYMLINK_NOFOLLOW) == -1)
        return errno == ENOENT ? NULL : why(dir, path, strlen(path), NULL);
    w->exists = true;
    bool resolves;
    struct stat st = w->st;
    if (S_ISLNK(st.st_mode)) {
        if (!inside(dir, fd, w->rest, &resolves))
            return why(dir, path, strlen(path),
                       resolves ? outside : "is a symlink that does not resolve");
        if (fstatat(fd, w->rest, &st, 0) == -1)
            return why(dir, path, strlen(path), NULL);
    }
    if (S_ISDIR(st.st_mode))
        return why(dir, path, strlen(path), "is a folder");
    if (!S_ISREG(st.st_mode))
        return why(dir, path, strlen(path), "exists and is not a regular file");
    return NULL;
}
