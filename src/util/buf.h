/* util/buf.h - a growable byte buffer with a cap set when it is created.
 * Anything input can grow (request bodies, responses, exports) goes through one of
 * these, so an oversize input is refused with MZ_ETOOBIG instead of exhausting memory
 * (the idea of curl's dynbuf "toobig"). The buffer owns its bytes; mz_buf_free()
 * releases them; mz_buf_steal() hands them to the caller (free() them). The data is
 * always NUL-terminated for convenience, the NUL is not counted in len.
 *
 * The first failed append is latched: every later append on the buffer does nothing
 * and returns that error, and mz_buf_status() reports it. A writer can therefore append
 * a whole reply without checking each call and look once at the end, and a reply that
 * lost a piece in the middle is never mistaken for a complete one (api_reply() refuses
 * to send a buffer whose status is not MZ_OK). mz_buf_reset() clears the latch. */
#ifndef MZ_BUF_H
#define MZ_BUF_H

#include <stddef.h>

#include "util/err.h"

struct mz_buf {
    char *data;
    size_t len;
    size_t cap;   /* allocated bytes */
    size_t limit; /* the most len may ever reach */
    enum mz_err err; /* the first append that failed, latched; MZ_OK if none */
};

void mz_buf_init(struct mz_buf *b, size_t limit);
void mz_buf_free(struct mz_buf *b);
void mz_buf_reset(struct mz_buf *b); /* len = 0, memory kept, latched error cleared */
/* MZ_OK, or the error of the first append that failed since init or reset. */
enum mz_err mz_buf_status(const struct mz_buf *b);
enum mz_err mz_buf_reserve(struct mz_buf *b, size_t extra);
enum mz_err mz_buf_append(struct mz_buf *b, const void *p, size_t n);
enum mz_err mz_buf_puts(struct mz_buf *b, const char *s);
enum mz_err mz_buf_putc(struct mz_buf *b, char c);
enum mz_err mz_buf_printf(struct mz_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included. */
enum mz_err mz_buf_json_str(struct mz_buf *b, const char *s);
/* Returns the data (caller frees with free()) and leaves b empty. */
char *mz_buf_steal(struct mz_buf *b, size_t *len_out);

#endif
