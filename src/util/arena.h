/* util/arena.h - a bump allocator: many small allocations, released all at once.
 * Used for short-lived parse trees (ingest batches), where freeing node by node
 * would cost as much as building them. Memory comes in chunks from malloc; reset
 * keeps the first chunk for reuse; mz_arena_free releases everything. Not
 * thread-safe: one arena belongs to one thread at a time. */
#ifndef MZ_ARENA_H
#define MZ_ARENA_H

#include <stddef.h>

struct mz_arena_chunk;

struct mz_arena {
    struct mz_arena_chunk *head; /* newest chunk first */
    size_t chunk_size;           /* default size of a new chunk */
};

void mz_arena_init(struct mz_arena *a, size_t chunk_size);
/* 16-byte aligned memory for n bytes, or NULL when malloc fails. */
void *mz_arena_alloc(struct mz_arena *a, size_t n);
/* Forget every allocation; keeps one chunk for reuse. */
void mz_arena_reset(struct mz_arena *a);
void mz_arena_free(struct mz_arena *a);

#endif
