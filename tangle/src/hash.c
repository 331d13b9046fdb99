/* hash.c: a string-keyed hash table (open addressing, linear probing).
 *
 * Each slot keeps its key's hash next to the key, so a probe compares one
 * number in the slot's own cache line and runs memcmp only on a real
 * match.  The keys are not copied: they must outlive the table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tangle.h"

/* Eight bytes at a time, then the tail byte by byte (FNV-1a steps); a
 * final multiply spreads every bit into the high half, which we keep. */
static uint32_t hash(const char *key, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ len;
    for (; len >= 8; key += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, key, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 0x100000001B3ULL;
    h *= 0x94D049BB133111EBULL;
    return (uint32_t)(h >> 32);
}

/* KEY's slot: where it is, or the empty slot where it would go. */
static struct tgl_slot *find_slot(const struct tgl_table *t, const char *key, size_t klen,
                                  uint32_t h)
{
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct tgl_slot *s = &t->slots[i];
        if (s->key == NULL
            || (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0))
            return s;
    }
}

void *tgl_table_get(const struct tgl_table *t, const char *key, size_t klen)
{
    if (t->cap == 0)
        return NULL;
    return find_slot(t, key, klen, hash(key, klen))->val;
}

/* Rehash into CAP slots (a power of two, enough for the count). */
static void resize(struct tgl_table *t, size_t cap)
{
    /* malloc + memset, not calloc: calloc's fresh pages would fault twice,
     * once when a lookup reads them and again when an insert writes. */
    struct tgl_table bigger = { .slots = tgl_xmalloc(cap * sizeof *bigger.slots),
                                .cap = cap, .count = t->count };
    memset(bigger.slots, 0, cap * sizeof *bigger.slots);
    for (size_t i = 0; i < t->cap; i++) {
        const struct tgl_slot *s = &t->slots[i];
        if (s->key != NULL)
            *find_slot(&bigger, s->key, s->klen, s->hash) = *s;
    }
    free(t->slots);
    *t = bigger;
}

/* Is there room for N keys in CAP slots (load <= 3/4)? */
static bool fits(size_t n, size_t cap)
{
    return 4 * n <= 3 * cap;
}

void tgl_table_reserve(struct tgl_table *t, size_t n)
{
    size_t cap = t->cap ? t->cap : 16;
    while (!fits(n, cap))
        cap *= 2;
    if (cap != t->cap)
        resize(t, cap);
}

/* KEY's slot, added with a NULL value when it was not there (*ADDED). */
static struct tgl_slot *upsert(struct tgl_table *t, const char *key, size_t klen, bool *added)
{
    if (!fits(t->count + 1, t->cap))
        resize(t, t->cap ? t->cap * 2 : 16);
    uint32_t h = hash(key, klen);
    struct tgl_slot *s = find_slot(t, key, klen, h);
    *added = s->key == NULL;
    if (*added) {
        *s = (struct tgl_slot){ .key = key, .klen = (uint32_t)klen, .hash = h };
        t->count++;
    }
    return s;
}

void *tgl_table_get_or_put(struct tgl_table *t, const char *key, size_t klen, void *val)
{
    bool added;
    struct tgl_slot *s = upsert(t, key, klen, &added);
    if (!added)
        return s->val;
    s->val = val;
    return NULL;
}

void tgl_table_put(struct tgl_table *t, const char *key, size_t klen, void *val)
{
    bool added;
    upsert(t, key, klen, &added)->val = val;
}

void tgl_table_free(struct tgl_table *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}
