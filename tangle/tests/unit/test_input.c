/* test_input.c: cmocka tests of input decoding: BOM, CRLF, UTF-8, lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tangle.h"

/* Decode TEXT[0..LEN); returns 0 or -1 like tgl_input_from_memory. */
static int decode(struct tgl_input *in, const char *text, size_t len)
{
    struct tgl_diag d = { .out = NULL };
    return tgl_input_from_memory(in, "x.md", text, len, &d);
}

static void test_input_bom_and_crlf(void **state)
{
    (void)state;
    struct tgl_input in;
    static const char text[] = "\xEF\xBB\xBF" "a\r\nb\rc\n\r\n";
    assert_int_equal(decode(&in, text, sizeof text - 1), 0);
    assert_int_equal(in.len, 7);
    assert_memory_equal(in.data, "a\nb\nc\n\n", 7);
    assert_int_equal(in.nlines, 4);
    assert_int_equal(in.line_off[3], 6);
    tgl_input_free(&in);
}

static void test_input_utf8(void **state)
{
    (void)state;
    static const struct { const char *s; size_t bad; } cases[] = {
        { "plain ascii", 11 },
        { "caf\xC3\xA9 \xE2\x98\x83 \xF0\x9D\x84\x9E ok", 17 },  /* é ☃ 𝄞 */
        { "caf\xE9", 3 },                 /* Latin-1 */
        { "x\xC0\xAF", 1 },               /* overlong '/' */
        { "xx\xED\xA0\x80", 2 },          /* surrogate */
        { "\xF4\x90\x80\x80", 0 },        /* above U+10FFFF */
        { "ab\xE2\x82", 2 },              /* truncated */
        { "\x80", 0 },                    /* lone continuation byte */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(tgl_utf8_check(cases[i].s, strlen(cases[i].s)), cases[i].bad);
}

/* The one-pass scanner must index lines exactly like a naive loop, with
 * multi-byte characters at every alignment. */
static void test_input_line_index_matches_naive(void **state)
{
    (void)state;
    static const char *pieces[] = { "a", "\n", "\xC3\xA9", "\xE2\x98\x83", "\xF0\x9D\x84\x9E",
                                    "        ", "\n\n", "xyz" };
    unsigned seed = 1;
    for (int round = 0; round < 200; round++) {
        struct tgl_buf b = { 0 };
        int n = round % 60;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245 + 12345;
            tgl_buf_adds(&b, pieces[(seed >> 16) % 8]);
        }
        struct tgl_input in;
        assert_int_equal(decode(&in, b.data ? b.data : "", b.len), 0);
        size_t lines = 1;
        for (size_t i = 0; i < b.len; i++)
            if (b.data[i] == '\n' && i + 1 < b.len) {
                assert_true(lines < in.nlines || lines == in.nlines);
                assert_int_equal(in.line_off[lines], i + 1);
                lines++;
            }
        assert_int_equal(in.nlines, lines);
        for (size_t i = 0; i < b.len; i++) {
            unsigned want = 1;
            for (size_t j = 0; j < i; j++)
                want += b.data[j] == '\n';
            assert_int_equal(tgl_line_of(&in, i), want);
        }
        tgl_input_free(&in);
        tgl_buf_free(&b);
    }
}

static void test_input_error_line(void **state)
{
    (void)state;
    char *msg = NULL;
    size_t msg_len = 0;
    struct tgl_diag d = { .out = open_memstream(&msg, &msg_len) };
    struct tgl_input in;
    static const char text[] = "one\r\ntwo\r\nthr\xFF" "ee\n";
    assert_int_equal(tgl_input_from_memory(&in, "x.md", text, sizeof text - 1, &d), -1);
    fclose(d.out);
    assert_string_equal(msg, "x.md:3: error: invalid UTF-8 (byte 0xFF)\n");
    free(msg);
    tgl_input_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_bom_and_crlf),
        cmocka_unit_test(test_input_utf8),
        cmocka_unit_test(test_input_line_index_matches_naive),
        cmocka_unit_test(test_input_error_line),
    };
    return cmocka_run_group_tests_name("tangle input decoding", tests, NULL, NULL);
}
