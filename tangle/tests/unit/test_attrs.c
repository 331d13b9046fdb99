/* test_attrs.c: cmocka tests of the pandoc attribute-block parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tangle.h"

static int parse(const char *info, struct tgl_attrs *a, const char **why)
{
    return tgl_attrs_parse(info, strlen(info), a, why);
}

static void test_attrs_full_block(void **state)
{
    (void)state;
    struct tgl_attrs a;
    const char *why;
    assert_int_equal(parse("{.c #pipe-main file=pipe/p.c key=\"quoted } value\"}", &a, &why), 0);
    assert_string_equal(a.id, "pipe-main");
    assert_int_equal(a.nclasses, 1);
    assert_string_equal(a.classes[0], "c");
    assert_string_equal(tgl_attrs_get(&a, "file"), "pipe/p.c");
    assert_string_equal(tgl_attrs_get(&a, "key"), "quoted } value");
    assert_null(tgl_attrs_get(&a, "missing"));
    tgl_attrs_free(&a);
}

static void test_attrs_language_word_and_two_blocks(void **state)
{
    (void)state;
    struct tgl_attrs a;
    const char *why;
    assert_int_equal(parse("c {#x}", &a, &why), 0);
    assert_string_equal(a.id, "x");
    assert_string_equal(a.classes[0], "c");
    tgl_attrs_free(&a);
    assert_int_equal(parse("  {#y}{.c .other}  ", &a, &why), 0);
    assert_string_equal(a.id, "y");
    assert_int_equal(a.nclasses, 2);
    tgl_attrs_free(&a);
}

/* The arrays are sized from the '.' and '=' in the info string: here
 * exactly enough (ASan sees a slot too few). */
static void test_attrs_arrays_sized_exactly(void **state)
{
    (void)state;
    struct tgl_attrs a;
    const char *why;
    assert_int_equal(parse("lang {.a #i .b k=v j=\"w\"}", &a, &why), 0);
    assert_int_equal(a.nclasses, 3);
    assert_string_equal(a.classes[0], "a");
    assert_string_equal(a.classes[1], "b");
    assert_string_equal(a.classes[2], "lang");
    assert_int_equal(a.nkvs, 2);
    assert_string_equal(a.kvs[1].key, "j");
    assert_string_equal(a.kvs[1].val, "w");
    tgl_attrs_free(&a);
}

static void test_attrs_plain_info_is_not_an_attribute_block(void **state)
{
    (void)state;
    struct tgl_attrs a;
    const char *why;
    assert_int_equal(parse("console", &a, &why), 0);
    assert_null(a.id);
    assert_int_equal(a.nclasses, 0);                  /* not read as a class */
    tgl_attrs_free(&a);
    assert_int_equal(parse("{=html}", &a, &why), 0);     /* raw block */
    assert_null(a.id);
    assert_int_equal(a.nclasses, 0);
    assert_int_equal(a.nkvs, 0);
    tgl_attrs_free(&a);
}

static void test_attrs_empty_quoted_value_is_allowed(void **state)
{
    (void)state;
    struct tgl_attrs a;
    const char *why;
    assert_int_equal(parse("{.c file=\"\"}", &a, &why), 0);
    assert_string_equal(tgl_attrs_get(&a, "file"), "");
    tgl_attrs_free(&a);
}

/* Every one of these is rejected by pandoc 2.17 (checked by hand with
 * pandoc -f commonmark_x -t json), or is ambiguous for tangle. */
static void test_attrs_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{.c file=\"open}", "{.c #x", "{#a/b .c}", "{#a,b}", "{.c #x #y}",
        "{.c file='x'}", "{.c bare}", "{.c #x} junk", "{#x}c", "{.c k=a k=b}",
        "{.c file=}", "{.c k=v=w}", "{.c file=a\"b}", "{}", "{-}", "{.c++}",
        "{.c=1}", "{#-a}", "{#_a}", "{#é}", "}", "{.c}}", "{{.c}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tgl_attrs a;
        const char *why = NULL;
        if (parse(bad[i], &a, &why) != -1)
            fail_msg("accepted malformed block %s", bad[i]);
        assert_non_null(why);
        assert_null(a.id);
        assert_null(a.kvs);          /* A holds nothing: the caller need not free it */
        tgl_attrs_free(&a);
    }
}

static void test_attrs_chunk_names(void **state)
{
    (void)state;
    assert_true(tgl_valid_chunk_name("a", 1));
    assert_true(tgl_valid_chunk_name("pipe-main_2.x:y", 15));
    assert_true(tgl_valid_chunk_name("9lives", 6));
    assert_false(tgl_valid_chunk_name("", 0));
    assert_false(tgl_valid_chunk_name("-a", 2));
    assert_false(tgl_valid_chunk_name("a/b", 3));
    assert_false(tgl_valid_chunk_name("a b", 3));
    assert_false(tgl_valid_chunk_name("a>", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attrs_full_block),
        cmocka_unit_test(test_attrs_language_word_and_two_blocks),
        cmocka_unit_test(test_attrs_arrays_sized_exactly),
        cmocka_unit_test(test_attrs_plain_info_is_not_an_attribute_block),
        cmocka_unit_test(test_attrs_empty_quoted_value_is_allowed),
        cmocka_unit_test(test_attrs_malformed),
        cmocka_unit_test(test_attrs_chunk_names),
    };
    return cmocka_run_group_tests_name("tangle attribute parser", tests, NULL, NULL);
}
