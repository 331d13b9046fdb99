/* doc.c: the document's life cycle: load every input, free everything. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

void tgl_doc_init(struct tgl_doc *doc, struct tgl_diag *diag)
{
    memset(doc, 0, sizeof *doc);
    doc->diag = diag;
    doc->max_output = (size_t)1 << 30;
}

void tgl_blocklist_add(struct tgl_blocklist *l, struct tgl_block *b)
{
    if ((l->n & (l->n - 1)) == 0)                /* grow at powers of two */
        l->v = tgl_xrealloc(l->v, (l->n ? l->n * 2 : 16) * sizeof *l->v);
    l->v[l->n++] = b;
}

/* What one input yields: its blocks and its messages (kept until every
 * input is done, then printed in command-line order). */
struct result {
    struct tgl_blocklist blocks;
    char *msg;
    size_t msg_len;
    unsigned errors;
};

struct job {
    struct tgl_doc *doc;
    char *const *paths;
    size_t n;
    atomic_size_t next;
    struct result *res;
};

static void *worker(void *arg)
{
    struct job *job = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->n)
            break;
        struct result *r = &job->res[i];
        struct tgl_diag d = { .out = NULL };
        if (job->doc->diag->out != NULL)
            d.out = open_memstream(&r->msg, &r->msg_len);
        if (tgl_input_read(&job->doc->inputs[i], job->paths[i], &d) == 0)
            tgl_parse_file(&job->doc->inputs[i], i, &r->blocks, &d);
        if (d.out != NULL)
            fclose(d.out);
        r->errors = d.errors;
    }
    return NULL;
}

unsigned tgl_load(struct tgl_doc *doc, char *const *paths, size_t npaths)
{
    unsigned errors = 0;
    struct job job = { .doc = doc, .paths = paths, .n = npaths };
    pthread_t threads[4];
    /* A thread per 8 inputs: the real book's 7 chapters (0.4 MB) parse in
     * about a millisecond, less than what more threads would cost in
     * starting up and in waiting for one the machine has preempted. */
    size_t started = 0, want = tgl_thread_count(npaths / 8 + 1);

    doc->inputs = tgl_xcalloc(npaths, sizeof *doc->inputs);
    doc->ninputs = npaths;
    job.res = tgl_xcalloc(npaths, sizeof *job.res);
    atomic_init(&job.next, 0);
    while (started + 1 < want && pthread_create(&threads[started], NULL, worker, &job) == 0)
        started++;
    worker(&job);                                /* this thread works too */
    for (size_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);

    for (size_t i = 0; i < npaths; i++) {
        struct result *r = &job.res[i];
        if (r->msg_len > 0)
            fwrite(r->msg, 1, r->msg_len, doc->diag->out);
        free(r->msg);
        doc->diag->errors += r->errors;
        errors += r->errors;
        for (size_t k = 0; k < r->blocks.n; k++) {
            struct tgl_blocklist all = { doc->blocks, doc->nblocks };
            tgl_blocklist_add(&all, r->blocks.v[k]);
            doc->blocks = all.v;
            doc->nblocks = all.n;
        }
        free(r->blocks.v);
    }
    free(job.res);
    return errors;
}

void tgl_doc_free(struct tgl_doc *doc)
{
    for (size_t i = 0; i < doc->nblocks; i++) {
        struct tgl_block *b = doc->blocks[i];
        if (b->text_owned)
            free(b->text);
    }                                   /* the rest is in the inputs' arenas */
    free(doc->blocks);
    for (size_t i = 0; i < doc->ninputs; i++)
        tgl_input_free(&doc->inputs[i]);
    free(doc->inputs);
    free(doc->chunk_store);
    tgl_table_free(&doc->chunks);
    memset(doc, 0, sizeof *doc);
}
