/* doc.c: the document's life cycle: load every input, free everything. */
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

void tgl_doc_init(struct tgl_doc *doc, struct tgl_diag *diag)
{
    *doc = (struct tgl_doc){ .diag = diag, .max_output = TGL_MAX_OUTPUT,
                             .max_steps = TGL_MAX_STEPS };
}

unsigned tgl_load(struct tgl_doc *doc, char *const *paths, size_t npaths)
{
    unsigned before = doc->diag->errors;
    doc->inputs = tgl_xcalloc(npaths, sizeof *doc->inputs);
    doc->ninputs = npaths;
    for (size_t i = 0; i < npaths; i++)
        if (tgl_input_read(&doc->inputs[i], paths[i], doc->copy_inputs, doc->diag) == 0)
            tgl_parse_input(doc, i);
    return doc->diag->errors - before;
}

void tgl_doc_free(struct tgl_doc *doc)
{
    free(doc->blocks);
    for (size_t i = 0; i < doc->ninputs; i++)
        tgl_input_free(&doc->inputs[i]);
    free(doc->inputs);
    tgl_arena_free(&doc->arena);
    memset(doc, 0, sizeof *doc);
}
