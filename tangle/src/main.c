/* main.c: the command line of tangle (see DESIGN.md, "The tangle CLI").
 *
 *   tangle [-o DIR] [--check] [--list] [--line-directives] FILE.md...
 *
 * Exit status: 0 success, 1 when --check finds differences, 2 on any usage
 * or input error (reported as FILE:LINE: error: MESSAGE before anything is
 * written). */
#include <getopt.h>
#include <stdlib.h>

#include "tangle.h"

static const char usage_text[] =
    "Usage: tangle [-o DIR] [--check] [--list] [--line-directives] FILE.md...\n"
    "       tangle --stitch [-o DIR] FILE.md...\n";

int main(int argc, char **argv)
{
    int check = 0, list = 0, directives = 0, stitch = 0, help = 0;
    const struct option longopts[] = {      /* getopt_long sets the flags itself */
        { "check", no_argument, &check, 1 },
        { "list", no_argument, &list, 1 },
        { "line-directives", no_argument, &directives, 1 },
        { "stitch", no_argument, &stitch, 1 },
        { "help", no_argument, &help, 1 },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = "code";
    int opt;
    /* A diagnostic is printed in pieces (escaped names): one write per
     * line, so that lines from parallel jobs do not mix. */
    setvbuf(stderr, NULL, _IOLBF, BUFSIZ);

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+o:", longopts, NULL)) != -1) {
        if (opt == 'o') {
            dir = optarg;
        } else if (opt != 0) {
            if (optopt == 'o')
                fputs("tangle: option -o needs a folder\n", stderr);
            else
                fprintf(stderr, "tangle: unknown option %s\n", argv[optind - 1]);
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (help) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (optind >= argc) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (dir[0] == '\0') {
        fputs("tangle: -o needs a non-empty folder\n", stderr);
        return 2;
    }

    int status = 2;
    struct tgl_diag diag = { .out = stderr };
    struct tgl_doc doc;
    struct tgl_dir out_dir = { .fd = -1 };
    struct tgl_manifest old = { 0 };
    struct tgl_output *outs = NULL;
    size_t nouts = 0;
    tgl_doc_init(&doc, &diag);
    doc.copy_inputs = stitch;

    if (tgl_load(&doc, argv + optind, (size_t)(argc - optind)) != 0)
        goto out;
    if (tgl_link(&doc) != 0)
        goto out;
    if (stitch) {
        status = tgl_stitch(&doc, dir);
        goto out;
    }
    /* Only a real run creates DIR; --check and --list take a shared lock. */
    if (tgl_dir_open(&out_dir, dir, !check && !list, &diag) != 0
        || tgl_manifest_read(&out_dir, &old, &diag) != 0)
        goto out;
    if (tgl_build_outputs(&doc, &out_dir, &old, directives, !list || check, &outs, &nouts) != 0)
        goto out;
    if (list) {
        for (size_t i = 0; i < nouts; i++) {
            char *full = tgl_path_join(dir, outs[i].path);
            printf("%s\n", full);
            free(full);
        }
        if (!check) {
            status = 0;
            goto out;
        }
    }
    status = tgl_sync(&doc, &out_dir, &old, outs, nouts, check);
out:
    tgl_dir_close(&out_dir, status == 2);
    for (size_t i = 0; i < nouts; i++)
        tgl_buf_free(&outs[i].content);
    free(outs);
    tgl_manifest_free(&old);
    tgl_doc_free(&doc);
    if (fflush(stdout) == EOF && status < 2) {   /* the list or the paths are lost */
        tgl_sys_error(&diag, "stdout");
        status = 2;
    }
    return status;
}
