/* util/log.h - one key=value line per event on stderr.
 * MZ_LOG() tests the level before it formats anything (Redis serverLog). The level is
 * process-wide, set once at start-up by mz_log_init(). Callers never log API keys or
 * TLP:RED content.
 *
 * Text that did not come from the program itself (anything a client sent, an error
 * message that quotes input, a path from the configuration) goes into a field through
 * mz_log_esc(), so that it can neither end the line nor start another field. As a
 * last line of defence mz_log_write() also writes any control byte left in the
 * formatted line as %XX: one event is one line, whatever a caller forgot. */
#ifndef MZ_LOG_H
#define MZ_LOG_H

#include <stddef.h>

enum mz_log_level {
    MZ_LOG_DEBUG = 0,
    MZ_LOG_INFO,
    MZ_LOG_WARN,
    MZ_LOG_ERROR,
    MZ_LOG_OFF
};

extern enum mz_log_level mz_log_threshold;

/* Parse "debug|info|warn|error|off"; returns -1 on an unknown name. */
int mz_log_level_parse(const char *name);
void mz_log_init(enum mz_log_level level);
/* The text of s fit for one key=value field, into out (cap bytes, NUL-terminated,
 * cut short if it does not fit): bytes that would end the line or start another key
 * or value (controls, space, '=', '"', '\\', '%') are written as %XX. Returns out. */
#define MZ_LOG_ESC_LEN(n) (3 * (n) + 1) /* out's size for n bytes of text, none lost */
const char *mz_log_esc(const char *s, char *out, size_t cap);
/* The same for a field written between double quotes (msg="..."): spaces and '='
 * stay as they are; controls, '"', '\\' and '%' are written as %XX. */
const char *mz_log_quote(const char *s, char *out, size_t cap);
/* fmt continues the line after "ts=… lvl=…", as key=value pairs. */
void mz_log_write(enum mz_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define MZ_LOG(level, ...)                                                     \
    do {                                                                       \
        if ((level) >= mz_log_threshold)                                       \
            mz_log_write((level), __VA_ARGS__);                                \
    } while (0)

#endif
