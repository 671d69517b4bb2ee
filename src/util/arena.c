/* util/arena.c - see arena.h. */
#include "util/arena.h"

#include <stdlib.h>

struct mz_arena_chunk {
    struct mz_arena_chunk *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void mz_arena_init(struct mz_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 1 << 20;
}

void *mz_arena_alloc(struct mz_arena *a, size_t n)
{
    struct mz_arena_chunk *c = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    void *p;

    if (need < n)
        return NULL;
    if (!c || c->size - c->used < need) {
        size_t size = need > a->chunk_size ? need : a->chunk_size;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    p = c->data + c->used;
    c->used += need;
    return p;
}

void mz_arena_reset(struct mz_arena *a)
{
    struct mz_arena_chunk *c = a->head, *keep = NULL;

    /* keep the oldest chunk (the first, usually of the default size) */
    while (c) {
        struct mz_arena_chunk *next = c->next;
        if (!next) {
            keep = c;
        } else {
            free(c);
        }
        c = next;
    }
    if (keep)
        keep->used = 0;
    a->head = keep;
}

void mz_arena_free(struct mz_arena *a)
{
    struct mz_arena_chunk *c = a->head;

    while (c) {
        struct mz_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}
