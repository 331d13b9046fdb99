/* paths.c: rules for output paths, by syntax and against the file system. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
    if (strcmp(path, TGL_MANIFEST) == 0)
        return "the output folder's manifest " TGL_MANIFEST " is reserved";
    return NULL;
}

char *tgl_path_join(const char *dir, const char *path)
{
    size_t dl = strlen(dir);
    bool slash = dl > 0 && dir[dl - 1] == '/';
    struct tgl_buf b = { 0 };
    tgl_buf_add(&b, dir, dl);
    if (!slash && dl > 0)
        tgl_buf_addc(&b, '/');
    tgl_buf_adds(&b, path);
    return b.data;
}

/* Is REAL (a resolved path) DIR_REAL itself or below it? */
static bool inside(const char *real, const char *dir_real)
{
    size_t n = strlen(dir_real);
    if (n == 1 && dir_real[0] == '/')
        return true;
    return strncmp(real, dir_real, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

char *tgl_path_fs_error(const char *dir, const char *dir_real, const char *path,
                        bool *missing)
{
    char *msg = NULL;
    char *full = tgl_path_join(dir, path);
    struct tgl_buf m = { 0 };
    *missing = true;
    if (dir_real == NULL)
        goto out;                      /* DIR does not exist yet: all is new */

    size_t base = strlen(full) - strlen(path);
    for (char *p = full + base;; p++) {
        bool last = *p == '\0';
        if (*p != '/' && !last)
            continue;
        char saved = *p;
        *p = '\0';
        struct stat st;
        if (lstat(full, &st) == -1) {
            if (errno != ENOENT && errno != ENOTDIR)
                tgl_buf_addf(&m, "cannot check %s: %s", full, strerror(errno));
            *p = saved;
            break;                     /* the rest will be created */
        }
        if (S_ISLNK(st.st_mode)) {
            char *real = realpath(full, NULL);
            if (real == NULL)
                tgl_buf_addf(&m, "%s is a symlink that does not resolve", full);
            else if (!inside(real, dir_real))
                tgl_buf_addf(&m, "%s is a symlink that leads outside the output folder %s",
                             full, dir);
            else if (stat(full, &st) == -1)
                tgl_buf_addf(&m, "cannot check %s: %s", full, strerror(errno));
            free(real);
        }
        if (m.len == 0 && !last && !S_ISDIR(st.st_mode))
            tgl_buf_addf(&m, "%s exists and is not a folder", full);
        if (m.len == 0 && last && S_ISDIR(st.st_mode))
            tgl_buf_addf(&m, "%s is a folder", full);
        if (m.len == 0 && last && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            tgl_buf_addf(&m, "%s exists and is not a regular file", full);
        *p = saved;
        if (last && m.len == 0)
            *missing = false;
        if (m.len > 0 || last)
            break;
    }
out:
    msg = m.data;
    free(full);
    return msg;
}

int tgl_open_beneath(int dirfd, const char *path)
{
    /* Off for good once the kernel (or a seccomp filter) refuses openat2. */
    static atomic_bool unsupported;
    struct open_how how = {
        /* NONBLOCK and NOCTTY: a FIFO or a terminal here must not block
         * or change anything; the caller only reads regular files. */
        .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
        /* BENEATH: every step, symlinks included, stays inside DIR (an
         * absolute symlink fails even when it points inside: the slow
         * path then decides). */
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    if (atomic_load_explicit(&unsupported, memory_order_relaxed))
        return -1;
    long fd;
    do
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    while (fd == -1 && errno == EINTR);
    if (fd == -1 && (errno == ENOSYS || errno == EPERM))
        atomic_store_explicit(&unsupported, true, memory_order_relaxed);
    return (int)fd;
}
