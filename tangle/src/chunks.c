/* chunks.c: find the reference lines of blocks, join chunks by name (a hash table),
 * and check the whole document: undefined references, cycles, duplicate and
 * clashing files (a sorted array), unreachable chunks. */
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

unsigned tgl_segment(struct tgl_arena *arena, struct tgl_block *b, const char *file,
                     struct tgl_diag *d)
{
    unsigned errors = 0;
    const char *t = b->text;
    size_t most = b->nlines < b->len / 6 ? b->nlines : b->len / 6;   /* "<<x>>\n" at least */
    b->segs = tgl_room(arena, most * sizeof *b->segs);              /* taken once filled */
    for (size_t k = 0, pos = 0; k < b->nlines; pos = b->line_end[k++]) {
        size_t i = pos, e = b->line_end[k] - 1;
        if (e == pos || (t[e - 1] != '>' && !blank(t[e - 1])))
            continue;                               /* the usual line: no ">>" at its end */
        while (blank(t[i]))                         /* the line's '\n' stops it */
            i++;
        if (t[i] != '<' || t[i + 1] != '<' || e - i < 5)
            continue;                               /* text */
        while (blank(t[e - 1]))
            e--;
        size_t n0 = i + 2, n1 = e - 2;              /* the name, if it is "<<name>>" */
        bool shaped = e - i > 4 && t[e - 2] == '>' && t[e - 1] == '>';
        for (size_t j = n0; shaped && j < n1; j++)
            shaped = t[j] != '<' && t[j] != '>';
        if (shaped && tgl_valid_chunk_name(t + n0, n1 - n0)) {
            b->segs[b->nsegs++] = (struct tgl_seg){ k, i - pos, n0, n1 - n0, NULL };
        } else if (shaped) {
            tgl_error(d, file, b->line + 1 + k, "invalid chunk name in reference <<%.*s>> "
                      "(names match [A-Za-z0-9][A-Za-z0-9_.:-]*)", (int)(n1 - n0), t + n0);
            errors++;
        }
    }
    tgl_alloc(arena, b->nsegs * sizeof *b->segs);
    return errors;
}

/* strcmp of KEY[0..LEN) (not NUL-terminated) with the NUL-terminated NAME. */
static int cmp_key(const char *key, size_t len, const char *name)
{
    int r = strncmp(key, name, len);
    return r != 0 ? r : name[len] != '\0' ? -1 : 0;
}

/* The slot of DOC's table (linear probing, FNV-1a) that holds 1 + the index
 * of chunk NAME[0..LEN) in DOC->chunks, or the empty slot (0) where it would go. */
static uint32_t *slot(const struct tgl_doc *doc, const char *name, size_t len)
{
    size_t h = 14695981039346656037u, mask = doc->nslots - 1;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211u;
    for (uint32_t *s;; h++)
        if (*(s = &doc->slots[h & mask]) == 0
            || cmp_key(name, len, doc->chunks[*s - 1].name) == 0)
            return s;
}

struct tgl_chunk *tgl_chunk_find(const struct tgl_doc *doc, const char *name, size_t len)
{
    uint32_t c = doc->nslots ? *slot(doc, name, len) : 0;
    return c ? &doc->chunks[c - 1] : NULL;
}

static const char *where(const struct tgl_doc *doc, const struct tgl_block *b)
{
    return doc->inputs[b->input].path;
}

/* File blocks by path, ties in document order. */
static int cmp_path(const void *a, const void *b)
{
    const struct tgl_block *x = *(struct tgl_block *const *)a, *y = *(struct tgl_block *const *)b;
    uint64_t p = (uint64_t)x->input << 32 | x->line, q = (uint64_t)y->input << 32 | y->line;
    int r = strcmp(x->path, y->path);
    return r != 0 ? r : (p > q) - (p < q);
}

/* The first block of V[0..N) (sorted by path) whose path is KEY[0..LEN), or NULL. */
static struct tgl_block *first_of(struct tgl_block *const *v, size_t n, const char *key,
                                  size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(key, len, v[mid]->path) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && cmp_key(key, len, v[lo]->path) == 0 ? v[lo] : NULL;
}

/* One pass over the blocks joins the named ones into chunks (DOC->chunks,
 * and DOC->slots to find them) and lists the file= blocks in ROOTS (*NROOTS
 * of them, in document order); a chunk can be the root of one file only. */
static unsigned build_chunks(struct tgl_doc *doc, struct tgl_block **roots, size_t *nroots)
{
    unsigned errors = 0;
    size_t np = 0;
    doc->chunks = tgl_alloc(&doc->arena, doc->nblocks * sizeof *doc->chunks);
    for (doc->nslots = 16; doc->nslots < 2 * doc->nblocks; doc->nslots *= 2)
        ;
    doc->slots = memset(tgl_alloc(&doc->arena, doc->nslots * sizeof *doc->slots), 0,
                        doc->nslots * sizeof *doc->slots);
    for (size_t i = 0; i < doc->nblocks; i++) {
        struct tgl_block *b = doc->blocks[i];
        uint32_t *c = b->name ? slot(doc, b->name, strlen(b->name)) : NULL;
        if (b->path != NULL)
            roots[np++] = b;
        if (c == NULL)
            continue;
        if (*c == 0) {
            doc->chunks[doc->nchunks] = (struct tgl_chunk){ .name = b->name, .first = b };
            *c = (uint32_t)++doc->nchunks;
        } else {
            doc->chunks[*c - 1].last->next_in_chunk = b;
        }
        b->chunk = &doc->chunks[*c - 1];
        b->chunk->last = b;
        for (const struct tgl_block *o = b->chunk->first; b->path && o != b; o = o->next_in_chunk)
            if (o->path != NULL) {
                tgl_error(doc->diag, where(doc, b), b->line,
                          "chunk '%s' is already the root of file \"%s\" (%s:%u); a "
                          "chunk can be the root of one file only",
                          b->name, o->path, where(doc, o), o->line);
                errors++;
                break;
            }
    }
    *nroots = np;
    return errors;
}

static unsigned resolve_refs(struct tgl_doc *doc)
{
    unsigned errors = 0;
    for (size_t i = 0; i < doc->nblocks; i++) {
        struct tgl_block *b = doc->blocks[i];
        for (size_t k = 0; k < b->nsegs; k++) {
            struct tgl_seg *s = &b->segs[k];
            s->chunk = tgl_chunk_find(doc, b->text + s->name_off, s->name_len);
            if (s->chunk == NULL) {
                tgl_error(doc->diag, where(doc, b), b->line + 1 + s->k, "undefined chunk '%.*s'",
                          (int)s->name_len, b->text + s->name_off);
                errors++;
            }
        }
    }
    return errors;
}

/* Duplicate paths and paths that need a file as a folder: V[0..N) are the
 * roots sorted by path. */
static unsigned check_files(struct tgl_doc *doc, struct tgl_block *const *v, size_t n,
                            struct tgl_block *const *roots)
{
    unsigned errors = 0;
    for (size_t i = 0; i < n; i++) {
        struct tgl_block *b = roots[i];
        const struct tgl_block *o = first_of(v, n, b->path, strlen(b->path));
        if (o != b) {
            tgl_error(doc->diag, where(doc, b), b->line,
                      "file \"%s\" is already written by the block at %s:%u", b->path,
                      where(doc, o), o->line);
            errors++;
            continue;
        }
        for (const char *p = b->path; (p = strchr(p, '/')) != NULL; p++) {
            o = first_of(v, n, b->path, (size_t)(p - b->path));
            if (o != NULL) {
                tgl_error(doc->diag, where(doc, b), b->line,
                          "file \"%s\" needs a folder \"%s\", which the block at %s:%u "
                          "writes as a file", b->path, o->path, where(doc, o), o->line);
                errors++;
                break;
            }
        }
    }
    return errors;
}

/* Depth-first walk state: a chunk, the block and segment we are at. */
struct frame {
    struct tgl_chunk *chunk;
    const struct tgl_block *block;
    size_t seg;
};

/* Next resolved reference of the top frame, or NULL when it is done. */
static const struct tgl_seg *next_ref(struct frame *fr)
{
    while (fr->block != NULL) {
        while (fr->seg < fr->block->nsegs) {
            const struct tgl_seg *s = &fr->block->segs[fr->seg++];
            if (s->chunk != NULL)
                return s;
        }
        if (fr->chunk == NULL)
            return NULL;          /* an unnamed root block: just itself */
        fr->block = fr->block->next_in_chunk;
        fr->seg = 0;
    }
    return NULL;
}

enum { WHITE, GRAY, BLACK };

/* One depth-first walk from every file= block (ROOTS), in document order:
 * a reference to a chunk still on the stack (GRAY) closes a cycle; a named
 * chunk the walk never reaches (WHITE) is not used. */
static unsigned check_graph(struct tgl_doc *doc, struct tgl_block *const *roots, size_t nroots)
{
    unsigned errors = 0;
    struct frame *st = NULL;                    /* the stack, N deep */
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < nroots; i++) {
        const struct tgl_block *b = roots[i];
        if (b->chunk != NULL && b->chunk->color != WHITE)
            continue;
        if (b->chunk != NULL)
            b->chunk->color = GRAY;
        TGL_GROW(st, cap, n + 1);
        st[n++] = (struct frame){ b->chunk, b->chunk ? b->chunk->first : b, 0 };
        while (n > 0) {
            struct frame *top = &st[n - 1];
            const struct tgl_seg *s = next_ref(top);
            if (s == NULL) {
                if (top->chunk != NULL)
                    top->chunk->color = BLACK;
                n--;
            } else if (s->chunk->color == WHITE) {
                s->chunk->color = GRAY;
                TGL_GROW(st, cap, n + 1);
                st[n++] = (struct frame){ s->chunk, s->chunk->first, 0 };
            } else if (s->chunk->color == GRAY) {
                struct tgl_buf chain = { 0 };
                size_t k = n;
                while (k > 0 && st[k - 1].chunk != s->chunk)
                    k--;
                for (k = k ? k - 1 : 0; k < n; k++)
                    tgl_buf_addf(&chain, "%s -> ", st[k].chunk->name);
                tgl_buf_adds(&chain, s->chunk->name);
                tgl_error(doc->diag, where(doc, top->block), top->block->line + 1 + s->k,
                          "chunk references form a cycle: %s", chain.data);
                tgl_buf_free(&chain);
                errors++;
            }
        }
    }
    free(st);
    for (size_t i = 0; i < doc->nchunks; i++) {    /* in document order of their first block */
        const struct tgl_block *b = doc->chunks[i].first;
        if (doc->chunks[i].color == WHITE) {
            tgl_error(doc->diag, where(doc, b), b->line,
                      "chunk '%s' is not used: no file= block reaches it", b->name);
            errors++;
        }
    }
    return errors;
}

unsigned tgl_link(struct tgl_doc *doc)
{
    struct tgl_block **roots = tgl_alloc(&doc->arena, doc->nblocks * sizeof *roots), **paths;
    size_t np;
    unsigned errors = build_chunks(doc, roots, &np);
    paths = memcpy(tgl_alloc(&doc->arena, np * sizeof *paths), roots, np * sizeof *paths);
    qsort(paths, np, sizeof *paths, cmp_path);
    errors += resolve_refs(doc);
    errors += check_files(doc, paths, np, roots);
    errors += check_graph(doc, roots, np);
    return errors;
}
