/* helpers.h: build a tangle document from strings, for the unit tests. */
#ifndef TANGLE_TEST_HELPERS_H
#define TANGLE_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

/* A document plus the text of its diagnostics. */
struct fixture {
    struct tgl_diag diag;
    struct tgl_doc doc;
    char *messages;
    size_t messages_len;
};

/* Load N Markdown texts named "a.md", "b.md", ... into F and run stage 1
 * (and stage 2 when LINK).  Returns the number of errors. */
static inline unsigned fixture_load(struct fixture *f, size_t n, const char *const *texts,
                                    int link)
{
    static const char *names[] = { "a.md", "b.md", "c.md", "d.md" };
    memset(f, 0, sizeof *f);
    f->diag.out = open_memstream(&f->messages, &f->messages_len);
    tgl_doc_init(&f->doc, &f->diag);
    f->doc.inputs = tgl_xcalloc(n, sizeof *f->doc.inputs);
    f->doc.ninputs = n;
    unsigned errors = 0;
    for (size_t i = 0; i < n; i++) {
        if (tgl_input_from_memory(&f->doc.inputs[i], names[i], texts[i], strlen(texts[i]),
                                  &f->diag) != 0)
            errors++;
        else
            errors += tgl_parse_input(&f->doc, i);
    }
    if (errors == 0 && link)
        errors += tgl_link(&f->doc);
    fflush(f->diag.out);
    return errors;
}

static inline void fixture_free(struct fixture *f)
{
    tgl_doc_free(&f->doc);
    fclose(f->diag.out);
    free(f->messages);
}

#endif
