/* test_chunks.c: cmocka tests of the chunk lookup, segmenting and the
 * whole-document checks (undefined, cycles, duplicates, unreachable). */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

static void test_chunk_lookup(void **state)
{
    (void)state;
    /* 300 chunks defined out of order, each used by the one file: every
     * name is found, and near misses are not. */
    struct tgl_buf md = { 0 };
    tgl_buf_adds(&md, "```{.c file=all.c}\n");
    for (int i = 0; i < 300; i++)
        tgl_buf_addf(&md, "<<chunk-%d>>\n", (i * 7) % 300);
    tgl_buf_adds(&md, "```\n");
    for (int i = 299; i >= 0; i--)
        tgl_buf_addf(&md, "\n```{.c #chunk-%d}\nint v%d;\n```\n", i, i);
    const char *texts[] = { md.data };
    struct fixture f;
    assert_int_equal(fixture_load(&f, 1, texts, 1), 0);
    assert_int_equal(f.doc.nchunks, 300);
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "chunk-%d", i);
        struct tgl_chunk *c = tgl_chunk_find(&f.doc, name, strlen(name));
        assert_non_null(c);
        assert_string_equal(c->name, name);
    }
    assert_null(tgl_chunk_find(&f.doc, "chunk-", 6));
    assert_null(tgl_chunk_find(&f.doc, "chunk-1x", 8));
    /* the key's length counts, not its NUL: "chunk-10"[0..7) is chunk-1 */
    assert_string_equal(tgl_chunk_find(&f.doc, "chunk-10", 7)->name, "chunk-1");
    fixture_free(&f);
    tgl_buf_free(&md);
}

/* A block of TEXT at fence line LINE, in A, with its line ends found by
 * scanning, as the parser finds them from what md4c shows it. */
static struct tgl_block *make_block(struct tgl_arena *a, const char *text, unsigned line)
{
    uint32_t n = 0, len = (uint32_t)strlen(text);
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    struct tgl_block *b = tgl_alloc(a, sizeof *b + n * sizeof *b->line_end);
    *b = (struct tgl_block){ .line = line, .text = text, .len = len };
    for (uint32_t i = 0; i < len; i++)
        if (text[i] == '\n')
            b->line_end[b->nlines++] = i + 1;
    return b;
}

static void test_segment_reference_lines(void **state)
{
    (void)state;
    const char *text = "int a = x << 2;\n"
                       "  <<ref-one>>  \n"
                       "\t<<ref-two>>\n"
                       "<<not a ref\n"
                       "a <<b>>\n"
                       "<<<<>>>>\n"
                       "<<>>\n";
    struct tgl_arena a = { 0 };
    struct tgl_block *b = make_block(&a, text, 10);
    struct tgl_diag d = { .out = NULL };
    assert_int_equal(b->nlines, 7);
    assert_int_equal(b->line_end[0], 16);
    assert_int_equal(tgl_segment(&a, b, "a.md", &d), 0);
    assert_int_equal(b->nsegs, 2);                       /* lines 12 and 13 */
    assert_int_equal(b->segs[0].k, 1);
    assert_int_equal(b->segs[0].indent, 2);
    assert_memory_equal(text + b->segs[0].name_off, "ref-one", 7);
    assert_int_equal(b->segs[0].name_len, 7);
    assert_int_equal(b->segs[1].k, 2);
    assert_int_equal(b->segs[1].indent, 1);
    assert_ptr_equal(tgl_alloc(&a, 1), b->segs + 2);     /* the arena took just those two */
    tgl_arena_free(&a);
}

static void test_segment_bad_reference_name(void **state)
{
    (void)state;
    struct tgl_arena a = { 0 };
    struct tgl_block *b = make_block(&a, "ok\n  <<a/b>>\n", 1);
    struct tgl_diag d = { .out = NULL };
    assert_int_equal(tgl_segment(&a, b, "a.md", &d), 1);
    assert_int_equal(d.errors, 1);
    assert_int_equal(b->nsegs, 0);
    tgl_arena_free(&a);
}

static void test_link_appends_in_document_order(void **state)
{
    (void)state;
    const char *md[] = {
        "```{.c file=x.c}\n<<part>>\n```\n\n```{.c #part}\none\n```\n",
        "```{.c #part}\ntwo\n```\n",
    };
    struct fixture f;
    assert_int_equal(fixture_load(&f, 2, md, 1), 0);
    struct tgl_chunk *c = tgl_chunk_find(&f.doc, "part", 4);
    assert_non_null(c);
    assert_int_equal(c->first->len, 4);
    assert_memory_equal(c->first->text, "one\n", 4);
    assert_int_equal(c->first->next_in_chunk->len, 4);
    assert_memory_equal(c->first->next_in_chunk->text, "two\n", 4);
    assert_ptr_equal(c->last, c->first->next_in_chunk);
    assert_int_not_equal(c->color, 0);                  /* reached by the walk */
    fixture_free(&f);
}

static void test_link_reports_each_problem(void **state)
{
    (void)state;
    const char *md[] = {
        "```{.c file=x.c}\n<<ghost>>\n<<a>>\n```\n"     /* lines 1-4 */
        "```{.c #a}\n<<b>>\n```\n"                      /* 5-7 */
        "```{.c #b}\n<<a>>\n```\n"                      /* 8-10 */
        "```{.c #lonely}\n```\n"                        /* 11-12 */
        "```{.c file=x.c}\n```\n",                      /* 13-14 */
    };
    struct fixture f;
    assert_int_equal(fixture_load(&f, 1, md, 1), 4);
    assert_string_equal(f.messages,
                        "a.md:2: error: undefined chunk 'ghost'\n"
                        "a.md:13: error: file \"x.c\" is already written by the block at a.md:1\n"
                        "a.md:9: error: chunk references form a cycle: a -> b -> a\n"
                        "a.md:11: error: chunk 'lonely' is not used: no file= block reaches it\n");
    fixture_free(&f);
}

/* The load stage's heap: N one-line blocks take under 192 bytes each, all
 * told (a block, its line end and its attribute block come from the
 * document's arena: about 160; a calloc, a strdup and a realloc'ed array
 * each took about 240).  mallinfo2 sees glibc's heap only, not ASan's. */
static void test_load_footprint(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct tgl_buf md = { 0 };
    tgl_buf_adds(&md, "```{.c file=all.c}\n<<c0>>\n```\n");
    for (int i = 0; i < N; i++)
        tgl_buf_addf(&md, "\n```{.c #c%d}\nint v;\n```\n", i);
    const char *texts[] = { md.data };
    struct mallinfo2 before = mallinfo2();
    struct fixture f;
    assert_int_equal(fixture_load(&f, 1, texts, 0), 0);
    struct mallinfo2 after = mallinfo2();
    long grew = (long)(after.uordblks + after.hblkhd) - (long)(before.uordblks + before.hblkhd);
    long used = grew - (long)md.len;                     /* less the input's own copy */
    size_t nblocks = f.doc.nblocks;
    fixture_free(&f);
    tgl_buf_free(&md);
    if (grew <= 0)
        skip();                                          /* not glibc's malloc */
    print_message("load: %ld bytes for %zu blocks\n", used, nblocks);
    assert_int_equal(nblocks, N + 1);
    assert_true(used < (long)N * 192);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_lookup),
        cmocka_unit_test(test_segment_reference_lines),
        cmocka_unit_test(test_segment_bad_reference_name),
        cmocka_unit_test(test_link_appends_in_document_order),
        cmocka_unit_test(test_link_reports_each_problem),
        cmocka_unit_test(test_load_footprint),
    };
    return cmocka_run_group_tests_name("tangle chunks", tests, NULL, NULL);
}
