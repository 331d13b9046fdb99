/* hash.c: a string-keyed hash table (open addressing, linear probing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

static uint64_t hash(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ULL;          /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Index of KEY's slot: where it is, or the empty slot where it would go. */
static size_t find_slot(const struct tgl_table *t, const char *key, size_t klen)
{
    size_t mask = t->cap - 1;
    size_t i = (size_t)hash(key, klen) & mask;
    while (t->keys[i] != NULL
           && !(t->klens[i] == klen && memcmp(t->keys[i], key, klen) == 0))
        i = (i + 1) & mask;
    return i;
}

void *tgl_table_get(const struct tgl_table *t, const char *key, size_t klen)
{
    if (t->cap == 0)
        return NULL;
    size_t i = find_slot(t, key, klen);
    return t->keys[i] ? t->vals[i] : NULL;
}

static void grow(struct tgl_table *t)
{
    struct tgl_table bigger = { 0 };
    bigger.cap = t->cap ? t->cap * 2 : 16;
    bigger.keys = tgl_xcalloc(bigger.cap, sizeof *bigger.keys);
    bigger.klens = tgl_xcalloc(bigger.cap, sizeof *bigger.klens);
    bigger.vals = tgl_xcalloc(bigger.cap, sizeof *bigger.vals);
    for (size_t i = 0; i < t->cap; i++) {
        if (t->keys[i] == NULL)
            continue;
        size_t j = find_slot(&bigger, t->keys[i], t->klens[i]);
        bigger.keys[j] = t->keys[i];
        bigger.klens[j] = t->klens[i];
        bigger.vals[j] = t->vals[i];
    }
    bigger.count = t->count;
    tgl_table_free(t);
    *t = bigger;
}

void tgl_table_reserve(struct tgl_table *t, size_t n)
{
    while (t->cap < 2 * n)
        grow(t);
}

void tgl_table_put(struct tgl_table *t, const char *key, size_t klen, void *val)
{
    if ((t->count + 1) * 2 > t->cap)
        grow(t);
    size_t i = find_slot(t, key, klen);
    if (t->keys[i] == NULL) {
        t->keys[i] = key;
        t->klens[i] = klen;
        t->count++;
    }
    t->vals[i] = val;
}

void tgl_table_free(struct tgl_table *t)
{
    free(t->keys);
    free(t->klens);
    free(t->vals);
    memset(t, 0, sizeof *t);
}
