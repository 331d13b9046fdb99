/* test_chunks.c: cmocka tests of the hash table, segmenting and the
 * whole-document checks (undefined, cycles, duplicates, unreachable). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

static void test_table_many_keys(void **state)
{
    (void)state;
    struct tgl_table t = { 0 };
    enum { N = 20000 };
    static char keys[N][24];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "chunk-%d", i);
        tgl_table_put(&t, keys[i], strlen(keys[i]), &keys[i]);
    }
    assert_int_equal(t.count, N);
    assert_true(4 * t.count <= 3 * t.cap);                  /* load <= 3/4 */
    for (int i = 0; i < N; i++)
        assert_ptr_equal(tgl_table_get(&t, keys[i], strlen(keys[i])), &keys[i]);
    assert_null(tgl_table_get(&t, "chunk-", 6));
    assert_null(tgl_table_get(&t, "chunk-1x", 8));
    tgl_table_put(&t, keys[7], strlen(keys[7]), NULL);      /* replace */
    assert_int_equal(t.count, N);
    assert_null(tgl_table_get(&t, keys[7], strlen(keys[7])));
    tgl_table_put(&t, keys[7], strlen(keys[7]), &keys[8]);  /* and back */
    assert_ptr_equal(tgl_table_get(&t, keys[7], strlen(keys[7])), &keys[8]);
    /* get_or_put: the old value when the key is there, else NULL + stored */
    assert_ptr_equal(tgl_table_get_or_put(&t, keys[9], strlen(keys[9]), &keys[0]), &keys[9]);
    assert_null(tgl_table_get_or_put(&t, "new-key", 7, &keys[0]));
    assert_ptr_equal(tgl_table_get(&t, "new-key", 7), &keys[0]);
    assert_int_equal(t.count, N + 1);
    tgl_table_free(&t);
    assert_null(tgl_table_get(&t, "x", 1));
}

static void test_arena(void **state)
{
    (void)state;
    struct tgl_arena a = { 0 };
    /* Size 0 on a fresh arena still gives a pointer (it gave NULL + 0 once:
     * the fuzzer found it with a lone "```{=l}"). */
    char *zero = tgl_arena_alloc(&a, 0);
    assert_non_null(zero);
    char *prev = zero;
    for (size_t n = 1; n < 5000; n += 7) {          /* aligned, distinct, usable */
        char *p = tgl_arena_alloc(&a, n);
        assert_int_equal((uintptr_t)p % 16, 0);
        assert_true(p != prev);
        memset(p, 0xAB, n);
        prev = p;
    }
    char *big = tgl_arena_alloc(&a, (size_t)3 << 20);  /* more than a piece */
    memset(big, 0, (size_t)3 << 20);
    tgl_arena_free(&a);
    assert_null(a.pieces);
}

static void test_segment_reference_lines(void **state)
{
    (void)state;
    char text[] = "int a = x << 2;\n"
                  "  <<ref-one>>  \n"
                  "\t<<ref-two>>\n"
                  "<<not a ref\n"
                  "a <<b>>\n"
                  "<<<<>>>>\n"
                  "<<>>\n";
    struct tgl_block b = { .line = 10, .text = text, .len = sizeof text - 1 };
    struct tgl_diag d = { .out = NULL };
    tgl_block_find_lines(&b, NULL);
    assert_int_equal(b.nlines, 7);
    assert_int_equal(b.line_end[0], 16);
    assert_int_equal(tgl_segment(&b, "a.md", NULL, &d), 0);
    assert_int_equal(b.nsegs, 4);
    assert_int_equal(b.segs[0].kind, TGL_SEG_TEXT);
    assert_int_equal(b.segs[0].line, 11);
    assert_int_equal(b.segs[1].kind, TGL_SEG_REF);
    assert_int_equal(b.segs[1].line, 12);
    assert_int_equal(b.segs[1].len, 2);                 /* the indentation */
    assert_memory_equal(text + b.segs[1].name_off, "ref-one", 7);
    assert_int_equal(b.segs[2].kind, TGL_SEG_REF);
    assert_int_equal(b.segs[2].len, 1);
    assert_int_equal(b.segs[3].kind, TGL_SEG_TEXT);
    assert_int_equal(b.segs[3].line, 14);
    assert_int_equal(b.segs[3].first, 3);
    assert_int_equal(b.segs[3].nlines, 4);
    free(b.segs);
    free(b.line_end);
}

static void test_segment_bad_reference_name(void **state)
{
    (void)state;
    char text[] = "ok\n  <<a/b>>\n";
    struct tgl_block b = { .line = 1, .text = text, .len = sizeof text - 1 };
    struct tgl_diag d = { .out = NULL };
    tgl_block_find_lines(&b, NULL);
    assert_int_equal(tgl_segment(&b, "a.md", NULL, &d), 1);
    assert_int_equal(d.errors, 1);
    free(b.segs);
    free(b.line_end);
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
    assert_true(c->reachable);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_many_keys),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_segment_reference_lines),
        cmocka_unit_test(test_segment_bad_reference_name),
        cmocka_unit_test(test_link_appends_in_document_order),
        cmocka_unit_test(test_link_reports_each_problem),
    };
    return cmocka_run_group_tests_name("tangle chunk table", tests, NULL, NULL);
}
