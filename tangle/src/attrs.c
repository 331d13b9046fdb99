/* attrs.c: parse pandoc attribute blocks: {.c #name file=path key="v"}. */
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

bool tgl_valid_chunk_name(const char *name, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != ':' && c != '-')))
            return false;
    }
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Characters of a class or key name (pandoc also allows non-ASCII). */
static bool is_name_char(char c)
{
    unsigned char u = (unsigned char)c;
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
           || u == '_' || u == '-' || u == ':' || u == '.' || u >= 0x80;
}

/* The string at [START..END) of the info string: in its copy BUF, where
 * END (a separator, never part of another string) becomes a NUL. */
static char *str(char *buf, size_t start, size_t end)
{
    buf[end] = '\0';
    return buf + start;
}

/* Parse one "{...}" starting at *pos (s[*pos] == '{'); advance *pos past
 * the '}'.  Returns NULL or the reason it is malformed. */
static const char *parse_braces(const char *s, size_t len, size_t *pos, struct tgl_attrs *a,
                                char *buf)
{
    size_t i = *pos + 1;
    size_t items = 0;
    for (;;) {
        while (i < len && is_blank(s[i]))
            i++;
        if (i == len)
            return "missing '}'";
        if (s[i] == '}')
            break;
        size_t start = i;
        if (s[i] == '#' || s[i] == '.') {
            char kind = s[i++];
            start = i;
            while (i < len && !is_blank(s[i]) && s[i] != '}')
                i++;
            if (kind == '#') {
                if (!tgl_valid_chunk_name(s + start, i - start))
                    return i == start ? "empty #id"
                                      : "invalid chunk name in #id (names match "
                                        "[A-Za-z0-9][A-Za-z0-9_.:-]*)";
                if (a->id != NULL)
                    return "more than one #id";
                a->id = str(buf, start, i);
            } else {
                for (size_t k = start; k < i; k++)
                    if (!is_name_char(s[k]))
                        return "invalid character in .class";
                if (i == start)
                    return "empty .class";
                a->classes[a->nclasses++] = str(buf, start, i);
            }
        } else if (s[i] == '=' && items == 0) {
            /* raw block {=format}: must be alone */
            i++;
            start = i;
            while (i < len && is_name_char(s[i]))
                i++;
            while (i < len && is_blank(s[i]))
                i++;
            if (i == start || i == len || s[i] != '}')
                return "malformed raw format {=format}";
            items++;
            break;
        } else if (is_name_char(s[i]) && s[i] != '-' && s[i] != '.'
                   && !(s[i] >= '0' && s[i] <= '9')) {
            while (i < len && is_name_char(s[i]))
                i++;
            size_t klen = i - start;
            if (i == len || s[i] != '=')
                return "attribute without '=value'";
            for (size_t k = start; k < start + klen; k++)
                if ((unsigned char)s[k] >= 0x80)   /* pandoc then drops the whole block */
                    return "non-ASCII attribute name";
            i++;
            for (size_t k = 0; k < a->nkvs; k++)
                if (strlen(a->kvs[k].key) == klen && memcmp(a->kvs[k].key, s + start, klen) == 0)
                    return "duplicate attribute";
            bool quoted = i < len && s[i] == '"';
            size_t vstart = i + quoted, vend;
            if (quoted) {
                i = vstart;
                while (i < len && s[i] != '"')
                    i++;
                if (i == len)
                    return "unbalanced quotes";
                vend = i++;
                if (i < len && !is_blank(s[i]) && s[i] != '}')
                    return "text right after a quoted value";
            } else {
                while (i < len && !is_blank(s[i]) && s[i] != '}') {
                    if (s[i] == '"' || s[i] == '\'' || s[i] == '=' || s[i] == '{')
                        return s[i] == '"' || s[i] == '\'' ? "unbalanced quotes"
                                                           : "unknown syntax in value";
                    i++;
                }
                if ((vend = i) == vstart)
                    return "empty unquoted value (write key=\"\")";
            }
            a->kvs[a->nkvs++] = (struct tgl_kv){ str(buf, start, start + klen),
                                                 str(buf, vstart, vend) };
        } else {
            return s[i] == '{' ? "unbalanced braces" : "unknown syntax";
        }
        items++;
    }
    *pos = i + 1;
    return items == 0 ? "empty attribute block {}" : NULL;
}

int tgl_attrs_read(struct tgl_arena *arena, const char *info, size_t len,
                   struct tgl_attrs *a, const char **why)
{
    memset(a, 0, sizeof *a);
    *why = NULL;
    if (memchr(info, '{', len) == NULL && memchr(info, '}', len) == NULL)
        return 0;                               /* a plain language word */

    size_t i = 0, lang = 0, lang_len = 0;
    while (i < len && is_blank(info[i]))
        i++;
    if (i < len && info[i] != '{') {            /* language word: "c {#x}" */
        lang = i;
        while (i < len && !is_blank(info[i]) && info[i] != '{' && info[i] != '}')
            i++;
        lang_len = i - lang;
        while (i < len && is_blank(info[i]))
            i++;
        if (i == len || info[i] != '{') {
            *why = "text where an attribute block {...} was expected";
            return -1;
        }
    }
    size_t nc = lang_len > 0, nkv = 0;          /* at most: a class starts "{." or " ." */
    for (const char *p = info; (p = memchr(p, '.', (size_t)(info + len - p))) != NULL; p++)
        nc += p > info && (p[-1] == '{' || is_blank(p[-1]));
    for (const char *p = info; (p = memchr(p, '=', (size_t)(info + len - p))) != NULL; p++)
        nkv++;                                  /* and a key=value holds a '=' */
    a->kvs = tgl_alloc(arena, nkv * sizeof *a->kvs + nc * sizeof *a->classes + len + 1);
    a->classes = (char **)(a->kvs + nkv);
    char *buf = memcpy(a->classes + nc, info, len);
    buf[len] = '\0';
    do {                                        /* "{#x}{.c}": one block for pandoc */
        *why = parse_braces(info, len, &i, a, buf);
        if (*why)
            goto fail;
    } while (i < len && info[i] == '{');
    while (i < len && is_blank(info[i]))
        i++;
    if (i < len) {                              /* pandoc reads only a last {...} */
        *why = info[i] == '{' ? "a second attribute block (pandoc reads only the last one)"
               : info[i] == '}' ? "unbalanced braces" : "text after the attribute block";
        goto fail;
    }
    if (lang_len > 0)                           /* pandoc lists the language last */
        a->classes[a->nclasses++] = str(buf, lang, lang + lang_len);
    return 0;
fail:
    if (arena == NULL)
        free(a->kvs);
    memset(a, 0, sizeof *a);
    return -1;
}

const char *tgl_attrs_get(const struct tgl_attrs *a, const char *key)
{
    for (size_t i = 0; i < a->nkvs; i++)
        if (strcmp(a->kvs[i].key, key) == 0)
            return a->kvs[i].val;
    return NULL;
}

void tgl_attrs_free(struct tgl_attrs *a)
{
    free(a->kvs);
    memset(a, 0, sizeof *a);
}
