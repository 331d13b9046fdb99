/* tangle.h: the data model of tangle and the contract of every shared function.
 *
 * Tangle reads Markdown chapters, finds the fenced code blocks whose pandoc
 * attribute block names a chunk (#name) or an output file (file=PATH), joins
 * the chunks by name, expands <<name>> references and writes the files.
 * Stages, each run only when the one before found no error (README.md):
 *
 *   1. doc.c     load the inputs in order: input.c reads and decodes each,
 *                parse.c finds its blocks with md4c, attrs.c reads their
 *                attribute blocks, chunks.c finds their <<reference>> lines
 *   2. chunks.c  join chunks by name; check references, cycles, duplicate
 *                files and unreachable chunks
 *   3. paths.c   open and lock DIR; check each path with the walk that also
 *                yields its folder.  outputs.c expands (expand.c), compares
 *   4. write.c   write atomically, prune stale files, update DIR/.tangled
 *      (stitch.c instead carries edits in DIR back into the chapters)
 *
 * Shared names carry the prefix tgl_; everything else is static.  Each
 * declaration sits under the file that defines it.
 */
#ifndef TANGLE_H
#define TANGLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Bounds (DESIGN.md, "Bounds and refusals"); each is an exit-2 error. */
#define TGL_MAX_INPUT ((size_t)64 << 20)     /* bytes of one input file */
#define TGL_MAX_OUTPUT ((size_t)256 << 20)   /* bytes expanded in one run, all files */
#define TGL_MAX_STEPS ((size_t)1 << 24)      /* blocks and segments visited by
                                                expansion in one run */
#define TGL_MAX_STITCH ((size_t)16 << 20)   /* bytes --stitch maps, all files */
#define TGL_MANIFEST ".tangled"

/* ---- util.c: memory, growable arrays and buffers, I/O, diagnostics ------- */

/* realloc, calloc and strndup that never return NULL: on failure they
 * print "tangle: out of memory" and exit(2). */
void *tgl_xrealloc(void *p, size_t n);
#define tgl_xmalloc(n) tgl_xrealloc(NULL, (n))
void *tgl_xcalloc(size_t count, size_t size);
char *tgl_xstrndup(const char *s, size_t n);
#define tgl_xstrdup(s) tgl_xstrndup((s), strlen(s))

/* The one growth rule: array P, with room for *CAP elements of SIZE bytes,
 * reallocated to hold NEED, doubling from 16.  TGL_GROW: on a variable. */
void *tgl_grow(void *p, size_t *cap, size_t need, size_t size);
#define TGL_GROW(arr, cap, need) ((arr) = tgl_grow((arr), &(cap), (need), sizeof *(arr)))

/* A bump arena, {0} to start, freed all at once: the document's memory. */
struct tgl_arena {
    void **pieces;       /* the newest malloc'ed piece; its first word links the one before */
    char *top;           /* its free room */
    size_t room;
};
/* N bytes (8-aligned, never NULL) taken from A; A NULL: malloc'ed. */
void *tgl_alloc(struct tgl_arena *a, size_t n);
/* N bytes or more at A's top, not taken: the next tgl_alloc returns them. */
void *tgl_room(struct tgl_arena *a, size_t n);
void tgl_arena_free(struct tgl_arena *a);

/* A growable byte buffer, {0} to start; data is NULL until the first
 * byte is added, and then always NUL-terminated. */
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

/* Append FD's bytes up to its end to B; fail (EFBIG) past MAX bytes. */
int tgl_read_fd(int fd, struct tgl_buf *b, size_t max);
/* Open NAME in DIRFD to read: never through a symlink, never waiting
 * (a FIFO), never taking a terminal; a file that is not regular once
 * open (swapped in since its type was checked) is closed, errno EINVAL. */
int tgl_open_file(int dirfd, const char *name);
/* Write all of P[0..N) to FD.  These three: 0, or -1 with errno set. */
int tgl_write_fd(int fd, const void *p, size_t n);

/* Where diagnostics go (NULL: nowhere, as in the fuzz target), and how
 * many errors were reported. */
struct tgl_diag {
    FILE *out;
    unsigned errors;
};

/* "FILE:LINE: error: MESSAGE" (LINE 0: "FILE: error: ..."), counted, or
 * "...: warning: ...", not counted; control bytes and bytes that are not
 * UTF-8 printed as \xHH. */
void tgl_report(struct tgl_diag *d, bool error, const char *file, unsigned line,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define tgl_error(d, ...) tgl_report((d), true, __VA_ARGS__)
#define tgl_warning(d, ...) tgl_report((d), false, __VA_ARGS__)
/* "tangle: WHAT: strerror(errno)", escaped the same way, counted. */
void tgl_sys_error(struct tgl_diag *d, const char *what);

/* ---- input.c: reading and decoding input files -------------------------- */

/* One input file, decoded: a BOM skipped, CRLF made LF; not NUL-terminated. */
struct tgl_input {
    char *path;        /* as given on the command line (owned) */
    char *data;        /* the text: base, or base + 3 after a BOM */
    size_t len;
    char *base;        /* owned: mapped (MAP_PRIVATE) or malloc'ed */
    size_t mapped;     /* bytes mapped at base; 0: base is malloc'ed */
    bool converted;    /* a BOM skipped or CRLF made LF */
};

/* Offset of the first byte of BUF that is a NUL, a CR or not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF included), or LEN. */
size_t tgl_utf8_check(const char *buf, size_t len);
/* A mark: line number LINE (from 1) starts at offset START.  Lines are
 * never indexed; a mark moves to a nearby line by scanning from where it
 * is.  A '\n' at the very end starts no line. */
struct tgl_mark {
    size_t line;
    size_t start;
};
#define TGL_MARK_TOP ((struct tgl_mark){ 1, 0 })
/* Move M to line LN; false (M somewhere before) when IN has no line LN. */
bool tgl_seek_line(const struct tgl_input *in, struct tgl_mark *m, size_t ln);
/* Line LN's text, without '\n', its length in *LEN; M moves there.  NULL
 * when IN has no line LN. */
const char *tgl_line_text(const struct tgl_input *in, struct tgl_mark *m, size_t ln,
                          size_t *len);
/* The line that holds offset OFF (0 <= OFF <= len); M moves there. */
size_t tgl_line_at(const struct tgl_input *in, struct tgl_mark *m, size_t off);
/* Decode a copy of DATA[0..LEN) into IN (PATH copied): skip one BOM,
 * refuse NUL bytes, a CR without LF, more than TGL_MAX_INPUT bytes and
 * invalid UTF-8 (reported on D at the line), make CRLF LF.  Returns 0 or
 * -1; either way IN is released with tgl_input_free. */
int tgl_input_from_memory(struct tgl_input *in, const char *path, const char *data,
                          size_t len, struct tgl_diag *d);
/* The same for the file PATH, mapped, or with COPY read (a save while
 * tangle runs shows in a mapping: --stitch must edit the bytes it parsed):
 * a FIFO or a device is refused unread, a file past TGL_MAX_INPUT unmapped
 * ("tangle: PATH: ..."). */
int tgl_input_read(struct tgl_input *in, const char *path, bool copy, struct tgl_diag *d);
void tgl_input_free(struct tgl_input *in);

/* ---- attrs.c: pandoc attribute blocks ----------------------------------- */

struct tgl_kv {
    char *key;
    char *val;
};

/* A parsed info string, in one allocation: the arrays, then a copy of the
 * info string that their strings point into. */
struct tgl_attrs {
    char *id;          /* "#id", or NULL */
    char **classes;    /* ".class" (and a leading bare language word, last) */
    struct tgl_kv *kvs; /* key=value, in order; the start of the allocation */
    unsigned nclasses, nkvs;
};

/* Parse INFO[0..LEN) (unescaped by md4c) as pandoc's commonmark_x does:
 *     [lang] {#id .class key=value key="quoted value"}
 * No '{' or '}': a plain language word, A empty; "{=html}": a raw block,
 * no id.  Returns 0, or -1 with a static reason in *WHY (a duplicate id
 * or key is one) and nothing in A.  The memory is ARENA's; with
 * tgl_attrs_parse it is malloc'ed: tgl_attrs_free it either way. */
int tgl_attrs_read(struct tgl_arena *arena, const char *info, size_t len,
                   struct tgl_attrs *a, const char **why);
#define tgl_attrs_parse(info, len, a, why) tgl_attrs_read(NULL, (info), (len), (a), (why))
void tgl_attrs_free(struct tgl_attrs *a);
/* Value of KEY, or NULL. */
const char *tgl_attrs_get(const struct tgl_attrs *a, const char *key);

/* Does NAME[0..LEN) match [A-Za-z0-9][A-Za-z0-9_.:-]*? */
bool tgl_valid_chunk_name(const char *name, size_t len);

/* ---- the document: blocks, segments, chunks ----------------------------- */

/* A reference line of a block: a line that is "<<name>>" apart from
 * leading and trailing blanks.  The lines between references are text,
 * copied as they are. */
struct tgl_seg {
    uint32_t k;          /* the line's index in the block */
    uint32_t indent;     /* bytes of blanks before "<<" */
    uint32_t name_off;   /* the name, as an offset into the block's text */
    uint32_t name_len;
    struct tgl_chunk *chunk; /* resolved by tgl_link, or NULL */
};

/* A tangle block: a fenced block with #name and/or file=PATH, with its
 * line ends, in the document's arena.  What tgl_link reads comes first. */
struct tgl_block {
    const char *text;    /* content, every line ending in '\n', not NUL-terminated, */
    const char *name;    /* attrs.id, or NULL */
    const char *path;    /* value of file=, or NULL */
    struct tgl_seg *segs; /* its reference lines, in order */
    struct tgl_block *next_in_chunk;
    struct tgl_chunk *chunk;     /* the chunk of name, set by tgl_link */
    uint32_t nsegs;
    uint32_t len;        /* of text: in the input, or in the arena when rebuilt */
    uint32_t nlines;
    unsigned input;      /* index into tgl_doc.inputs */
    struct tgl_attrs attrs;
    unsigned line;       /* line of the opening fence */
    uint32_t line_end[]; /* line_end[k]: offset just past the '\n' of line k */
};

/* All the blocks of one chunk name, in document order. */
struct tgl_chunk {
    const char *name;    /* borrowed from the first block */
    struct tgl_block *first;
    struct tgl_block *last;
    int color;           /* DFS state for the cycle and reachability check */
    unsigned walk;       /* expand.c: the last header walk that reached it */
};

struct tgl_doc {
    struct tgl_arena arena;     /* the blocks and chunks, freed with the document */
    struct tgl_input *inputs;
    size_t ninputs;
    struct tgl_block **blocks;  /* all tangle blocks, document order */
    size_t nblocks, cap_blocks;
    struct tgl_chunk *chunks;   /* in document order (tgl_link) */
    size_t nchunks;
    uint32_t *slots;            /* hash table of 1 + index into chunks, 0: empty (chunks.c) */
    size_t nslots;
    struct tgl_diag *diag;
    bool copy_inputs;           /* read them, not mapped (--stitch: tgl_input_read) */
    size_t max_output;          /* bytes all expansions of the run may produce */
    size_t max_steps;           /* blocks + segments they may visit */
    size_t output_used, steps_used;
    unsigned walks;             /* header walks so far (expand.c) */
};

/* ---- doc.c: the document's life cycle ----------------------------------- */

/* DOC empty, with the limits TGL_MAX_*, reporting on DIAG. */
void tgl_doc_init(struct tgl_doc *doc, struct tgl_diag *diag);
/* Stage 1: read and parse PATHS in order.  Returns the errors reported. */
unsigned tgl_load(struct tgl_doc *doc, char *const *paths, size_t npaths);
void tgl_doc_free(struct tgl_doc *doc);

/* ---- parse.c: CommonMark parsing with md4c ------------------------------ */

/* Append the tangle blocks of DOC's input IDX to DOC, segmented
 * (tgl_segment).  Reports each malformed attribute block, unclosed tangle
 * fence, bad file= path or reference, and each place pandoc would show
 * another tangle block.  Returns the number of errors. */
unsigned tgl_parse_input(struct tgl_doc *doc, size_t idx);

/* ---- chunks.c: references, chunks, whole-document checks ---------------- */

/* Find the reference lines of B->text (with its line_end): B->segs, in
 * ARENA.  A line of that shape whose name is not a valid chunk name is
 * reported as an error (FILE is the input path).  Returns the number of
 * errors. */
unsigned tgl_segment(struct tgl_arena *arena, struct tgl_block *b, const char *file,
                     struct tgl_diag *d);

/* Stage 2: join blocks into chunks by name, resolve references, and report
 * undefined references, cycles (with the chain a -> b -> a), duplicate
 * file= paths, paths that are both a file and a folder, and named chunks no
 * file uses, each in document order.  Returns the number of errors. */
unsigned tgl_link(struct tgl_doc *doc);

/* The chunk called NAME[0..LEN), or NULL. */
struct tgl_chunk *tgl_chunk_find(const struct tgl_doc *doc, const char *name, size_t len);

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
    /* If SINK is set, the file goes to SINK(CTX, ...) in pieces as it
     * grows (64 KiB or more, and the rest at the end), and OUT ends as it
     * was: no file needs a buffer of its size. */
    void (*sink)(void *ctx, const char *p, size_t n);
    void *ctx;
};

/* Expand the output file rooted at ROOT (a block with file=) into OUT
 * (appended), front to back: the header comment, then the content with
 * every reference replaced, indentation kept.  The chunk graph must be
 * acyclic and resolved (tgl_link returned 0).  Every byte and every block,
 * text run and reference visited is counted in DOC->output_used and
 * DOC->steps_used, over all calls: once either would pass its limit,
 * nothing more is added and the call returns -1 after reporting an error
 * at ROOT, so no input makes it run or allocate without bound.  Returns 0
 * otherwise. */
int tgl_expand(struct tgl_doc *doc, const struct tgl_block *root,
               const struct tgl_expand_opts *opts, struct tgl_buf *out);

/* ---- stitch.c: carry edits in DIR back into the chapters (--stitch) ---- */

/* DOC is loaded and linked.  Carry the edits in DIR's files back into the
 * chapters (stitch.c says how).  Returns 0, or 2 after an error reported on
 * DOC->diag (an edit that maps to no one place; nothing written). */
int tgl_stitch(struct tgl_doc *doc, const char *dir);

/* ---- paths.c: the output folder and the one rule for its paths ---------- */

/* Syntax of a file= path: not empty, relative, no "..", ".", or empty
 * component, no control characters, not the manifest or below it.
 * Returns NULL when fine, else a static message. */
const char *tgl_path_syntax_error(const char *path);
/* DIR joined with the relative PATH (newly allocated). */
char *tgl_path_join(const char *dir, const char *path);

/* The output folder, opened once.  Every file below it is reached from fd
 * by tgl_walk, never by name from the current folder. */
struct tgl_dir {
    const char *path;    /* as given with -o */
    int fd;              /* O_RDONLY|O_DIRECTORY, locked; -1: DIR does not exist */
    int *fds;            /* every folder fd tgl_walk opened, closed by tgl_dir_close */
    size_t nfds, cap_fds;
    char *last;          /* the folders of the last path walked to its end, */
    int last_fd;         /* and their fd: the next file is most often beside it */
    struct { int fd; char *name; } *made;   /* the folders this run made */
    size_t nmade, cap_made;
};

/* Open DIR and flock it for the whole run, so that two runs on one DIR
 * follow each other: with CREATE exclusive, made (mkdir -p) when missing;
 * else shared, and a missing DIR gives fd -1.  Returns 0, or -1 after
 * reporting "tangle: DIR: ..." on D. */
int tgl_dir_open(struct tgl_dir *dir, const char *path, bool create, struct tgl_diag *d);
/* Close every descriptor; with FAILED, first remove the folders this run
 * made (rmdir: only those still empty). */
void tgl_dir_close(struct tgl_dir *dir, bool failed);

/* Where tgl_walk found PATH. */
struct tgl_where {
    int fd;            /* the deepest existing folder of PATH, checked (or -1) */
    const char *rest;  /* PATH below fd: its last component, or missing folders + it */
    bool exists;       /* rest is one component, and it exists (lstat in st) */
    struct stat st;
};

/* The one safety rule, to check, to write and to delete: walk the folders
 * of PATH from DIR, each opened with O_NOFOLLOW relative to the one
 * before, so that a folder swapped for a symlink later changes nothing.
 * Any symlink below DIR is an error; the file may be missing or a regular
 * file.  Returns NULL with W filled in, or an allocated message ("DIR/x is
 * a symlink: ...", "cannot check DIR/x: strerror"; then W says where it
 * stopped).  With MAKE, the missing folders are made on the way. */
char *tgl_walk(struct tgl_dir *dir, const char *path, struct tgl_where *w, bool make);

/* ---- outputs.c: stage 3 ------------------------------------------------- */

/* How an output file compares with what is on disk. */
enum tgl_action {
    TGL_SAME,        /* same bytes and mode: leave it alone (mtime stays) */
    TGL_CREATE,      /* not there yet */
    TGL_CHANGE,      /* different bytes */
    TGL_CHMOD,       /* same bytes, but the owner x bit differs from the mode */
};

/* One output file.  Its content is kept only when it must be written. */
struct tgl_output {
    const char *path;        /* relative to the output folder */
    const struct tgl_block *root;
    struct tgl_buf content;  /* empty unless act is TGL_CREATE or TGL_CHANGE */
    mode_t mode;             /* 0755 when content starts with "#!", else 0644 */
    enum tgl_action act;
    struct tgl_where where;  /* from tgl_walk */
};

/* The old manifest DIR/.tangled: its lines (a trailing CR dropped). */
struct tgl_manifest {
    bool exists;
    struct tgl_buf text;
    char *copy;              /* of text, split into lines: */
    char **lines;            /* in file order */
    char **sorted;           /* the same, sorted, for lookups */
    size_t n;
};

/* Read DIR's manifest into M (missing: empty).  Returns 0, or -1 after
 * reporting an error (not a regular file, unreadable). */
int tgl_manifest_read(struct tgl_dir *dir, struct tgl_manifest *m, struct tgl_diag *d);
bool tgl_manifest_has(const struct tgl_manifest *m, const char *path);
/* Does M list a path below FOLDER ("FOLDER/..."), one that passes
 * tgl_path_syntax_error? */
bool tgl_manifest_has_below(const struct tgl_manifest *m, const char *folder);
void tgl_manifest_free(struct tgl_manifest *m);
/* qsort and bsearch order of an array of strings (char *). */
int tgl_cmp_str(const void *a, const void *b);

/* For every file= block, in document order: check its path (tgl_walk),
 * expand it and, when CLASSIFY, compare it with the disk.  A file that
 * exists, differs and is not in OLD is an error: tangle never overwrites a
 * file it did not write.  *OUTS (sorted by path, owned by the caller) gets
 * NOUTS entries.  Errors are reported at the block that names the path.
 * Returns the number of errors. */
unsigned tgl_build_outputs(struct tgl_doc *doc, struct tgl_dir *dir,
                           const struct tgl_manifest *old, bool directives, bool classify,
                           struct tgl_output **outs, size_t *nouts);

/* ---- write.c: writing the output tree ----------------------------------- */

/* Bring DIR in line with OUTS (from tgl_build_outputs): delete the files
 * listed in OLD that are no longer produced (one that cannot be checked
 * stays listed), write new and changed files atomically, fix modes, update
 * the manifest, and first remove the temp files a killed run left.  With
 * CHECK it writes nothing, and prints each path it would create, change or
 * delete.  Returns 0 (nothing to do / done), 1 (check found differences)
 * or 2 (an error, reported at the block). */
int tgl_sync(struct tgl_doc *doc, struct tgl_dir *dir, const struct tgl_manifest *old,
             struct tgl_output *outs, size_t nouts, bool check);
/* Write P[0..N) with exactly MODE to a new file mkostemps makes from the
 * template NAME ("...XXXXXX.tmp").  Returns 0, or -1 (errno set, NAME "";
 * a temp file it cannot remove is a warning on D). */
int tgl_write_temp(char *name, const char *p, size_t n, mode_t mode, struct tgl_diag *d);
/* Remove the temp file NAME ("": none), or warn on D that it is left
 * ("PATH: warning: cannot remove it (strerror): remove it by hand"). */
void tgl_remove_temp(const char *name, struct tgl_diag *d);
/* Is what tgl_walk found in the way of PATH (W, with its message) a stale
 * file that pruning removes first: a regular file listed in OLD where a
 * folder of PATH must go, or where PATH must go, a folder that pruning
 * empties (OLD lists a path below it, and it holds only such files, our
 * temp files and such folders)?  Then W says that PATH is missing. */
bool tgl_stale_in_way(const struct tgl_manifest *old, const char *path, struct tgl_where *w);
/* fnmatch's pattern of the XXXXXX that mkostemps fills in. */
#define TGL_X6 "[[:alnum:]][[:alnum:]][[:alnum:]][[:alnum:]][[:alnum:]][[:alnum:]]"
/* Hold SIGHUP, SIGINT, SIGQUIT and SIGTERM (the old mask in *OLD) while
 * temp files exist. */
void tgl_hold_signals(sigset_t *old);

#endif
