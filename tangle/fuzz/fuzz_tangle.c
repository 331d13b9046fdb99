/* fuzz_tangle.c: libFuzzer target over tangle's parse + link + expand path.
 *
 * The input is one or more Markdown files separated by the line "%%%%"
 * (so a multi-file fixture can seed it).  Nothing touches the file system:
 * the target stops where tangle would start checking and writing paths.
 * An odd-sized input is expanded with --line-directives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/tangle.h"

#define SEP "\n%%%%\n"
#define MAX_FILES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *names[MAX_FILES] = { "f0.md", "f1.md", "f2.md", "f3.md",
                                            "f4.md", "f5.md", "f6.md", "f7.md" };
    struct tgl_diag diag = { .out = NULL };
    struct tgl_doc doc;
    tgl_doc_init(&doc, &diag);
    doc.max_output = 1 << 20;

    /* Split into files. */
    const char *p = (const char *)data, *end = p + size;
    doc.inputs = tgl_xcalloc(MAX_FILES, sizeof *doc.inputs);
    unsigned errors = 0;
    while (doc.ninputs < MAX_FILES) {
        const char *sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
        const char *stop = sep && doc.ninputs + 1 < MAX_FILES ? sep : end;
        size_t i = doc.ninputs++;
        if (tgl_input_from_memory(&doc.inputs[i], names[i], p, (size_t)(stop - p), &diag) == 0)
            errors += tgl_parse_input(&doc, i);
        else
            errors++;
        if (stop == end)
            break;
        p = stop + strlen(SEP);
    }

    if (errors == 0 && tgl_link(&doc) == 0) {
        struct tgl_expand_opts opts = { .line_directives = size & 1 };
        for (size_t i = 0; i < doc.nblocks; i++) {
            struct tgl_buf out = { 0 };
            if (doc.blocks[i]->path != NULL)
                (void)tgl_expand(&doc, doc.blocks[i], &opts, &out);
            tgl_buf_free(&out);
        }
    }
    tgl_doc_free(&doc);
    return 0;
}
