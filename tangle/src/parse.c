/* parse.c: find the tangle blocks of one input with md4c.
 *
 * md4c reports a fenced code block as enter_block(MD_BLOCK_CODE) with its
 * info string, then the text of each content line (the indentation as a
 * run of spaces, the rest of the line as a pointer into our buffer, then
 * "\n"), then leave_block.  Line numbers come from those pointers: the
 * content lines of a fenced block are consecutive source lines, so once one
 * line's position is known, every line's is.  md4c turns leading tabs into
 * spaces; we put back the tabs the source had (a Makefile needs them).
 */
#include <md4c.h>
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

struct line_info {
    size_t end;          /* end of the line's text in md (exclusive) */
    const char *ptr;     /* first pointer into the input, or NULL */
};

struct parse_state {
    struct tgl_doc *doc;         /* where the tangle blocks go */
    struct tgl_diag *diag;
    size_t idx;
    const struct tgl_input *in;
    unsigned errors;

    enum { NO_CODE, TANGLE_CODE, OTHER_CODE, INDENTED_CODE } code;  /* the block we are in */
    const char *info_problem; /* an entity we cannot decode, or NULL */
    bool after_paragraph;    /* the block right before it is a paragraph */

    /* The previous sibling of the block being entered, per depth: pandoc
     * reads a ~~~ fence right after a paragraph as a definition list. */
    MD_BLOCKTYPE *last_child;
    size_t depth, cap_depth;
    char fence_char;
    struct tgl_buf info; /* the info string, decoded (reused from block to block) */
    long info_line;      /* fence line from the info pointer, or -1 */
    struct tgl_mark at;  /* a known line, near the block being parsed */
    size_t cursor;       /* furthest input offset seen so far */
    size_t cursor_at_enter;

    const char *src;     /* while md4c's text of the block is the source's from here: */
    size_t len;          /* its length; once it is not, src is NULL and md holds it */
    struct tgl_buf md;
    struct line_info *lines;
    size_t nlines, cap_lines;
    bool line_open;      /* a line has started but not ended */
    int note_code;       /* indented code that continues a footnote or definition for
                            pandoc: -1 not known yet, 0 no, 1 yes */
    unsigned tables;     /* open tables */
    unsigned divs;       /* open pandoc fenced divs (::: lines md4c reads as text) */
};

static bool in_buffer(const struct parse_state *ps, const char *p)
{
    return p >= ps->in->data && p < ps->in->data + ps->in->len;
}

/* Start and length (without '\n') of source line LN, or NULL when the
 * input has no line LN. */
static const char *raw_line(struct parse_state *ps, size_t ln, size_t *len)
{
    return tgl_line_text(ps->in, &ps->at, ln, len);
}

/* The source line that holds P (a pointer into the input). */
static size_t line_of(struct parse_state *ps, const char *p)
{
    return tgl_line_at(ps->in, &ps->at, (size_t)(p - ps->in->data));
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

/* The rest of the line from P, without its '\n'. */
static size_t rest_of_line(const struct parse_state *ps, const char *p)
{
    const char *end = ps->in->data + ps->in->len;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return (size_t)((nl ? nl : end) - p);
}

/* Does the line text P[0..N) open a fence whose attribute block names a
 * chunk or a file, perhaps after a footnote label "[^x]:" or a definition
 * marker ":" or "~"?  Pandoc reads such a line as a tangle block in places
 * where CommonMark (md4c) reads text or indented code. */
static bool looks_like_tangle_fence(const char *p, size_t n)
{
    size_t i = 0;
    if (n >= 2 && p[0] == '[' && p[1] == '^') {
        const char *close = memchr(p, ']', n);
        if (close == NULL || (size_t)(close - p) + 1 >= n || close[1] != ':')
            return false;
        i = (size_t)(close - p) + 2;
    } else if (n >= 2 && (p[0] == ':' || p[0] == '~') && (p[1] == ' ' || p[1] == '\t')) {
        i = 1;
    }
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    char fc = i < n ? p[i] : 0;
    size_t run = 0;
    while (i + run < n && p[i + run] == fc)
        run++;
    if ((fc != '`' && fc != '~') || run < 3)
        return false;
    const char *info = p + i + run;
    size_t len = n - i - run;
    if ((fc == '`' && memchr(info, '`', len)) || !memchr(info, '{', len))
        return false;
    struct tgl_attrs a;
    const char *why;
    bool yes = tgl_attrs_parse(info, len, &a, &why) == 0
               && (a.id != NULL || tgl_attrs_get(&a, "file") != NULL);
    tgl_attrs_free(&a);
    return yes;
}

/* P is the first text of indented code.  Does the last non-blank line
 * before it start a footnote ("[^x]:") or a definition (": ", "~ ")?  Then
 * pandoc reads the indented lines as more of that note or definition. */
static bool after_note(const struct parse_state *ps, const char *p)
{
    const char *d = ps->in->data, *end = p;
    while (end > d && end[-1] != '\n')          /* the start of P's line */
        end--;
    while (end > d) {
        const char *l = end - 1;                 /* end[-1] is a '\n' */
        while (l > d && l[-1] != '\n')
            l--;
        const char *q = l;
        while (q < end - 1 && (*q == ' ' || *q == '\t' || *q == '>'))
            q++;
        if (q < end - 1) {
            size_t n = (size_t)(end - 1 - q);
            return n >= 2 && ((q[0] == '[' && q[1] == '^')
                              || ((q[0] == ':' || q[0] == '~') && (q[1] == ' ' || q[1] == '\t')));
        }
        end = l;
    }
    return false;
}

/* Text at P (a pointer into the input), outside any tangle block: report
 * a line that pandoc reads as a tangle fence and md4c does not, and keep
 * count of pandoc's fenced divs. */
static void check_text_line(struct parse_state *ps, const char *p)
{
    bool indented = ps->code == INDENTED_CODE;
    if (indented && ps->note_code == -1 && in_buffer(ps, p))
        ps->note_code = after_note(ps, p);       /* P is the block's first line */
    if ((*p != '`' && *p != '~' && *p != ':' && *p != '[') || !at_line_start(ps, p))
        return;
    size_t n = rest_of_line(ps, p);
    if (indented && ps->note_code == 0)
        return;                      /* indented code: a fence in it is text for pandoc too */
    if (*p == ':' && !indented && n >= 3 && p[1] == ':' && p[2] == ':') {
        size_t i = 3;
        while (i < n && (p[i] == ':' || p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i < n)
            ps->divs++;                      /* "::: name" or ":::{.x}" opens */
        else if (ps->divs > 0)
            ps->divs--;                      /* ":::" alone closes */
        return;
    }
    if (!looks_like_tangle_fence(p, n))
        return;
    const char *why =
        indented        ? "CommonMark reads it as indented code, pandoc as a code block in a "
                          "footnote or a definition"
        : ps->tables    ? "CommonMark reads it as a table row, pandoc as a code block after "
                          "the table: leave a blank line before the fence"
        : *p == '['     ? "pandoc reads it as a code block in a footnote, which CommonMark does "
                          "not know: move it out of the footnote"
        : *p != '`' && *p != '~'
            ? "pandoc reads it as a code block in a definition list, which CommonMark does "
              "not know: move it out of the definition"
            : "CommonMark reads it as text";
    tgl_error(ps->diag, ps->in->path, (unsigned)line_of(ps, p),
              "pandoc shows this as a tangle block, but tangle cannot tangle it: %s", why);
    ps->errors++;
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
    tgl_error(ps->diag, ps->in->path, (unsigned)line_of(ps, p),
              "a \":::\" line inside a code block in a fenced div: pandoc ends the div, "
              "and the code block, here; tangle would not");
    ps->errors++;
}

/* "No block yet" in last_child (md4c has no such value). */
#define NO_BLOCK ((MD_BLOCKTYPE)-1)

/* Append the UTF-8 encoding of CP (or U+FFFD when it is not a character). */
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

/* Decode the entity E[0..N) ("&amp;", "&#65;", "&#x41;") into B.  md4c
 * marks entities but leaves decoding to us.  Numeric ones and the few
 * named ones an attribute value could want are decoded; for any other we
 * return false rather than guess (the caller reports it). */
static bool add_entity(struct tgl_buf *b, const char *e, size_t n)
{
    static const struct { const char *name; unsigned cp; } named[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
        { "&apos;", '\'' }, { "&nbsp;", 0xA0 }, { "&lbrace;", '{' }, { "&rbrace;", '}' },
        { "&lcub;", '{' }, { "&rcub;", '}' }, { "&num;", '#' }, { "&sol;", '/' },
        { "&equals;", '=' }, { "&period;", '.' }, { "&bsol;", '\\' },
    };
    if (n >= 4 && e[1] == '#') {
        bool hex = e[2] == 'x' || e[2] == 'X';
        unsigned long cp = strtoul(e + (hex ? 3 : 2), NULL, hex ? 16 : 10);
        add_utf8(b, cp);
        return true;
    }
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i].name) == n && memcmp(named[i].name, e, n) == 0) {
            add_utf8(b, named[i].cp);
            return true;
        }
    return false;
}

/* The info string as pandoc sees it, into B: md4c has already removed
 * backslash escapes; entities are decoded here. */
static void decode_info(const MD_ATTRIBUTE *a, struct tgl_buf *b, const char **problem)
{
    b->len = 0;
    tgl_buf_reserve(b, a->size);             /* the common case, no entity: enough */
    b->data[0] = '\0';
    *problem = NULL;
    for (size_t i = 0; a->substr_offsets[i] < a->size; i++) {
        const char *s = a->text + a->substr_offsets[i];
        size_t n = a->substr_offsets[i + 1] - a->substr_offsets[i];
        if (a->substr_types[i] == MD_TEXT_ENTITY) {
            if (!add_entity(b, s, n))
                *problem = "an HTML entity tangle does not decode (use the character itself)";
        } else {
            tgl_buf_add(b, s, n);
        }
    }
}

static void push_level(struct parse_state *ps)
{
    TGL_GROW(ps->last_child, ps->cap_depth, ps->depth + 1);
    ps->last_child[ps->depth++] = NO_BLOCK;
}

static int enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    struct parse_state *ps = userdata;
    MD_BLOCKTYPE prev = ps->depth ? ps->last_child[ps->depth - 1] : NO_BLOCK;
    push_level(ps);
    if (type == MD_BLOCK_TABLE)
        ps->tables++;
    if (type != MD_BLOCK_CODE)
        return 0;
    const MD_BLOCK_CODE_DETAIL *cd = detail;
    if (cd->fence_char == 0) {
        ps->code = INDENTED_CODE;            /* indented code: never tangled, */
        ps->note_code = -1;                  /* but see check_text_line */
        return 0;
    }
    if (cd->info.text == NULL || cd->info.size == 0
        || (memchr(cd->info.text, '{', cd->info.size) == NULL
            && memchr(cd->info.text, '}', cd->info.size) == NULL)) {
        ps->code = OTHER_CODE;               /* no attribute block: not a tangle block */
        return 0;
    }
    ps->code = TANGLE_CODE;
    ps->fence_char = cd->fence_char;
    ps->after_paragraph = prev == MD_BLOCK_P;
    decode_info(&cd->info, &ps->info, &ps->info_problem);
    ps->info_line = in_buffer(ps, cd->info.text) ? (long)line_of(ps, cd->info.text) : -1;
    ps->cursor_at_enter = ps->cursor;
    const char *nl = ps->info_line > 0 ? cd->info.text + rest_of_line(ps, cd->info.text) : NULL;
    ps->src = nl && nl < ps->in->data + ps->in->len ? nl + 1 : NULL;  /* the next line */
    ps->len = ps->md.len = 0;
    ps->nlines = 0;
    ps->line_open = false;
    return 0;
}

static void open_line(struct parse_state *ps)
{
    if (ps->line_open)
        return;
    TGL_GROW(ps->lines, ps->cap_lines, ps->nlines + 1);
    ps->lines[ps->nlines] = (struct line_info){ .end = ps->len };
    ps->line_open = true;
}

/* Add md4c's text S[0..N) to the block's: only counted while it is the
 * source's own text, copied (with the text before it) once it is not. */
static void add_text(struct parse_state *ps, const char *s, size_t n)
{
    const char *src = ps->src, *end = ps->in->data + ps->in->len;
    if (src && ((size_t)(end - src) - ps->len < n
                || (s != src + ps->len
                    && (n == 1 ? src[ps->len] != *s : memcmp(src + ps->len, s, n) != 0)))) {
        tgl_buf_add(&ps->md, src, ps->len);
        ps->src = src = NULL;
    }
    if (src == NULL)
        tgl_buf_add(&ps->md, s, n);
    ps->len += n;
}

/* md4c's "\n" at the end of a content line. */
static void end_line(struct parse_state *ps)
{
    open_line(ps);
    add_text(ps, "\n", 1);
    ps->lines[ps->nlines++].end = ps->len;
    ps->line_open = false;
}

static int text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE size, void *userdata)
{
    struct parse_state *ps = userdata;
    if (in_buffer(ps, s)) {
        size_t end = (size_t)(s - ps->in->data) + size;
        if (end > ps->cursor)
            ps->cursor = end;
    }
    if (ps->code == OTHER_CODE) {
        check_code_line(ps, s, size);
        return 0;
    }
    if (ps->code != TANGLE_CODE) {
        if (type != MD_TEXT_HTML)
            check_text_line(ps, s);
        if (ps->code == INDENTED_CODE)
            return 0;
        /* Text straight inside a list item is the paragraph of a tight
         * list, which md4c reports without MD_BLOCK_P.  (Text inside a
         * P, H or table cell only marks that block's own child level,
         * which is dropped when the block ends.) */
        if (ps->depth > 0)
            ps->last_child[ps->depth - 1] = MD_BLOCK_P;
        return 0;
    }
    if (size == 1 && s[0] == '\n' && !in_buffer(ps, s)) {
        end_line(ps);
        return 0;
    }
    open_line(ps);
    if (in_buffer(ps, s) && ps->lines[ps->nlines].ptr == NULL) {
        ps->lines[ps->nlines].ptr = s;
        check_code_line(ps, s, size);
    }
    add_text(ps, s, size);
    return 0;
}

/* Length of the first run of >= 3 fence characters FC on line L, or 0. */
static size_t fence_length(const char *l, size_t len, char fc)
{
    for (size_t i = 0; i < len; i++) {
        if (l[i] != fc)
            continue;
        size_t j = i;
        while (j < len && l[j] == fc)
            j++;
        if (j - i >= 3)
            return j - i;
        i = j;
    }
    return 0;
}

/* The opening fence's line, from the best evidence we have. */
static size_t find_fence_line(struct parse_state *ps)
{
    if (ps->info_line > 0)
        return (size_t)ps->info_line;
    for (size_t k = 0; k < ps->nlines; k++)
        if (ps->lines[k].ptr) {
            size_t ln = line_of(ps, ps->lines[k].ptr);
            if (ln > k + 1)
                return ln - k - 1;
        }
    /* No pointer at all (the info string held an escape or entity, and
     * every content line is blank): the first fence-looking line after
     * the last text md4c showed us. */
    size_t start = tgl_line_at(ps->in, &ps->at, ps->cursor_at_enter);
    for (size_t ln = start;; ln++) {
        size_t len;
        const char *l = raw_line(ps, ln, &len);
        if (l == NULL)
            break;
        if (fence_length(l, len, ps->fence_char) > 0)
            return ln;
    }
    return start;
}

/* Is line LN a closing fence of at least OPEN_LEN characters FC?  Blank
 * and '>' characters may precede it (list and block quote containers). */
static bool is_closing_fence(struct parse_state *ps, size_t ln, char fc, size_t open_len)
{
    size_t len, i = 0, run = 0;
    const char *l = raw_line(ps, ln, &len);
    if (l == NULL)
        return false;
    while (i < len && (l[i] == ' ' || l[i] == '\t' || l[i] == '>'))
        i++;
    while (i < len && l[i] == fc)
        i++, run++;
    while (i < len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    return i == len && run >= open_len;
}

/* Append content line K (source line LN) to OUT, with the source's leading
 * tabs put back where md4c expanded them to spaces. */
static void add_line(struct parse_state *ps, size_t k, size_t ln, struct tgl_buf *out)
{
    size_t start = k ? ps->lines[k - 1].end : 0;
    const char *md = ps->md.data ? ps->md.data + start : "";
    size_t mdlen = ps->lines[k].end - start - 1;        /* without the '\n' */
    size_t rlen;
    const char *r = raw_line(ps, ln, &rlen);

    if (r == NULL || memchr(r, '\t', rlen) == NULL)
        goto verbatim;
    size_t indent = 0;
    while (indent < mdlen && md[indent] == ' ')
        indent++;
    size_t rest = mdlen - indent;
    if (rest > rlen || memcmp(r + rlen - rest, md + indent, rest) != 0)
        goto verbatim;
    size_t p = rlen - rest, w0 = p;
    while (w0 > 0 && (r[w0 - 1] == ' ' || r[w0 - 1] == '\t'))
        w0--;
    size_t col = 0, col_w0 = 0;
    for (size_t j = 0; j < p; j++) {
        if (j == w0)
            col_w0 = col;
        col = r[j] == '\t' ? col + 4 - col % 4 : col + 1;
    }
    if (w0 == p)
        col_w0 = col;
    if (indent > col || col - indent < col_w0)
        goto verbatim;
    size_t want = col - indent;             /* column where the content starts */
    col = col_w0;
    for (size_t j = w0; j < p; j++) {
        size_t c1 = r[j] == '\t' ? col + 4 - col % 4 : col + 1;
        if (c1 > want) {
            if (col < want)                     /* a tab split by the container */
                for (size_t s = want; s < c1; s++)
                    tgl_buf_addc(out, ' ');
            else
                tgl_buf_addc(out, r[j]);
        }
        col = c1;
    }
    tgl_buf_add(out, md + indent, rest);
    tgl_buf_addc(out, '\n');
    return;
verbatim:
    tgl_buf_add(out, md, mdlen);
    tgl_buf_addc(out, '\n');
}

/* Is the fence on line L[0..N) (fence character FC) indented by more than
 * one column after a block quote's '>'?  md4c then counts the indentation
 * of the block's lines differently from pandoc. */
static bool quote_indented(const char *l, size_t n, char fc)
{
    size_t i = 0, col = 0, gt_col = 0;
    bool quoted = false;
    for (; i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '>'); i++) {
        col = l[i] == '\t' ? col + 4 - col % 4 : col + 1;
        if (l[i] == '>') {
            quoted = true;
            gt_col = col;
        }
    }
    return quoted && i < n && l[i] == fc && col - gt_col > 1;
}

static void finish_block(struct parse_state *ps)
{
    const struct tgl_input *in = ps->in;
    struct tgl_diag *d = ps->diag;
    const char *why;
    struct tgl_attrs attrs;
    size_t ln = find_fence_line(ps);

    if (ps->info_problem != NULL) {
        tgl_error(d, in->path, (unsigned)ln, "malformed attribute block: %s", ps->info_problem);
        ps->errors++;
        return;
    }
    if (tgl_attrs_parse(ps->info.data, ps->info.len, &attrs, &why) != 0) {
        tgl_error(d, in->path, (unsigned)ln, "malformed attribute block: %s", why);
        ps->errors++;
        return;
    }
    const char *path = tgl_attrs_get(&attrs, "file");
    if (attrs.id == NULL && path == NULL) {
        tgl_attrs_free(&attrs);
        return;                                  /* shown in the book only */
    }

    unsigned errs = 0;
    if (ps->fence_char == '~' && ps->after_paragraph) {
        tgl_error(d, in->path, (unsigned)ln,
                  "a ~~~ fence right after a paragraph is a definition list for pandoc "
                  "(commonmark_x), not a code block: use a ``` fence");
        errs++;
    }
    size_t flen;
    const char *fl = raw_line(ps, ln, &flen);
    if (fl != NULL && quote_indented(fl, flen, ps->fence_char)) {
        tgl_error(d, in->path, (unsigned)ln,
                  "a fence indented inside a block quote: md4c and pandoc disagree on the "
                  "indentation of its lines; write it right after \"> \"");
        errs++;
    }
    size_t after = ps->src ? (size_t)(ps->src + ps->len - in->data) : in->len;
    if (after < in->len)                 /* the closing fence's line: no walk down to it */
        ps->at = (struct tgl_mark){ ln + 1 + ps->nlines, after };
    if (fl != NULL) {
        size_t open_len = fence_length(fl, flen, ps->fence_char);
        if (open_len == 0)
            open_len = 3;
        size_t close = ln + ps->nlines + 1, clen;
        if (!is_closing_fence(ps, close, ps->fence_char, open_len)) {
            tgl_error(d, in->path, (unsigned)ln,
                      raw_line(ps, close, &clen) == NULL
                          ? "tangle block is never closed: its fence is still open at the "
                            "end of the file"
                          : "tangle block is never closed: its list item or block quote "
                            "ends before the closing fence");
            errs++;
        }
    }
    if (path != NULL) {
        const char *bad = tgl_path_syntax_error(path);
        if (bad) {
            tgl_error(d, in->path, (unsigned)ln, "file=\"%s\": %s", path, bad);
            errs++;
        }
    }

    struct tgl_block *b = tgl_xcalloc(1, sizeof *b + ps->nlines * sizeof *b->line_end);
    b->nlines = ps->nlines;
    b->line_end = (uint32_t *)(b + 1);
    for (size_t k = 0; k < ps->nlines; k++)          /* md4c's lines ... */
        b->line_end[k] = (uint32_t)ps->lines[k].end;
    if (ps->src != NULL) {
        b->text = (char *)ps->src;      /* the usual case, a fence at the margin: */
        b->len = ps->len;               /* md4c's text is the source's, point into it */
    } else {
        struct tgl_buf text = { 0 };
        tgl_buf_reserve(&text, ps->md.len + 1);
        for (size_t k = 0; k < ps->nlines; k++) {
            add_line(ps, k, ln + 1 + k, &text);
            b->line_end[k] = (uint32_t)text.len;      /* ... or ours, with tabs put back */
        }
        b->text = text.data;
        b->len = text.len;
        b->text_owned = true;
    }
    b->input = (unsigned)ps->idx;
    b->line = (unsigned)ln;
    b->attrs = attrs;
    b->name = attrs.id;
    b->path = tgl_attrs_get(&b->attrs, "file");
    errs += tgl_segment(b, in->path, d);

    TGL_GROW(ps->doc->blocks, ps->doc->cap_blocks, ps->doc->nblocks + 1);
    ps->doc->blocks[ps->doc->nblocks++] = b;
    ps->errors += errs;
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    struct parse_state *ps = userdata;
    (void)detail;
    if (ps->depth > 0)
        ps->depth--;
    if (ps->depth > 0)
        ps->last_child[ps->depth - 1] = type;
    if (type == MD_BLOCK_TABLE)
        ps->tables--;
    if (type != MD_BLOCK_CODE || ps->code != TANGLE_CODE) {
        if (type == MD_BLOCK_CODE)
            ps->code = NO_CODE;
        return 0;
    }
    if (ps->line_open)                           /* md4c always ends lines; be safe */
        end_line(ps);
    finish_block(ps);
    ps->code = NO_CODE;
    return 0;
}

static int span(MD_SPANTYPE type, void *detail, void *userdata)
{
    (void)type, (void)detail, (void)userdata;
    return 0;
}

/* Is line L[0..N) "---" or "..." (the fences of YAML front matter)? */
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
    const char *d = ps->in->data;
    size_t n = rest_of_line(ps, d), off;
    if (!yaml_fence(d, n, false) || n == ps->in->len)
        return 0;
    off = n + 1;
    n = rest_of_line(ps, d + off);
    size_t k = 0;
    while (k < n && (d[off + k] == ' ' || d[off + k] == '\t'))
        k++;
    if (k == n)
        return 0;                                /* "---" then a blank line: a rule */
    for (size_t o = off; o < ps->in->len; o += n + 1) {
        n = rest_of_line(ps, d + o);
        if (yaml_fence(d + o, n, true)) {
            for (size_t q = off; q < o; q += rest_of_line(ps, d + q) + 1) {
                size_t b = q, len = rest_of_line(ps, d + q);
                while (b < q + len && (d[b] == ' ' || d[b] == '\t'))
                    b++;
                if (looks_like_tangle_fence(d + b, q + len - b)) {
                    tgl_error(ps->diag, ps->in->path, tgl_line_of(ps->in, q),
                              "a tangle fence in the YAML front matter: pandoc reads it as "
                              "metadata, not as a code block");
                    ps->errors++;
                }
            }
            return o + n < ps->in->len ? o + n + 1 : ps->in->len;
        }
    }
    return 0;                                    /* never closed: not metadata */
}

unsigned tgl_parse_input(struct tgl_doc *doc, size_t idx)
{
    struct tgl_diag *d = doc->diag;
    struct parse_state ps = { .doc = doc, .diag = d, .idx = idx, .in = &doc->inputs[idx],
                              .at = TGL_MARK_TOP };
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
    if (md_parse(ps.in->data + skip, (MD_SIZE)(ps.in->len - skip), &parser, &ps) != 0) {
        tgl_error(d, ps.in->path, 0, "the Markdown parser failed");
        ps.errors++;
    }
    tgl_buf_free(&ps.info);
    free(ps.lines);
    free(ps.last_child);
    tgl_buf_free(&ps.md);
    return ps.errors;
}
