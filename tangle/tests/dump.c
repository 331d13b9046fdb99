/* dump.c: the tangle blocks of FILE.md... as tangle's parser sees them,
 * one JSON object per line, for tests/crosscheck.py (which compares them
 * with pandoc's).  Built from tangle's own sources, like the unit tests.
 *
 *   dump FILE.md...      exit 0, or 2 after an input error (on stderr) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

/* S[0..N) as a JSON string on stdout. */
static void json_string(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    struct tgl_diag diag = { .out = stderr };
    struct tgl_doc doc;
    tgl_doc_init(&doc, &diag);
    int status = tgl_load(&doc, argv + 1, (size_t)(argc - 1)) != 0 ? 2 : 0;
    for (size_t i = 0; i < doc.nblocks && status == 0; i++) {
        const struct tgl_block *b = doc.blocks[i];
        const char *file = doc.inputs[b->input].path;
        printf("{\"file\":");
        json_string(file, strlen(file));
        printf(",\"line\":%u,\"id\":", b->line);
        json_string(b->name ? b->name : "", b->name ? strlen(b->name) : 0);
        printf(",\"classes\":[");
        for (size_t k = 0; k < b->attrs.nclasses; k++) {
            printf("%s", k ? "," : "");
            json_string(b->attrs.classes[k], strlen(b->attrs.classes[k]));
        }
        printf("],\"attrs\":[");
        for (size_t k = 0; k < b->attrs.nkvs; k++) {
            printf("%s[", k ? "," : "");
            json_string(b->attrs.kvs[k].key, strlen(b->attrs.kvs[k].key));
            putchar(',');
            json_string(b->attrs.kvs[k].val, strlen(b->attrs.kvs[k].val));
            putchar(']');
        }
        printf("],\"text\":");
        json_string(b->text, b->len);
        printf("}\n");
    }
    tgl_doc_free(&doc);
    if (fflush(stdout) == EOF) {
        perror("dump: stdout");
        status = 2;
    }
    return status;
}
