/* floor.c: the least work any tangle has to do, as a yardstick for
 * make bench-tangle.
 *
 * Usage: floor -o DIR FILE.md...
 *
 * Maps every input (as tangle does) and parses it with md4c, with
 * callbacks that do nothing; then reads once every file listed in
 * DIR/.tangled (the outputs a no-op or --check run has to compare),
 * through one 64 KiB buffer (as tangle compares them), opened relative to
 * DIR (as tangle opens them: no walk down to DIR for each file).  Tangle does all
 * of this and more, so its time divided by this one says what its own
 * work costs.  Exit status 0, or 1 after "floor: PATH: strerror" on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <md4c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *path, int fd)
{
    fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
    if (fd != -1)
        close(fd);
    return -1;
}

/* Read PATH (relative to the folder DIRFD) to its end through BUF (64 KiB).
 * Returns 0 or -1 after a message. */
static int read_through(int dirfd, const char *path, char *buf)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    if (fd == -1)
        return fail(path, fd);
    while ((n = read(fd, buf, 65536)) != 0)
        if (n == -1 && errno != EINTR)
            return fail(path, fd);
    close(fd);
    return 0;
}

/* Map PATH (*LEN bytes) for reading; NULL after a message.  An empty
 * file maps to "" (mmap refuses length 0). */
static char *map(const char *path, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1 || fstat(fd, &st) == -1)
        return fail(path, fd), NULL;
    *len = (size_t)st.st_size;
    char *p = *len ? mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) : "";
    if (p == MAP_FAILED)
        return fail(path, fd), NULL;
    close(fd);
    return p;
}

static int block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    (void)type, (void)detail, (void)userdata;
    return 0;
}

static int span(MD_SPANTYPE type, void *detail, void *userdata)
{
    (void)type, (void)detail, (void)userdata;
    return 0;
}

static int text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE size, void *userdata)
{
    (void)type, (void)s, (void)size, (void)userdata;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "-o") != 0) {
        fputs("Usage: floor -o DIR FILE.md...\n", stderr);
        return 2;
    }
    const char *dir = argv[2];
    /* The same flags as tangle, so that md4c does the same work. */
    MD_PARSER parser = { .abi_version = 0, .flags = MD_FLAG_TABLES | MD_FLAG_NOHTMLSPANS,
                         .enter_block = block, .leave_block = block,
                         .enter_span = span, .leave_span = span, .text = text };
    static char buf[65536];
    int status = 0;
    for (int i = 3; i < argc; i++) {
        size_t len;
        char *in = map(argv[i], &len);
        if (in == NULL)
            return 1;
        if (md_parse(in, (MD_SIZE)len, &parser, NULL) != 0) {
            fprintf(stderr, "floor: %s: md4c failed\n", argv[i]);
            return 1;
        }
        if (len > 0)
            munmap(in, len);
    }
    size_t dlen = strlen(dir), mlen;
    char *path = malloc(dlen + sizeof "/.tangled");
    if (path == NULL)
        return 1;
    memcpy(path, dir, dlen);
    memcpy(path + dlen, "/.tangled", sizeof "/.tangled");
    char *manifest = map(path, &mlen);
    if (manifest == NULL)
        return 1;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd == -1)
        return fail(dir, -1), 1;
    for (size_t at = 0; at < mlen;) {
        char *nl = memchr(manifest + at, '\n', mlen - at);
        size_t n = (nl ? (size_t)(nl - manifest) : mlen) - at;
        char *p = realloc(path, n + 1);
        if (p == NULL)
            return 1;
        path = p;
        memcpy(path, manifest + at, n);
        path[n] = '\0';
        if (n > 0 && read_through(dirfd, path, buf) != 0)
            status = 1;
        at += n + 1;
    }
    close(dirfd);
    free(path);
    return status;
}
