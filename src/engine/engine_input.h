/* engine/engine_input.h - a log held in memory for the threaded matcher
 * (engine/engine_scan.h): a plain file is mapped read-only (MADV_SEQUENTIAL), standard
 * input ("-"), pipes and gzip files (detected by their content, not their name) are
 * read whole, up to ENGINE_INPUT_MAX bytes. */
#ifndef MZ_ENGINE_INPUT_H
#define MZ_ENGINE_INPUT_H

#include <stddef.h>

#include "util/err.h"

#define ENGINE_INPUT_MAX ((size_t)64 << 30) /* the most one input may hold */

/* data stays valid until engine_input_close(). */
struct engine_input {
    const char *data;      /* "" for an empty input */
    size_t len;
    void *map;             /* the mapping, or NULL */
    char *bytes;           /* what was read (malloc'd), or NULL */
};

/* On failure nothing is left open (and *in is safe to close). */
enum mz_err engine_input_open(const char *path, struct engine_input *in, struct mz_error *err);
/* Safe on a zeroed or failed input. */
void engine_input_close(struct engine_input *in);

#endif
