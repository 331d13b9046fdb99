/* floor.c: the least work any tangle has to do, as a yardstick for
 * make bench-tangle.
 *
 * Usage: floor -o DIR FILE.md...
 *
 * Reads every input once and parses it with md4c, with callbacks that do
 * nothing; then reads once every file listed in DIR/.tangled (the outputs
 * a no-op or --check run has to compare).  Tangle does all of this and
 * more, so its time divided by this one says what its own work costs.
 * Exit status 0, or 1 after "floor: PATH: strerror" on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <md4c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct buf {
    char *data;
    size_t len, cap;
};

/* Read PATH whole into B (B->len = 0 first).  Returns 0 or -1 after a
 * message. */
static int read_all(const char *path, struct buf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    b->len = 0;
    if (fd == -1)
        goto fail;
    for (;;) {
        if (b->cap - b->len < 65536) {
            b->cap = b->cap ? b->cap * 2 : 1 << 20;
            b->data = realloc(b->data, b->cap);
            if (b->data == NULL) {
                fputs("floor: out of memory\n", stderr);
                exit(1);
            }
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            goto fail;
        if (n == 0)
            break;
        b->len += (size_t)n;
    }
    close(fd);
    return 0;
fail:
    fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
    if (fd != -1)
        close(fd);
    return -1;
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
    struct buf in = { 0 }, manifest = { 0 };
    int status = 0;
    for (int i = 3; i < argc; i++) {
        if (read_all(argv[i], &in) != 0)
            return 1;
        if (md_parse(in.data, (MD_SIZE)in.len, &parser, NULL) != 0) {
            fprintf(stderr, "floor: %s: md4c failed\n", argv[i]);
            return 1;
        }
    }
    size_t dlen = strlen(dir);
    char *path = malloc(dlen + sizeof "/.tangled");
    if (path == NULL)
        return 1;
    memcpy(path, dir, dlen);
    memcpy(path + dlen, "/.tangled", sizeof "/.tangled");
    if (read_all(path, &manifest) != 0)
        return 1;
    for (size_t at = 0; at < manifest.len;) {
        char *nl = memchr(manifest.data + at, '\n', manifest.len - at);
        size_t n = (nl ? (size_t)(nl - manifest.data) : manifest.len) - at;
        char *p = realloc(path, dlen + n + 2);
        if (p == NULL)
            return 1;
        path = p;
        path[dlen] = '/';
        memcpy(path + dlen + 1, manifest.data + at, n);
        path[dlen + 1 + n] = '\0';
        if (n > 0 && read_all(path, &in) != 0)
            status = 1;
        at += n + 1;
    }
    free(path);
    free(in.data);
    free(manifest.data);
    return status;
}
