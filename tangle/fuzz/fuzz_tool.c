/* fuzz_tool.c: libFuzzer target over the whole tool, file system included.
 *
 * fuzz_tangle.c stops before the paths; this one calls tangle's own main()
 * (main.c built with -Dmain=tangle_main) on a scratch folder, so that the
 * output folder, the path walk, the manifest, pruning, writing and --stitch
 * are fuzzed too.  The input is Markdown files separated by "%%%%" lines,
 * as for fuzz_tangle.c (the same seeds work).  For each input, in a scratch
 * folder emptied first:
 *   1. tangle -o out F...           write everything, make the manifest
 *   2. tangle -o out --check F...   must find nothing to do after 1 succeeded
 *   3. one output changed (its last line doubled), then tangle --stitch;
 *      when that succeeds, tangle --check must be clean
 *   4. tangle -o out F1             fewer chapters: the rest is pruned
 *   5. tangle -o out --list F... (odd-sized inputs: --line-directives)
 * A contract broken on the way (2 or 3 finding work) aborts, so libFuzzer
 * reports it.
 * Run it with -close_fd_mask=3: tangle's messages are not wanted. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tangle_main(int argc, char **argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n%%%%\n"
#define MAX_FILES 8

static char scratch[] = "/tmp/fuzz-tool-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    if (ftw->level > 0 && remove(path) == -1) {
        chmod(path, 0700);                   /* a folder without x: let us in */
        return remove(path) == -1 && nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0;
    }
    return 0;
}

static void empty_scratch(void)
{
    if (nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        perror("fuzz_tool: cleaning the scratch folder");
        abort();
    }
}

static void clean_up(void)
{
    empty_scratch();
    rmdir(scratch);
}

static int run(int argc, char **argv)
{
    optind = 0;                              /* glibc: start getopt afresh */
    return tangle_main(argc, argv);
}

/* Double the last line of the first regular file in OUT (not the
 * manifest): an edit for --stitch to carry back. */
static void edit_one_output(const char *out)
{
    DIR *d = opendir(out);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0
            || st.st_size > 1 << 20)
            continue;
        FILE *f = fopen(path, "r+");
        char *buf = malloc((size_t)st.st_size);
        if (f && buf && fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
            size_t n = (size_t)st.st_size, s = n - 1;
            while (s > 0 && buf[s - 1] != '\n')
                s--;
            fseek(f, 0, SEEK_END);
            fwrite(buf + s, 1, n - s, f);
        }
        free(buf);
        if (f)
            fclose(f);
        break;
    }
    if (d)
        closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (mkdtemp(scratch) == NULL) {
            perror("fuzz_tool: mkdtemp");
            abort();
        }
        atexit(clean_up);
        ready = 1;
    }
    empty_scratch();

    char out[64], names[MAX_FILES][64];
    char *argv[MAX_FILES + 8];
    size_t nfiles = 0;
    const char *p = (const char *)data, *end = p + size;
    snprintf(out, sizeof out, "%s/out", scratch);
    while (nfiles < MAX_FILES) {
        const char *sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
        const char *stop = sep && nfiles + 1 < MAX_FILES ? sep : end;
        snprintf(names[nfiles], sizeof names[nfiles], "%s/%c.md", scratch, (int)('a' + nfiles));
        int fd = open(names[nfiles], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd == -1 || write(fd, p, (size_t)(stop - p)) != stop - p || close(fd) != 0) {
            perror("fuzz_tool: writing an input");
            abort();
        }
        nfiles++;
        if (stop == end)
            break;
        p = stop + strlen(SEP);
    }

    int argc = 0;
    argv[argc++] = "tangle";
    argv[argc++] = "-o";
    argv[argc++] = out;
    int first = argc;
    for (size_t i = 0; i < nfiles; i++)
        argv[argc++] = names[i];
    argv[argc] = NULL;
    int status = run(argc, argv);

    if (status == 0) {                       /* written: now there is nothing to do */
        char *check[MAX_FILES + 8];
        memcpy(check, argv, sizeof check);
        memmove(check + first + 1, check + first, (size_t)(argc - first + 1) * sizeof *check);
        check[first] = "--check";
        if (run(argc + 1, check) != 0) {
            fputs("fuzz_tool: --check right after a successful run found work\n", stderr);
            abort();
        }
        edit_one_output(out);
        check[first] = "--stitch";
        if (run(argc + 1, check) == 0) {     /* carried back: --check is clean */
            check[first] = "--check";
            if (run(argc + 1, check) != 0) {
                fputs("fuzz_tool: --check not clean after a successful --stitch\n", stderr);
                abort();
            }
        }
    }
    argv[first + 1] = NULL;                  /* fewer chapters: pruning */
    run(first + 1, argv);
    argv[first] = size & 1 ? "--line-directives" : "--list";
    for (size_t i = 0; i < nfiles; i++)
        argv[first + 1 + i] = names[i];
    argv[first + 1 + nfiles] = NULL;
    run(argc + 1, argv);
    return 0;
}
