/* tangle.h: the data model of tangle and the contract of every shared function.
 *
 * Tangle reads Markdown chapters, finds the fenced code blocks whose pandoc
 * attribute block names a chunk (#name) or an output file (file=PATH), joins
 * the chunks by name, expands <<name>> references and writes the files.
 *
 * The work happens in stages, and each stage runs only when the one before
 * found no error, so that nothing is written after an error and one mistake
 * does not cascade into many bogus messages:
 *
 *   1. doc.c    load every input file in command-line order
 *      input.c  read each file, check UTF-8, normalise BOM and CRLF
 *      parse.c  find the fenced code blocks with md4c (a CommonMark parser)
 *      attrs.c  parse the pandoc attribute block of each fenced block
 *      chunks.c split each tangle block into text and <<reference>> segments
 *   2. chunks.c join chunks by name (hash table), check references, cycles,
 *               duplicate files and unreachable chunks
 *   3. outputs.c for every output file, in parallel:
 *      paths.c  check its path against the file system (symlinks)
 *      expand.c expand each output file into memory
 *      write.c  compare with the output tree, then write atomically, prune
 *               stale files and update the manifest DIR/.tangled
 *
 * Shared names carry the prefix tgl_; everything else is static.
 * Memory: allocation failure is fatal (tgl_xmalloc prints and exits 2).
 */
#ifndef TANGLE_H
#define TANGLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* ---- util.c: memory, growable buffers, diagnostics ---------------------- */

/* malloc/realloc/strndup that never return NULL: on failure they print
 * "tangle: out of memory" and exit(2). */
void *tgl_xmalloc(size_t n);
void *tgl_xcalloc(size_t count, size_t size);
void *tgl_xrealloc(void *p, size_t n);
char *tgl_xstrndup(const char *s, size_t n);
char *tgl_xstrdup(const char *s);

/* A growable byte buffer.  Zero-initialise it ({0}); data is NULL until the
 * first byte is added.  Growth is geometric, so appending is amortised O(1).
 * The buffer owns data; tgl_buf_free releases it and resets the buffer. */
struct tgl_buf {
    char *data;
    size_t len;
    size_t cap;
};
void tgl_buf_reserve(struct tgl_buf *b, size_t extra);
void tgl_buf_add(struct tgl_buf *b, const void *p, size_t n);
void tgl_buf_addc(struct tgl_buf *b, char c);
void tgl_buf_adds(struct tgl_buf *b, const char *s);
void tgl_buf_addf(struct tgl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tgl_buf_free(struct tgl_buf *b);

/* An arena: many small allocations that are freed together.  Each input
 * keeps the blocks parsed from it, with their segments and attributes, in
 * one: they sit side by side in document order (which the later stages walk
 * in), and the malloc/free pair per piece is gone. */
struct tgl_arena {
    char *next, *end;   /* free space in the newest piece */
    void *pieces;       /* newest piece; each starts with a link to the one before */
    size_t piece_size;  /* size of the next piece (it grows) */
};
/* N bytes, aligned for any type, not zeroed; lives until tgl_arena_free. */
void *tgl_arena_alloc(struct tgl_arena *a, size_t n);
void tgl_arena_free(struct tgl_arena *a);

/* How many threads to use for JOBS independent jobs: TANGLE_THREADS from
 * the environment, else 4 (1 on a single CPU); at most 4 and at most JOBS. */
size_t tgl_thread_count(size_t jobs);

/* Where diagnostics go, and how many errors were reported.  The fuzz
 * target and the unit tests point out at /dev/null or a memory stream. */
struct tgl_diag {
    FILE *out;
    unsigned errors;
};

/* Report "FILE:LINE: error: MESSAGE" (LINE 0: "FILE: error: MESSAGE") on
 * d->out and count it. */
void tgl_error(struct tgl_diag *d, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same as tgl_error but "warning:", not counted as an error. */
void tgl_warning(struct tgl_diag *d, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- hash.c: string-keyed hash table ------------------------------------ */

/* Open addressing, power-of-two capacity, load <= 3/4.  Keys are borrowed
 * (not copied): they must outlive the table. */
struct tgl_slot {
    const char *key;   /* NULL: empty */
    uint32_t klen;     /* keys are shorter than 4 GiB (so are the inputs) */
    uint32_t hash;     /* compared before the key itself */
    void *val;
};
struct tgl_table {
    struct tgl_slot *slots;
    size_t cap;        /* a power of two, or 0 */
    size_t count;
};
/* Value stored under KEY[0..KLEN), or NULL. */
void *tgl_table_get(const struct tgl_table *t, const char *key, size_t klen);
/* Make room for N keys without growing again. */
void tgl_table_reserve(struct tgl_table *t, size_t n);
/* Store VAL under KEY (replacing any old value). */
void tgl_table_put(struct tgl_table *t, const char *key, size_t klen, void *val);
/* The value under KEY if there is one; else store VAL under KEY and return
 * NULL (so values must not be NULL).  One lookup where get + put take two. */
void *tgl_table_get_or_put(struct tgl_table *t, const char *key, size_t klen, void *val);
void tgl_table_free(struct tgl_table *t);

/* ---- input.c: reading and decoding input files -------------------------- */

/* One input file, decoded: a leading UTF-8 BOM skipped, CRLF and lone CR
 * turned into LF.  data is not NUL-terminated.  A regular file is mapped
 * read-only, not copied (input with CR gets a normalised private copy). */
struct tgl_input {
    char *path;        /* as given on the command line (owned) */
    char *data;        /* the text: base, or base + 3 after a BOM */
    size_t len;
    char *base;        /* what we own: mmap'ed (map_len > 0) or malloc'ed */
    size_t map_len;
    struct tgl_arena arena; /* the blocks parsed from it (see tgl_parse_file) */
};

/* Normalise BUF in place (BOM, CRLF, CR); returns the new length. */
size_t tgl_normalize(char *buf, size_t len);
/* Offset of the first byte that is not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF are invalid), or LEN when all
 * of BUF is valid. */
size_t tgl_utf8_check(const char *buf, size_t len);
/* Lines are found on demand, never indexed: a mark is a line number and the
 * offset where that line starts, and it reaches a nearby line by scanning
 * from where it is, forward or back.  The parser keeps one and moves it
 * along as it meets blocks (it jumps over a block's content, whose lines
 * md4c has shown it), so most of the file is never scanned for '\n' at
 * all.  Lines count from 1; a '\n' at the very end starts no line. */
struct tgl_mark {
    size_t line;
    size_t start;
};
#define TGL_MARK_TOP ((struct tgl_mark){ 1, 0 })
/* Move M to line LN; false (M somewhere before) when IN has no line LN. */
bool tgl_seek_line(const struct tgl_input *in, struct tgl_mark *m, size_t ln);
/* Line LN's text without its '\n' (length in *LEN), moving M there; NULL
 * when IN has no line LN. */
const char *tgl_line_text(const struct tgl_input *in, struct tgl_mark *m, size_t ln,
                          size_t *len);
/* The line that holds byte offset OFF (0 <= OFF <= len); M moves there. */
size_t tgl_line_at(const struct tgl_input *in, struct tgl_mark *m, size_t off);
/* The same, counted from the top of IN (for the odd error message). */
unsigned tgl_line_of(const struct tgl_input *in, size_t off);
/* Initialise IN from a copy of DATA[0..LEN): skip a BOM, normalise line
 * ends and check UTF-8 (an error at the first bad line is
 * reported on D).  PATH is
 * copied.  Returns 0, or -1 after reporting an error.  In both cases IN
 * must be released with tgl_input_free. */
int tgl_input_from_memory(struct tgl_input *in, const char *path, const char *data,
                          size_t len, struct tgl_diag *d);
/* Same, reading the file PATH.  A read error is reported as
 * "tangle: PATH: strerror". */
int tgl_input_read(struct tgl_input *in, const char *path, struct tgl_diag *d);
void tgl_input_free(struct tgl_input *in);

/* ---- attrs.c: pandoc attribute blocks ----------------------------------- */

struct tgl_kv {
    char *key;
    char *val;
};

/* The parsed info string of a fenced code block. */
struct tgl_attrs {
    bool has_braces;   /* the info string holds an attribute block {...} */
    char *id;          /* "#id", or NULL */
    char **classes;    /* ".class" (and a leading bare language word) */
    size_t nclasses;
    struct tgl_kv *kvs; /* key=value, in order */
    size_t nkvs;
    void *mem;         /* one malloc holding all of the above (NULL: in an arena) */
};

/* Parse the info string INFO[0..LEN) (already unescaped by the CommonMark
 * parser) the way pandoc's commonmark_x reads it:
 *     [lang] {#id .class key=value key="quoted value"} [{...}]
 * An info string with no '{' is a plain language word (has_braces false).
 * A raw-format block "{=html}" parses as a class-less block with no id.
 * Returns 0 on success; on a malformed block returns -1 with a static
 * message in *why, and A holds nothing (it is always safe to pass A to
 * tgl_attrs_free).  Duplicate ids and duplicate keys are malformed.  The
 * strings go in ARENA, or in one malloc when ARENA is NULL. */
int tgl_attrs_parse(const char *info, size_t len, struct tgl_arena *arena, struct tgl_attrs *a,
                    const char **why);
/* Value of KEY, or NULL. */
const char *tgl_attrs_get(const struct tgl_attrs *a, const char *key);
void tgl_attrs_free(struct tgl_attrs *a);

/* True when NAME[0..LEN) matches [A-Za-z0-9][A-Za-z0-9_.:-]*. */
bool tgl_valid_chunk_name(const char *name, size_t len);

/* ---- the document: blocks, segments, chunks ----------------------------- */

enum tgl_seg_kind { TGL_SEG_TEXT, TGL_SEG_REF };

/* A piece of a block's content: a run of ordinary lines, or one reference
 * line "<<name>>".  Offsets are into the block's text. */
struct tgl_seg {
    enum tgl_seg_kind kind;
    size_t off;          /* TEXT: start of the run; REF: start of the line */
    size_t len;          /* TEXT: bytes, ending in '\n'; REF: indent length */
    unsigned line;       /* source line of the first line */
    unsigned first;      /* index of the first line in the block */
    unsigned nlines;     /* TEXT: number of lines */
    size_t name_off;     /* REF: the name */
    size_t name_len;
    struct tgl_chunk *chunk; /* REF: resolved by tgl_link, or NULL */
};

/* A tangle block: a fenced block with #name and/or file=PATH. */
struct tgl_block {
    unsigned input;      /* index into tgl_doc.inputs */
    unsigned line;       /* line of the opening fence */
    char *text;          /* content, every line ending in '\n'; not NUL-terminated: */
    size_t len;          /* it may point into the input (when text_owned is false) */
    bool text_owned;
    uint32_t *line_end;  /* line_end[k]: offset just past the '\n' of line k: md4c */
    size_t nlines;       /* hands us the lines, so nothing searches for '\n' again */
    struct tgl_attrs attrs;
    const char *name;    /* attrs.id, or NULL */
    const char *path;    /* value of file=, or NULL */
    struct tgl_seg *segs;
    size_t nsegs;
    struct tgl_block *next_in_chunk;
    struct tgl_chunk *chunk;     /* the chunk of name, set by tgl_link */
};

/* All the blocks of one chunk name, in document order. */
struct tgl_chunk {
    const char *name;    /* borrowed from the first block */
    struct tgl_block *first;
    struct tgl_block *last;
    int color;           /* DFS state for cycle and reachability checks */
    bool reachable;
};

struct tgl_doc {
    struct tgl_input *inputs;
    size_t ninputs;
    struct tgl_block **blocks;  /* all tangle blocks, document order */
    size_t nblocks;
    struct tgl_table chunks;    /* name -> struct tgl_chunk (in chunk_store) */
    struct tgl_chunk *chunk_store;
    size_t nchunks;
    struct tgl_diag *diag;
    size_t max_output;          /* expansion limit per file, bytes */
};

/* doc.c: initialise DOC (no inputs) reporting on DIAG. */
void tgl_doc_init(struct tgl_doc *doc, struct tgl_diag *diag);
/* Free DOC and everything it owns. */
void tgl_doc_free(struct tgl_doc *doc);

/* ---- parse.c: CommonMark parsing with md4c ------------------------------ */

/* A growable list of blocks (capacity: the next power of two >= n). */
struct tgl_blocklist {
    struct tgl_block **v;
    size_t n;
};
void tgl_blocklist_add(struct tgl_blocklist *l, struct tgl_block *b);

/* Parse IN (input number IDX, already loaded) and append its tangle blocks
 * to OUT (segmented with tgl_segment; allocated in IN's arena).  Errors (malformed attribute block,
 * invalid chunk name, unclosed tangle fence, bad file= path syntax, bad
 * reference) are reported on D.  Returns the number of errors found.
 * Thread-safe: different inputs can be parsed at the same time. */
unsigned tgl_parse_file(struct tgl_input *in, size_t idx, struct tgl_blocklist *out,
                        struct tgl_diag *d);
/* The same for input IDX of DOC, appending to DOC->blocks, reporting on
 * DOC->diag. */
unsigned tgl_parse_input(struct tgl_doc *doc, size_t idx);

/* doc.c: read and parse every file in PATHS (stage 1), on up to
 * 4 threads (TANGLE_THREADS; see tgl_thread_count).  The
 * blocks and messages come out in command-line order whatever the thread
 * count.  Returns the number of errors reported. */
unsigned tgl_load(struct tgl_doc *doc, char *const *paths, size_t npaths);

/* ---- chunks.c: segments, chunk table, whole-document checks ------------- */

/* Fill B->line_end and B->nlines by scanning B->text, in ARENA (or with
 * malloc when ARENA is NULL).  The parser knows the lines already; this is
 * for blocks made some other way (the unit tests). */
void tgl_block_find_lines(struct tgl_block *b, struct tgl_arena *arena);

/* Split B->text (with its line_end) into TEXT and REF segments.  A REF is a line that is
 * "<<name>>" apart from leading and trailing blanks.  A line of that shape
 * whose name is not a valid chunk name is reported as an error (FILE is the
 * input path).  B->segs goes in ARENA, or is malloc'ed when ARENA is NULL.
 * Returns the number of errors. */
unsigned tgl_segment(struct tgl_block *b, const char *file, struct tgl_arena *arena,
                     struct tgl_diag *d);

/* Stage 2: join blocks into chunks by name, resolve references, and report
 * undefined references, cycles (with the chain a -> b -> a), duplicate
 * file= paths, paths that are both a file and a folder, and named chunks no
 * file uses.  Returns the number of errors. */
unsigned tgl_link(struct tgl_doc *doc);

/* The chunk called NAME[0..LEN), or NULL. */
struct tgl_chunk *tgl_chunk_find(const struct tgl_doc *doc, const char *name, size_t len);

/* ---- paths.c: output path rules ----------------------------------------- */

/* Syntax of a file= path: not empty, relative, no "..", ".", or empty
 * component, no control characters, not the manifest.  Returns NULL when
 * fine, else a static message. */
const char *tgl_path_syntax_error(const char *path);

/* DIR joined with the relative PATH (newly allocated). */
char *tgl_path_join(const char *dir, const char *path);

/* Check DIR/PATH against the file system: each existing component below DIR
 * must be a folder (or a symlink resolving to a folder inside DIR), and an
 * existing final component must be a regular file or a symlink resolving
 * inside DIR.  DIR_REAL is realpath(DIR), or NULL when DIR does not exist
 * (then nothing below it exists either).  Sets *MISSING when DIR/PATH does
 * not exist.  Returns NULL when safe, else a newly allocated message. */
char *tgl_path_fs_error(const char *dir, const char *dir_real, const char *path,
                        bool *missing);

/* The fast path of that check, for the common case of an existing file:
 * open PATH below the folder DIRFD for reading, failing (-1, errno set)
 * unless the kernel can resolve it without ever leaving the folder and
 * its last component is not a symlink (openat2 with RESOLVE_BENEATH, one
 * system call instead of an lstat per component).  If the result is a
 * regular file, tgl_path_fs_error would have found nothing wrong; in every
 * other case the caller closes it and asks tgl_path_fs_error. */
int tgl_open_beneath(int dirfd, const char *path);

/* ---- expand.c: expansion ------------------------------------------------ */

/* Where each line of an expanded file came from (for --stitch): line K
 * of BLOCK's text, behind INDENT bytes of <<ref>> indentation; BLOCK is
 * NULL for the header comment. */
struct tgl_srcline {
    const struct tgl_block *block;
    unsigned k;
    unsigned indent;
};
struct tgl_srcmap {
    struct tgl_srcline *v;
    size_t n, cap;
};

struct tgl_expand_opts {
    bool line_directives;   /* emit #line for .c and .h */
    struct tgl_srcmap *map; /* if not NULL: gets one entry per output line */
};

/* Expand the output file rooted at ROOT (a block with file=) into OUT
 * (appended): the header comment, then the content with every reference
 * replaced, indentation kept.  The chunk graph must be acyclic and resolved
 * (tgl_link returned 0: it also sets block->chunk).  Returns 0, or -1 after reporting an error when
 * the result would exceed DOC->max_output bytes. */
int tgl_expand(const struct tgl_doc *doc, const struct tgl_block *root,
               const struct tgl_expand_opts *opts, struct tgl_buf *out);

/* ---- stitch.c: carry edits in DIR back into the chapters (--stitch) ---- */

/* DOC is loaded and linked.  Compare each output file in DIR with its
 * expansion; map every changed line to the chunk line it came from and
 * rewrite those chapter lines, keeping the block's indentation.  Checks
 * that the new chapters tangle to exactly DIR's files before writing any.
 * Returns 0 (done, or nothing to do) or 2 (an edit that maps to no single
 * chunk line, or an I/O error, reported on DOC->diag; nothing written). */
int tgl_stitch(struct tgl_doc *doc, const char *dir);

/* ---- write.c: comparing and writing the output tree --------------------- */

/* How an output file compares with what is on disk. */
enum tgl_action {
    TGL_SAME,        /* same bytes and mode: leave it alone (mtime stays) */
    TGL_CREATE,      /* not there yet */
    TGL_CHANGE,      /* different bytes (or a symlink to replace) */
    TGL_CHMOD,       /* same bytes, but the owner x bit differs from the mode */
};

/* One output file.  Its content is kept only when it must be written. */
struct tgl_output {
    const char *path;        /* relative to the output folder */
    const struct tgl_block *root;
    struct tgl_buf content;  /* empty unless act is TGL_CREATE or TGL_CHANGE */
    mode_t mode;             /* 0755 when content starts with "#!", else 0644 */
    enum tgl_action act;
};

enum tgl_mode { TGL_WRITE, TGL_CHECK };

/* Compare CONTENT[0..LEN) with mode MODE against the file FULL: sets *ACT.
 * Returns 0, or -1 with errno set when FULL exists but cannot be read. */
int tgl_classify(const char *full, const char *content, size_t len, mode_t mode,
                 enum tgl_action *act);
/* The same for a file already open as FD, with ST from fstat; OLD is a
 * buffer to read into, reused from call to call. */
int tgl_classify_fd(int fd, const struct stat *st, const char *content, size_t len,
                    mode_t mode, enum tgl_action *act, struct tgl_buf *old);

/* Bring DIR in line with OUTS (sorted by path, unique, classified by
 * tgl_classify): write changed and new files atomically, leave unchanged
 * ones alone, delete files listed in the old DIR/.tangled that are no
 * longer produced, and update the manifest.  In TGL_CHECK mode write
 * nothing and print each path that would be created, changed or deleted.
 * Everything that can fail is checked before the first write.  Returns 0
 * (nothing to do / done), 1 (check found differences) or 2 (error reported
 * on D). */
int tgl_sync(const char *dir, struct tgl_output *outs, size_t nouts, enum tgl_mode mode,
             struct tgl_diag *d);

/* ---- outputs.c: stage 3 ----------------------------------------------- */

/* Check every output path on disk (tgl_path_fs_error), expand each file
 * and, when CLASSIFY, compare it with the disk (tgl_classify), keeping the
 * content only of files that must be written.  *OUTS (sorted by path,
 * owned by the caller) gets NOUTS entries.  Runs on up to 4 threads; the
 * messages still come out in document order.  Returns the number of
 * errors. */
unsigned tgl_build_outputs(const struct tgl_doc *doc, const char *dir, bool directives,
                           bool classify, struct tgl_output **outs, size_t *nouts);

/* Content of the manifest for OUTS (sorted): one path per line. */
void tgl_manifest_text(const struct tgl_output *outs, size_t nouts, struct tgl_buf *out);

#define TGL_MANIFEST ".tangled"

#endif
