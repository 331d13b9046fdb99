/* parse.c: find the tangle blocks of one input with md4c.
 *
 * md4c reports a fenced code block as enter_block(MD_BLOCK_CODE) with its
 * info string, then the text of each content line (the indentation as
 * spaces it makes up, the rest of the line as a pointer into our buffer,
 * then "\n"), then leave_block.  The content lines follow the fence line,
 * so the fence's line number gives every line's.  While md4c's text is the
 * source's own bytes (a fence at the margin, no tabs) the block points into
 * the input; otherwise it is rebuilt from the source lines, tabs kept.
 *
 * Where pandoc (-f commonmark_x) would show a different tangle block than
 * CommonMark does, tangle refuses with FILE:LINE rather than guess: a line
 * that pandoc reads as a tangle fence and md4c as text or indented code, a
 * fence in YAML front matter, "~~~" after a paragraph, a fence indented
 * after '>', and a ":::" line inside a code block in a fenced div.
 */
#include <md4c.h>
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

struct parse_state {
    struct tgl_doc *doc;         /* where the tangle blocks go */
    size_t idx;
    const struct tgl_input *in;
    struct tgl_mark at;          /* a known line, near the block being parsed */
    size_t cursor;               /* furthest input offset md4c has shown us */
    unsigned lists;              /* open list items */
    bool prev_p;                 /* md4c's last report: a paragraph ended, or text
                                    straight in a list item (a tight list's paragraph) */
    unsigned divs;               /* open pandoc fenced divs (md4c reads ::: as text) */

    enum { NO_CODE, TANGLE_CODE, OTHER_CODE, INDENTED_CODE } code;  /* the block we are in */
    int note_code;               /* INDENTED_CODE continues a footnote or definition
                                    for pandoc: -1 not known yet, 0 no, 1 yes */
    char fence_char;
    bool after_p;                /* prev_p when the block was entered */
    size_t fence_line;
    const char *info;            /* the info string, decoded: the source's, or in infos */
    size_t info_len;
    struct tgl_buf infos;
    const char *info_problem;    /* an entity we cannot decode, or NULL */

    const char *src;     /* while md4c's text of the block is the source's from here: */
    size_t len;          /* its length; once it is not, src is NULL and md holds it */
    struct tgl_buf md;
    uint32_t *ends;      /* ends[k]: offset just past the '\n' of line k */
    size_t nlines, cap_lines;
    const char *nl, *indent;     /* md4c's "\n" and indentation strings, once seen */
    bool counting;               /* in a tangle block, src set, no fenced div open */
    bool refs;                   /* while counting, a line started with '<' */
    const char *end;             /* the input's end */
};

static bool in_buffer(const struct parse_state *ps, const char *p)
{
    return p >= ps->in->data && p < ps->in->data + ps->in->len;
}

/* Start and length (without '\n') of source line LN, or NULL. */
static const char *raw_line(struct parse_state *ps, size_t ln, size_t *len)
{
    return tgl_line_text(ps->in, &ps->at, ln, len);
}

/* The source line that holds P (a pointer into the input). */
static size_t line_of(struct parse_state *ps, const char *p)
{
    return tgl_line_at(ps->in, &ps->at, (size_t)(p - ps->in->data));
}

/* The rest of the line from P, without its '\n'. */
static size_t rest_of_line(const struct parse_state *ps, const char *p)
{
    const char *end = ps->in->data + ps->in->len;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return (size_t)((nl ? nl : end) - p);
}

/* Is P the first text of its source line, apart from blanks and '>'? */
static bool at_line_start(const struct parse_state *ps, const char *p)
{
    if (!in_buffer(ps, p))
        return false;
    while (p > ps->in->data && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '>'))
        p--;
    return p == ps->in->data || p[-1] == '\n';
}

/* Does P[0..N) start a footnote ("[^x]:") or a definition (": ", "~ ")?
 * Returns the length of that mark (0: none). */
static size_t note_mark(const char *p, size_t n)
{
    if (n >= 2 && p[0] == '[' && p[1] == '^') {
        const char *close = memchr(p, ']', n);
        return close && (size_t)(close - p) + 1 < n && close[1] == ':' ? (size_t)(close - p) + 2 : 0;
    }
    return n >= 2 && (p[0] == ':' || p[0] == '~') && (p[1] == ' ' || p[1] == '\t') ? 1 : 0;
}

/* Does the line text P[0..N) open a fence whose attribute block names a
 * chunk or a file, perhaps after a footnote label or definition marker? */
static bool looks_like_tangle_fence(const char *p, size_t n)
{
    size_t i = note_mark(p, n), run = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    char fc = i < n ? p[i] : 0;
    while (i + run < n && p[i + run] == fc)
        run++;
    const char *info = p + i + run;
    size_t len = n - i - run;
    if ((fc != '`' && fc != '~') || run < 3 || (fc == '`' && memchr(info, '`', len))
        || !memchr(info, '{', len))
        return false;
    struct tgl_attrs a;
    const char *why;
    bool yes = tgl_attrs_parse(info, len, &a, &why) == 0
               && (a.id != NULL || tgl_attrs_get(&a, "file") != NULL);
    tgl_attrs_free(&a);
    return yes;
}

/* P is the first text of indented code.  Does the last non-blank line
 * before it start a footnote or a definition?  Then pandoc reads the
 * indented lines as more of that note, and a fence in them as a fence. */
static bool after_note(struct parse_state *ps, const char *p)
{
    size_t len, ln = line_of(ps, p);
    while (ln > 1) {
        const char *l = raw_line(ps, --ln, &len);
        size_t i = 0;
        while (i < len && (l[i] == ' ' || l[i] == '\t' || l[i] == '>'))
            i++;
        if (i < len)
            return note_mark(l + i, len - i) > 0;
    }
    return false;
}

/* Text at P outside a tangle block: keep count of pandoc's fenced divs,
 * and refuse a line that pandoc reads as a tangle fence and md4c does not. */
static void check_text_line(struct parse_state *ps, const char *p)
{
    bool indented = ps->code == INDENTED_CODE;
    if (indented && ps->note_code == -1 && in_buffer(ps, p))
        ps->note_code = after_note(ps, p);       /* P is the block's first line */
    if ((*p != '`' && *p != '~' && *p != ':' && *p != '[') || !at_line_start(ps, p)
        || (indented && ps->note_code == 0))     /* plain indented code: code for both */
        return;
    size_t n = rest_of_line(ps, p), i = 3;
    if (!indented && n >= 3 && memcmp(p, ":::", 3) == 0) {
        while (i < n && (p[i] == ':' || p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i < n)
            ps->divs++;                      /* "::: name" or ":::{.x}" opens */
        else if (ps->divs > 0)
            ps->divs--;                      /* ":::" alone closes */
    } else if (looks_like_tangle_fence(p, n)) {
        tgl_error(ps->doc->diag, ps->in->path, (unsigned)line_of(ps, p), "%s",
                  indented ? "pandoc reads a tangle block here (indented code that continues "
                             "a footnote or a definition) but CommonMark reads indented code: "
                             "move the block out of the note"
                           : "pandoc reads a tangle block here but CommonMark reads text (after "
                             "a table row, or in a footnote or a definition): start the fence "
                             "on a line of its own, after a blank line, outside any note");
    }
}

/* A content line P of a fenced block: pandoc ends an open fenced div at a
 * line of colons, and the code block with it; md4c reads on. */
static void check_code_line(struct parse_state *ps, const char *p, size_t size)
{
    if (ps->divs == 0 || size < 3 || p[0] != ':' || !at_line_start(ps, p))
        return;
    for (size_t i = 0; i < size; i++)
        if (p[i] != ':' && p[i] != ' ' && p[i] != '\t' && p[i] != '\n')
            return;
    tgl_error(ps->doc->diag, ps->in->path, (unsigned)line_of(ps, p),
              "a \":::\" line inside a code block in a fenced div: pandoc ends the div, "
              "and the code block, here; tangle would not");
}

/* Append the UTF-8 encoding of CP (U+FFFD when it is not a character). */
static void add_utf8(struct tgl_buf *b, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        tgl_buf_addc(b, (char)cp);
        return;
    }
    size_t n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    char u[4];
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)     /* 10xxxxxx, from the last byte */
        u[i] = (char)(0x80 | (cp & 0x3F));
    u[0] = (char)(((0xFF00u >> n) & 0xFF) | cp);      /* 110xxxxx, 1110xxxx, 11110xxx */
    tgl_buf_add(b, u, n);
}

/* Decode the entity E[0..N) ("&amp;", "&#65;", "&#x41;") into B: md4c
 * leaves that to us.  Numeric ones and the five of XML are decoded; for
 * any other we return false rather than guess (the caller refuses it). */
static bool add_entity(struct tgl_buf *b, const char *e, size_t n)
{
    static const char *const xml[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    if (n >= 4 && e[1] == '#') {
        bool hex = e[2] == 'x' || e[2] == 'X';
        add_utf8(b, strtoul(e + (hex ? 3 : 2), NULL, hex ? 16 : 10));
        return true;
    }
    for (size_t i = 0; i < 5; i++)
        if (strlen(xml[i]) == n && memcmp(xml[i], e, n) == 0) {
            tgl_buf_addc(b, "&<>\"'"[i]);
            return true;
        }
    return false;
}

/* The info string as pandoc sees it, into PS->info: md4c has already
 * removed backslash escapes; entities are decoded here. */
static void decode_info(struct parse_state *ps, const MD_ATTRIBUTE *a)
{
    ps->info_problem = NULL;
    ps->info = a->text, ps->info_len = a->size;
    if (a->substr_offsets[1] == a->size && a->substr_types[0] != MD_TEXT_ENTITY
        && in_buffer(ps, a->text))
        return;                                  /* the source's own bytes: no copy */
    ps->infos.len = 0;
    tgl_buf_reserve(&ps->infos, a->size);        /* no entity: enough */
    for (size_t i = 0; a->substr_offsets[i] < a->size; i++) {
        const char *s = a->text + a->substr_offsets[i];
        size_t n = a->substr_offsets[i + 1] - a->substr_offsets[i];
        if (a->substr_types[i] != MD_TEXT_ENTITY)
            tgl_buf_add(&ps->infos, s, n);
        else if (!add_entity(&ps->infos, s, n))
            ps->info_problem = "an HTML entity tangle does not decode (use the character itself)";
    }
    ps->info = ps->infos.data, ps->info_len = ps->infos.len;
}

/* The fence's line when md4c had to copy the info string (it held an
 * escape or an entity): the first line after the last text md4c showed us
 * with three fence characters and then a '{' or a '}' (enter_block's test
 * for a tangle block; the brace is the source's own, never an entity). */
static size_t find_fence_line(struct parse_state *ps)
{
    size_t start = ps->cursor ? tgl_line_at(ps->in, &ps->at, ps->cursor - 1) + 1 : 1, len;
    const char *run = ps->fence_char == '`' ? "```" : "~~~";
    for (size_t ln = start;; ln++) {
        const char *l = raw_line(ps, ln, &len), *f = l ? memmem(l, len, run, 3) : NULL;
        if (l == NULL)
            return start;
        if (f != NULL && (memchr(f, '{', len - (size_t)(f - l)) != NULL
                          || memchr(f, '}', len - (size_t)(f - l)) != NULL))
            return ln;
    }
}

static int enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    struct parse_state *ps = userdata;
    const MD_BLOCK_CODE_DETAIL *cd = detail;
    bool after_p = ps->prev_p;
    ps->prev_p = false;
    ps->lists += type == MD_BLOCK_LI;
    if (type != MD_BLOCK_CODE)
        return 0;
    ps->code = cd->fence_char == 0 ? INDENTED_CODE : OTHER_CODE;
    ps->note_code = -1;                          /* for INDENTED_CODE: see check_text_line */
    if (cd->fence_char == 0 || cd->info.size == 0
        || (memchr(cd->info.text, '{', cd->info.size) == NULL
            && memchr(cd->info.text, '}', cd->info.size) == NULL))
        return 0;                                /* no attribute block: not a tangle block */
    ps->code = TANGLE_CODE;
    ps->fence_char = cd->fence_char;
    ps->after_p = after_p;
    decode_info(ps, &cd->info);
    ps->fence_line = in_buffer(ps, cd->info.text) ? line_of(ps, cd->info.text)
                                                  : find_fence_line(ps);
    size_t n;
    const char *l = raw_line(ps, ps->fence_line, &n);
    ps->src = l && l + n < ps->in->data + ps->in->len ? l + n + 1 : NULL;  /* the next line */
    if (ps->src && (size_t)(ps->src - ps->in->data) > ps->cursor)
        ps->cursor = (size_t)(ps->src - ps->in->data);      /* for the next find_fence_line */
    ps->len = ps->md.len = 0;
    ps->nlines = 0;
    ps->counting = ps->src != NULL && ps->divs == 0;
    ps->refs = false;
    return 0;
}

/* Add md4c's text S[0..N) to the block's, which text() has found to be
 * the source's own up to here: from here on, md holds it. */
static void add_text(struct parse_state *ps, const char *s, size_t n)
{
    if (ps->src != NULL)
        tgl_buf_add(&ps->md, ps->src, ps->len);
    ps->src = NULL;
    ps->counting = false;
    tgl_buf_add(&ps->md, s, n);
    ps->len += n;
}

/* md4c's "\n" at the end of a content line. */
static void end_line(struct parse_state *ps)
{
    add_text(ps, "\n", 1);
    TGL_GROW(ps->ends, ps->cap_lines, ps->nlines + 1);
    ps->ends[ps->nlines++] = (uint32_t)ps->len;
}

/* Move PS->cursor past the block's text that is the source's own. */
static void catch_up(struct parse_state *ps)
{
    if (ps->src != NULL && (size_t)(ps->src + ps->len - ps->in->data) > ps->cursor)
        ps->cursor = (size_t)(ps->src + ps->len - ps->in->data);
}

/* The rest of text(), kept out of its inner loop (not inlined). */
__attribute__((noinline)) static int text_slow(MD_TEXTTYPE type, const MD_CHAR *s,
                                               MD_SIZE size, struct parse_state *ps)
{
    bool ours = in_buffer(ps, s);
    const char *at = ps->src ? ps->src + ps->len : NULL;
    if (ps->code == NO_CODE && ours && *s != '`' && *s != '~' && *s != ':' && *s != '[') {
        if ((size_t)(s - ps->in->data) + size > ps->cursor)     /* the usual text */
            ps->cursor = (size_t)(s - ps->in->data) + size;
        return 0;
    }
    if (ps->code == TANGLE_CODE && ps->src != NULL && (s == at || !ours)
        && size <= (size_t)(ps->in->data + ps->in->len - at) && memcmp(s, at, size) == 0) {
        if (s == at) {
            check_code_line(ps, s, size);
            ps->refs |= *s == '<';
        } else if (size == 1 && *s == '\n') {       /* md4c's "\n": a line ends */
            TGL_GROW(ps->ends, ps->cap_lines, ps->nlines + 1);
            ps->ends[ps->nlines++] = (uint32_t)ps->len + 1;
            ps->nl = s;
        } else {
            ps->indent = s;                          /* md4c's indentation */
        }
        ps->len += size;
        return 0;
    }
    catch_up(ps);
    if (ours && (size_t)(s - ps->in->data) + size > ps->cursor)
        ps->cursor = (size_t)(s - ps->in->data) + size;
    if (ps->code == TANGLE_CODE || ps->code == OTHER_CODE) {
        if (ours)
            check_code_line(ps, s, size);
        if (ps->code == OTHER_CODE)
            return 0;
        if (size == 1 && s[0] == '\n' && !ours)
            end_line(ps);
        else
            add_text(ps, s, size);
    } else if (type != MD_TEXT_HTML) {
        check_text_line(ps, s);
    }
    return 0;
}

/* md4c's text.  In a tangle block, while the text is the source's own (a
 * pointer into it, or md4c's "\n" or indentation, strings outside it that
 * text_slow has seen, where the source has the same), it is only counted:
 * parsing's inner loop, where every call out is a tail call.  (PS->cursor
 * catches up with it in text_slow and leave_block.) */
static int text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE size, void *userdata)
{
    struct parse_state *ps = userdata;
    ps->prev_p = true;               /* text in a block, or straight in a list item */
    if (!ps->counting)
        return text_slow(type, s, size, ps);
    const char *at = ps->src + ps->len;          /* counting: src is set */
    if (s == ps->nl && size == 1 && *s == '\n' && at < ps->end && *at == '\n'
        && ps->nlines < ps->cap_lines) {
        ps->ends[ps->nlines++] = (uint32_t)++ps->len;    /* md4c's "\n": a line ends */
        return 0;
    }
    if (s == at) {
        ps->refs |= *s == '<';                   /* a line's text, after its indentation */
    } else {
        if (s != ps->indent || size > (size_t)(ps->end - at))
            return text_slow(type, s, size, ps);
        for (size_t i = 0; i < size; i++)
            if (s[i] != at[i])
                return text_slow(type, s, size, ps);
    }
    ps->len += size;
    return 0;
}

/* Column after character C at column COL (tab stops every 4 columns). */
static size_t next_col(size_t col, char c)
{
    return c == '\t' ? col + 4 - col % 4 : col + 1;
}

/* The '>' markers before the fence F on line L, and F's column. */
static void fence_place(const char *l, const char *f, size_t *quotes, size_t *col)
{
    *quotes = *col = 0;
    for (; l < f; l++) {
        *quotes += *l == '>';
        *col = next_col(*col, *l);
    }
}

/* Is line LN a closing fence of at least OPEN_LEN characters FC, in the
 * containers of the opening fence?  Blanks and '>' may precede it; md4c
 * also takes a fence with fewer '>', or left of the list item's text,
 * where pandoc (and CommonMark) see the quote or the item end first.  So
 * the '>' count must be the opening's, QUOTES, and in a list item the
 * column at least the opening fence's, COL (its text starts at or before). */
static bool is_closing_fence(struct parse_state *ps, size_t ln, char fc, size_t open_len,
                             size_t quotes, size_t col)
{
    size_t len, i = 0, run = 0, q, c;
    const char *l = raw_line(ps, ln, &len);
    if (l == NULL)
        return false;
    while (i < len && (l[i] == ' ' || l[i] == '\t' || l[i] == '>'))
        i++;
    fence_place(l, l + i, &q, &c);
    while (i < len && l[i] == fc)
        i++, run++;
    while (i < len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    return i == len && run >= open_len && q == quotes && (ps->lists == 0 || c >= col);
}

/* Check the fences of the tangle block that opens on line LN where md4c
 * and pandoc could disagree, or where it never closes. */
static void check_fences(struct parse_state *ps, size_t ln)
{
    struct tgl_diag *d = ps->doc->diag;
    const char *path = ps->in->path, *l;
    char fc = ps->fence_char;
    size_t n, i = 0, col = 0, gt_col = 0, open_len = 0, close = ln + ps->nlines + 1;
    if (fc == '~' && ps->after_p)
        tgl_error(d, path, (unsigned)ln, "a ~~~ fence right after a paragraph is a definition "
                  "list for pandoc (commonmark_x), not a code block: use a ``` fence");
    if ((l = raw_line(ps, ln, &n)) == NULL)
        return;
    for (; i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '>'); i++) {
        col = next_col(col, l[i]);
        if (l[i] == '>')
            gt_col = col;
    }
    if (gt_col > 0 && i < n && l[i] == fc && col - gt_col > 1)
        tgl_error(d, path, (unsigned)ln, "a fence indented inside a block quote: md4c and "
                  "pandoc disagree on the indentation of its lines; write it right after \"> \"");
    const char *f = memchr(l, fc, n);            /* the fence, after any list marker */
    while (f && f + open_len < l + n && f[open_len] == fc)
        open_len++;
    size_t quotes, fcol;
    fence_place(l, f ? f : l, &quotes, &fcol);
    if (ps->src != NULL && ps->src + ps->len < ps->in->data + ps->in->len)
        ps->at = (struct tgl_mark){ close, (size_t)(ps->src + ps->len - ps->in->data) };
    if (!is_closing_fence(ps, close, fc, open_len < 3 ? 3 : open_len, quotes, fcol))
        tgl_error(d, path, (unsigned)ln, raw_line(ps, close, &n) == NULL
                  ? "tangle block is never closed: its fence is still open at the end of the file"
                  : "tangle block is never closed: its list item or block quote ends before "
                    "the closing fence");
}

/* Append content line K (source line LN) to OUT as pandoc --preserve-tabs
 * reads it.  md4c gives the line's indentation as S spaces, then the rest
 * of the source line; we give the source's own blanks past the container's
 * columns instead, so tabs stay tabs (a tab the container splits becomes
 * spaces).  Returns false, adding nothing, when the source line has no
 * tab there: md4c's text is right. */
static bool add_tabbed_line(struct parse_state *ps, const char *md, size_t mdlen, size_t ln,
                            struct tgl_buf *out)
{
    size_t s = 0, rlen = 0, col = 0, marks = 0;
    const char *r = raw_line(ps, ln, &rlen);
    while (s < mdlen && md[s] == ' ')
        s++;
    size_t rest = mdlen - s, p = rlen - rest;        /* r[0..p): containers, blanks */
    if (r == NULL || rest > rlen || memcmp(r + p, md + s, rest) != 0 || !memchr(r, '\t', p))
        return false;
    for (size_t j = 0; j < p; j++) {
        col = next_col(col, r[j]);
        if (r[j] != ' ' && r[j] != '\t')
            marks = col;                             /* a container's mark ends here */
    }
    if (s > col || col - s < marks)
        return false;
    size_t cut = col - s;                            /* the content's first column */
    col = 0;
    for (size_t j = 0; j < p; j++) {
        size_t c1 = next_col(col, r[j]);
        if (col >= cut)
            tgl_buf_addc(out, r[j]);
        else
            for (size_t c = cut; c < c1; c++)        /* a tab the container splits */
                tgl_buf_addc(out, ' ');
        col = c1;
    }
    tgl_buf_add(out, md + s, rest);
    tgl_buf_addc(out, '\n');
    return true;
}

static void finish_block(struct parse_state *ps)
{
    const struct tgl_input *in = ps->in;
    struct tgl_doc *doc = ps->doc;
    unsigned ln = (unsigned)ps->fence_line;
    const char *why = ps->info_problem;
    struct tgl_attrs attrs;
    if (why != NULL
        || tgl_attrs_read(&doc->arena, ps->info, ps->info_len, &attrs, &why) != 0) {
        tgl_error(doc->diag, in->path, ln, "malformed attribute block: %s", why);
        return;
    }
    const char *path = tgl_attrs_get(&attrs, "file");
    if (attrs.id == NULL && path == NULL)
        return;                                  /* shown in the book only */
    check_fences(ps, ln);
    if (path != NULL && (why = tgl_path_syntax_error(path)) != NULL)
        tgl_error(doc->diag, in->path, ln, "file=\"%s\": %s", path, why);

    struct tgl_block *b = tgl_alloc(&doc->arena, sizeof *b + ps->nlines * sizeof *b->line_end);
    *b = (struct tgl_block){ .text = ps->src, .len = (uint32_t)ps->len,
                             .nlines = (uint32_t)ps->nlines, .input = (unsigned)ps->idx,
                             .line = ln, .name = attrs.id, .path = path, .attrs = attrs };
    if (ps->src == NULL) {               /* not the source's own bytes: rebuilt, line by line */
        struct tgl_buf text = { 0 };
        tgl_buf_reserve(&text, ps->md.len);
        for (size_t k = 0, start = 0; k < ps->nlines; k++) {
            const char *md = ps->md.data + start;
            size_t n = ps->ends[k] - start;                  /* with its '\n' */
            if (!add_tabbed_line(ps, md, n - 1, ln + 1 + k, &text))
                tgl_buf_add(&text, md, n);
            start = ps->ends[k];
            ps->ends[k] = (uint32_t)text.len;
        }
        b->text = memcpy(tgl_alloc(&doc->arena, text.len), text.data, text.len);
        b->len = (uint32_t)text.len;
        tgl_buf_free(&text);
    }
    if (ps->nlines > 0)                      /* (ends is NULL before a block's first line) */
        memcpy(b->line_end, ps->ends, ps->nlines * sizeof *b->line_end);
    if (ps->src == NULL || ps->refs)         /* no line starts "<<": no references */
        tgl_segment(&doc->arena, b, in->path, doc->diag);
    TGL_GROW(doc->blocks, doc->cap_blocks, doc->nblocks + 1);
    doc->blocks[doc->nblocks++] = b;
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    struct parse_state *ps = userdata;
    (void)detail;
    ps->prev_p = type == MD_BLOCK_P;
    ps->lists -= type == MD_BLOCK_LI;
    if (type != MD_BLOCK_CODE)
        return 0;
    if (ps->code == TANGLE_CODE) {
        catch_up(ps);
        if (ps->len > (ps->nlines ? ps->ends[ps->nlines - 1] : 0))
            end_line(ps);                        /* md4c always ends lines; be safe */
        finish_block(ps);
    }
    ps->code = NO_CODE;
    ps->counting = false;
    return 0;
}

static int span(MD_SPANTYPE type, void *detail, void *userdata)
{
    (void)type, (void)detail, (void)userdata;
    return 0;
}

/* Is line L[0..N) "---" (or, CLOSING, "...")?  Blanks may follow. */
static bool yaml_fence(const char *l, size_t n, bool closing)
{
    while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t'))
        n--;
    return n == 3 && (memcmp(l, "---", 3) == 0 || (closing && memcmp(l, "...", 3) == 0));
}

/* Pandoc reads a "---" first line, a non-blank line, and lines up to a
 * "---" or "..." line as YAML metadata, not as Markdown.  Returns the
 * offset just past that block (0 when there is none), and reports any
 * line in it that looks like a tangle fence: pandoc does not show it. */
static size_t front_matter(struct parse_state *ps)
{
    size_t n, i = 0, close = 2;
    const char *l = raw_line(ps, 1, &n);
    if (l == NULL || !yaml_fence(l, n, false) || (l = raw_line(ps, 2, &n)) == NULL)
        return 0;
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i == n)
        return 0;                                /* "---" then a blank line: a rule */
    while ((l = raw_line(ps, close, &n)) != NULL && !yaml_fence(l, n, true))
        close++;
    if (l == NULL)
        return 0;                                /* never closed: not metadata */
    for (size_t ln = 2; ln < close; ln++) {
        l = raw_line(ps, ln, &n);
        for (i = 0; i < n && (l[i] == ' ' || l[i] == '\t'); i++)
            ;
        if (looks_like_tangle_fence(l + i, n - i))
            tgl_error(ps->doc->diag, ps->in->path, (unsigned)ln, "a tangle fence in the YAML "
                      "front matter: pandoc reads it as metadata, not as a code block");
    }
    l = raw_line(ps, close, &n);
    return l + n < ps->in->data + ps->in->len ? (size_t)(l + n + 1 - ps->in->data) : ps->in->len;
}

unsigned tgl_parse_input(struct tgl_doc *doc, size_t idx)
{
    unsigned before = doc->diag->errors;
    struct parse_state ps = { .doc = doc, .idx = idx, .in = &doc->inputs[idx],
                              .at = TGL_MARK_TOP };
    ps.end = ps.in->data + ps.in->len;
    MD_PARSER parser = {
        .abi_version = 0,
        /* Tables change block structure as they do for pandoc; inline
         * HTML cannot, and skipping it saves time. */
        .flags = MD_FLAG_TABLES | MD_FLAG_NOHTMLSPANS,
        .enter_block = enter_block,
        .leave_block = leave_block,
        .enter_span = span,
        .leave_span = span,
        .text = text,
    };
    size_t skip = front_matter(&ps);
    if (md_parse(ps.in->data + skip, (MD_SIZE)(ps.in->len - skip), &parser, &ps) != 0)
        tgl_error(doc->diag, ps.in->path, 0, "the Markdown parser failed");
    tgl_buf_free(&ps.infos);
    tgl_buf_free(&ps.md);
    free(ps.ends);
    return doc->diag->errors - before;
}
