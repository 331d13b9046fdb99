/* test_input.c: cmocka tests of input decoding: BOM, CRLF, UTF-8, lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
    static const char text[] = "\xEF\xBB\xBF" "a\r\nb\r\nc\n\r\n";
    assert_int_equal(decode(&in, text, sizeof text - 1), 0);
    assert_int_equal(in.len, 7);
    assert_memory_equal(in.data, "a\nb\nc\n\n", 7);

    struct tgl_mark m = TGL_MARK_TOP;
    assert_true(tgl_seek_line(&in, &m, 4));
    assert_int_equal(m.start, 6);
    assert_false(tgl_seek_line(&in, &m, 5));            /* the final '\n' starts no line */
    tgl_input_free(&in);
    static const char lone[] = "a\r\nb\rc\n";  /* pandoc ends no line at a lone CR */
    assert_int_equal(decode(&in, lone, sizeof lone - 1), -1);
    tgl_input_free(&in);
}

static void test_input_one_bom_only(void **state)
{
    (void)state;
    struct tgl_input in;
    static const char text[] = "\xEF\xBB\xBF\xEF\xBB\xBF" "a\r\n";   /* two BOMs, CRLF */
    assert_int_equal(decode(&in, text, sizeof text - 1), 0);
    assert_int_equal(in.len, 5);                        /* the second BOM is text */
    assert_memory_equal(in.data, "\xEF\xBB\xBF" "a\n", 5);
    tgl_input_free(&in);
}

static void test_input_refuses_nul_and_size(void **state)
{
    (void)state;
    struct tgl_input in;
    char *msg = NULL;
    size_t len = 0;
    struct tgl_diag d = { .out = open_memstream(&msg, &len) };
    static const char nul[] = "line 1\n```{.c file=a.c}\nx\0y\n```\n";
    assert_int_equal(tgl_input_from_memory(&in, "n.md", nul, sizeof nul - 1, &d), -1);
    tgl_input_free(&in);
    char *big = calloc(TGL_MAX_INPUT + 1, 1);
    assert_non_null(big);
    memset(big, 'x', TGL_MAX_INPUT + 1);
    assert_int_equal(tgl_input_from_memory(&in, "big.md", big, TGL_MAX_INPUT + 1, &d), -1);
    tgl_input_free(&in);
    assert_int_equal(tgl_input_from_memory(&in, "ok.md", big, TGL_MAX_INPUT, &d), 0);
    tgl_input_free(&in);
    free(big);
    fclose(d.out);
    assert_int_equal(d.errors, 2);
    assert_string_equal(msg, "n.md:3: error: NUL byte: this is not a text file\n"
                             "big.md: error: the file is larger than 64 MiB, the limit for an "
                             "input\n");
    free(msg);
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
        /* Each lead byte's own range for the byte after it (Unicode's
         * Table 3-7), and the 3-byte characters of Chinese text. */
        { "\xE4\xB8\xAD\xE6\x96\x87\xEF\xBC\x8C\xE3\x80\x82", 12 },  /* 中文，。 */
        { "\xE0\x9F\xBF", 0 },          /* overlong U+07FF */
        { "\xE0\xA0\x80", 3 },          /* U+0800 */
        { "\xED\x9F\xBF\xEE\x80\x80", 6 },  /* U+D7FF, U+E000 */
        { "\xEF\xBF\xBF\xEF\xBF", 3 },  /* U+FFFF, then cut short */
        { "\xE4\xB8\x41", 0 },          /* a 3-byte character with 'A' as its last byte */
        { "\xE4\x41\xAD", 0 },
        { "\xF0\x8F\xBF\xBF", 0 },      /* overlong U+FFFF */
        { "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF", 8 },  /* U+10000, U+10FFFF */
        { "\xF1\x80\x80", 0 },          /* cut short */
        { "\xF5\x80\x80\x80", 0 },
        { "\xC2\x80\xDF\xBF\xC1\xBF", 4 },  /* U+0080, U+07FF, overlong */
        /* ASCII runs of 32 bytes and more, and a bad byte right after one */
        { "0123456789abcdef0123456789abcdef0123456789abcdef\xE4\xB8\xAD!", 52 },
        { "0123456789abcdef0123456789abcdef0123456789abcdef\xFF", 48 },
        { "x0123456789abcdef0123456789abcdef\x80", 33 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(tgl_utf8_check(cases[i].s, strlen(cases[i].s)), cases[i].bad);
    /* A NUL, a CR, a bad byte at every offset of a 200-byte ASCII run, read
     * from every start (the 64-byte steps at every alignment); a valid
     * character there passes. */
    char buf[200];
    for (size_t at = 0; at < sizeof buf; at++)
        for (size_t from = 0; from < 70 && from <= at; from++) {
            memset(buf, 'a', sizeof buf);
            for (size_t k = 0; k < 3; k++) {
                buf[at] = "\0\r\x80"[k];
                assert_int_equal(tgl_utf8_check(buf + from, sizeof buf - from), at - from);
            }
            if (at + 3 <= sizeof buf) {
                memcpy(buf + at, "\xE4\xB8\xAD", 3);
                assert_int_equal(tgl_utf8_check(buf + from, sizeof buf - from), sizeof buf - from);
            }
        }
}

/* Marks must find lines exactly like a naive loop, moving forward and back
 * in any order, with multi-byte characters at every alignment. */
static void test_input_line_marks_match_naive(void **state)
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
        size_t start[2 * 60 + 1] = { 0 }, lines = 1;    /* the naive line starts */
        for (size_t i = 0; i < b.len; i++)
            if (b.data[i] == '\n' && i + 1 < b.len)
                start[lines++] = i + 1;
        struct tgl_mark m = TGL_MARK_TOP;
        for (int probe = 0; probe < 40; probe++) {          /* lines, in any order */
            seed = seed * 1103515245 + 12345;
            size_t ln = 1 + (seed >> 16) % (lines + 2);
            size_t len;
            const char *t = tgl_line_text(&in, &m, ln, &len);
            if (ln > lines) {
                assert_null(t);
                continue;
            }
            assert_ptr_equal(t, in.data + start[ln - 1]);
            size_t end = ln < lines ? start[ln] - 1 : b.len;
            if (ln == lines && end > start[ln - 1] && b.data[end - 1] == '\n')
                end--;
            assert_int_equal(len, end - start[ln - 1]);
        }
        for (size_t i = 0; i <= b.len; i++) {               /* offsets, both ways */
            size_t off = (seed >> 20) & 1 ? i : b.len - i;  /* some rounds walk back */
            unsigned want = 1;
            for (size_t j = 0; j < off; j++)
                want += b.data[j] == '\n' && j + 1 < b.len;
            struct tgl_mark top = TGL_MARK_TOP;
            assert_int_equal(tgl_line_at(&in, &m, off), want);
            assert_int_equal(tgl_line_at(&in, &top, off), want);     /* from the top */
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

/* CRLF, NUL and UTF-8 are checked in one pass: each error names the line
 * of the first bad byte, counted in the LF text, even after many CRLFs. */
static void test_input_one_pass_error_lines(void **state)
{
    (void)state;
    static const struct { const char *text; const char *msg; } cases[] = {
        { "a\r\n\r\nb\r\nc\rd\n", "x.md:4: error: a CR without LF: pandoc does not end a line "
                                "there (use LF or CRLF)\n" },
        { "a\r\n\r\n\r\n\r\nb\r", "x.md:5: error: a CR without LF: pandoc does not end a "
                                   "line there (use LF or CRLF)\n" },
        { "0123456789abcdef0123456789abcdef0123456789abcdef\n\r\n\xFF\r",
          "x.md:3: error: invalid UTF-8 (byte 0xFF)\n" },           /* the first problem */
        { "0123456789abcdef\r\n0123456789abcdef0123456789abcdef0\0\n",
          "x.md:2: error: NUL byte: this is not a text file\n" },  /* in an ASCII run */
        { "\xE4\xB8\r\n", "x.md:1: error: invalid UTF-8 (byte 0xE4)\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *msg = NULL;
        size_t len = 0;
        struct tgl_diag d = { .out = open_memstream(&msg, &len) };
        struct tgl_input in;
        size_t n = strlen(cases[i].text);
        n += i == 3 ? 2 : 0;                                      /* the NUL and the LF */
        assert_int_equal(tgl_input_from_memory(&in, "x.md", cases[i].text, n, &d), -1);
        fclose(d.out);
        assert_string_equal(msg, cases[i].msg);
        free(msg);
        tgl_input_free(&in);
    }
    static const char crlf[] = "0123456789abcdef0123456789abcdef\r\n0123456789abcdef"
                               "0123456789abcdef\r\n\xE4\xB8\xAD\r\n";
    struct tgl_input in;
    assert_int_equal(decode(&in, crlf, sizeof crlf - 1), 0);
    assert_int_equal(in.len, sizeof crlf - 1 - 3);
    assert_memory_equal(in.data, "0123456789abcdef0123456789abcdef\n0123456789abcdef"
                                 "0123456789abcdef\n\xE4\xB8\xAD\n", in.len);
    tgl_input_free(&in);
}

/* An input mapped by tgl_input_read and then cut short (as an editor
 * that rewrites a chapter in place does) ends the run with status 2 and a
 * message when a page it lost is read, not with a bare "Bus error". */
static void test_input_cut_short_while_mapped(void **state)
{
    (void)state;
    char path[] = "/tmp/tangle-test-input-XXXXXX";
    static char text[3 * 4096];
    memset(text, 'a', sizeof text);
    text[sizeof text - 1] = '\n';
    int fd = mkstemp(path), err[2];
    assert_true(fd != -1);
    assert_int_equal(write(fd, text, sizeof text), (ssize_t)sizeof text);
    assert_int_equal(pipe(err), 0);
    pid_t pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        struct tgl_diag d = { .out = NULL };
        struct tgl_input in;
        if (dup2(err[1], STDERR_FILENO) == -1 || tgl_input_read(&in, path, false, &d) != 0
            || ftruncate(fd, 0) != 0)
            _exit(1);
        volatile char c = in.data[2 * 4096];     /* a page the file no longer has */
        (void)c;
        _exit(0);
    }
    close(err[1]);
    char msg[200] = { 0 };
    ssize_t n = read(err[0], msg, sizeof msg - 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    unlink(path);
    close(fd);
    close(err[0]);
    assert_true(n > 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_string_equal(msg, "tangle: an input file was cut short while tangle read it "
                             "(edited in place?)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_bom_and_crlf),
        cmocka_unit_test(test_input_one_bom_only),
        cmocka_unit_test(test_input_refuses_nul_and_size),
        cmocka_unit_test(test_input_utf8),
        cmocka_unit_test(test_input_line_marks_match_naive),
        cmocka_unit_test(test_input_error_line),
        cmocka_unit_test(test_input_one_pass_error_lines),
        cmocka_unit_test(test_input_cut_short_while_mapped),
    };
    return cmocka_run_group_tests_name("tangle input decoding", tests, NULL, NULL);
}
